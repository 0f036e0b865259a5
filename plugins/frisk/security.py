"""Logins for the service roles and for BI/HR users, and the marts' grants and row-level security.

The roles themselves (frisk_loader, frisk_transformer, frisk_bi, frisk_hr) are created by migration 050. This
module gives them logins (passwords from the environment) and binds BI/HR logins to employers or a collaboration
group; `meta.apply_mart_security()` (called after each publish of the marts) keeps grants and policies current.
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg import sql

from frisk.warehouse import server_url

SERVICE_ROLES = {"frisk_loader": "FRISK_LOADER_PASSWORD", "frisk_transformer": "FRISK_TRANSFORMER_PASSWORD",
                 "frisk_bi": "FRISK_BI_PASSWORD"}
_LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ensure_service_logins(conninfo: str | None = None) -> list[str]:
    """Give a service role LOGIN and its password when FRISK_<ROLE>_PASSWORD is set. Returns the roles changed."""
    changed = []
    with psycopg.connect(conninfo or server_url("warehouse"), autocommit=True) as conn:
        for role, env in SERVICE_ROLES.items():
            password = os.environ.get(env)
            if password:
                conn.execute(sql.SQL("alter role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(password)))
                changed.append(role)
    return changed


def create_login(login: str, password: str, *, employer_org_number: str | None = None,
                 collaboration_group: str | None = None, hr: bool = False, conninfo: str | None = None) -> None:
    """Create (or update) a BI or HR login bound to one employer or one collaboration group."""
    if not _LOGIN_RE.match(login):
        raise ValueError("login must be lower-case letters, digits and underscores")
    if (employer_org_number is None) == (collaboration_group is None):
        raise ValueError("bind the login to exactly one of an employer or a collaboration group")
    with psycopg.connect(conninfo or server_url("warehouse"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone()
        verb = "alter" if exists else "create"
        conn.execute(sql.SQL(verb + " role {} login password {}").format(
            sql.Identifier(login), sql.Literal(password)))
        conn.execute(sql.SQL("grant {} to {}").format(
            sql.Identifier("frisk_hr" if hr else "frisk_bi"), sql.Identifier(login)))
        conn.execute(
            "insert into meta.access_scopes (login, employer_org_number, collaboration_group) values (%s, %s, %s) "
            "on conflict do nothing", (login, employer_org_number, collaboration_group))


def apply_mart_security(schema: str = "marts", conninfo: str | None = None) -> int:
    """Re-apply grants and row-level security on the published marts. Returns the number of relations."""
    with psycopg.connect(conninfo or server_url("warehouse"), autocommit=True) as conn:
        return conn.execute("select meta.apply_mart_security(%s)", (schema,)).fetchone()[0]
