{#- The repeated SQL of int_repurchase_snapshots, one block per snapshot.
    `snapshots` lists (name, days before the training anchor); the model
    reads int_counted_orders as counted_orders and computes the dates once,
    in snapshot_dates (date arithmetic on every order row cost more than the
    comparisons). -#}

{% macro repurchase_anchor_date(as_of_date) -%}
    {#- The training anchor of an as-of date: the first day of its month
        (docs/definitions.md §13). -#}
    cast({{ dbt.date_trunc('month', as_of_date) }} as date)
{%- endmacro %}


{% macro repurchase_snapshot_dates(anchor_date, snapshots, window_days) -%}
    {#- Columns of one row: each snapshot's date and the last day of the
        window after it, from the training anchor `anchor_date`. -#}
    {%- for name, days_back in snapshots %}
    {{ add_days(anchor_date, -days_back) }} as date_{{ name }},
    {{ add_days(anchor_date, window_days - days_back) }} as window_end_{{ name }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro repurchase_snapshot_aggregates(snapshots, window_days, monetary_snapshots) -%}
    {#- Per customer (in a group by customer_id): each snapshot's frequency
        and last order date on or before it, its monetary value at the
        snapshots in `monetary_snapshots` only, and the orders in the window
        after it where that window is over and does not end on another
        snapshot's date (where it does, the window's orders are a difference
        of two frequencies: repurchase_snapshot_window_orders). The first
        order date is one for all snapshots: a snapshot with an order on or
        before it has the first one too. Each aggregate widens the group by,
        which spilled to disk: none is computed that nothing reads
        (DECISIONS.md, Performance). -#}
    min(counted_orders.order_date) as first_order_date,
    {%- for name, days_back in snapshots %}
    {%- set on_or_before = 'counted_orders.order_date <= snapshot_dates.date_' ~ name %}
    count(case when {{ on_or_before }} then 1 end) as frequency_{{ name }},
    {%- if name in monetary_snapshots %}
    sum(case when {{ on_or_before }} then counted_orders.order_total end) as monetary_{{ name }},
    {%- endif %}
    max(case when {{ on_or_before }} then counted_orders.order_date end) as last_order_date_{{ name }}
    {%- if has_outcome(days_back, window_days) and window_end_snapshot(snapshots, days_back - window_days) is none %},
    count(case when counted_orders.order_date > snapshot_dates.date_{{ name }}
        and counted_orders.order_date <= snapshot_dates.window_end_{{ name }} then 1 end) as window_orders_{{ name }}
    {%- endif %}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro has_outcome(days_back, window_days) -%}
    {#- Whether the window after a snapshot is over by the training anchor. -#}
    {{ return(days_back >= window_days) }}
{%- endmacro %}


{% macro window_end_snapshot(snapshots, days_back) -%}
    {#- The name of the snapshot `days_back` days before the training
        anchor, or none. -#}
    {%- for name, snapshot_days_back in snapshots if snapshot_days_back == days_back -%}
        {{ return(name) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{% macro repurchase_snapshot_window_orders(snapshots, name, days_back, window_days) -%}
    {#- The counted orders in the window after snapshot `name`: those on or
        before the window's last day less those on or before the snapshot. -#}
    {%- set end_snapshot = window_end_snapshot(snapshots, days_back - window_days) -%}
    {%- if end_snapshot is none -%}
        per_customer.window_orders_{{ name }}
    {%- else -%}
        per_customer.frequency_{{ end_snapshot }} - per_customer.frequency_{{ name }}
    {%- endif -%}
{%- endmacro %}


{% macro repurchase_snapshot_rows(snapshots, window_days, monetary_snapshots) -%}
    {#- One row per snapshot and customer with an order by then, from the
        aggregates above (per_customer). A snapshot less than a window before
        the training anchor has no outcome yet, one outside
        `monetary_snapshots` no monetary value: null. -#}
    {%- for name, days_back in snapshots %}
    select
        '{{ name }}' as snapshot_name,
        snapshot_dates.date_{{ name }} as snapshot_date,
        per_customer.customer_id,
        per_customer.frequency_{{ name }} as frequency,
        {{ 'per_customer.monetary_' ~ name if name in monetary_snapshots else 'null' }} as monetary,
        cast({{ dbt.datediff('per_customer.last_order_date_' ~ name, 'snapshot_dates.date_' ~ name, 'day') }}
            as integer) as recency_days,
        cast({{ dbt.datediff('per_customer.first_order_date', 'snapshot_dates.date_' ~ name, 'day') }}
            as integer) as tenure_days,
        {% if has_outcome(days_back, window_days) -%}
        case when {{ repurchase_snapshot_window_orders(snapshots, name, days_back, window_days) }} > 0 then 1 else 0 end
        {%- else -%}
        cast(null as integer)
        {%- endif %} as bought_in_window
    from per_customer
    cross join snapshot_dates
    where per_customer.frequency_{{ name }} > 0
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}


{% macro repurchase_bins(measured) -%}
    {#- A query over `measured` (rows of snapshot_name, customer_id,
        recency_days, frequency, tenure_days, ...) adding each row's cell:
        frequency_bin 0 to 7 for 1, 2, 3, 4, 5-6, 7-9, 10-14 and 15+ orders;
        recency_bin, the tenth of recency among the rows of the same snapshot
        and frequency bin, 1 the longest since the last order; tenure_bin,
        the fifth of tenure within the snapshot, 1 the newest. The training
        snapshots and the as-of date's are binned alike. Scored once per
        distinct value and joined back (macros/scoring/quantile_score.sql);
        left joins, though every row has its scores, so that DuckDB hashes
        the few scored values (DECISIONS.md, Performance). -#}
    with

    frequency_binned as (
        select
            *,
            case when frequency > 1 then 1 else 0 end
            + case when frequency > 2 then 1 else 0 end
            + case when frequency > 3 then 1 else 0 end
            + case when frequency > 4 then 1 else 0 end
            + case when frequency > 6 then 1 else 0 end
            + case when frequency > 9 then 1 else 0 end
            + case when frequency > 14 then 1 else 0 end as frequency_bin
        from {{ measured }}
    ),

    recency_tenths as (
        {{ quantile_scores_of_values('frequency_binned', 'recency_days', higher_is_better=false, buckets=10,
            partition_by=['snapshot_name', 'frequency_bin']) }}
    ),

    tenure_fifths as (
        {{ quantile_scores_of_values('frequency_binned', 'tenure_days', higher_is_better=true,
            partition_by=['snapshot_name']) }}
    )

    select
        frequency_binned.*,
        recency_tenths.score as recency_bin,
        tenure_fifths.score as tenure_bin
    from frequency_binned
    left join recency_tenths
        on
            frequency_binned.snapshot_name = recency_tenths.snapshot_name
            and frequency_binned.frequency_bin = recency_tenths.frequency_bin
            and frequency_binned.recency_days = recency_tenths.recency_days
    left join tenure_fifths
        on
            frequency_binned.snapshot_name = tenure_fifths.snapshot_name
            and frequency_binned.tenure_days = tenure_fifths.tenure_days
{%- endmacro %}


{% macro repurchase_evaluation_key() -%}
    {#- What the evaluation's models (int_repurchase_snapshot_groups,
        int_repurchase_baseline_predictions, int_repurchase_evaluation) are
        computed from, read from int_repurchase_training: its training_key and
        the rules they are computed under. Each stores it and computes again
        only when it changes: once per training. -#}
    {{ dbt.concat(['training_key', "'|" ~ rules_fingerprint() ~ "'"]) }}
{%- endmacro %}
