"""Warehouse maintenance: retention of person-level history, then the privacy scan."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from frisk.assets import MARTS

DOC = """
### warehouse_maintenance

Runs after each published warehouse build (and nightly at 04:30 as a fallback):

1. **retention**: person-level rows older than the configured period (default 5 years,
   `plugins/frisk/maintenance/retention.yml`) are purged from `raw` and `quarantine`; each purge is recorded in
   `audit.retention_runs`.
2. **privacy_scan**: every text column of every table, the logs, the outbox and the rejected files' error reports
   are searched for anything shaped like a personnummer with a valid check digit. A hit fails the task and names
   the table/column or file, never the number.
"""


@dag(
    dag_id="warehouse_maintenance",
    schedule=MARTS,
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "maintenance", "privacy"],
    doc_md=DOC,
    default_args={"owner": "frisk", "retries": 2, "retry_delay": pendulum.duration(minutes=5)},
)
def warehouse_maintenance():
    @task
    def retention(**context) -> list[dict]:
        from frisk.maintenance.retention import purge

        return purge(run_id=context["run_id"])

    @task(retries=0)
    def privacy_scan(_: list[dict]) -> int:
        from frisk.maintenance.privacy_scan import scan

        hits = scan()
        if hits:
            raise RuntimeError("privacy scan found personnummer-shaped values in: "
                               + "; ".join(str(h) for h in hits))
        return 0

    privacy_scan(retention())


warehouse_maintenance_dag = warehouse_maintenance()
