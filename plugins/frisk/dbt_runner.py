"""The warehouse build: one programmatic `dbt build` into a build-aside marts schema, then publish by swapping.

    prepare_build_schema()  marts_build := empty + copies of yesterday's incremental marts
    build_aside(run_id)     `dbt build` (seeds, staging, intermediate, marts -> marts_build, tests) in one
                            invocation; every node's status, seconds and rows into audit.dbt_nodes and the log
    publish(run_id)         in one transaction: marts -> marts_build, marts_build -> marts, re-grant BI roles
    generate_docs()         `dbt docs generate` against the published marts

Why one invocation: one Airflow task per model costs seconds of scheduling and dbt start-up each; one `dbt build`
costs about a plain `dbt build` (bench/warehouse_build.py), and its per-node results are still surfaced.
Why build aside: BI users only ever see a complete night, and a failed build or mart check leaves yesterday's
marts in place. After a publish the build schema holds the previous marts (a rollback is one more swap).
Incremental marts: the build schema is reset before each build to copies of the published incremental tables
(named by the previous build's manifest), so an incremental model continues from what BI users see.
After a deploy (the dbt project differs from the last published build's, project_fingerprint()) the night runs
as a full refresh: an incremental model whose code changed may have new columns or indexes that dbt's
incremental runs never add, and recomputing everyone incrementally would cost more than a full refresh anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from frisk.config import DBT_PROJECT_DIR, settings
from frisk.dbt_env import dbt_environ
from frisk.dbt_schedule import critical_path_first
from frisk.quality import rules
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

PUBLISHED_SCHEMA = "marts"
BUILD_SCHEMA = "marts_build"
_RETIRED = "marts__retired"
_LOCK = "select pg_advisory_xact_lock(hashtext('frisk.dbt_runner.publish'))"


def default_target_path() -> Path:
    """dbt's target folder for the nightly build (private to this FRISK_HOME, never dbt_project/target)."""
    return settings().home / "dbt" / "target"


def bi_roles() -> list[str]:
    """Roles that read the marts: FRISK_BI_ROLES (comma-separated), default the deployment's `frisk_bi`."""
    return [r.strip() for r in os.environ.get("FRISK_BI_ROLES", "frisk_bi").split(",") if r.strip()]


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    seconds: float
    rows_affected: int | None
    message: str | None

    @property
    def kept(self) -> bool:
        # the fingerprinted_table materialization reports an unchanged model with the message KEPT
        return self.resource_type == "model" and self.status == "success" and self.message == "KEPT"

    def line(self) -> str:
        rows = "" if self.rows_affected is None else f", {self.rows_affected} rows"
        status = "kept (inputs unchanged)" if self.kept else self.status
        return f"{self.resource_type:<8} {self.unique_id}: {status} in {self.seconds:.2f} s{rows}"


