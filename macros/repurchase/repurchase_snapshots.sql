{#- The repeated SQL of int_repurchase_snapshots, one block per snapshot.
    `snapshots` lists (name, days before the as-of date); the model reads
    int_counted_orders as counted_orders and computes the dates once, in
    snapshot_dates (date arithmetic on every order row cost more than the
    comparisons). -#}

{% macro repurchase_snapshot_dates(snapshots, window_days) -%}
    {#- One row: each snapshot's date and the last day of the window after it. -#}
    {%- for name, days_back in snapshots %}
    {{ add_days('as_of.as_of_date', -days_back) }} as date_{{ name }},
    {{ add_days('as_of.as_of_date', window_days - days_back) }} as window_end_{{ name }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro repurchase_snapshot_aggregates(snapshots, window_days) -%}
    {#- Per customer (in a group by customer_id): each snapshot's frequency,
        monetary value and last order date on or before it, and, where the
        window after it is over, the orders in that window. The first order
        date is one for all snapshots: a snapshot with an order on or before
        it has the first one too. -#}
    min(counted_orders.order_date) as first_order_date,
    {%- for name, days_back in snapshots %}
    {%- set on_or_before = 'counted_orders.order_date <= snapshot_dates.date_' ~ name %}
    count(case when {{ on_or_before }} then 1 end) as frequency_{{ name }},
    sum(case when {{ on_or_before }} then counted_orders.order_total end) as monetary_{{ name }},
    max(case when {{ on_or_before }} then counted_orders.order_date end) as last_order_date_{{ name }}
    {%- if days_back >= window_days %},
    count(case when counted_orders.order_date > snapshot_dates.date_{{ name }}
        and counted_orders.order_date <= snapshot_dates.window_end_{{ name }} then 1 end) as window_orders_{{ name }}
    {%- endif %}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro repurchase_snapshot_rows(snapshots, window_days) -%}
    {#- One row per snapshot and customer with an order by then, from the
        aggregates above (per_customer). A snapshot less than a window before
        the as-of date has no outcome yet: null. -#}
    {%- for name, days_back in snapshots %}
    select
        '{{ name }}' as snapshot_name,
        snapshot_dates.date_{{ name }} as snapshot_date,
        per_customer.customer_id,
        per_customer.frequency_{{ name }} as frequency,
        per_customer.monetary_{{ name }} as monetary,
        cast({{ dbt.datediff('per_customer.last_order_date_' ~ name, 'snapshot_dates.date_' ~ name, 'day') }}
            as integer) as recency_days,
        cast({{ dbt.datediff('per_customer.first_order_date', 'snapshot_dates.date_' ~ name, 'day') }}
            as integer) as tenure_days,
        {% if days_back >= window_days -%}
        case when per_customer.window_orders_{{ name }} > 0 then 1 else 0 end
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
