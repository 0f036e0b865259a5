-- Every invoiced line amount reaches fct_grant_lines (and fct_grant_eligibility, its view) once per scheme: per
-- scheme and document, the lines' amounts add up to the document's line total (specification rows replace the
-- lines they cover, so they must add up as well). Returns documents that do not reconcile.
-- The lines are a function of the invoice chain and the seeds: on a night that keeps the chain as the published
-- build tested it, the mart is that build's, kept (invoice_chain_as_published()), and the 312,000 lines at 50,000
-- employees are not grouped again.
{%- if invoice_chain_as_published() %}
select null as scheme where false
{%- else %}
with documents as (
    select supplier_org_number, invoice_number, line_extension_amount
    from {{ ref('stg_invoices__documents') }}
),

granted as (
    select scheme, provider_org_number, invoice_number, sum(amount_net) as amount_net
    from {{ ref('fct_grant_lines') }}
    group by scheme, provider_org_number, invoice_number
),

schemes as (
    select distinct scheme from {{ ref('grant_rule_sets') }}
)

select s.scheme, d.supplier_org_number, d.invoice_number, d.line_extension_amount, g.amount_net
from documents as d
cross join schemes as s
left join granted as g
    on g.scheme = s.scheme
    and g.provider_org_number is not distinct from d.supplier_org_number
    and g.invoice_number = d.invoice_number
where abs(coalesce(g.amount_net, 0) - d.line_extension_amount) > 0.01
{%- endif %}
