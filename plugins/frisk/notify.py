"""A configurable Airflow notifier for failed tasks and failed quality checks.

Where it sends: the Airflow connection named by FRISK_NOTIFY_CONN_ID (environment) or the Airflow Variable
`frisk_notify_conn_id`; with neither, it only logs (the default: nothing leaves the machine by surprise).
- connection type `smtp`/`email`: an e-mail via SMTP (host, port, login, password; `extra` {"to": "...",
  "from": "...", "starttls": true});
- connection type `slack`/`slackwebhook`/`http`/`https`: a JSON post to a Slack incoming webhook (the URL is the
  connection's host + schema, or `password` holding the full webhook URL).
Messages never carry row data, only the DAG, task, run and what failed (checks are already masked).
Only light imports here: DAG files import this module at parse time.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)

VARIABLE = "frisk_notify_conn_id"


def _conn_id() -> str | None:
    env = os.environ.get("FRISK_NOTIFY_CONN_ID")
    if env:
        return env
    try:
        from airflow.sdk import Variable

        return Variable.get(VARIABLE, default=None)
    except Exception:  # no Airflow context or metadata (unit use): stay with the log
        return None


class FriskNotifier(BaseNotifier):
    """on_failure_callback=FriskNotifier() on a DAG's default_args; or call .send(subject, body) from a task."""

    template_fields: Sequence[str] = ("message",)

    def __init__(self, message: str = "", conn_id: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.conn_id = conn_id

    def compose(self, context: dict[str, Any]) -> tuple[str, str]:
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        run_id = context.get("run_id", "?")
        exc = context.get("exception")
        subject = f"[frisk] {dag_id}.{task_id} failed ({run_id})"
        body = "\n".join(x for x in (self.message, f"DAG {dag_id}, task {task_id}, run {run_id}",
                                     f"error: {exc}" if exc else "") if x)
        return subject, body

    def notify(self, context: dict[str, Any]) -> None:
        subject, body = self.compose(context)
        self.send(subject, body)

    def send(self, subject: str, body: str) -> str:
        """Send to the configured channel; returns the channel used ('log', 'smtp', 'slack')."""
        from frisk.quality.results import mask_personnummer

        subject, body = mask_personnummer(subject), mask_personnummer(body)
        conn_id = self.conn_id or _conn_id()
        log.error("%s\n%s", subject, body)  # always in the task log, whatever else happens
        if not conn_id:
            return "log"
        try:
            from airflow.sdk import Connection

            conn = Connection.get(conn_id)
            kind = (conn.conn_type or "").lower()
            if kind in ("smtp", "email"):
                _send_smtp(conn, subject, body)
                return "smtp"
            if kind in ("slack", "slackwebhook", "http", "https"):
                _send_slack(conn, subject, body)
                return "slack"
            log.warning("notifier: connection %s has type %r; only smtp/email and slack/http are supported",
                        conn_id, kind)
        except Exception as exc:  # a notification must never turn into a second failure
            log.warning("notifier: could not send through %s: %s", conn_id, exc)
        return "log"


def _extra(conn: Any) -> dict[str, Any]:
    try:
        return json.loads(conn.extra or "{}")
    except ValueError:
        return {}


def _send_smtp(conn: Any, subject: str, body: str) -> None:
    import smtplib
    from email.message import EmailMessage

    extra = _extra(conn)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = extra.get("from") or conn.login or "frisk@localhost"
    msg["To"] = extra["to"]
    msg.set_content(body)
    with smtplib.SMTP(conn.host, conn.port or 25, timeout=30) as smtp:
        if extra.get("starttls"):
            smtp.starttls()
        if conn.login:
            smtp.login(conn.login, conn.password or "")
        smtp.send_message(msg)


def _send_slack(conn: Any, subject: str, body: str) -> None:
    import requests

    url = conn.password if (conn.password or "").startswith("https://") else (
        f"{conn.schema or 'https'}://{conn.host}" if "://" not in (conn.host or "") else conn.host)
    resp = requests.post(url, json={"text": f"*{subject}*\n{body}"}, timeout=30)
    resp.raise_for_status()
