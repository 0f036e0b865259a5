"""Public sick-rate statistics: Försäkringskassan open-data Excel files and Kolada KPIs, weekly."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from frisk.assets import STATISTICS_RAW

DOC = """
### public_statistics_ingest

Weekly (Monday 03:00 Europe/Stockholm) fetch of the public figures municipalities compare themselves with:

1. **fk_open_data**: Försäkringskassan sjukpenningtal (1.0/2.0) and ohälsotal Excel files ->
   `raw.fk_statistics`.
2. **kolada**: KPIs N00090-N00094, N00938, N00957 per kommun, year and gender -> `raw.kolada_values`.
3. **manual_drops**: FK Excel files placed in `landing/statistics/` (archived or rejected with `.error.txt`).
4. **summary**: updates the `frisk://warehouse/raw/statistics` asset.

Base URLs: the Airflow connections `frisk_fk` / `frisk_kolada` (extra `{"base_url": ...}` or a URL as host),
else `FRISK_FK_BASE_URL` / `FRISK_KOLADA_BASE_URL`, else the bundled snapshots (offline). Every response is
kept in `raw.http_responses` (URL, time, SHA-256, body); unchanged content is not loaded again. A source
that cannot be fetched or sends an unreadable body fails its task after the other datasets were tried; the
earlier data stays in force.
"""


@dag(
    dag_id="public_statistics_ingest",
    schedule="0 3 * * 1",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "ingest", "statistics"],
    doc_md=DOC,
    default_args={"owner": "frisk", "retries": 2, "retry_delay": pendulum.duration(minutes=15)},
)
def public_statistics_ingest():
    @task
    def fk_open_data(**context) -> list[dict]:
        from frisk.statistics.load import failures, load_fk
        from frisk.statistics.settings import airflow_base_url

        results = load_fk(context["run_id"], base=airflow_base_url("fk"))
        if problems := list(failures(results)):
            raise RuntimeError("FK statistics: " + "; ".join(problems))
        return results

    @task
    def kolada(**context) -> list[dict]:
        from frisk.statistics.load import failures, load_kolada
        from frisk.statistics.settings import airflow_base_url

        results = load_kolada(context["run_id"], base=airflow_base_url("kolada"))
        if problems := list(failures(results)):
            raise RuntimeError("Kolada: " + "; ".join(problems))
        return results

    @task
    def manual_drops(**context) -> list[dict]:
        from frisk.statistics.load import load_pending

        # a rejected drop does not fail the task: it lands in rejected/ with an .error.txt for the person
        return load_pending(context["run_id"])

    @task(outlets=[STATISTICS_RAW])
    def summary(fk: list[dict], kpis: list[dict], drops: list[dict], **context) -> dict:
        from frisk.statistics.load import summarise

        results = [*fk, *kpis, *drops]
        batches = [r["batch_id"] for r in results if r["status"] == "loaded"]
        context["outlet_events"][STATISTICS_RAW].extra = {"loaded_batches": batches}
        print(f"public statistics: {summarise(results)}")
        return {"loaded_batches": batches, "summary": summarise(results)}

    summary(fk_open_data(), kolada(), manual_drops())


# bound to a name so tests (and `airflow dags test`) find the DAG object in the module
dag_object = public_statistics_ingest()
