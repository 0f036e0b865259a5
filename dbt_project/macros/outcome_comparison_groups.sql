{#-
  The comparison groups' sums (int_outcome_comparison_groups), kept up to date by int_outcome_window_metrics'
  hooks: rows it deletes are subtracted before the delete, rows it inserts are added after the insert, in the same
  transaction. The table is read by name (a ref would make it a parent of the window metrics, whose child it is).
-#}
{% macro outcome_comparison_groups_relation() -%}
    {{ this.schema }}.int_outcome_comparison_groups
{%- endmacro %}


{#- Whether a window row's comparison cell has no null attribute (only those form groups). -#}
{% macro outcome_comparison_cell_known(alias) -%}
    {{ alias }}.employer_org_number is not null and {{ alias }}.sector is not null and {{ alias }}.age_band is not null
    and {{ alias }}.sex is not null and {{ alias }}.prior_spell_band is not null and {{ alias }}.index_month is not null
{%- endmacro %}


{#- The cell and the sums of window rows `alias`, grouped by cell and window (times `sign`: -1 to subtract). -#}
{% macro outcome_comparison_sums(alias, sign=1) -%}
    {%- set m = alias -%}
    {{ m }}.employer_org_number, {{ m }}.sector, {{ m }}.age_band, {{ m }}.sex, {{ m }}.prior_spell_band,
    {{ m }}.index_month, {{ m }}.window_days,
    {{ sign }} * count(*) as comparison_n,
    {{ sign }} * cast(sum({{ m }}.sick_days_before) as bigint) as sick_days_before_sum,
    {{ sign }} * cast(sum({{ m }}.sick_days_after) as bigint) as sick_days_after_sum,
    {{ sign }} * cast(sum({{ m }}.sick_days_after - {{ m }}.sick_days_before) as bigint) as sick_days_change_sum,
    {{ sign }} * cast(sum(cast({{ m }}.sick_days_after - {{ m }}.sick_days_before as bigint)
                     * ({{ m }}.sick_days_after - {{ m }}.sick_days_before)) as bigint) as sick_days_change_sq_sum,
    {{ sign }} * cast(sum({{ m }}.spells_before) as bigint) as spells_before_sum,
    {{ sign }} * cast(sum({{ m }}.spells_after) as bigint) as spells_after_sum,
    {{ sign }} * cast(sum({{ m }}.spells_after - {{ m }}.spells_before) as bigint) as spells_change_sum,
    {{ sign }} * cast(sum(cast({{ m }}.spells_after - {{ m }}.spells_before as bigint)
                     * ({{ m }}.spells_after - {{ m }}.spells_before)) as bigint) as spells_change_sq_sum
{%- endmacro %}


{#- Add (sign 1) or subtract (sign -1) window rows `rows` (a relation) to or from the comparison groups. Nothing
    when the groups table is empty (waiting to be counted again by its model). -#}
{% macro outcome_comparison_delta(sign, rows) -%}
    {%- set groups = outcome_comparison_groups_relation() -%}
    {%- set sums = ['comparison_n', 'sick_days_before_sum', 'sick_days_after_sum', 'sick_days_change_sum',
                    'sick_days_change_sq_sum', 'spells_before_sum', 'spells_after_sum', 'spells_change_sum',
                    'spells_change_sq_sum'] -%}
    insert into {{ groups }} as g
    select {{ outcome_comparison_sums('t', sign) }}
    from {{ rows }} as t
    where t.subject_type = 'comparison'
      and {{ outcome_comparison_cell_known('t') }}
      and exists (select from {{ groups }})
    group by t.employer_org_number, t.sector, t.age_band, t.sex, t.prior_spell_band, t.index_month, t.window_days
    on conflict (employer_org_number, sector, age_band, sex, prior_spell_band, index_month, window_days)
    do update set
    {%- for s in sums %}
        {{ s }} = g.{{ s }} + excluded.{{ s }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- Empty the groups table, if it exists (the window rows were all deleted or rebuilt: count them again). -#}
{% macro outcome_comparison_groups_reset() -%}
    do $reset$ begin
        if to_regclass('{{ outcome_comparison_groups_relation() }}') is not null then
            truncate {{ outcome_comparison_groups_relation() }};
        end if;
    end $reset$
{%- endmacro %}


{#- A mean and a sample variance (0 for one subject) from a count, a sum and a sum of squares: the numeric
    operations avg() and var_samp() of integers perform (sum / n, and (n sum(x^2) - sum(x)^2) / (n (n - 1)), 0 when
    that is not positive), so the values are the same as theirs. -#}
{% macro mean_from_sums(n, sum) -%}
    cast({{ sum }} as numeric) / cast({{ n }} as numeric)
{%- endmacro %}

{% macro var_samp_from_sums(n, sum, sum_sq) -%}
    case
        when {{ n }} < 2 then 0
        when cast({{ n }} as numeric) * {{ sum_sq }} - cast({{ sum }} as numeric) * {{ sum }} <= 0 then 0
        else (cast({{ n }} as numeric) * {{ sum_sq }} - cast({{ sum }} as numeric) * {{ sum }})
            / (cast({{ n }} as numeric) * ({{ n }} - 1))
    end
{%- endmacro %}


{#- Post-hook of the window metrics: on an incremental night that did not recompute everyone, the rows the
    replace_rows strategy deleted are subtracted from the groups and the rows it inserted added, in the model's
    transaction; then the cells left without subjects go. -#}
{% macro outcome_comparison_follow_changes() -%}
    {%- if is_incremental() and not outcome_changes_summary().everyone -%}
    {{ outcome_comparison_delta(-1, changed_rows_relation('removed')) }};
    {{ outcome_comparison_delta(1, changed_rows_relation('added')) }};
    delete from {{ outcome_comparison_groups_relation() }} where comparison_n = 0
    {%- endif -%}
{%- endmacro %}
