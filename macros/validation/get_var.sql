{% macro get_var(name) %}
    {#- var(name), checked against var_rules(): a bad value stops the build with a
        message naming the var, the value and the accepted form. Returns the value
        in its checked type (a number for 'integer', a list for 'subset', ...). -#}
    {%- set rules = var_rules() -%}
    {%- if name not in rules -%}
        {{ exceptions.raise_compiler_error("get_var: var '" ~ name ~ "' has no rule in var_rules()") }}
    {%- endif -%}
    {%- set rule = rules[name] -%}
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
    {%- set checked = checked_var_value(value, rule) -%}
    {%- if checked is none -%}
        {{ invalid_var(name, value, rule) }}
    {%- endif -%}
    {{ return(checked) }}
{% endmacro %}


{% macro checked_var_value(value, rule) %}
    {#- The value in its checked type, or none when it breaks the rule. -#}
    {%- set re = modules.re -%}
    {%- if rule.kind in ('integer', 'number', 'fraction') -%}
        {%- set number = as_number(value) -%}
        {#- number - number is not 0 for infinity and NaN (YAML .inf, .nan). -#}
        {%- if number is none
            or number - number != 0
            or (rule.kind == 'integer' and number != number | int)
            or (rule.kind == 'fraction' and not (0 < number < 1))
            or ('min' in rule and number < rule.min)
            or ('above' in rule and number <= rule.above)
            or ('max' in rule and number > rule.max) -%}
            {{ return(none) }}
        {%- endif -%}
        {{ return(number | int if rule.kind == 'integer' else number) }}
    {%- elif rule.kind == 'text' -%}
        {{ return(value | trim if value is string else none) }}
    {%- elif rule.kind == 'path' -%}
        {#- A path is read as written: DuckDB would expand * ? [ ] { } in it
            and read several folders at once. -#}
        {%- if value is not string or re.search('[*?\\[\\]{}]', value) -%}
            {{ return(none) }}
        {%- endif -%}
        {{ return(value | trim) }}
    {%- elif rule.kind == 'choice' -%}
        {{ return(value if value in rule.choices else none) }}
    {%- elif rule.kind == 'subset' -%}
        {%- set values = value.split(',') | map('trim') | list if value is string else value -%}
        {%- if values is string or values is not iterable or values | length == 0 -%}
            {{ return(none) }}
        {%- endif -%}
        {%- for item in values if item not in rule.choices -%}
            {{ return(none) }}
        {%- endfor -%}
        {{ return(values | unique | list) }}
    {%- elif rule.kind in ('bins', 'ascending') -%}
        {%- if value is string or value is not iterable or value | length != rule.get('length', 4) -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set bins = [] -%}
        {%- for item in value -%}
            {%- set number = as_number(item) -%}
            {%- if number is none or (bins and number <= bins[-1])
                or ('min' in rule and number < rule.min) or ('max' in rule and number > rule.max) -%}
                {{ return(none) }}
            {%- endif -%}
            {%- do bins.append(number) -%}
        {%- endfor -%}
        {{ return(bins) }}
    {%- elif rule.kind == 'weights' -%}
        {#- A mapping of exactly the named weights, each in [0, 1], summing to 1. -#}
        {%- if value is not mapping or value.keys() | sort | list != rule['names'] | sort | list -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set weights = {} -%}
        {%- for weight_name in rule['names'] -%}
            {%- set number = as_number(value[weight_name]) -%}
            {%- if number is none or not (0 <= number <= 1) -%}
                {{ return(none) }}
            {%- endif -%}
            {%- do weights.update({weight_name: number}) -%}
        {%- endfor -%}
        {{ return(weights if (weights.values() | sum - 1) | abs < 1e-9 else none) }}
    {%- elif rule.kind == 'delimiter' -%}
        {#- One character, not a quote, space or line break; the text \t is a tab. -#}
        {%- set text = '\t' if value == '\\t' else value -%}
        {{ return(text if text is string and text | length == 1 and text not in ['"', ' ', '\r', '\n'] else none) }}
    {%- elif rule.kind == 'as_of_date' -%}
        {%- if value == 'today' -%}
            {{ return('today') }}
        {%- endif -%}
        {%- set text = value | string | trim -%}
        {%- if not re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
            {{ return(none) }}
        {%- endif -%}
        {{ return(text if is_calendar_date(text) else none) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("get_var: unknown kind '" ~ rule.kind ~ "'") }}
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


{% macro invalid_var(name, value, rule) %}
    {{ exceptions.raise_compiler_error(
        "Invalid value for var '" ~ name ~ "': got " ~ (value | tojson) ~ "; expected " ~ var_form(rule) ~ "."
    ) }}
{% endmacro %}
