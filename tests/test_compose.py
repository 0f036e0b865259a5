"""The deployment file: no Docker engine runs here, so its structure is checked instead."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_expected_services() -> None:
    for name in ("warehouse", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer", "redis", "airflow-worker", "metabase"):
        assert name in SERVICES, name
    assert SERVICES["redis"]["profiles"] == ["celery"]
    assert SERVICES["airflow-worker"]["profiles"] == ["celery"]


def test_images_are_pinned() -> None:
    for name, svc in SERVICES.items():
        image = svc.get("image")
        if "build" in svc:
            assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
            continue
        assert image and ":" in image, f"{name} has no pinned image"
        tag = image.rsplit(":", 1)[1]
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned"
    base = (ROOT / "Dockerfile").read_text().splitlines()[1:]
    froms = [line for line in base if line.startswith("FROM ")]
    assert froms and all(re.search(r":\d+\.\d+\.\d+", f) for f in froms)


def test_long_running_services_have_health_checks() -> None:
    for name, svc in SERVICES.items():
        if name in ("airflow-init", "metabase-setup"):
            assert svc.get("restart") == "no"
            continue
        assert "healthcheck" in svc and svc["healthcheck"]["test"], f"{name} lacks a health check"


def test_referenced_files_exist() -> None:
    for name, svc in SERVICES.items():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("./"):
                assert (ROOT / src).exists(), f"{name} mounts missing {src}"
        env_file = svc.get("env_file")
        if env_file:
            assert env_file == ".env"
    assert (ROOT / ".env.example").is_file()
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_ports_only_on_loopback() -> None:
    published = {p for svc in SERVICES.values() for p in svc.get("ports", [])}
    assert published == {"127.0.0.1:5432:5432", "127.0.0.1:8080:8080", "127.0.0.1:3000:3000"}


def test_no_secret_literals() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET|KEY|PASS)\w*\s*:", line) and "${" not in line:
            raise AssertionError(f"secret literal in docker-compose.yml: {line.strip()}")
        assert not re.search(r"://\w+:(?!\$+\{)[^@/]+@", line), f"password literal in URL: {line.strip()}"
    example = (ROOT / ".env.example").read_text()
    assert "FRISK_PSEUDONYM_KEY=" in example and "FRISK_BI_PASSWORD=" in example


def test_airflow_services_share_one_configuration() -> None:
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        env = SERVICES[name]["environment"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@warehouse:5432/airflow")
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${AIRFLOW_JWT_SECRET}"
        assert SERVICES[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
