{% macro var_rules() %}
    {#- Every var the project reads, with the form it accepts. get_var() checks a
        var against its rule; validate_vars() (on-run-start) checks them all, so a
        bad value stops the build before any model runs, whatever is selected. -#}
    {{ return({
        'raw_data_dir': {'kind': 'text', 'nullable': true,
            'form': 'a folder path holding customers.csv or customers.parquet, etc.'},
        'raw_schema': {'kind': 'text', 'nullable': true,
            'form': 'the name of a schema holding the raw tables'},
        'customer_age_min': {'kind': 'integer', 'min': 0, 'max': 150},
        'customer_age_max': {'kind': 'integer', 'min': 0, 'max': 150},
    }) }}
{% endmacro %}
