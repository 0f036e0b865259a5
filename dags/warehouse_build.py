"""Warehouse build: gate new batches, dbt build aside, check the marts, publish by swap, docs."""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from frisk.assets import INVOICES_RAW, MARTS, PAYROLL_RAW, STATISTICS_RAW
from frisk.notify import FriskNotifier

DOC = """
### warehouse_build

Runs when any ingest DAG updated its raw Asset (payroll, invoices, statistics), and nightly at 04:30
Europe/Stockholm as a fallback.

1. **gate_new_batches**: Great Expectations checkpoint on every loaded batch not yet gated
   (`expectations/gates.yml`, suites in `expectations/gx`). A critical failure marks the batch `gate_rejected`
   in `audit.batches` (kept in raw for inspection, out of staging and the marts) and notifies; warnings are
   logged. Results: `audit.checks`, `audit.batch_gates`.
2. **dbt_build_aside**: one `dbt build` of the whole project with the marts written into `marts_build`;
   each node's status, seconds and rows in this task's log and in `audit.dbt_nodes`. Fails on any dbt error or
   failed test: the published `marts` stay as they were.
3. **check_marts**: the GX mart suite on `marts_build` (key figures 0-100 %, grant rate and caps, no
   personnummer shapes). A critical failure blocks the publish (`audit.builds.status = 'blocked'`).
4. **publish**: swaps `marts_build` in as `marts` in one transaction and re-grants the BI role; updates the
   `frisk://warehouse/marts` Asset with the build's numbers.
5. **docs**: `dbt docs generate` and GX Data Docs; prints both paths.

Re-runs: `FRISK_AS_OF_DATE` is the run's logical date (Europe/Stockholm), so a past night rebuilt gives that
night's marts. Trigger with `{"full_refresh": true}` to rebuild incremental models from raw.
Failures notify through `frisk.notify.FriskNotifier` (log by default; SMTP or Slack by connection id).
"""


def _as_of(context: dict) -> str:
    when = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(when).in_timezone("Europe/Stockholm").date().isoformat()


@dag(
    dag_id="warehouse_build",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("30 4 * * *", timezone="Europe/Stockholm"),
        assets=(PAYROLL_RAW | INVOICES_RAW | STATISTICS_RAW),
    ),
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "warehouse", "dbt", "quality"],
    doc_md=DOC,
    params={"full_refresh": False},
    default_args={"owner": "frisk", "retries": 2, "retry_delay": pendulum.duration(minutes=5),
                  "on_failure_callback": FriskNotifier("The warehouse build failed; yesterday's marts stay.")},
)
def warehouse_build():
    @task
    def gate_new_batches(**context) -> list[dict]:
        import os

        from frisk.notify import FriskNotifier
        from frisk.quality import gate_new_batches as gate

        as_of = _as_of(context)
        os.environ["FRISK_AS_OF_DATE"] = as_of
        results = gate(context["run_id"], as_of=as_of)
        rejected = [r for r in results if r["outcome"] == "rejected"]
        print(f"gate: {len(results)} new batch(es), {len(rejected)} rejected, "
              f"{sum(1 for r in results if r['outcome'] == 'warned')} with warnings")
        if rejected:
            FriskNotifier().send(
                f"[frisk] quality gate rejected {len(rejected)} batch(es) ({context['run_id']})",
                "\n".join(f"{r['file_name']} (batch {r['batch_id']}): " + "; ".join(r["critical_failed"][:5])
                          for r in rejected))
        return [{k: r[k] for k in ("batch_id", "file_name", "outcome")} for r in results]

    @task(retries=0)
    def dbt_build_aside(gated: list[dict], **context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from frisk import dbt_runner

        result = dbt_runner.build_aside(context["run_id"], as_of=_as_of(context),
                                        full_refresh=bool(context["params"].get("full_refresh")))
        for node in result.nodes:
            print(node.line())
        summary = result.as_dict()
        print(f"dbt build: {summary}")
        if not result.success:
            raise AirflowFailException(result.message or "dbt build failed")
        return summary

    @task(retries=0)
    def check_marts(build: dict, **context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from frisk import dbt_runner
        from frisk.quality import check_marts as check

        result = check(dbt_runner.BUILD_SCHEMA, context["run_id"])
        print(f"mart check: {result.as_dict()}")
        if not result.success:
            msg = "mart check failed: " + "; ".join(result.critical_failed[:10])
            dbt_runner.set_build_status(context["run_id"], "blocked", msg[:2000])
            raise AirflowFailException(msg)
        return result.as_dict()

    @task(outlets=[MARTS])
    def publish(build: dict, checked: dict, **context) -> dict:
        from frisk import dbt_runner

        out = dbt_runner.publish(context["run_id"])
        context["outlet_events"][MARTS].extra = {
            "run_id": context["run_id"], "relations": len(out["relations"]),
            "models_built": build["models_built"], "models_kept": build["models_kept"],
            "tests_passed": build["tests_passed"],
            "checks": checked["checks"], "warnings": len(checked["warnings"]),
        }
        print(f"published: {out}")
        return out

    @task
    def docs(published: dict, **context) -> dict:
        from frisk import dbt_runner
        from frisk.quality import build_data_docs

        dbt_index = dbt_runner.generate_docs(as_of=_as_of(context))
        gx_index = build_data_docs()
        print(f"dbt docs: {dbt_index}")
        print(f"GX Data Docs: {gx_index}")
        return {"dbt_docs": str(dbt_index), "gx_data_docs": str(gx_index) if gx_index else None}

    gated = gate_new_batches()
    build = dbt_build_aside(gated)
    checked = check_marts(build)
    docs(publish(build, checked))


dag = warehouse_build()
