{% macro rejection_summary(results) -%}
    {#- on-run-end: the build's last lines say what staging rejected, per raw
        table and reason, so nobody learns it only by querying
        stg_shop__rejected_rows. For a status that no vocabulary seed knows,
        they also name the most frequent raw spellings and the seed that
        accepts them. Only when this run built stg_shop__rejected_rows; runs
        no statement of its own (logs only). -#}
    {%- set built = [] -%}
    {%- for result in results
        if execute and result.node.name == 'stg_shop__rejected_rows' and result.status == 'success' -%}
        {%- do built.append(result.node.relation_name) -%}
    {%- endfor -%}
    {%- if not built -%}
        {{ return('') }}
    {%- endif -%}
    {%- set counts = run_query(
        "select source_table, rejection_reason, count(*) as row_count from " ~ built[0]
        ~ " group by source_table, rejection_reason order by source_table, row_count desc, rejection_reason"
    ) -%}
    {%- if counts.rows | length == 0 -%}
        {{ log("Rejected rows: none; every raw row was used or is an older version of one.", info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set vocabulary_seeds = {
        'unknown_status': 'order_status_synonyms',
        'unknown_return_status': 'return_status_synonyms',
    } -%}
    {%- set lines = ["Rejected rows (" ~ counts.columns['row_count'].values() | sum ~ " in stg_shop__rejected_rows):"] -%}
    {%- for row in counts.rows -%}
        {%- do lines.append("  " ~ row['source_table'] ~ ": " ~ row['row_count'] ~ " " ~ row['rejection_reason']) -%}
        {%- if row['rejection_reason'] in vocabulary_seeds -%}
            {#- raw_values reads "order_id=...; ...; status=<raw spelling>; ...". -#}
            {%- set spelling = regexp_group('raw_values', '(^|; )status=([^;]*)', 2) -%}
            {%- set spellings = run_query(
                "select " ~ spelling ~ " as spelling, count(*) as row_count from " ~ built[0]
                ~ " where rejection_reason = '" ~ row['rejection_reason'] ~ "'"
                ~ " group by " ~ spelling ~ " order by row_count desc, spelling limit 5"
            ) -%}
            {%- set listed = [] -%}
            {%- for found in spellings.rows -%}
                {%- do listed.append("'" ~ found['spelling'] ~ "' (" ~ found['row_count'] ~ ")") -%}
            {%- endfor -%}
            {%- do lines.append("    most frequent: " ~ listed | join(', ') ~ "; to accept a spelling, map it in seeds/vocabularies/"
                ~ vocabulary_seeds[row['rejection_reason']] ~ ".csv and build again") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log(lines | join('\n'), info=true) }}
    {{ return('') }}
{%- endmacro %}
