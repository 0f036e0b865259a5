"""Meeting packs for regional collaboration meetings (issue 9): thin DAG, logic in frisk.extracts."""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, dag, task

from frisk.assets import OUTBOX


def _schedule() -> str:
    # meetings.yml decides: quarterly by default, daily when a group lists its own meeting dates
    from frisk.extracts.config import load_config

    return load_config().schedule


@dag(
    dag_id="meeting_extract",
    schedule=_schedule(),
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    tags=["frisk", "extracts", "meetings"],
    default_args={"owner": "frisk", "retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    params={
        "as_of": Param("", type="string", description="Pack date YYYY-MM-DD; empty = the run's date"),
        "groups": Param([], type="array", description="Group ids; empty = every group (manual runs)"),
    },
    doc_md="""
### Meeting packs (`meeting_extract`)
Builds, per collaboration group in `plugins/frisk/extracts/meetings.yml`, the folder `outbox/<group>/<date>/`:
an Excel workbook, four PNG charts and a PDF summary per employer (and for the group), plus `manifest.json`
with SHA-256 hashes, the data period and this run's id. Only aggregates; small groups suppressed, with
complementary suppression across all packs. Scheduled runs build the groups that are due; a manual run
(trigger with `as_of` and optionally `groups`) builds every group now. E-mails the PDFs when a group has an
SMTP connection configured. Updates the asset `frisk://outbox/meeting-packs`.
""",
)
def meeting_extract():
    @task
    def plan(**context) -> dict:
        from frisk.extracts.config import load_config

        cfg = load_config()
        params = context["params"]
        if params.get("as_of"):
            as_of = dt.date.fromisoformat(params["as_of"])
        else:
            run_after = context["dag_run"].run_after or pendulum.now("Europe/Stockholm")
            as_of = pendulum.instance(run_after).in_timezone("Europe/Stockholm").date()
        if params.get("groups"):
            groups = list(params["groups"])
            unknown = [g for g in groups if g not in cfg.groups]
            if unknown:
                raise ValueError(f"{cfg.path}: groups {unknown} not configured (field groups)")
        elif str(context["dag_run"].run_type).endswith("scheduled"):
            groups = [g.group_id for g in cfg.due_groups(as_of)]
        else:
            groups = list(cfg.groups)
        print(f"as_of {as_of}: building groups {groups or 'none (nothing due)'}")
        return {"as_of": as_of.isoformat(), "groups": groups}

    @task(outlets=[OUTBOX])
    def build(plan: dict, **context) -> list[str]:
        from frisk.extracts import build_packs

        if not plan["groups"]:
            return []
        folders = build_packs(dt.date.fromisoformat(plan["as_of"]), run_id=context["run_id"],
                              groups=plan["groups"])
        for f in folders:
            print(f"pack written: {f}")
        return [str(f) for f in folders]

    @task
    def email(folders: list[str]) -> int:
        from pathlib import Path

        from frisk.extracts.config import load_config
        from frisk.extracts.delivery import SmtpSettings, send_pack

        cfg = load_config()
        sent = 0
        for folder in map(Path, folders):
            group = cfg.groups[folder.parent.name]
            if group.email_conn_id and group.email_to:
                sent += send_pack(folder, SmtpSettings.from_airflow(group.email_conn_id), group.email_to)
            else:
                print(f"{group.group_id}: no e-mail configured; pack left in {folder}")
        return sent

    email(build(plan()))


meeting_extract_dag = meeting_extract()
