{#-
  The business date a build reports for: var `as_of_date` (from FRISK_AS_OF_DATE, or --vars) when set, else
  today in Europe/Stockholm. Nightly marts are "correct for the night": nothing after this date is counted.
  A pinned date is checked at compile time so a typo fails loudly instead of silently meaning "today".
-#}
{% macro as_of_date() -%}
    {#- not read while dbt parses: a file that reads a var at parse time is parsed again whenever the var changes,
        and this one changes every night (ten models' worth of parsing, about half a second) -#}
    {%- set pinned = ((var('as_of_date', '') or '') if execute else '') | string | trim -%}
    {%- if pinned -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', pinned) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date / env FRISK_AS_OF_DATE: expected YYYY-MM-DD, got '" ~ pinned ~ "'") }}
        {%- endif -%}
        date '{{ pinned }}'
    {%- else -%}
        cast((now() at time zone 'Europe/Stockholm') as date)
    {%- endif -%}
{%- endmacro %}


{#- First day of the window an incremental sick-leave model recomputes (var sick_leave_lookback_days). -#}
{% macro sick_leave_lookback_start() -%}
    ({{ as_of_date() }} - {{ var('sick_leave_lookback_days', 400) | int }})
{%- endmacro %}
