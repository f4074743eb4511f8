{% macro row_disposition() -%}
    {#- What staging did with a raw row, from its rejection_reason and its
        version_rank: rejected, duplicate (a superseded version) or clean. -#}
    case
        when rejection_reason is not null then 'rejected'
        when version_rank > 1 then 'duplicate'
        else 'clean'
    end
{%- endmacro %}
