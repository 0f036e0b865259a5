"""A local Airflow on the embedded PostgreSQL: API server + UI, scheduler, DAG processor and triggerer.

Each service runs as a background process with its pid and log under FRISK_HOME/airflow/run/. `make airflow`
starts them, `make stop` stops them. For a real deployment use docker-compose.yml.
"""

from __future__ import annotations

import json
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
# The components /api/v2/monitor/health reports on, as it names them.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")


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


def _health(url: str) -> dict[str, str]:
    """Each component's status from the API's health endpoint (empty while the API does not answer)."""
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as resp:
            body = json.loads(resp.read())
    except (OSError, ValueError):
        return {}
    return {name: str((part or {}).get("status")) for name, part in body.items() if isinstance(part, dict)}


def log_tail(service: str, lines: int = 40) -> str:
    """The last lines of a service's log, for error messages."""
    log = _run_dir() / f"{service}.log"
    if not log.exists():
        return f"({log} does not exist)"
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def start(port: int = DEFAULT_PORT, wait_seconds: float = 180) -> str:
    """Start the services that are not running; wait until the API answers and reports the metadata database,
    the scheduler, the DAG processor and the triggerer healthy. Returns the base URL."""
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
    health: dict[str, str] = {}
    # The API answers before the scheduler's first heartbeat; a run triggered in between waits in "queued",
    # so "ready" means every component has reported in.
    while time.monotonic() < deadline:
        health = _health(url)
        if set(HEALTH_COMPONENTS) <= health.keys() and all(health[c] == "healthy" for c in HEALTH_COMPONENTS):
            return url
        time.sleep(2)
    unhealthy = [c for c in HEALTH_COMPONENTS if health.get(c) != "healthy"]
    dead = [s for s, pid in status().items() if pid is None]
    tails = "".join(f"\n--- {s}.log ---\n{log_tail(s)}" for s in (dead or ["scheduler"]))
    raise RuntimeError(f"Airflow on {url} not ready within {wait_seconds:.0f} s: "
                       f"{', '.join(unhealthy) or 'API'} not healthy ({health or 'API not answering'}); "
                       f"services not running: {', '.join(dead) or 'none'}; logs in {_run_dir()}{tails}")


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
