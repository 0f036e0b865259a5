"""After every load: which specification rows and payments do not match their invoices.

The findings go to quarantine.invoice_reconciliation, recomputed as a whole each run in one transaction: the
invoice a specification names may arrive a night later, and a corrected specification (same file name)
replaces the earlier delivery, so yesterday's finding can be resolved today. Nothing here changes raw data.

What counts is what staging keeps: batches with status 'loaded', the latest per delivery key (a corrected
file with the same name replaces the earlier one), and per invoice the specification rows of the latest batch
that holds that invoice. A specification is compared with the invoice's line total
(LineExtensionAmount, excluding VAT and document-level charges such as an invoice fee), since it lists the
services, not the fees.
"""

from __future__ import annotations

import logging

import psycopg

from frisk.load_guard import warehouse_errors
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

# The sets every check reads, computed once per run into temporary tables (dropped at commit) and analysed before
# the checks run. Inlined as CTEs into each of the six inserts they were recomputed six times, and on freshly
# loaded raw tables (no statistics yet; the filters on row_number() and max() over a window are estimated at one
# row whatever the statistics) the planner put the per-line totals of the specification on the inner side of a
# nested loop, recomputing them once per invoice line: 20 s at 10,000 employees and about 6 minutes at 50,000
# (quadratic). Analysed temporary tables give the planner the real row counts, so every check is a hash join.
_SETS = [
    ("invoices", """
    select distinct on (d.supplier_org_number, d.invoice_number)
           d.batch_id, d.supplier_org_number, d.invoice_number, d.line_extension_amount, d.payable_amount
      from raw.invoice_documents d join audit.batches b using (batch_id)
     where b.status = 'loaded' and d.document_type = 'invoice'
     order by d.supplier_org_number, d.invoice_number, d.batch_id desc"""),
    ("documents", """
    select distinct d.supplier_org_number, d.invoice_number
      from raw.invoice_documents d join audit.batches b using (batch_id)
     where b.status = 'loaded'"""),
    ("current_batches", """
    select batch_id from (
        select batch_id, row_number() over (
                   partition by source, entity, coalesce(employer_org_number, ''), delivery_key
                   order by batch_id desc) as delivery_rank
          from audit.batches where status = 'loaded') ranked
     where delivery_rank = 1"""),
    ("spec", """
    select batch_id, line_no, supplier_org_number, invoice_number, invoice_line_id, amount_net from (
        select s.*, max(s.batch_id) over (partition by s.supplier_org_number, s.invoice_number) as latest
          from raw.invoice_specifications s join pg_temp.recon_current_batches using (batch_id)) x
     where batch_id = latest"""),
    ("pay", """
    select p.batch_id, p.line_no, p.supplier_org_number, p.invoice_number, p.paid_date, p.amount
      from raw.payments p join pg_temp.recon_current_batches using (batch_id)"""),
]

