"""Optional e-mail of a finished pack: the PDF summaries go to the group's recipients via an SMTP connection.

The connection (host, port, login, password; extra {"from_email", "use_ssl", "starttls"}) comes from Airflow;
this module takes its fields, so it can be used and tested without a scheduler. Only aggregated outputs are
attached; the message body names the folder and the manifest's run id.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from frisk.extracts.manifest import MANIFEST

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    login: str | None = None
    password: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_airflow(cls, conn_id: str) -> SmtpSettings:
        from airflow.sdk import BaseHook

        c = BaseHook.get_connection(conn_id)
        return cls(host=c.host or "localhost", port=int(c.port or 25), login=c.login or None,
                   password=c.password or None, extra=dict(c.extra_dejson or {}))


def pack_message(folder: Path, sender: str, to: Sequence[str]) -> EmailMessage:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    msg = EmailMessage()
    msg["Subject"] = f"Underlag till samverkansmötet {manifest['group_name']} {manifest['as_of']}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg.set_content(
        f"Hej!\n\nHär är underlaget inför samverkansmötet ({manifest['group_name']}), data t.o.m. "
        f"{manifest['data_period']['to']}. Sammanfattningarna finns bifogade; Excel-filer och diagram finns i "
        f"{folder}.\n\nUppgifter som bygger på för få anställda visas inte.\n\nKörning: {manifest['run_id']}\n"
    )
    for entry in manifest["files"]:
        if entry["kind"] == "pdf":
            msg.add_attachment((folder / entry["path"]).read_bytes(), maintype="application", subtype="pdf",
                               filename=entry["path"])
    return msg


def send_pack(folder: Path, smtp: SmtpSettings, to: Sequence[str]) -> int:
    """Send the pack's PDFs to `to`; returns the number of recipients accepted."""
    if not to:
        return 0
    sender = smtp.extra.get("from_email") or smtp.login or "frisk@localhost"
    msg = pack_message(folder, sender, to)
    client_cls = smtplib.SMTP_SSL if smtp.extra.get("use_ssl") else smtplib.SMTP
    with client_cls(smtp.host, smtp.port, timeout=30) as client:
        if smtp.extra.get("starttls"):
            client.starttls()
        if smtp.login:
            client.login(smtp.login, smtp.password or "")
        refused = client.send_message(msg)
    log.info("sent pack %s to %d recipient(s)", folder, len(to) - len(refused))
    return len(to) - len(refused)
