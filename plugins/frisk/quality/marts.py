"""The mart gate: GX checks on every table of the build-aside marts schema before it is published.

The marts are owned by the dbt project and change over time, so the suite per mart table is derived at run
time from expectations/mart_rules.yml (matched by column names) and saved in the GX working copy: key figures in
0-100 %, no negative grant, grant <= rate x paid and within the caps of its rule set (the dbt seed), nothing
shaped like a personnummer in any text column, pseudonym columns really pseudonyms. A failed critical check
blocks the publish.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from frisk.quality import rules
from frisk.quality.frames import flag_personnummer, read_frame, text_columns
from frisk.quality.results import CheckRow, rows_from_checkpoint, write_checks
from frisk.quality.suites import CRITICAL, HEX64, PNR_PREFIX, WARNING, Exp, between, in_set, regex
from frisk.warehouse import server_url

log = logging.getLogger(__name__)
RULE_PREFIX = "rule__"


@dataclass
class MartCheck:
    schema: str
    success: bool
    tables: list[str]
    rows: list[CheckRow] = field(default_factory=list)
    seconds: float = 0.0
    data_docs: Path | None = None

    @property
    def critical_failed(self) -> list[str]:
        return [r.message() for r in self.rows if r.failed_critical]

    @property
    def warnings(self) -> list[str]:
        return [r.message() for r in self.rows if r.failed_warning]

    def as_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "success": self.success, "tables": self.tables, "checks": len(self.rows),
                "critical_failed": self.critical_failed, "warnings": self.warnings,
                "seconds": round(self.seconds, 3), "data_docs": str(self.data_docs) if self.data_docs else None}


def _one(pattern: str, columns: list[str]) -> str | None:
    hits = [c for c in columns if re.search(pattern, c)]
    return hits[0] if len(hits) == 1 else None


def derive_expectations(df: pd.DataFrame, rule_sets: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Exp]]:
    """Add the derived flag columns to `df` and return the expectations for this table."""
    cfg = rules.mart_rules_config()
    cols = [str(c) for c in df.columns]
    exps: list[Exp] = [Exp("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": None}, WARNING)]

    pseudonyms = [c for c in cols if re.search(cfg["pseudonym_columns"], c)]
    exps += [regex(c, HEX64) for c in pseudonyms]
    texts = [c for c in text_columns(df) if c not in pseudonyms]
    df = flag_personnummer(df, texts)
    exps += [in_set(PNR_PREFIX + c, [False]) for c in texts]

    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    for rule in cfg.get("column_rules", []):
        for c in numeric:
            if re.search(rule["columns"], c) and not (rule.get("exclude") and re.search(rule["exclude"], c)):
                exps.append(between(c, rule.get("min"), rule.get("max"), rule.get("severity", CRITICAL)))

    exps += _grant_rules(df, cols, numeric, cfg.get("grant_rules") or {}, rule_sets)
    return df, exps


def _grant_rules(df: pd.DataFrame, cols: list[str], numeric: list[str], cfg: dict[str, Any],
                 rule_sets: pd.DataFrame | None) -> list[Exp]:
    """Derived flag columns (added to df) and their expectations for the grant rate and caps."""
    if not cfg or rule_sets is None or rule_sets.empty:
        return []
    pats = cfg["columns"]
    key, grant, paid = _one(pats["key"], cols), _one(pats["grant"], numeric), _one(pats["paid"], numeric)
    if not (key and grant):
        return []
    severity = cfg.get("severity", CRITICAL)
    rs = rule_sets.set_index(cfg["rule_key"])

    def lookup(column: str) -> pd.Series:
        return df[key].map(rs[column]).astype("float64") if column in rs.columns else pd.Series(
            float("nan"), index=df.index)

    amount = df[grant].fillna(0).astype("float64")
    exps: list[Exp] = []
    flags: dict[str, pd.Series] = {}
    if paid:
        # On magnitudes, with the grant's sign following the payment's: a credit note (negative paid amount)
        # may only reduce a grant, by at most the rate of what it credits.
        paid_amount = df[paid].astype("float64")
        flags["grant_within_rate_of_paid"] = df[paid].isna() | ~(
            (amount.abs() > lookup(cfg["rate"]) * paid_amount.abs() + 0.005) | (amount * paid_amount < 0))
    cap = lookup(cfg["cap_per_service"])
    flags["grant_within_service_cap"] = cap.isna() | ~(amount > cap + 0.005)
    year = _one(pats["year"], cols)
    for name, who_pat, cap_col in (("person", pats["person"], cfg["cap_per_person_year"]),
                                   ("employer", pats["employer"], cfg["cap_per_employer_year"])):
        who = _one(who_pat, cols)
        if not (who and year):
            continue
        totals = amount.groupby([df[who], df[year], df[key]], dropna=False).transform("sum")
        cap = lookup(cap_col)
        flags[f"grant_within_{name}_year_cap"] = cap.isna() | ~(totals > cap + 0.005)
    for name, flag in flags.items():
        df[RULE_PREFIX + name] = flag.astype("bool")
        exps.append(in_set(RULE_PREFIX + name, [True], severity))
    return exps


def _rule_sets(conn: psycopg.Connection) -> pd.DataFrame | None:
    table = (rules.mart_rules_config().get("grant_rules") or {}).get("rule_table")
    if not table:
        return None
    schema, name = table.split(".", 1)
    if not conn.execute("select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                        (schema, name)).fetchone():
        log.warning("mart check: grant rule table %s not found; grant rate and cap checks skipped", table)
        return None
    return read_frame(conn, f'select * from "{schema}"."{name}"')


def _relations(conn: psycopg.Connection, schema: str) -> list[str]:
    """The tables of the schema. Not its views (fct_grant_eligibility): a view's rows are its tables' rows, checked
    here, with columns computed when it is read by SQL the dbt unit tests check; read again, the 312,000 grant lines
    at 50,000 employees would be validated twice."""
    return [r[0] for r in conn.execute(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relkind in ('r', 'm', 'p') order by 1""", (schema,))]