@dataclass
class BuildResult:
    run_id: str
    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)
    message: str | None = None
    full_refresh: bool = False
    marts_behind_state: bool = False

    @property
    def models_built(self) -> int:
        return sum(1 for n in self.nodes if n.resource_type in ("model", "seed", "snapshot")
                   and n.status == "success" and not n.kept)

    @property
    def models_kept(self) -> int:
        """fingerprinted_table models whose inputs had not changed: kept as they were, nothing ran."""
        return sum(1 for n in self.nodes if n.kept)

    @property
    def tests_passed(self) -> int:
        return sum(1 for n in self.nodes if n.resource_type in ("test", "unit_test") and n.status in ("pass", "warn"))

    @property
    def tests_failed(self) -> int:
        return sum(1 for n in self.nodes if n.resource_type in ("test", "unit_test") and n.status in ("fail", "error"))

    @property
    def failed_nodes(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "success": self.success, "seconds": round(self.seconds, 3),
                "full_refresh": self.full_refresh, "models_built": self.models_built,
                "models_kept": self.models_kept, "tests_passed": self.tests_passed,
                "tests_failed": self.tests_failed, "nodes": len(self.nodes), "message": self.message,
                "failed": [n.unique_id for n in self.failed_nodes]}


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """dbt reads env_var() from os.environ: set ours for the invocation and restore afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_invoke(args: list[str], *, warehouse_url: str | None = None, target_path: Path | None = None,
               marts_schema: str = BUILD_SCHEMA, as_of: str | None = None,
               project_dir: Path = DBT_PROJECT_DIR, callbacks: list[Any] | None = None,
               marts_behind_state: bool = False, project_as_published: bool = False,
               parse_first: bool = False, node_seconds: dict[str, float] | None = None,
               incremental_night: bool = False) -> Any:
    """Run one dbt command in this process; returns dbt's dbtRunnerResult. `project_as_published`: the caller
    vouches that the dbt project is the one of the last published build (the deploy guard of build_aside).
    `parse_first`: parse the project in a `dbt parse` that writes no artifacts, and give the command its manifest.
    A command that parses writes manifest.json as soon as it has parsed, before its first node, and again when
    it ends: the first write took about 0.3 s of the nightly build, every node waiting (`dbt run` of one model
    against the 50,000-employee warehouse: 1.60 s -> 1.34 s, median of 5). The command given the manifest
    writes it once, at its end, with run_results.json. The threads take ready nodes critical path first
    (dbt_schedule), each node weighed by `node_seconds` (build_aside: the previous build's), else by its kind.
    `incremental_night`: the sessions run without parallel query workers (frisk.dbt_env explains why)."""
    from dbt.cli.main import dbtRunner

    target = target_path or default_target_path()
    target.mkdir(parents=True, exist_ok=True)
    env = dbt_environ(warehouse_url or server_url("warehouse"), target, incremental_night=incremental_night)
    env["FRISK_MARTS_SCHEMA"] = marts_schema
    env["FRISK_AS_OF_DATE"] = as_of or os.environ.get("FRISK_AS_OF_DATE", "")
    env["FRISK_MARTS_BEHIND_STATE"] = "true" if marts_behind_state else ""
    env["FRISK_PROJECT_AS_PUBLISHED"] = "true" if project_as_published else ""
    common = ["--project-dir", str(project_dir), "--profiles-dir", str(DBT_PROJECT_DIR),
              "--target-path", str(target), "--log-path", str(target / "logs")]
    with _environ(env):
        manifest = None
        if parse_first:
            parsed = dbtRunner().invoke(["parse", "--no-write-json", *common])
            if not parsed.success:
                return parsed
            manifest = parsed.result
        with critical_path_first(_threads(args, env), node_seconds):
            return dbtRunner(manifest=manifest, callbacks=callbacks or []).invoke([*args, *common])


def _threads(args: list[str], env: dict[str, str]) -> int:
    """The threads a dbt command runs: its --threads, else the profile's (FRISK_DBT_THREADS, dbt_env)."""
    if "--threads" in args[:-1]:
        return int(args[args.index("--threads") + 1])
    return int(env["FRISK_DBT_THREADS"])


def _node_finished(event: Any) -> None:
    # progress while the build runs: one line per node as it finishes
    if event.info.name != "NodeFinished":
        return
    info = event.data.node_info
    log.info("dbt %s finished: %s", info.unique_id, info.node_status)


def _collect(result: Any) -> list[NodeResult]:
    nodes: list[NodeResult] = []
    run = getattr(result, "result", None)
    for r in getattr(run, "results", None) or []:
        adapter = r.adapter_response or {}
        rows = adapter.get("rows_affected")
        status = getattr(r.status, "value", str(r.status))
        nodes.append(NodeResult(
            unique_id=r.node.unique_id, resource_type=str(getattr(r.node.resource_type, "value",
                                                                  r.node.resource_type)),
            status=str(status), seconds=float(r.execution_time or 0.0),
            rows_affected=int(rows) if isinstance(rows, int) and rows >= 0 else None,
            message=(str(r.message)[:1000] if r.message else None),
        ))
    return nodes


def _incremental_aliases(target_path: Path, project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    manifest = target_path / "manifest.json"
    if not manifest.exists():
        return []
    try:
        nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        return []
    return sorted(
        n.get("alias") or n["name"] for n in nodes.values()
        if n.get("resource_type") == "model" and n.get("config", {}).get("materialized") == "incremental"
        and n.get("schema") in (BUILD_SCHEMA, PUBLISHED_SCHEMA)
    )


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None


def _table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return conn.execute(
        "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')", (schema, table)).fetchone() is not None


def _create_empty(conn: psycopg.Connection, table: str) -> None:
    """The published table's columns, defaults and checks in the build schema, no rows, keys or indexes yet."""
    conn.execute(sql.SQL("create table {} (like {} including all excluding indexes)").format(
        sql.Identifier(BUILD_SCHEMA, table), sql.Identifier(PUBLISHED_SCHEMA, table)))


def _fill_table(conn: psycopg.Connection, table: str) -> None:
    """Copy a published table's rows into its empty copy (_create_empty), then add its keys and indexes, built in
    bulk. Copying into a table that has them (`like ... including all`) maintained a btree over random md5 keys row
    by row: 4.4 s for the three incremental marts at 50,000 x 5 years, against 2.3 s this way."""
    src = sql.Identifier(PUBLISHED_SCHEMA, table)
    dst = sql.Identifier(BUILD_SCHEMA, table)
    conn.execute(sql.SQL("insert into {} select * from {}").format(dst, src))
    oid = conn.execute("select %s::regclass::oid", (f"{PUBLISHED_SCHEMA}.{table}",)).fetchone()[0]
    # primary keys, unique and exclusion constraints (each brings its index), then the other indexes
    for name, definition in conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint where conrelid = %s "
            "and contype in ('p', 'u', 'x') order by conname", (oid,)).fetchall():
        conn.execute(sql.SQL("alter table {} add constraint {} ").format(dst, sql.Identifier(name))
                     + sql.SQL(definition))
    for (definition,) in conn.execute(
            "select pg_get_indexdef(i.indexrelid) from pg_index as i where i.indrelid = %s and not exists "
            "(select 1 from pg_constraint as c where c.conindid = i.indexrelid) order by i.indexrelid",
            (oid,)).fetchall():
        # the definition names the published table; the index keeps its name in the build schema
        head, _, tail = definition.partition(" ON ")
        conn.execute(sql.SQL(head + " ON ") + sql.SQL("{} ").format(dst) + sql.SQL(tail.split(" ", 1)[1]))


def _copy_table(conn: psycopg.Connection, table: str) -> None:
    """Copy a published table into the build schema: its rows first, then its keys and indexes."""
    _create_empty(conn, table)
    _fill_table(conn, table)


class BuildSchemaCopy:
    """The published incremental marts being copied into the build schema, one connection and thread per table.

    Each table is created empty and committed first, then locked (access exclusive) in its own transaction before
    start_build_schema() returns, and filled, keyed and indexed in a thread. dbt can therefore start at once:
    `is_incremental()` sees the tables, and an incremental mart's first statement (its pre-hook's delete) waits
    for its copy's commit. The copies run beside dbt's start-up, seeds, staging and the first intermediates, which
    leave a core free, instead of before them (3.1 s serial at 50,000 x 5 years). wait() joins the threads and
    raises if a copy failed (a failed copy leaves an empty table: the build must then fail)."""

    def __init__(self, conninfo: str, tables: list[str]) -> None:
        self.tables = tables
        self._errors: dict[str, BaseException] = {}
        self._threads: list[threading.Thread] = []
        conns = []
        try:
            for table in tables:
                conn = psycopg.connect(conninfo)
                conns.append(conn)
                conn.execute(sql.SQL("lock table {} in access exclusive mode").format(
                    sql.Identifier(BUILD_SCHEMA, table)))
        except BaseException:
            for conn in conns:
                conn.close()
            raise
        for table, conn in zip(tables, conns, strict=True):
            thread = threading.Thread(target=self._fill, args=(conn, table), name=f"copy-{table}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _fill(self, conn: psycopg.Connection, table: str) -> None:
        try:
            with conn:
                _fill_table(conn, table)
        except BaseException as exc:  # reported by wait()
            self._errors[table] = exc

    def wait(self) -> list[str]:
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise RuntimeError("copying the published incremental marts into the build schema failed: " + "; ".join(
                f"{t}: {e}" for t, e in sorted(self._errors.items())))
        return self.tables


def start_build_schema(conninfo: str, target_path: Path) -> BuildSchemaCopy:
    """Empty the build schema and start copying the published incremental marts into it (BuildSchemaCopy)."""
    tables: list[str] = []
    with psycopg.connect(conninfo) as conn:
        conn.execute(_LOCK)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(BUILD_SCHEMA)))
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(BUILD_SCHEMA)))
        for alias in _incremental_aliases(target_path):
            if not _table_exists(conn, PUBLISHED_SCHEMA, alias):
                continue
            _create_empty(conn, alias)
            tables.append(alias)
        conn.commit()
    copy = BuildSchemaCopy(conninfo, tables)
    if tables:
        log.info("build schema %s: copying the published incremental marts %s", BUILD_SCHEMA, ", ".join(tables))
    return copy


