"""FHV invoices (PEPPOL BIS 3), per-employee specifications and accounts-payable payments, nightly."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from frisk.assets import INVOICES_RAW

DOC = """
### invoice_ingest

Nightly (01:45 Europe/Stockholm) load of what the occupational-health providers and accounts payable
delivered:

1. **pending_files**: `landing/invoices/*.xml` (PEPPOL BIS Billing 3.0 Invoice/CreditNote),
   `landing/invoices/*.spec.csv` (per-employee specifications) and `landing/payments/*.csv` (payments).
2. **load_file** (one mapped task per file): hardened XML parsing (no DTD/entities, size limit), the EN 16931
   arithmetic, pseudonymisation of the employee as in payroll, one transaction per file. A rejected file moves
   to `rejected/` with a readable `.error.txt` and its task **fails** (no retries: the file is gone until
   it is delivered again). A copy of an invoice already loaded loads nothing; a different document under
   a number already loaded is quarantined (`quarantine.rows`, entity `invoice_conflict`).
3. **reconcile** (runs whatever happened above): recomputes `quarantine.invoice_reconciliation`
   (specification rows without invoice, specifications that do not add up, payments without invoice,
   overpaid invoices) and updates the `frisk://warehouse/raw/invoices` asset for the warehouse build.

A rejected file therefore shows as a red mapped task (named after the file) inside a run that still succeeds:
the files that were fine are loaded and handed to the warehouse build.
"""


@dag(
    dag_id="invoice_ingest",
    schedule="45 1 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "ingest", "invoices"],
    doc_md=DOC,
    default_args={"owner": "frisk", "retries": 2, "retry_delay": pendulum.duration(minutes=10)},
)
def invoice_ingest():
    @task
    def pending_files() -> list[dict]:
        from frisk.invoices.load import pending

        files = pending()
        print(f"invoice sources: {len(files)} file(s) waiting")
        return files

    @task(map_index_template="{{ file_name }}")
    def load_file(item: dict, **context) -> dict:
        from pathlib import Path

        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException

        from frisk.invoices.load import load_path

        get_current_context()["file_name"] = Path(item["path"]).name  # names the mapped task in the UI
        result = load_path(item["path"], item["kind"], run_id=context["run_id"])
        print(f"{result['file_name']}: {result['outcome']}, {result['rows_read']} read, "
              f"{result['rows_loaded']} loaded, {result['rows_quarantined']} quarantined, "
              f"{result['seconds']:.2f} s")
        if result["status"] == "rejected":
            # Fail visibly, without retries: the file is already in rejected/ with its .error.txt.
            raise AirflowFailException(f"{result['file_name']} rejected: {result['error']}")
        return result

    @task(trigger_rule="all_done", outlets=[INVOICES_RAW])
    def reconcile(**context) -> dict:
        from frisk.invoices.reconcile import loaded_batches
        from frisk.invoices.reconcile import reconcile as run_reconcile

        findings = run_reconcile(run_id=context["run_id"])
        # from the audit trail rather than XCom: a failed mapped task leaves no result to pull
        loaded = loaded_batches(context["run_id"])
        context["outlet_events"][INVOICES_RAW].extra = {"loaded_batches": loaded, "findings": findings}
        print(f"invoice reconciliation: {findings or 'no findings'}; loaded batches {loaded}")
        return {"loaded_batches": loaded, "findings": findings}

    @task(trigger_rule="one_failed", retries=0)
    def fail_if_a_file_failed() -> None:
        from airflow.sdk.exceptions import AirflowFailException

        # Airflow judges a run by its leaf tasks; without this, a rejected delivery would leave a green run.
        raise AirflowFailException("at least one invoice file failed to load; see the load_file tasks")

    loads = load_file.expand(item=pending_files())
    done = reconcile()
    loads >> done
    [loads, done] >> fail_if_a_file_failed()


# bound to a name so tests (and `airflow dags test`) find the DAG object in the module
dag_object = invoice_ingest()
