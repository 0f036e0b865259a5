"""frisk.load_guard: the guard every loader (payroll, invoices, statistics) puts around one file or dataset.

Real parts only: a real PostgreSQL for the loads, and for the outage a real closed TCP port (nothing mocked).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from frisk.load_guard import (
    MOVED_BY_ANOTHER_RUN,
    NO_LONGER_IN_LANDING,
    WarehouseUnavailable,
    guarded,
    safe_url,
    warehouse_errors,
)
from frisk.loading import LoadResult
from tests.bad_inputs import FK_HEADER, FK_ROWS, P1, PAY, _workbook


def _dead_url() -> str:
    """A warehouse URL with a password, on a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://frisk:s3cret-pw@127.0.0.1:{port}/warehouse?connect_timeout=2"


def _assert_clear(msg: str, name: str, stays: str) -> None:
    assert msg.startswith(f"{name}: the warehouse at postgresql://frisk:***@127.0.0.1:"), msg
    assert "could not be reached or the connection broke" in msg and stays in msg
    assert "s3cret-pw" not in msg  # never the password


def test_safe_url_hides_only_the_password() -> None:
    assert safe_url("postgresql://u:pw@db.example:5432/wh?sslmode=require") == \
        "postgresql://u:***@db.example:5432/wh?sslmode=require"
    assert safe_url("postgresql://u@db/wh") == "postgresql://u@db/wh"
    assert safe_url("postgresql:///wh?host=/tmp/sock") == "postgresql:///wh?host=/tmp/sock"


def test_payroll_keeps_its_public_names() -> None:
    import frisk.load_guard
    import frisk.payroll.load

    assert frisk.payroll.load.WarehouseUnavailable is frisk.load_guard.WarehouseUnavailable
    assert frisk.payroll.load.safe_url is frisk.load_guard.safe_url


def test_a_missing_file_is_skipped_without_calling_the_loader(tmp_path: Path) -> None:
    calls = []
    result = guarded(tmp_path / "gone.csv", "payroll", lambda: calls.append(1))
    assert calls == []
    assert (result.status, result.file_name, result.error) == ("skipped", "gone.csv", NO_LONGER_IN_LANDING)
    custom = guarded(tmp_path / "gone.csv", "invoices", lambda: None, skipped=lambda why: {"why": why})
    assert custom == {"why": NO_LONGER_IN_LANDING}


def test_a_file_moved_away_mid_load_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x\n")

    def other_run_archives_it_then_we_read() -> LoadResult:
        path.rename(tmp_path / "archived.csv")
        path.read_bytes()  # FileNotFoundError, as in landing.sha256_file
        raise AssertionError("unreachable")

    result = guarded(path, "statistics", other_run_archives_it_then_we_read)
    assert (result.status, result.error) == ("skipped", MOVED_BY_ANOTHER_RUN)


def test_another_missing_file_is_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x\n")
    with pytest.raises(FileNotFoundError):
        guarded(path, "payroll", lambda: (tmp_path / "no-such-config.yml").read_text())
    assert path.exists()


def test_warehouse_errors_names_what_and_where() -> None:
    import psycopg

    url = _dead_url()
    with pytest.raises(WarehouseUnavailable) as err, warehouse_errors("fk/x", url, "nothing was stored"):
        psycopg.connect(url)
    _assert_clear(str(err.value), "fk/x", "nothing was stored")
    assert err.value.__cause__ is None and err.value.__suppress_context__  # the message, not libpq's traceback


def test_invoice_loader_with_the_warehouse_down_keeps_the_file(frisk_env: Path, monkeypatch: pytest.MonkeyPatch) \
        -> None:
    from frisk.invoices.load import load_path

    pay = frisk_env / "data" / "landing" / "payments" / "pay.csv"
    pay.write_text(PAY + P1 + "\n", encoding="utf-8")
    monkeypatch.setenv("FRISK_WAREHOUSE_URL", _dead_url())
    with pytest.raises(WarehouseUnavailable) as err:
        load_path(pay, "payment")
    _assert_clear(str(err.value), "pay.csv", "stays in landing")
    assert pay.exists() and not (frisk_env / "data" / "archive").exists()


def test_invoice_reconciliation_with_the_warehouse_down_says_so(frisk_env: Path) -> None:
    from frisk.invoices.reconcile import reconcile

    with pytest.raises(WarehouseUnavailable) as err:
        reconcile(conninfo=_dead_url())
    _assert_clear(str(err.value), "invoice reconciliation", "nothing was changed")


def test_statistics_drop_and_fetch_with_the_warehouse_down(frisk_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Manual drops and the FK/Kolada fetches (from the bundled snapshots) fail with the same clear message."""
    from frisk.statistics.load import load_fk, load_kolada, load_pending
    from frisk.statistics.settings import sources

    for var in ("FRISK_FK_BASE_URL", "FRISK_KOLADA_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    drop = frisk_env / "data" / "landing" / "statistics" / "fk_drop.xlsx"
    _workbook([("Data", [FK_HEADER, *FK_ROWS])])(drop)
    dead = _dead_url()
    monkeypatch.setenv("FRISK_WAREHOUSE_URL", dead)
    with pytest.raises(WarehouseUnavailable) as err:
        load_pending()
    _assert_clear(str(err.value), "fk_drop.xlsx", "stays in landing")
    assert drop.exists()
    with pytest.raises(WarehouseUnavailable) as err:
        load_fk(conninfo=dead)
    first = f"fk/{sources()['fk']['datasets'][0]['name']}"
    _assert_clear(str(err.value), first, "nothing from it was stored")
    with pytest.raises(WarehouseUnavailable) as err:
        load_kolada(conninfo=dead, kpis=["N00090"])
    _assert_clear(str(err.value), "kolada/N00090", "nothing from it was stored")