def prepare_build_schema(conninfo: str, target_path: Path) -> list[str]:
    """Empty the build schema, then copy the published incremental marts into it. Returns the copied tables."""
    return start_build_schema(conninfo, target_path).wait()


# What a deploy changes: the files dbt reads to build (not target/, logs/ or installed packages).
_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "snapshots", "analyses")


def _project_files(project_dir: Path) -> Iterator[Path]:
    for part in _PROJECT_PARTS:
        root = project_dir / part
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from sorted(p for p in root.rglob("*") if p.is_file())


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over the relative path and content of every file of the dbt project that shapes a build."""
    digest = hashlib.sha256()
    for path in _project_files(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _last_published(conn: psycopg.Connection) -> tuple[str, str | None, str | None] | None:
    """(run_id, project_fingerprint, person_state_fp) of the build whose marts BI users see, or None."""
    return conn.execute(
        """select run_id, project_fingerprint, person_state_fp from audit.builds where status = 'published'
           order by finished_at desc nulls last, started_at desc limit 1""").fetchone()


def deploy_since_last_publish(conn: psycopg.Connection, fingerprint: str) -> str | None:
    """Why an incremental night must be a full refresh instead, or None: the last published build ran another
    dbt project (a deploy since), or none is known."""
    row = _last_published(conn)
    if row is None:
        return "no published build yet"
    if row[1] is None:
        return f"the last published build ({row[0]}) recorded no dbt project fingerprint"
    if row[1] != fingerprint:
        return f"the dbt project changed since the last published build ({row[0]}): a deploy"
    return None


def seeds_loaded(conn: psycopg.Connection, fingerprint: str) -> bool:
    """Whether the seed tables hold this project's seeds: the last published build ran this project (which the
    first night of a project, a full refresh, loaded) and no build since ran another one. An incremental night then
    need not load the seeds again nor run the tests that read only seeds: their outcome is the published build's.
    Seeds loaded by hand (`dbt seed` outside build_aside) are not seen; run a full refresh after that."""
    row = _last_published(conn)
    if row is None or row[1] != fingerprint:
        return False
    return conn.execute(
        """select not exists (
               select 1 from audit.builds as b
               where b.started_at >= (select started_at from audit.builds where run_id = %s) and b.run_id <> %s
                 and b.project_fingerprint is distinct from %s)""", (row[0], row[0], fingerprint)).fetchone()[0]


# The sick-leave state the incremental intermediates continue from (written at the end of each dbt build).
_PERSON_STATE = "intermediate.int_payroll_person_state"


# The fingerprints of the models kept while their inputs do not change (the invoice chain), as one text: the view
# (migration 055) that the dbt macro fingerprinted_inputs_changed() also reads.
_SHARED_INPUTS = "select fp from audit.shared_inputs"


def person_state_fingerprint(conn: psycopg.Connection) -> str | None:
    """A fingerprint of the sick-leave state table as it is now (a count and a sum of 64-bit row hashes, no
    sort), or None before the first build. Without the column naming the dbt invocation that wrote it (build_id):
    a build that left every person's state as it was did not move the state."""
    oid = conn.execute("select to_regclass(%s)::oid", (_PERSON_STATE,)).fetchone()[0]
    if oid is None:
        return None
    columns = [c for (c,) in conn.execute(
        "select attname from pg_attribute where attrelid = %s and attnum > 0 and not attisdropped "
        "and attname <> 'build_id' order by attnum", (oid,))]
    row = sql.SQL("row({})").format(sql.SQL(", ").join(sql.Identifier("s", c) for c in columns))
    return conn.execute(
        sql.SQL("select count(*) || ':' || coalesce(sum(hashtextextended({}::text, 0)), 0) from {} as s").format(
            row, sql.SQL(_PERSON_STATE))
    ).fetchone()[0]


