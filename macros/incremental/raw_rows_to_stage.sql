{% macro raw_rows_to_stage(relation, key_column, date_columns=[], order_column=none) -%}
    {#- The where clause of a *_rows model's raw CTE on an incremental run:
        every raw row of a key that has a row dated (`date_columns`) on or after
        the cutoff (see staging_cutoff), or a row whose order (`order_column`)
        was staged since this model's last build, or that was never staged,
        and every row without a key. When the key is the order (order lines),
        the orders staged since are the keys themselves: no scan of the raw
        table looks them up (3.9 s of the order lines' daily build at L).
        All rows of such a key are parsed again together, so its versions are
        ranked as in a full build, and replace that key's stored rows (the
        model's unique_key is this key column; rows without a key are dropped
        by delete_rows_to_restage). A new version of a staged key dated before
        the cutoff is not seen until a --full-refresh build; the
        accounts_for_every_row tests then fail and say so. Full builds read
        every row: no filter. -#}
    {%- if stages_changed_rows_only() -%}
        {%- set conditions = [] -%}
        {%- set cutoff = staging_cutoff(date_columns) if date_columns else none -%}
        {%- for column in date_columns if cutoff is not none -%}
            {%- do conditions.append(raw_date_on_or_after('candidate.' ~ column, cutoff)) -%}
        {%- endfor -%}
        {%- if date_columns and cutoff is none -%}
            {%- do conditions.append('true') -%}
        {%- endif -%}
        {%- set keyed_by_order = order_column == key_column -%}
        {%- if order_column and not keyed_by_order -%}
            {%- do conditions.append(clean_text('candidate.' ~ order_column) ~ " in (" ~ orders_staged_since_last_build() ~ ")") -%}
        {%- endif -%}
    where
        {{ clean_text(key_column) }} is null
        or {{ clean_text(key_column) }} in (
            {%- if conditions %}
            select {{ clean_text('candidate.' ~ key_column) }}
            from {{ relation }} as candidate
            where {{ conditions | join(' or ') }}

            union all
            {%- endif %}
            {%- if keyed_by_order %}
            {{ orders_staged_since_last_build() }}

            union all
            {%- endif %}

            {#- A key never staged is new, whatever its dates say: a late first
                export, or a line of an order no export knows. A set
                difference, which every engine runs as one anti-join. -#}
            (
                select {{ clean_text('candidate.' ~ key_column) }}
                from {{ relation }} as candidate
                except
                select staged.{{ key_column }}
                from {{ this }} as staged
            )
        )
    {%- endif -%}
{%- endmacro %}


{% macro staged_orders_only(raw_cte) -%}
    {#- A condition (`and ...`) for the order dispositions a *_rows model of
        lines or returns looks its rows' orders up in: on an incremental run,
        only the orders of the raw rows it stages again (`raw_cte`, stored, see
        raw_rows_hint). The lookup then reads the orders of a day, not all of
        them: at L the order lines' join to all 50M order dispositions took
        8 s of a 30 s model. Nothing on a full build, which stages every row. -#}
    {%- if stages_changed_rows_only() -%}
        and order_id in (select {{ clean_text(raw_cte ~ '.order_id') }} from {{ raw_cte }})
    {%- endif -%}
{%- endmacro %}


{% macro raw_rows_hint() -%}
    {#- Written between a *_rows model's raw CTE name and its body: inlined on
        a full build (see not_materialized); stored on an incremental one, as
        it then holds only the rows staged again, and its filter, which reads
        the raw table twice, would otherwise run again for each reader. -#}
    {{ return('' if stages_changed_rows_only() else not_materialized()) }}
{%- endmacro %}


{% macro orders_staged_since_last_build() -%}
    {#- The order ids stg_shop__order_rows staged after this model's last build:
        lines and returns of those orders are classified again, as their order
        may have changed (rejected, a new total). -#}
    select order_id
    from {{ ref('stg_shop__order_rows') }}
    where staged_at > (select max(staged_at) from {{ this }})
{%- endmacro %}


{% macro staging_cutoff(date_columns) -%}
    {#- The first day an incremental run re-reads: var incremental_lookback_days
        before the latest of `date_columns` staged so far, as YYYY-MM-DD; none
        when nothing dated is staged yet (then every row is read). A date after
        this build's start (a rejected future row) is left out: it would push
        the cutoff past the rows to stage, or out of range. -#}
    {%- set latest -%}
        select greatest(
            {%- for column in date_columns %}
            max(case when {{ column }} <= {{ staged_at() }} then cast({{ column }} as date) end)
            {{- "," if not loop.last }}
            {%- endfor %}
        ) from {{ this }}
    {%- endset -%}
    {%- set value = run_query(latest).columns[0].values()[0] -%}
    {%- if value is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set cutoff = value - modules.datetime.timedelta(days=get_var('incremental_lookback_days')) -%}
    {{ log("Incremental " ~ this.identifier ~ ": raw rows dated from " ~ cutoff ~ " on are staged again.", info=true) }}
    {{ return(cutoff.isoformat()) }}
{%- endmacro %}


{% macro raw_date_on_or_after(column, day) -%}
    {#- Whether a raw date/time text is dated on or after `day` (YYYY-MM-DD),
        without parsing: every contract format starts with the date
        (YYYY-MM-DD or YYYY/MM/DD), so comparing texts compares days. A zone
        can move the UTC day by one; the lookback covers it. A text with no
        leading space and no slash is compared whole: against a ten-character
        day that gives what comparing its first ten characters gives, and
        trailing spaces sort below every character of a day. Only the others
        are trimmed and have their slashes replaced, which cost three times as
        much (at L, 12.6 s against 3.9 s for two columns of 50M orders). -#}
    case
        when {{ column }} like ' %' or {{ column }} like '%/%'
            then replace(left({{ trim_spaces(column) }}, 10), '/', '-')
        else {{ column }}
    end >= '{{ day }}'
{%- endmacro %}


{% macro staged_at() -%}
    {#- When this build staged the row (dbt's run start, UTC): incremental
        models downstream read the rows staged after their own last build. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{% macro staging_fingerprint() -%}
    {#- What staged rows depend on besides the raw rows themselves: where the
        raw tables are read from, the staging vars and the vocabulary seeds. An
        incremental build whose fingerprint differs from the stored rows' stages
        every row again (see delete_rows_to_restage), as mixing rows staged under
        two sets of rules would be wrong. -#}
    {%- if not execute -%}
        {{ return('') }}  {#- parsing: the graph is not there yet -#}
    {%- endif -%}
    {%- set parts = [
        raw_data_mode(), get_var('raw_data_dir') or '', get_var('raw_schema') or '',
        get_var('raw_csv_delimiter') if raw_data_mode() == 'files' else '',
        get_var('customer_age_min'), get_var('customer_age_max'),
    ] -%}
    {#- Unit tests render models without the graph: no seeds to fingerprint. -#}
    {%- for node in graph.get('nodes', {}).values() | sort(attribute='unique_id')
        if node.resource_type == 'seed' and node.package_name == project_name
        and node.original_file_path.startswith('seeds/vocabularies/') -%}
        {%- do parts.append(node.name ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{% macro stages_changed_rows_only() -%}
    {#- True when this build of a *_rows model stages only the raw rows that
        changed (see raw_rows_to_stage): an incremental build whose stored rows
        were staged under the same rules. -#}
    {{ return(is_incremental() and not staged_under_other_rules()) }}
{%- endmacro %}


{% macro staged_under_other_rules() -%}
    {#- True when some row of this incremental model was staged under another
        staging_fingerprint. A table from before incremental staging has no
        fingerprint: it needs one full build. -#}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'staging_fingerprint' not in columns -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " was built by a version of the project without incremental staging:"
            ~ " rebuild it once with dbt build --full-refresh (risk-segmentation publish -- --full-refresh)."
        ) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from {{ this }} where staging_fingerprint <> '{{ staging_fingerprint() }}'
    {%- endset -%}
    {%- set other = run_query(query).columns[0].values()[0] > 0 -%}
    {%- if other -%}
        {{ log("Incremental " ~ this.identifier ~ ": the raw source, staging vars or vocabularies changed"
            ~ " since the last build; staging every row again.", info=true) }}
    {%- endif -%}
    {{ return(other) }}
{%- endmacro %}


{% macro delete_rows_to_restage() -%}
    {#- A *_rows model's pre-hook: on an incremental build, drop the rows staged
        under other rules (all of them, or none; raw_rows_to_stage then reads
        every raw row again) and the rows without a key, which every build
        stages again: delete+insert replaces rows by their key (the model's
        unique_key), and a null key matches none. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            staging_fingerprint <> '{{ staging_fingerprint() }}'
            or {{ config.get('unique_key') }} is null
    {%- endif -%}
{%- endmacro %}
