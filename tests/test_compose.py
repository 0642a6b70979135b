"""docker-compose.yml: the official Airflow 3 Celery layout, rendered and checked.

No Docker engine runs here, so the file is rendered the way Compose does it: YAML
anchors and merge keys resolved, ``${VAR}``/``${VAR:-default}``/``${VAR:?error}``
interpolated from a generated .env.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from conftest import REPO

VAR = re.compile(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}")


def render(env: dict[str, str]):
    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == ":-":
            return arg
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return ""

    text = (REPO / "docker-compose.yml").read_text().replace("$$", "\0")
    return yaml.safe_load(VAR.sub(sub, text).replace("\0", "$"))


@pytest.fixture(scope="module")
def dotenv() -> dict[str, str]:
    out = subprocess.run(["bash", str(REPO / "scripts" / "make-env.sh")], capture_output=True,
                         text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_env_script_generates_every_secret(dotenv):
    for key in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
                "AIRFLOW_ADMIN_PASSWORD"):
        assert len(dotenv[key]) >= 16, key
    again = subprocess.run(["bash", str(REPO / "scripts" / "make-env.sh")], capture_output=True,
                           text=True, check=True).stdout
    assert dotenv["AIRFLOW_JWT_SECRET"] not in again, "secrets must be fresh each time"


def test_services_follow_the_official_celery_layout(dotenv):
    doc = render(dotenv)
    services = doc["services"]
    for name in ("postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-worker", "airflow-triggerer", "airflow-init"):
        assert name in services, name
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7.2")
    assert services["flower"]["profiles"] == ["flower"]
    assert services["airflow-cli"]["profiles"] == ["debug"]
    commands = {n: services[n]["command"] for n in ("airflow-apiserver", "airflow-scheduler",
                                                   "airflow-dag-processor", "airflow-worker", "airflow-triggerer")}
    assert commands == {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                        "airflow-dag-processor": "dag-processor", "airflow-worker": "celery worker",
                        "airflow-triggerer": "triggerer"}
    for name in commands:
        svc = services[name]
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__FERNET_KEY"] == dotenv["AIRFLOW_FERNET_KEY"]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == dotenv["AIRFLOW_JWT_SECRET"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
        assert env["NEWS_ALLOW_PRIVATE_NETWORKS"] == "0"
        assert {"NEWS_FEEDS", "NEWS_DATA_URL", "NEWS_SCHEDULE"} <= set(env)
        assert svc["build"] == "." and svc["depends_on"]["airflow-init"]["condition"] == \
            "service_completed_successfully"
        assert "./dags:/opt/airflow/dags" in svc["volumes"]
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert services["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"


def test_no_secret_is_hard_coded(dotenv):
    text = (REPO / "docker-compose.yml").read_text()
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z_]+):\s*(\S.*)$", line)
        if m and re.search(r"PASSWORD|SECRET|FERNET_KEY", m.group(1)) and not m.group(1).endswith("_FILE"):
            assert m.group(2).strip("'\"").startswith("${"), f"hard-coded secret: {line.strip()}"
        for cred in re.findall(r"://[^:/@\s]*:([^@\s]+)@", line):
            assert cred.startswith("${"), f"hard-coded password in a URL: {line.strip()}"
    missing = dict(dotenv)
    del missing["AIRFLOW_FERNET_KEY"]
    with pytest.raises(KeyError, match="AIRFLOW_FERNET_KEY"):
        render(missing)


def test_image_installs_pinned_requirements_and_the_package():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "pip install --no-cache-dir -r /opt/newsingest/requirements.txt" in dockerfile
    reqs = (REPO / "requirements.txt").read_text()
    for pin in ("apache-airflow==3.3.2", "apache-airflow-providers-celery==", "apache-airflow-providers-postgres==",
                "celery==5.6", "redis=="):
        assert pin in reqs, pin