def marts_behind_state(conn: psycopg.Connection) -> bool:
    """Whether the sick-leave state moved since the last published build (a build advanced it and was not
    published: its mart check or publish failed, or the process died): the incremental marts, copied from the
    published ones, then lack the changes of persons that are not dirty any more."""
    row = _last_published(conn)
    if row is None:
        return False  # nothing published: the night is a full refresh anyway
    return row[2] is None or row[2] != person_state_fingerprint(conn)


# dbt_project/macros/current_batches.sql, for source payroll: loaded, and no later loaded batch of the same delivery.
# tests/test_build_interventions_incremental.py (_batches_seen) checks that this is the set of batches the payroll
# staging models show.
_CURRENT_PAYROLL_BATCHES = """
    select coalesce(array_agg(b.batch_id order by b.batch_id), '{}')
    from audit.batches as b
    where b.status = 'loaded' and b.source = 'payroll'
      and not exists (select 1 from audit.batches as later
                      where later.status = 'loaded' and later.source = b.source
                        and later.entity is not distinct from b.entity
                        and coalesce(later.employer_org_number, '') = coalesce(b.employer_org_number, '')
                        and later.delivery_key = b.delivery_key and later.batch_id > b.batch_id)"""


def _start_build(conn: psycopg.Connection, run_id: str, fingerprint: str | None = None,
                 full_refresh: bool | None = None) -> None:
    conn.execute(
        """insert into audit.builds (run_id, project_fingerprint, full_refresh) values (%s, %s, %s)
           on conflict (run_id) do update set started_at = now(), finished_at = null, status = 'running',
               models_built = null, tests_passed = null, tests_failed = null, message = null,
               project_fingerprint = excluded.project_fingerprint, full_refresh = excluded.full_refresh""",
        (run_id, fingerprint, full_refresh))
    # the payroll batches whose rows this build's staging and its tests show at least: current (the rule of the dbt
    # macro current_batches) and committed before dbt starts (migration 057, macros/new_batches_only.sql)
    conn.execute(f"update audit.builds set batches_seen = ({_CURRENT_PAYROLL_BATCHES}) where run_id = %s", (run_id,))
    conn.execute("delete from audit.dbt_nodes where run_id = %s", (run_id,))  # an Airflow retry starts over


