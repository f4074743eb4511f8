{% macro check_var(name, rule) %}
    {#- Stops the run when var(name) breaks its rule (var_rules()), naming the
        var, the value and the accepted form. -#}
    {%- set value = var(name, none) -%}
    {%- if value is none and rule.get('nullable', false) -%}
        {{ return(none) }}
    {%- elif value is none or (value is string and value | trim == '') -%}
        {#- A blank value is never "unset": it is usually an empty shell
            variable ({raw_data_dir: $DIR}), and must not quietly mean the
            default (the shipped sample). -#}
        {{ exceptions.raise_compiler_error(
            "Invalid value for var '" ~ name ~ "': got " ~ (value | tojson) ~ ", which is empty; expected "
            ~ var_form(rule) ~ (". To leave it unset, remove it or set it to null." if rule.get('nullable') else ".")
        ) }}
    {%- endif -%}
    {%- if not is_valid_var(value, rule) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid value for var '" ~ name ~ "': got " ~ (value | tojson) ~ "; expected " ~ var_form(rule) ~ "."
        ) }}
    {%- endif -%}
{% endmacro %}


{% macro is_valid_var(value, rule) %}
    {#- Whether a set value has the form of its rule. Numbers may be numeric
        text (a host project's env_var() renders text). -#}
    {%- set re = modules.re -%}
    {%- if rule.kind in ('integer', 'number', 'fraction') -%}
        {%- set number = as_number(value) -%}
        {#- number - number is not 0 for infinity and NaN (YAML .inf, .nan). -#}
        {{ return(number is not none
            and number - number == 0
            and not (rule.kind == 'integer' and number != number | int)
            and not (rule.kind == 'fraction' and not (0 < number < 1))
            and not ('min' in rule and number < rule.min)
            and not ('above' in rule and number <= rule.above)
            and not ('max' in rule and number > rule.max)) }}
    {%- elif rule.kind == 'text' -%}
        {{ return(value is string) }}
    {%- elif rule.kind == 'path' -%}
        {#- A path is read as written: DuckDB would expand * ? [ ] { } in it
            and read several folders at once. -#}
        {{ return(value is string and not re.search('[*?\\[\\]{}]', value)) }}
    {%- elif rule.kind == 'choice' -%}
        {{ return(value in rule.choices) }}
    {%- elif rule.kind == 'subset' -%}
        {%- if value is string or value is not iterable or value is mapping or value | length == 0 -%}
            {{ return(false) }}
        {%- endif -%}
        {{ return(value | reject('in', rule.choices) | list | length == 0) }}
    {%- elif rule.kind in ('bins', 'ascending') -%}
        {%- if value is string or value is not iterable or value is mapping
            or value | length != rule.get('length', 4) -%}
            {{ return(false) }}
        {%- endif -%}
        {%- set previous = [] -%}
        {%- for item in value -%}
            {%- set number = as_number(item) -%}
            {%- if number is none or number - number != 0 or (previous and number <= previous[-1])
                or ('min' in rule and number < rule.min) or ('max' in rule and number > rule.max) -%}
                {{ return(false) }}
            {%- endif -%}
            {%- do previous.append(number) -%}
        {%- endfor -%}
        {{ return(true) }}
    {%- elif rule.kind == 'weights' -%}
        {#- A mapping of exactly the named weights, each in [0, 1], summing to 1. -#}
        {%- if value is not mapping or value.keys() | sort | list != rule['names'] | sort | list -%}
            {{ return(false) }}
        {%- endif -%}
        {%- set numbers = [] -%}
        {%- for weight_name in rule['names'] -%}
            {%- set number = as_number(value[weight_name]) -%}
            {%- if number is none or not (0 <= number <= 1) -%}
                {{ return(false) }}
            {%- endif -%}
            {%- do numbers.append(number) -%}
        {%- endfor -%}
        {{ return((numbers | sum - 1) | abs < 1e-9) }}
    {%- elif rule.kind == 'delimiter' -%}
        {#- One character, not a quote, space or line break; the text \t is a tab. -#}
        {{ return(value == '\\t' or (value is string and value | length == 1 and value not in ['"', ' ', '\r', '\n'])) }}
    {%- elif rule.kind == 'as_of_date' -%}
        {#- YAML reads an unquoted 2024-06-30 as a date: its text is the same. -#}
        {%- set text = value | string | trim -%}
        {{ return(value == 'today' or (re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) is not none
            and is_calendar_date(text))) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("is_valid_var: unknown kind '" ~ rule.kind ~ "'") }}
{% endmacro %}


{% macro as_number(value) %}
    {#- A number from a number or a numeric string; none for anything else
        (booleans included: YAML reads `yes` as true). -#}
    {%- if value is boolean -%}
        {{ return(none) }}
    {%- elif value is number -%}
        {{ return(value) }}
    {%- elif value is string and modules.re.fullmatch('[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)', value | trim) -%}
        {{ return(value | trim | float if '.' in value else value | trim | int) }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{% macro is_calendar_date(text) %}
    {#- True when YYYY-MM-DD text is a real date (no 30 February). -#}
    {%- set year, month, day = text.split('-') | map('int') | list -%}
    {%- if not (1 <= month <= 12) or day < 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(day <= month_days[month - 1]) }}
{% endmacro %}


{% macro var_form(rule) %}
    {%- if rule.get('form') -%}
        {{ return(rule.form) }}
    {%- elif rule.kind == 'integer' -%}
        {{ return('an integer from ' ~ rule.min ~ ' to ' ~ rule.max) }}
    {%- elif rule.kind == 'fraction' -%}
        {{ return('a number strictly between 0 and 1, such as 0.75') }}
    {%- elif rule.kind == 'choice' -%}
        {{ return('one of ' ~ rule.choices | join(', ')) }}
    {%- elif rule.kind == 'subset' -%}
        {{ return('a non-empty list of ' ~ rule.choices | join(', ')) }}
    {%- elif rule.kind == 'bins' -%}
        {{ return('unset, or a list of 4 strictly ascending numbers, such as [2, 3, 4, 6]') }}
    {%- endif -%}
    {{ return(rule.kind) }}
{% endmacro %}
