{{ config(materialized='view') }}

-- The training snapshots of this build's training (docs/definitions.md §13):
-- the rows of int_repurchase_training_snapshots whose training_key is
-- int_repurchase_training's. A training that comes out empty (an as-of date
-- before the shop's first windows) inserts no row, so the store may still
-- hold an earlier training's; this view never shows them.

with

training as (
    select * from {{ ref('int_repurchase_training') }}
),

training_snapshots as (
    select * from {{ ref('int_repurchase_training_snapshots') }}
),

final as (
    select training_snapshots.*
    from training_snapshots
    inner join training
        on training_snapshots.training_key = training.training_key
)

select * from final