def check_marts(schema: str, run_id: str | None = None, *, conninfo: str | None = None,
                build_docs: bool = True) -> MartCheck:
    """Validate every table in `schema` (_relations); results to audit.checks (target `marts.<table>`)."""
    import great_expectations as gx

    from frisk.quality.authoring import RESULT_FORMAT, to_gx
    from frisk.quality.context import build_data_docs, open_context, runtime_asset

    started = time.monotonic()
    conninfo = conninfo or server_url("warehouse")
    ctx = open_context()
    all_rows: list[CheckRow] = []
    with psycopg.connect(conninfo) as conn:
        tables = _relations(conn, schema)
        rule_sets = _rule_sets(conn)
        for table in tables:
            df = read_frame(conn, f'select * from "{schema}"."{table}"')
            df, exps = derive_expectations(df, rule_sets)
            name = f"marts.{table}"
            suite = gx.ExpectationSuite(name=name)
            for exp in exps:
                suite.add_expectation_configuration(to_gx(exp))
            suite = ctx.suites.add_or_update(suite)
            vd = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=runtime_asset(ctx, name), suite=suite))
            cp = ctx.checkpoints.add_or_update(
                gx.Checkpoint(name=name, validation_definitions=[vd], actions=[], result_format=RESULT_FORMAT))
            from great_expectations.core.run_identifier import RunIdentifier

            result = cp.run(batch_parameters={"dataframe": df},
                            run_id=RunIdentifier(run_name=f"{run_id or 'marts'}-marts"))
            rows = rows_from_checkpoint(result, name)
            all_rows.extend(rows)
            bad = [r for r in rows if not r.success]
            log.info("mart check %s.%s: %d rows, %d checks, %d failed", schema, table, len(df), len(rows),
                     len(bad))
        with conn.transaction():
            write_checks(conn, all_rows, run_id)
    for r in all_rows:
        if r.failed_critical:
            log.error("MART CHECK FAILED %s", r.message())
        elif r.failed_warning:
            log.warning("mart warning %s", r.message())
    docs = build_data_docs(ctx) if build_docs else None
    success = not any(r.failed_critical for r in all_rows)
    return MartCheck(schema=schema, success=success, tables=tables, rows=all_rows,
                     seconds=time.monotonic() - started, data_docs=docs)
