"""A local Airflow on the embedded PostgreSQL: API server + UI, scheduler, DAG processor and triggerer.

Each service runs as a background process with its pid and log under FRISK_HOME/airflow/run/. `make airflow`
starts them, `make stop` stops them. For a real deployment use docker-compose.yml.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from frisk.config import settings

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
DEFAULT_PORT = 8080


def _run_dir() -> Path:
    d = settings().airflow_home / "run"
    d.mkdir(parents=True, exist_ok=True)
    return d


def password_file() -> Path:
    return settings().airflow_home / "passwords.json"


def _secret(name: str) -> str:
    """A per-installation secret kept in FRISK_HOME, shared by every local Airflow process."""
    path = settings().airflow_home / f".{name}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def service_environ(port: int = DEFAULT_PORT) -> dict[str, str]:
    from frisk import warehouse
    from frisk.airflow_env import airflow_environ

    warehouse.up()
    env = {**os.environ, **airflow_environ()}
    env.update({
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret("jwt_secret"),
        "AIRFLOW__API__SECRET_KEY": _secret("api_secret"),
        "AIRFLOW__CORE__FERNET_KEY": "",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
    })
    return env


def _pid_file(service: str) -> Path:
    return _run_dir() / f"{service}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def status() -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for service in SERVICES:
        f = _pid_file(service)
        pid = int(f.read_text()) if f.exists() else None
        out[service] = pid if pid and _alive(pid) else None
    return out


def start(port: int = DEFAULT_PORT, wait_seconds: float = 180) -> str:
    """Start the services that are not running; wait until the API answers. Returns the base URL."""
    from frisk.airflow_env import airflow_bin

    env = service_environ(port)
    migrate = subprocess.run([str(airflow_bin()), "db", "migrate"], env=env, capture_output=True, text=True)
    if migrate.returncode != 0:
        raise RuntimeError("airflow db migrate failed: " + (migrate.stderr or migrate.stdout)[-2000:])
    running = status()
    for service in SERVICES:
        if running[service]:
            continue
        log = (_run_dir() / f"{service}.log").open("ab")
        proc = subprocess.Popen([str(airflow_bin()), service], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        _pid_file(service).write_text(str(proc.pid))
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as resp:
                if resp.status == 200:
                    return url
        except OSError:
            time.sleep(2)
    raise RuntimeError(f"Airflow API did not answer on {url} within {wait_seconds:.0f} s; "
                       f"see logs in {_run_dir()}")


def stop() -> bool:
    """Stop every service started by `start` (the whole process group). Returns whether any was running."""
    stopped = False
    for pid in status().values():
        if pid:
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                os.kill(pid, signal.SIGTERM)
            stopped = True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(status().values()):
        time.sleep(0.5)
    for pid in status().values():
        if pid:
            os.killpg(pid, signal.SIGKILL)
    for service in SERVICES:
        _pid_file(service).unlink(missing_ok=True)
    return stopped
