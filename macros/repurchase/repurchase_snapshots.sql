{#- The repeated SQL of int_repurchase_snapshots, one block per snapshot.
    `snapshots` lists (name, days before the as-of date); the model reads
    int_counted_orders as counted_orders and int_as_of_date as as_of. -#}

{% macro repurchase_snapshot_aggregates(snapshots, window_days) -%}
    {#- Per customer (in a group by customer_id): each snapshot's frequency,
        monetary value, first and last order dates on or before it, and the
        orders in the window after it. -#}
    {%- for name, days_back in snapshots %}
    {%- set snapshot_date = add_days('as_of.as_of_date', -days_back) %}
    {%- set window_end = add_days('as_of.as_of_date', window_days - days_back) %}
    count(case when counted_orders.order_date <= {{ snapshot_date }} then 1 end) as frequency_{{ name }},
    sum(case when counted_orders.order_date <= {{ snapshot_date }} then counted_orders.order_total end)
        as monetary_{{ name }},
    min(case when counted_orders.order_date <= {{ snapshot_date }} then counted_orders.order_date end)
        as first_order_date_{{ name }},
    max(case when counted_orders.order_date <= {{ snapshot_date }} then counted_orders.order_date end)
        as last_order_date_{{ name }},
    count(case when counted_orders.order_date > {{ snapshot_date }}
        and counted_orders.order_date <= {{ window_end }} then 1 end) as window_orders_{{ name }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro repurchase_snapshot_rows(snapshots, window_days) -%}
    {#- One row per snapshot and customer with an order by then, from the
        aggregates above (per_customer). A snapshot less than a window before
        the as-of date has no outcome yet: null. -#}
    {%- for name, days_back in snapshots %}
    {%- set snapshot_date = add_days('as_of.as_of_date', -days_back) %}
    select
        '{{ name }}' as snapshot_name,
        {{ snapshot_date }} as snapshot_date,
        per_customer.customer_id,
        per_customer.frequency_{{ name }} as frequency,
        per_customer.monetary_{{ name }} as monetary,
        cast({{ dbt.datediff('per_customer.last_order_date_' ~ name, snapshot_date, 'day') }} as integer)
            as recency_days,
        cast({{ dbt.datediff('per_customer.first_order_date_' ~ name, snapshot_date, 'day') }} as integer)
            as tenure_days,
        {% if days_back >= window_days -%}
        case when per_customer.window_orders_{{ name }} > 0 then 1 else 0 end
        {%- else -%}
        cast(null as integer)
        {%- endif %} as bought_in_window
    from per_customer
    cross join as_of
    where per_customer.frequency_{{ name }} > 0
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}