_INSERTS = [
    # a specification row whose invoice has not been loaded
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, invoice_line_id, spec_batch_id, spec_line_no,
      actual_amount, detail)
   select %(run_id)s, 'spec_row_without_invoice', s.supplier_org_number, s.invoice_number, s.invoice_line_id,
          s.batch_id, s.line_no, s.amount_net,
          'specification line ' || s.line_no || ' names invoice ' || s.invoice_number || ' from supplier '
          || s.supplier_org_number || ', which has not been loaded'
     from pg_temp.recon_spec s
    where not exists (select 1 from pg_temp.recon_invoices i
                       where i.supplier_org_number = s.supplier_org_number and i.invoice_number = s.invoice_number)""",
    # a specification row naming a line the invoice does not have
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, invoice_batch_id, invoice_line_id, spec_batch_id,
      spec_line_no, actual_amount, detail)
   select %(run_id)s, 'spec_line_not_on_invoice', s.supplier_org_number, s.invoice_number, i.batch_id,
          s.invoice_line_id, s.batch_id, s.line_no, s.amount_net,
          'specification line ' || s.line_no || ' names line ' || s.invoice_line_id || ' of invoice '
          || s.invoice_number || ', which has no such line'
     from pg_temp.recon_spec s
     join pg_temp.recon_invoices i
       on i.supplier_org_number = s.supplier_org_number and i.invoice_number = s.invoice_number
    where s.invoice_line_id is not null
      and not exists (select 1 from raw.invoice_lines l
                       where l.batch_id = i.batch_id and l.supplier_org_number = i.supplier_org_number
                         and l.invoice_number = i.invoice_number and l.line_id = s.invoice_line_id)""",
    # the specification of an invoice does not add up to its line total
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, invoice_batch_id, expected_amount, actual_amount,
      difference, detail)
   select %(run_id)s, 'spec_total_mismatch', i.supplier_org_number, i.invoice_number, i.batch_id,
          i.line_extension_amount, t.total, t.total - i.line_extension_amount,
          'the ' || t.n || ' specification rows of invoice ' || i.invoice_number || ' add up to ' || t.total
          || ', the invoice lines to ' || i.line_extension_amount || ' (off by '
          || (t.total - i.line_extension_amount) || ')'
     from pg_temp.recon_invoices i
     join (select supplier_org_number, invoice_number, sum(amount_net) as total, count(*) as n
             from pg_temp.recon_spec group by 1, 2) t
   on t.supplier_org_number = i.supplier_org_number and t.invoice_number = i.invoice_number
    where t.total <> i.line_extension_amount""",
    # the rows for one invoice line do not add up to that line's net amount
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, invoice_batch_id, invoice_line_id, expected_amount,
      actual_amount, difference, detail)
   select %(run_id)s, 'spec_line_total_mismatch', i.supplier_org_number, i.invoice_number, i.batch_id,
          l.line_id, l.net_amount, t.total, t.total - l.net_amount,
          'the specification rows for line ' || l.line_id || ' of invoice ' || i.invoice_number
          || ' add up to ' || t.total || ', the line to ' || l.net_amount
     from pg_temp.recon_invoices i
     join raw.invoice_lines l on l.batch_id = i.batch_id and l.supplier_org_number = i.supplier_org_number
                              and l.invoice_number = i.invoice_number
     join (select supplier_org_number, invoice_number, invoice_line_id, sum(amount_net) as total
             from pg_temp.recon_spec where invoice_line_id is not null group by 1, 2, 3) t
   on t.supplier_org_number = i.supplier_org_number and t.invoice_number = i.invoice_number
      and t.invoice_line_id = l.line_id
    where t.total <> l.net_amount""",
    # a payment for an invoice (or credit note) that has not been loaded
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, payment_batch_id, payment_line_no, actual_amount,
      detail)
   select %(run_id)s, 'payment_without_invoice', p.supplier_org_number, p.invoice_number, p.batch_id,
          p.line_no, p.amount,
          'payment line ' || p.line_no || ' (' || p.paid_date || ', ' || p.amount || ') names invoice '
          || p.invoice_number || ' from supplier ' || p.supplier_org_number || ', which has not been loaded'
     from pg_temp.recon_pay p
    where not exists (select 1 from pg_temp.recon_documents d
                       where d.supplier_org_number = p.supplier_org_number and d.invoice_number = p.invoice_number)""",
    # partial payments add up; more than the payable amount is a finding
    """insert into quarantine.invoice_reconciliation
     (run_id, reason, supplier_org_number, invoice_number, invoice_batch_id, expected_amount, actual_amount,
      difference, detail)
   select %(run_id)s, 'invoice_overpaid', i.supplier_org_number, i.invoice_number, i.batch_id,
          i.payable_amount, t.paid, t.paid - i.payable_amount,
          t.n || ' payment(s) for invoice ' || i.invoice_number || ' add up to ' || t.paid
          || ', more than its payable amount ' || i.payable_amount
     from pg_temp.recon_invoices i
     join (select supplier_org_number, invoice_number, sum(amount) as paid, count(*) as n
             from pg_temp.recon_pay group by 1, 2) t
   on t.supplier_org_number = i.supplier_org_number and t.invoice_number = i.invoice_number
    where t.paid > i.payable_amount""",
]


def reconcile(run_id: str | None = None, conninfo: str | None = None) -> dict[str, int]:
    """Recompute quarantine.invoice_reconciliation. Returns the number of findings per reason.

    Raises `frisk.load_guard.WarehouseUnavailable` (with the address and reason) when the warehouse cannot be
    used; the one transaction is then rolled back and yesterday's findings stay until the next run.
    """
    with warehouse_errors("invoice reconciliation", conninfo, "nothing was changed; the next run recomputes it"), \
            psycopg.connect(conninfo or server_url("warehouse")) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('frisk.invoice_reconciliation'))")
        conn.execute("delete from quarantine.invoice_reconciliation")
        for name, select in _SETS:
            conn.execute(f"create temporary table recon_{name} on commit drop as {select}")
            conn.execute(f"analyze pg_temp.recon_{name}")
        for sql in _INSERTS:
            conn.execute(sql, {"run_id": run_id})
        counts = dict(
            conn.execute(
                "select reason, count(*) from quarantine.invoice_reconciliation group by 1 order by 1"
            ).fetchall()
        )
        conn.commit()
    log.info("invoice reconciliation: %s", ", ".join(f"{k} {v}" for k, v in counts.items()) or "no findings")
    return counts


def loaded_batches(run_id: str, conninfo: str | None = None) -> list[int]:
    """Batches of invoice sources (invoices, specifications, payments) that loaded rows in run `run_id`."""
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        rows = conn.execute(
            """select batch_id from audit.batches
                where run_id = %s and source in ('invoices', 'payments') and status = 'loaded'
                  and rows_loaded > 0 order by batch_id""",
            (run_id,),
        ).fetchall()
    return [r[0] for r in rows]
