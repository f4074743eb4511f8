-- How far learned rates are shifted for the window they are applied to
-- (docs/definitions.md §13), one row per applied pair: s1 -> s0 (the
-- published probability) and s2 -> s1 (its evaluation). A window's buying
-- rate moves with the season and the shop's trend, so rates learned on the
-- window before are shifted on the log-odds scale by the gap between what
-- happened and what the method predicted on a reference pair: the same pair
-- a year earlier when its training snapshot has at least max(var
-- repurchase_year_ago_min_customers (500), a quarter of this training
-- snapshot's) customers (a year-ago snapshot of a few early
-- buyers says little about the season); else the pair one window earlier
-- (the trend goes on); else no shift. A rate of 0 or 1 has no log-odds: no
-- shift.

with

snapshots as (
    select * from {{ ref('int_repurchase_snapshots') }}
),

scores as (
    select * from {{ ref('int_repurchase_scores') }}
),

snapshot_sizes as (
    select
        snapshot_name,
        count(*) as customers
    from snapshots
    group by snapshot_name
),

-- Each pair's mean predicted and observed rate over the scored snapshot's
-- customers, from its cells (int_repurchase_scores), each weighed by its
-- customers.
reference_fits as (
    select
        trained_snapshot,
        scored_snapshot,
        -- Rounded: a mean summed in another order differs in the last bits,
        -- which the shifted probabilities' 12th decimal could show.
        {{ rounded_double('sum(scored_customers * raw_probability) / sum(scored_customers)') }} as mean_predicted,
        sum(scored_repurchasers) / cast(sum(scored_customers) as {{ type_double() }}) as observed_rate
    from scores
    where scored_repurchasers is not null
    group by trained_snapshot, scored_snapshot
),

applied_pairs as (
    select
        's1' as trained_snapshot,
        's0' as scored_snapshot,
        'y1' as year_ago_trained,
        'y0' as year_ago_scored,
        's2' as previous_trained,
        's1' as previous_scored

    union all

    select
        's2' as trained_snapshot,
        's1' as scored_snapshot,
        'y2' as year_ago_trained,
        'y1' as year_ago_scored,
        's3' as previous_trained,
        's2' as previous_scored
),

candidates as (
    select
        applied_pairs.trained_snapshot,
        applied_pairs.scored_snapshot,
        coalesce(training.customers, 0) as training_customers,
        coalesce(year_ago_training.customers, 0) as year_ago_training_customers,
        year_ago.mean_predicted as year_ago_predicted,
        year_ago.observed_rate as year_ago_observed,
        previous.mean_predicted as previous_predicted,
        previous.observed_rate as previous_observed
    from applied_pairs
    left join snapshot_sizes as training
        on applied_pairs.trained_snapshot = training.snapshot_name
    left join snapshot_sizes as year_ago_training
        on applied_pairs.year_ago_trained = year_ago_training.snapshot_name
    left join reference_fits as year_ago
        on
            applied_pairs.year_ago_trained = year_ago.trained_snapshot
            and applied_pairs.year_ago_scored = year_ago.scored_snapshot
    left join reference_fits as previous
        on
            applied_pairs.previous_trained = previous.trained_snapshot
            and applied_pairs.previous_scored = previous.scored_snapshot
),

chosen as (
    select
        trained_snapshot,
        scored_snapshot,
        case
            when
                year_ago_predicted is not null
                and year_ago_training_customers
                >= greatest({{ var('repurchase_year_ago_min_customers') }}, 0.25 * training_customers)
                then 'year_ago'
            when previous_predicted is not null then 'previous_window'
            else 'none'
        end as shift_method,
        year_ago_predicted,
        year_ago_observed,
        previous_predicted,
        previous_observed
    from candidates
),

referenced as (
    select
        trained_snapshot,
        scored_snapshot,
        shift_method,
        case shift_method
            when 'year_ago' then year_ago_predicted
            when 'previous_window' then previous_predicted
        end as reference_predicted,
        case shift_method
            when 'year_ago' then year_ago_observed
            when 'previous_window' then previous_observed
        end as reference_observed
    from chosen
),

final as (
    select
        trained_snapshot,
        scored_snapshot,
        shift_method,
        reference_predicted,
        reference_observed,
        case
            when
                reference_predicted > 0 and reference_predicted < 1
                and reference_observed > 0 and reference_observed < 1
                then
                    ln(reference_observed / (1 - reference_observed))
                    - ln(reference_predicted / (1 - reference_predicted))
            else 0
        end as log_odds_shift
    from referenced
)

select * from final