def previous_node_seconds(conn: psycopg.Connection, run_id: str, full_refresh: bool) -> dict[str, float]:
    """Each dbt node's seconds in the latest earlier build, of the same kind (a night or a full refresh) if there is
    one: the weights of the critical path dbt's threads follow (dbt_schedule). From the audit rather than the
    target folder's run_results.json, which `dbt docs generate` overwrites after every build."""
    row = conn.execute(
        """select b.run_id from audit.builds as b
           where b.run_id <> %s and exists (select from audit.dbt_nodes as n where n.run_id = b.run_id)
           order by b.full_refresh is not distinct from %s desc, b.started_at desc
           limit 1""", (run_id, full_refresh)).fetchone()
    if row is None:
        return {}
    return {uid: float(sec) for uid, sec in conn.execute(
        "select unique_id, seconds from audit.dbt_nodes where run_id = %s and seconds is not null", (row[0],))}


def set_build_status(run_id: str, status: str, message: str | None = None, conninfo: str | None = None) -> None:
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        conn.execute("update audit.builds set status = %s, message = %s, finished_at = now() where run_id = %s",
                     (status, message, run_id))


def build_aside(run_id: str, *, as_of: str | None = None, full_refresh: bool = False,
                warehouse_url: str | None = None, target_path: Path | None = None,
                project_dir: Path = DBT_PROJECT_DIR) -> BuildResult:
    """`dbt build` of the whole project with the marts in the build-aside schema; audit rows written."""
    url = warehouse_url or server_url("warehouse")
    target = target_path or default_target_path()
    started = time.monotonic()
    # One business date for the whole build, fixed when it starts: unpinned, dbt's as_of_date() reads the clock in
    # each statement, so a build that crossed midnight would judge its models on two dates, and the views among the
    # marts (fct_grant_eligibility) would move with the clock after the build instead of showing its date.
    as_of = rules.as_of_date(as_of).isoformat()
    fingerprint = project_fingerprint(project_dir)
    with psycopg.connect(url) as conn:
        reason = None if full_refresh else deploy_since_last_publish(conn, fingerprint)
        if reason:
            log.warning("dbt build: %s, so this night is a full refresh (incremental models rebuilt from raw)",
                        reason)
            full_refresh = True
        behind = not full_refresh and marts_behind_state(conn)
        keep_seeds = not full_refresh and seeds_loaded(conn, fingerprint)
        if behind:
            log.warning("dbt build: a build since the last published one was not published; the incremental "
                        "marts recompute every person's rows in their look-back tonight")
        weights = previous_node_seconds(conn, run_id, full_refresh)
        _start_build(conn, run_id, fingerprint, full_refresh)
    copy: BuildSchemaCopy | None = None
    if full_refresh:
        with psycopg.connect(url) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(BUILD_SCHEMA)))
            conn.execute(sql.SQL("create schema {}").format(sql.Identifier(BUILD_SCHEMA)))
    else:
        copy = start_build_schema(url, target)  # filled beside dbt; the marts wait for their own table
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    else:
        # dbt's unit tests check the models' SQL against fixed inputs: their outcome depends on the project alone,
        # and a changed project makes the night a full refresh (above), which runs them. An incremental night runs
        # the same project as the last published build, and the first build of a project to be published was a
        # full refresh whose unit tests passed.
        args += ["--exclude-resource-type", "unit_test"]
    if keep_seeds:
        # the seeds as the published build left them (seeds_loaded): not loaded again, and the tests that read only
        # seeds are left out with them (cautious: a test of a model against a seed still runs)
        args += ["--exclude", "resource_type:seed", "--indirect-selection", "cautious"]
    log.info("dbt build (marts into %s, as-of %s, full refresh %s, seeds %s)", BUILD_SCHEMA, as_of,
             full_refresh, "kept as published" if keep_seeds else "loaded")
    try:
        res = dbt_invoke(args, warehouse_url=url, target_path=target, marts_schema=BUILD_SCHEMA, as_of=as_of,
                         project_dir=project_dir, callbacks=[_node_finished], marts_behind_state=behind,
                         project_as_published=not full_refresh, parse_first=True, node_seconds=weights,
                         incremental_night=not full_refresh)
    finally:
        copy_error = None
        if copy is not None:
            try:
                copy.wait()
            except RuntimeError as exc:
                copy_error = str(exc)
    nodes = _collect(res)
    success = (bool(res.success) and copy_error is None
               and not any(n.status in ("error", "fail", "runtime error") for n in nodes))
    message = None
    if copy_error is not None:
        message = copy_error[:2000]
    elif res.exception is not None:
        message = f"dbt build raised: {res.exception}"[:2000]
    elif not success:
        failed = [n for n in nodes if n.status in ("error", "fail", "runtime error")]
        message = "dbt build failed: " + "; ".join(f"{n.unique_id}: {n.status}" for n in failed[:10])
    result = BuildResult(run_id=run_id, success=success, seconds=time.monotonic() - started, nodes=nodes,
                         message=message, full_refresh=full_refresh, marts_behind_state=behind)
    for n in nodes:
        (log.info if n.status in ("success", "pass", "skipped", "no-op") else log.warning)("dbt %s", n.line())
    _record(url, result)
    if not success:
        _drop_swap_leftovers(url)
    log.info("dbt build %s: %d nodes, %d models/seeds built, %d kept (inputs unchanged), %d tests passed, "
             "%d failed, %.1f s", "succeeded" if success else "FAILED", len(nodes), result.models_built,
             result.models_kept, result.tests_passed, result.tests_failed, result.seconds)
    return result


