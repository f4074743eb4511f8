{% macro var_rules() %}
    {#- Every var the project reads, with the form it accepts. get_var() checks a
        var against its rule; validate_vars() (on-run-start) checks them all and
        the rules that tie vars together, so a bad value stops the build before
        any model runs, whatever is selected. Defaults live in dbt_project.yml. -#}
    {%- set order_statuses = [
        'placed', 'paid', 'shipped', 'delivered', 'completed', 'returned', 'partially_returned', 'cancelled', 'failed',
    ] -%}
    {%- set score_signals = ['rate', 'recency', 'pattern', 'value', 'reason', 'tenure'] -%}
    {{ return({
        'raw_data_dir': {'kind': 'path', 'nullable': true,
            'form': 'a folder path holding the raw files, such as data/shop (no wildcards * ? [ ] { })'},
        'raw_schema': {'kind': 'text', 'nullable': true,
            'form': 'the name of a schema holding the raw tables'},
        'raw_csv_delimiter': {'kind': 'delimiter',
            'form': "one character such as ',', ';' or '|', or '\\t' for tab (not a double quote, a space or a line break)"},
        'raw_load_column': {'kind': 'text', 'nullable': true,
            'form': 'the name of the raw tables\' load column, such as _fivetran_synced'},
        'customer_age_min': {'kind': 'integer', 'min': 0, 'max': 150},
        'customer_age_max': {'kind': 'integer', 'min': 0, 'max': 150},
        'max_rejected_share': {'kind': 'number', 'min': 0, 'max': 1,
            'form': 'a share of lines from 0 to 1, such as 0.25 (0: no rejection allowed; 1: no limit)'},
        'as_of_date': {'kind': 'as_of_date', 'nullable': true,
            'form': "unset, 'today', or a date written YYYY-MM-DD"},
        'counted_order_statuses': {'kind': 'subset', 'choices': order_statuses},
        'at_risk_recency_percentile': {'kind': 'fraction'},
        'at_risk_frequency_percentile': {'kind': 'fraction'},
        'at_risk_percentile_method': {'kind': 'choice', 'choices': ['cont', 'disc']},
        'at_risk_recency_days': {'kind': 'number', 'nullable': true, 'min': 0,
            'form': 'unset, or a number of days of 0 or more'},
        'at_risk_max_orders': {'kind': 'number', 'nullable': true, 'min': 0,
            'form': 'unset, or a number of orders of 0 or more'},
        'rfm_recency_bins': {'kind': 'bins', 'nullable': true},
        'rfm_frequency_bins': {'kind': 'bins', 'nullable': true},
        'rfm_monetary_bins': {'kind': 'bins', 'nullable': true},
        'lifecycle_active_days': {'kind': 'integer', 'min': 0, 'max': 100000},
        'lifecycle_lapsed_days': {'kind': 'integer', 'min': 0, 'max': 100000},
        'return_tier_mode': {'kind': 'choice', 'choices': ['relative', 'absolute']},
        'return_tier_multipliers': {'kind': 'ascending', 'length': 3, 'min': 0,
            'form': 'a list of 3 strictly ascending multipliers of the store return rate, such as [0.5, 2, 4]'},
        'return_tier_rates': {'kind': 'ascending', 'length': 3, 'min': 0, 'max': 1,
            'form': 'a list of 3 strictly ascending return rates between 0 and 1, such as [0.05, 0.2, 0.4]'},
        'return_min_orders': {'kind': 'integer', 'min': 1, 'max': 100000},
        'value_tier_percentile': {'kind': 'fraction'},
        'backtest_window_days': {'kind': 'integer', 'min': 1, 'max': 3660},
        'repurchase_prior_strength': {'kind': 'integer', 'min': 1, 'max': 100000},
        'repurchase_year_ago_min_customers': {'kind': 'integer', 'min': 0, 'max': 1000000000},
        'value_tier_percentile_method': {'kind': 'choice', 'choices': ['cont', 'disc']},
        'bracketing_min_variants': {'kind': 'integer', 'min': 2, 'max': 1000},
        'bracketing_min_orders': {'kind': 'integer', 'min': 1, 'max': 100000},
        'quick_return_hours': {'kind': 'integer', 'min': 1, 'max': 100000},
        'escalation_min_returns': {'kind': 'integer', 'min': 2, 'max': 100000},
        'return_categories_min': {'kind': 'integer', 'min': 1, 'max': 100000},
        'return_recency_half_life_days': {'kind': 'number', 'above': 0, 'max': 100000,
            'form': 'a number of days above 0, such as 45'},
        'return_recency_full_weight': {'kind': 'number', 'above': 0, 'max': 100000,
            'form': 'a number above 0, such as 3'},
        'return_tenure_full_orders': {'kind': 'integer', 'min': 1, 'max': 100000},
        'return_score_weights': {'kind': 'weights', 'names': score_signals,
            'form': 'a mapping of the weights ' ~ score_signals | join(', ')
                ~ ', each from 0 to 1, summing to 1'},
    }) }}
{% endmacro %}
