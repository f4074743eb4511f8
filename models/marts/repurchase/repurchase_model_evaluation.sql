-- How well the repurchase probability would have done (docs/definitions.md
-- §13): int_repurchase_evaluation, evaluated once per training, with this
-- build's as-of date. One row per predictor.

with

evaluation as (
    select * from {{ ref('int_repurchase_evaluation') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        evaluation.predictor,
        evaluation.auc,
        evaluation.brier_score,
        evaluation.customers,
        evaluation.repurchasers,
        evaluation.observed_rate,
        evaluation.mean_probability,
        evaluation.not_evaluated_reason,
        evaluation.shift_method,
        evaluation.trained_as_of,
        evaluation.evaluated_as_of,
        as_of.as_of_date
    from evaluation
    cross join as_of
)

select * from final
