{% macro money_ratio(numerator, denominator) -%}
    {#- A money amount divided by a count, the one rounding rule for every
        derived money figure (averages, values per order), the same on every
        warehouse (DECISIONS.md, "Money"):
          - the numerator is taken as decimal(38, 4), in whole ten-thousandths
            n (a sum of decimal(18, 4) amounts is exact);
          - n / d is rounded to whole ten-thousandths half away from zero,
            in exact integer arithmetic: (2|n| + |d|) div 2|d|, negated when
            n and d have opposite signs, so 162.67 / 8 = 20.33375 -> 20.3338
            and -162.67 / 8 -> -20.3338;
          - the result is decimal(18, 4); null when d is 0 or null.
        Never avg() or a decimal `/`: DuckDB divides decimals in double
        (20.33375 becomes 20.333749999999998 -> 20.3337) and Spark rounds a
        decimal quotient to a scale of its own choosing before any cast. -#}
    {{ return(adapter.dispatch('money_ratio', 'risk_segmentation')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__money_ratio(numerator, denominator) -%}
    {#- Postgres: numeric is exact at any size; div() truncates. -#}
    {{ exact_money_ratio(numerator, denominator, 'numeric', 'div({a}, {b})') }}
{%- endmacro %}

{% macro duckdb__money_ratio(numerator, denominator) -%}
    {#- DuckDB: `//` of two hugeints is exact integer division. -#}
    {{ exact_money_ratio(numerator, denominator, 'hugeint', '({a} // {b})') }}
{%- endmacro %}

{% macro spark__money_ratio(numerator, denominator) -%}
    {#- Spark: `div` of two bigints is exact (a bigint holds 9.2e14 in
        ten-thousandths; past half that, ANSI mode raises an overflow). -#}
    {{ exact_money_ratio(numerator, denominator, 'bigint', '({a} div {b})') }}
{%- endmacro %}

{% macro exact_money_ratio(numerator, denominator, integer_type, divide) -%}
    {#- money_ratio's arithmetic, given the warehouse's exact integer type and
        its integer division ({a} and {b} stand for the operands). -#}
    {%- set n = 'cast(cast(' ~ numerator ~ ' as decimal(38, 4)) * 10000 as ' ~ integer_type ~ ')' -%}
    {%- set d = 'cast(' ~ denominator ~ ' as ' ~ integer_type ~ ')' -%}
    {%- set rounded_quotient = divide
        | replace('{a}', '(2 * abs(' ~ n ~ ') + abs(' ~ d ~ '))')
        | replace('{b}', '(2 * abs(' ~ d ~ '))') -%}
    cast(
        case
            when {{ d }} <> 0
                then cast(
                    case when ({{ n }} < 0) = ({{ d }} < 0) then 1 else -1 end * {{ rounded_quotient }}
                    as decimal(18, 0)
                ) * 0.0001
        end
        as decimal(18, 4)
    )
{%- endmacro %}