def _drop_swap_leftovers(url: str) -> None:
    """After a failed build, drop the relations dbt leaves when a node dies between its steps: a table model renames
    the old table to <name>__dbt_backup, commits, then drops it, so a connection lost in between leaves the backup
    (and an interrupted create, <name>__dbt_tmp). dbt drops them at the next build of the node anyway; removing
    them now leaves the warehouse as it was before the night. Best effort: the build has already failed."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            leftovers = conn.execute(
                r"""select n.nspname, c.relname, c.relkind from pg_class as c
                    join pg_namespace as n on n.oid = c.relnamespace
                    where c.relkind in ('r', 'v', 'm', 'p')
                      and (c.relname like '%\_\_dbt\_backup' or c.relname like '%\_\_dbt\_tmp')
                      and n.nspname not in ('pg_catalog', 'information_schema')""").fetchall()
            for schema, name, kind in leftovers:
                what = {"v": "view", "m": "materialized view"}.get(kind, "table")
                conn.execute(sql.SQL("drop {} if exists {} cascade").format(sql.SQL(what),
                                                                           sql.Identifier(schema, name)))
                log.warning("dropped %s.%s, left by an interrupted dbt node", schema, name)
    except psycopg.Error as exc:
        log.warning("could not drop the leftovers of the failed build: %s", exc)


def _record(url: str, result: BuildResult) -> None:
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                """insert into audit.dbt_nodes (run_id, unique_id, resource_type, status, seconds, rows_affected,
                                                message)
                   values (%s, %s, %s, %s, %s, %s, %s)
                   on conflict (run_id, unique_id) do update set status = excluded.status,
                       seconds = excluded.seconds, rows_affected = excluded.rows_affected,
                       message = excluded.message, finished_at = now()""",
                [(result.run_id, n.unique_id, n.resource_type, n.status, round(n.seconds, 3), n.rows_affected,
                  n.message) for n in result.nodes])
        conn.execute(
            """update audit.builds set models_built = %s, tests_passed = %s, tests_failed = %s,
                   status = case when %s then status else 'failed' end,
                   finished_at = case when %s then finished_at else now() end, message = %s
               where run_id = %s""",
            (result.models_built, result.tests_passed, result.tests_failed, result.success, result.success,
             result.message, result.run_id))


def publish(run_id: str, *, conninfo: str | None = None, roles: list[str] | None = None) -> dict[str, Any]:
    """Swap the build schema in as `marts`, in one transaction, and re-apply grants and row-level security."""
    url = conninfo or server_url("warehouse")
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.execute(_LOCK)
        conn.execute("set local lock_timeout = '60s'")
        if not _schema_exists(conn, BUILD_SCHEMA):
            raise RuntimeError(f"publish {run_id}: build schema {BUILD_SCHEMA} does not exist; nothing to publish")
        had_marts = _schema_exists(conn, PUBLISHED_SCHEMA)
        ident = sql.Identifier
        if had_marts:
            conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(PUBLISHED_SCHEMA), ident(_RETIRED)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(BUILD_SCHEMA), ident(PUBLISHED_SCHEMA)))
        if had_marts:
            conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(_RETIRED), ident(BUILD_SCHEMA)))
        # Grants and row-level security belong to the tables, which the build created anew: re-apply them
        # (aggregate marts to frisk_bi, person-level ones to frisk_hr only, policies per employer; migration 050),
        # and take the readers off the retired schema, which now holds yesterday's marts.
        conn.execute("select meta.apply_mart_security(%s)", (PUBLISHED_SCHEMA,))
        granted = ["frisk_hr", "frisk_bi"]
        for role in roles if roles is not None else bi_roles():
            if role in granted or not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                continue
            # an extra reader role (FRISK_BI_ROLES) gets what frisk_bi gets, by membership
            conn.execute(sql.SQL("grant frisk_bi to {}").format(ident(role)))
            granted.append(role)
        if had_marts:
            conn.execute(sql.SQL("revoke all on schema {} from frisk_bi, frisk_hr").format(ident(BUILD_SCHEMA)))
        tables = [r[0] for r in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') order by 1", (PUBLISHED_SCHEMA,))]
        # the state these marts were built with: the next night compares it with the state then
        conn.execute(f"update audit.builds set person_state_fp = %s, shared_inputs_fp = ({_SHARED_INPUTS}) "
                     "where run_id = %s", (person_state_fingerprint(conn), run_id))
        conn.execute("update audit.builds set status = 'published', finished_at = now() where run_id = %s",
                     (run_id,))
        conn.commit()
    out = {"run_id": run_id, "schema": PUBLISHED_SCHEMA, "relations": tables, "granted": granted,
           "seconds": round(time.monotonic() - started, 3)}
    log.info("published %d relations into %s (granted to: %s) in %.3f s", len(tables), PUBLISHED_SCHEMA,
             ", ".join(granted) or "no BI role present", out["seconds"])
    return out


def generate_docs(*, warehouse_url: str | None = None, target_path: Path | None = None,
                  as_of: str | None = None, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """`dbt docs generate` describing the published marts; returns the docs' index.html."""
    target = target_path or default_target_path()
    res = dbt_invoke(["docs", "generate", "--static"], warehouse_url=warehouse_url, target_path=target,
                     marts_schema=PUBLISHED_SCHEMA, as_of=as_of, project_dir=project_dir)
    if not res.success:
        raise RuntimeError(f"dbt docs generate failed: {res.exception}")
    index = target / "index.html"
    log.info("dbt docs: %s", index)
    return index


def docs_index(target_path: Path | None = None) -> Path | None:
    index = (target_path or default_target_path()) / "index.html"
    return index if index.exists() else None
