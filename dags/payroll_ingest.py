"""Payroll ingest: every absence and personnel file from the payroll system, pseudonymised, loaded once."""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from frisk.assets import PAYROLL_RAW

DOC = """
### payroll_ingest

Nightly at 01:30 Europe/Stockholm, after the payroll system's export:

1. **list_pending**: files waiting in `landing/payroll/` (`.csv`, `.txt`; `.part`/`.tmp` still arriving).
2. **load_file** (one mapped task per file): detect the dialect from the header (`frisk_canonical`,
   `sv_semikolon`, ... see `docs/payroll-formats.md`), validate, pseudonymise the personnummer and COPY into
   `raw.payroll_absence` / `raw.payroll_personnel` in one transaction. Bad rows go to `quarantine.rows`
   (file, line, field, reason). A file already loaded (same SHA-256) is skipped. An unreadable file moves to
   `rejected/payroll/` with a `.error.txt` and **fails its task** (no retry: the file must be corrected and
   delivered again); the other files still load.
3. **summary** (runs whatever happened upstream): logs files, rows and quarantined rows of this run from
   `audit.batches` and updates the `frisk://warehouse/raw/payroll` asset when at least one file was loaded.
4. **fail_if_a_file_failed**: makes the run itself end failed when any file failed, so a rejected delivery is
   visible on the run, not only on its task.
"""


@dag(
    dag_id="payroll_ingest",
    schedule=CronTriggerTimetable("30 1 * * *", timezone="Europe/Stockholm"),
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "ingest", "payroll"],
    doc_md=DOC,
    default_args={"owner": "frisk", "retries": 2, "retry_delay": pendulum.duration(minutes=5)},
)
def payroll_ingest():
    @task
    def list_pending() -> list[str]:
        from frisk.payroll.load import pending

        files = [str(p) for p in pending()]
        print(f"payroll: {len(files)} files waiting")
        return files

    @task(map_index_template="{{ payroll_file }}")
    def load_file(path: str, **context) -> dict:
        from pathlib import Path

        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException

        from frisk.payroll import load_path

        get_current_context()["payroll_file"] = Path(path).name  # names the mapped task in the UI
        result = load_path(path, run_id=context["run_id"]).as_dict()
        print(f"{result['file_name']}: {result['status']}, {result['rows_read']} rows read, "
              f"{result['rows_loaded']} loaded, {result['rows_quarantined']} quarantined, {result['seconds']:.2f} s")
        if result["status"] == "rejected":
            # not retried: the same bytes would be rejected again; the file is already in rejected/
            raise AirflowFailException(f"{result['file_name']} rejected: {result['error']} "
                                       f"(moved to {result['moved_to']}, see its .error.txt)")
        return result

    @task(trigger_rule="all_done", outlets=[PAYROLL_RAW])
    def summary(**context) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from frisk.payroll.load import summarise_run

        s = summarise_run(context["run_id"])
        print(f"payroll: {s['files']} files ({s['files_loaded']} loaded, {s['files_rejected']} rejected), "
              f"{s['rows_read']} rows read, {s['rows_loaded']} loaded, {s['rows_quarantined']} quarantined")
        if not s["files_loaded"]:
            raise AirflowSkipException("no new payroll batch: the asset is not updated")
        context["outlet_events"][PAYROLL_RAW].extra = {"loaded_batches": s["loaded_batches"]}
        return s

    @task(trigger_rule="one_failed", retries=0)
    def fail_if_a_file_failed() -> None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("at least one payroll file failed to load; see the load_file tasks")

    loads = load_file.expand(path=list_pending())
    done = summary()
    loads >> done
    [loads, done] >> fail_if_a_file_failed()


# bound to a name so tests (and `airflow dags test`) find the DAG object in the module
dag_object = payroll_ingest()
