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

FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init")


def news_settings_in_code() -> set[str]:
    """Every NEWS_* variable the library or the DAG reads or names."""
    # faults.py holds the crash tests' hook (NEWS_FAULT), not a deployment setting
    files = [f for f in (REPO / "include" / "newsingest").glob("*.py") if f.name != "faults.py"]
    files += list((REPO / "dags").glob("*.py"))
    return {m for f in files for m in re.findall(r"\bNEWS_[A-Z_]+\b", f.read_text())}

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
                "AIRFLOW_API_SECRET_KEY", "AIRFLOW_ADMIN_PASSWORD"):
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
        assert env["AIRFLOW__API__SECRET_KEY"] == dotenv["AIRFLOW_API_SECRET_KEY"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
        assert env["NEWS_ALLOW_PRIVATE_NETWORKS"] == "0"
        assert svc["build"] == "." and svc["depends_on"]["airflow-init"]["condition"] == \
            "service_completed_successfully"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    init = services["airflow-init"]["environment"]
    assert init["_AIRFLOW_DB_MIGRATE"] == "true" and init["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert init["_AIRFLOW_WWW_USER_PASSWORD"] == dotenv["AIRFLOW_ADMIN_PASSWORD"]
    assert "SIMPLE_AUTH_MANAGER" not in (REPO / "docker-compose.yml").read_text()


def test_every_news_setting_is_passed_through_with_the_librarys_default(dotenv):
    from newsingest.config import Settings

    names = news_settings_in_code()
    assert {"NEWS_DATA_URL", "NEWS_STORAGE_OPTIONS", "NEWS_HOST_INTERVAL"} <= names
    services = render(dotenv)["services"]
    for name in AIRFLOW_SERVICES:
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        assert names <= set(env), f"{name} lacks {sorted(names - set(env))}"
        from_compose = Settings.from_env(env)
        assert from_compose.data_url == "/opt/airflow/news-data" and from_compose.data_root_shared
        assert from_compose.storage_options == {}
        defaults = Settings.from_env({})
        for field in ("feeds_path", "data_url", "data_root_shared"):
            object.__setattr__(from_compose, field, getattr(defaults, field))
        assert from_compose == defaults, name
    chosen = render({**dotenv, "NEWS_HOST_INTERVAL": "2.5", "NEWS_RESPECT_ROBOTS": "0",
                     "NEWS_DATA_URL": "s3://bucket/news",
                     "NEWS_STORAGE_OPTIONS": '{"endpoint_url": "http://minio:9000"}'})
    settings = Settings.from_env({k: str(v) for k, v in
                                  chosen["services"]["airflow-worker"]["environment"].items()})
    assert (settings.host_interval, settings.respect_robots, settings.data_url) == \
        (2.5, False, "s3://bucket/news")
    assert settings.storage_options == {"endpoint_url": "http://minio:9000"}


def test_the_image_is_the_one_source_of_the_code(dotenv):
    """Library, DAGs and plugins come from the image; only the feed registry is mounted."""
    services = render(dotenv)["services"]
    for name in AIRFLOW_SERVICES:
        mounts = [v for v in services[name].get("volumes", []) if v.startswith(".")]
        assert mounts == ["./include/feeds.yaml:/opt/airflow/feeds/feeds.yaml:ro"], (name, mounts)
    dockerfile = (REPO / "Dockerfile").read_text()
    for copy in ("COPY --chown=airflow:0 include /opt/newsingest/include",
                 "COPY --chown=airflow:0 dags /opt/airflow/dags",
                 "COPY --chown=airflow:0 plugins /opt/airflow/plugins"):
        assert copy in dockerfile


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


def pins(name: str) -> dict[str, str]:
    lines = (REPO / name).read_text().splitlines()
    return {re.sub(r"\[.*\]", "", n).lower(): v for n, v in
            (line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))}


def test_image_installs_runtime_pins_without_test_tools():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "pip install --no-cache-dir -r /opt/newsingest/requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    for pin in ("apache-airflow", "apache-airflow-providers-celery", "apache-airflow-providers-postgres",
                "apache-airflow-providers-fab", "celery", "redis", "s3fs", "polars", "duckdb", "pandas"):
        assert pin in runtime, pin
    assert runtime["celery"].startswith("5.6")
    for tool in ("pytest", "ruff", "moto"):
        assert tool in dev and tool not in runtime, tool
    assert not set(runtime) & set(dev), "a package pinned twice"
