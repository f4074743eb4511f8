-- Every raw customer row, parsed, with what became of it: clean, duplicate (an
-- older version of a customer) or rejected (with the reason).
-- A table, unlike the other staging models: the raw rows are parsed once here,
-- then read by the clean model, the rejected-rows model and the tests.
{{ config(materialized='table') }}

with

raw_customers as (
    select * from {{ ref('base_shop__customers') }}
),

gender_synonyms as (
    select * from {{ ref('gender_synonyms') }}
),

parsed as (
    select
        -- raw values, for the rejected-rows model
        raw_customers.customer_id as raw_customer_id,
        raw_customers.email as raw_email,
        raw_customers.full_name as raw_full_name,
        raw_customers.age as raw_age,
        raw_customers.gender as raw_gender,
        raw_customers.location as raw_location,
        raw_customers.created_at as raw_created_at,
        raw_customers.updated_at as raw_updated_at,

        -- clean values
        {{ clean_text('raw_customers.customer_id') }} as customer_id,
        lower({{ clean_text('raw_customers.email') }}) as email,
        {{ clean_text(regexp_replace_all('raw_customers.full_name', ' +', ' ')) }} as full_name,
        {{ parse_integer('raw_customers.age') }} as parsed_age,
        coalesce(gender_synonyms.gender, 'unknown') as gender,
        {{ normalise_location('raw_customers.location') }} as location,
        {{ parse_timestamp('raw_customers.created_at') }} as created_at,
        {{ parse_timestamp('raw_customers.updated_at') }} as updated_at,
        {{ row_fingerprint([
            'raw_customers.customer_id', 'raw_customers.email', 'raw_customers.full_name',
            'raw_customers.age', 'raw_customers.gender', 'raw_customers.location',
            'raw_customers.created_at', 'raw_customers.updated_at',
        ]) }} as row_fingerprint
    from raw_customers
    left join gender_synonyms
        on {{ vocabulary_key('raw_customers.gender') }} = gender_synonyms.spelling
),

versions as (
    select
        *,
        -- The latest version of a customer wins; ties go to the higher fingerprint.
        row_number() over (
            partition by customer_id
            order by updated_at desc nulls last, row_fingerprint desc
        ) as version_rank
    from parsed
),

classified as (
    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
        end as rejection_reason
    from versions
),

final as (
    select
        raw_customer_id,
        raw_email,
        raw_full_name,
        raw_age,
        raw_gender,
        raw_location,
        raw_created_at,
        raw_updated_at,
        customer_id,
        email,
        full_name,
        -- Out-of-range ages are unknown, not a reason to lose the customer.
        case
            when parsed_age between {{ get_var('customer_age_min') }} and {{ get_var('customer_age_max') }}
                then parsed_age
        end as age,
        gender,
        location,
        created_at,
        updated_at,
        version_rank,
        rejection_reason,
        {{ row_disposition() }} as row_disposition
    from classified
)

select * from final
