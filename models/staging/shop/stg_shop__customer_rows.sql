-- Every raw customer row, parsed, with what became of it: clean, duplicate (an
-- older version of a customer) or rejected (with the reason and the raw values).
-- A table, unlike the other staging models (dbt_project.yml, &staged_by_key): raw rows
-- are parsed once here, then read by the clean model, the rejected-rows model and the tests.
-- Incremental: a daily build parses only the rows of the keys in new loads of a batched
-- raw table (see macros/incremental/incremental_builds.sql) and replaces their rows.

with

raw_customers as {{ raw_rows_hint('customers') }} (
    select * from {{ ref('base_shop__customers') }}
    {{ raw_rows_to_stage('customers', ref('base_shop__customers'), 'customer_id') }}
),

gender_synonyms as (
    select * from {{ ref('gender_synonyms') }}
),

-- Genders and locations repeat: normalise each distinct spelling once, not
-- once per row.
gender_lookup as (
    select
        raw_genders.gender as raw_gender,
        gender_synonyms.gender
    from (select distinct gender from raw_customers) as raw_genders
    left join gender_synonyms
        on {{ vocabulary_key('raw_genders.gender') }} = gender_synonyms.spelling
),

location_lookup as (
    select
        location as raw_location,
        {{ normalise_location('location') }} as location
    from (select distinct location from raw_customers) as raw_locations
),

-- Each raw value trimmed once (blank becomes null); the rules below read these.
trimmed as {{ not_materialized() }} (
    select
        raw_customers.customer_id as raw_customer_id,
        raw_customers.email as raw_email,
        raw_customers.full_name as raw_full_name,
        raw_customers.age as raw_age,
        raw_customers.gender as raw_gender,
        raw_customers.location as raw_location,
        raw_customers.created_at as raw_created_at,
        raw_customers.updated_at as raw_updated_at,
        raw_customers.file_line_number,
        raw_customers.physical_lines,
        raw_customers.load_id,
        raw_customers.unreadable_reason,
        raw_customers.unreadable_record,
        {{ clean_text('raw_customers.customer_id') }} as customer_id,
        {{ clean_text('raw_customers.email') }} as email_text,
        {{ clean_text('raw_customers.full_name') }} as full_name_text,
        {{ clean_text('raw_customers.age') }} as age_text,
        {{ clean_text('raw_customers.created_at') }} as created_at_text,
        {{ clean_text('raw_customers.updated_at') }} as updated_at_text
    from raw_customers
),

versioned_keys as (
    {{ versioned_keys('trimmed', ['customer_id']) }}
),

parsed as {{ not_materialized() }} (
    select
        trimmed.*,
        lower(trimmed.email_text) as email,
        {{ regexp_replace_all('trimmed.full_name_text', ' +', ' ') }} as full_name,
        {{ parse_integer('trimmed.age_text') }} as parsed_age,
        {{ parse_timestamp('trimmed.created_at_text') }} as created_at,
        {{ parse_timestamp('trimmed.updated_at_text') }} as updated_at,
        coalesce(gender_lookup.gender, 'unknown') as gender,
        location_lookup.location,
        coalesce(versioned_keys.has_versions, false) as has_versions
    from trimmed
    -- Joined here, not in trimmed, which versioned_keys reads too: each join
    -- runs over every row once instead of twice.
    left join gender_lookup
        on trimmed.raw_gender = gender_lookup.raw_gender
    left join location_lookup
        on trimmed.raw_location = location_lookup.raw_location
    left join versioned_keys
        on trimmed.customer_id = versioned_keys.customer_id
),

fingerprinted as {{ not_materialized() }} (
    select
        *,
        {{ row_fingerprint([
            'raw_customer_id', 'raw_email', 'raw_full_name', 'raw_age',
            'raw_gender', 'raw_location', 'raw_created_at', 'raw_updated_at',
        ]) }} as row_fingerprint
    from parsed
),

-- The latest version of a customer wins; ties go to the higher fingerprint.
versions as (
    {{ ranked_versions('fingerprinted', ['customer_id'], 'updated_at desc nulls last, row_fingerprint desc') }}
),

classified as (
    select
        *,
        case
            when unreadable_reason is not null then unreadable_reason
            when customer_id is null then 'missing_customer_id'
        end as rejection_reason
    from versions
),

final as (
    select
        customer_id,
        email,
        full_name,
        -- Out-of-range ages are unknown, not a reason to lose the customer.
        case
            when parsed_age between {{ var('customer_age_min') }} and {{ var('customer_age_max') }}
                then parsed_age
        end as age,
        gender,
        location,
        created_at,
        updated_at,
        version_rank,
        rejection_reason,
        file_line_number,
        physical_lines,
        load_id,
        {{ row_disposition() }} as row_disposition,
        {{ staged_at() }} as staged_at,
        '{{ staging_fingerprint() }}' as staging_fingerprint,
        case when rejection_reason is not null then raw_customer_id end as raw_key,
        case when rejection_reason is not null then coalesce(unreadable_record, {{ raw_values_text([
            'customer_id', 'email', 'full_name', 'age', 'gender', 'location', 'created_at', 'updated_at',
        ]) }}) end as raw_values
    from classified
)

select * from final
