"""Airflow 3.3 as deployed for scale-out, on loopback: CeleryExecutor, PostgreSQL, Redis.

:func:`start_cluster` migrates the metadata database, creates a FAB admin user and starts
the api-server, scheduler, dag-processor and Celery workers, each with its own
``AIRFLOW_HOME`` and working directory (nothing on disk is shared between workers: the
data root must be object storage). :class:`Cluster` talks to the REST API with a JWT from
the FAB auth manager's ``/auth/token``.

Each worker reports its own hostname (``AIRFLOW__CORE__HOSTNAME_CALLABLE`` =
:func:`worker_hostname`), so a task instance's ``hostname`` tells which worker ran it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from support_services import HOST, Postgres, Redis, ServiceError, Services, free_port, http_ok

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).parent / "airflow")
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the test's workers: the name given in their environment."""
    return os.environ["NEWSINGEST_WORKER_NAME"]


def airflow_env(pg: Postgres, redis: Redis, api_port: int, news: dict[str, str]) -> dict[str, str]:
    """The environment every component shares (secrets generated per test run)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "NEWS_", "AWS_", "FSSPEC_"))}
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.sqlalchemy_url,
        "AIRFLOW__CELERY__BROKER_URL": redis.url,
        "AIRFLOW__CELERY__RESULT_BACKEND": pg.celery_backend_url,
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",  # an idle worker takes the next task
        "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://{HOST}:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{api_port}/execution/",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs the test triggers
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent),
                                       *filter(None, [os.environ.get("PYTHONPATH")])]),
    })
    env.update(news)
    return env


@dataclass
class Cluster:
    """A running Airflow deployment and its REST API."""

    svc: Services
    api: str
    username: str
    password: str
    workers: list[str]
    worker_dirs: list[Path]
    _token: str | None = field(default=None, repr=False)

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self._token is None:
            self._token = self.token()
        req = urllib.request.Request(f"{self.api}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self._token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ServiceError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:500]!r}") from None

    def token(self) -> str:
        """A JWT for the public API from the FAB auth manager's token endpoint."""
        req = urllib.request.Request(
            f"{self.api}/auth/token", method="POST",
            data=json.dumps({"username": self.username, "password": self.password}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())["access_token"]

    def trigger(self, dag_id: str, conf: dict) -> str:
        run = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                           {"logical_date": None, "conf": conf})
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        watch = ("scheduler", "dag-processor", "api-server", *self.workers)
        while time.monotonic() < deadline:
            for name in watch:
                self.svc.alive(name)
            run = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(2)
        raise ServiceError(f"run {run_id} still {run['state']} after {timeout:.0f} s\n"
                           f"{self.task_report(dag_id, run_id)}\n{self.svc.report()}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
                            "?limit=100")["task_instances"]

    def task_report(self, dag_id: str, run_id: str) -> str:
        """Each task's state and worker, and the tail of failed tasks' logs (read on the worker)."""
        lines = []
        for ti in self.task_instances(dag_id, run_id):
            lines.append(f"{ti['task_id']}[{ti['map_index']}] {ti['state']} on {ti['hostname']}")
            if ti["state"] not in ("success", None):
                for log in sorted(p for d in self.worker_dirs
                                  for p in d.glob(f"airflow-home/logs/**/task_id={ti['task_id']}/**/*.log")):
                    lines.append(f"  {log}:\n" + "\n".join(log.read_text(errors="replace")
                                                           .splitlines()[-25:]))
        return "\n".join(lines)


def start_cluster(svc: Services, pg: Postgres, redis: Redis, news: dict[str, str],
                  workers: int = 2) -> Cluster:
    """Migrate, create the admin user, start every component; return once all are ready."""
    api_port = free_port()
    env = airflow_env(pg, redis, api_port, news)
    core = svc.workdir / "core"
    core.mkdir()
    core_env = {**env, "AIRFLOW_HOME": str(core / "airflow-home")}
    _run(svc, "migrate", [AIRFLOW, "db", "migrate"], core_env, core)
    svc.start("scheduler", [AIRFLOW, "scheduler"], core_env, core)
    svc.start("dag-processor", [AIRFLOW, "dag-processor"], core_env, core)
    names, dirs = [], []
    for i in range(1, workers + 1):
        name = f"worker{i}"
        wdir = svc.workdir / name  # its own working directory and Airflow home: no shared disk
        wdir.mkdir()
        wenv = {**env, "AIRFLOW_HOME": str(wdir / "airflow-home"), "NEWSINGEST_WORKER_NAME": name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "support_airflow.worker_hostname"}
        # --skip-serve-logs: the worker log server always binds every interface (0.0.0.0:8793)
        svc.start(name, [AIRFLOW, "celery", "worker", "--concurrency", "1", "--celery-hostname",
                         f"{name}@{HOST}", "--skip-serve-logs", "--without-gossip"], wenv, wdir)
        names.append(name)
        dirs.append(wdir)
    # FAB's roles and permissions are written once, by `users create`; the api-server starts
    # meanwhile and leaves them alone (two writers would race on the same rows).
    svc.start("api-server", [AIRFLOW, "api-server"], {**core_env, "AIRFLOW__FAB__UPDATE_FAB_PERMS": "False"},
              core)
    username, password = "admin", secrets.token_urlsafe(16)
    _run(svc, "users-create", [AIRFLOW, "users", "create", "--username", username, "--password",
                               password, "--role", "Admin", "--email", "admin@example.org",
                               "--firstname", "Ad", "--lastname", "Min"], core_env, core)
    cluster = Cluster(svc, f"http://{HOST}:{api_port}", username, password, names, dirs)
    everything = ("api-server", "scheduler", "dag-processor", *names)
    svc.wait_for("api-server", lambda: http_ok(f"{cluster.api}/api/v2/monitor/health"), 240,
                 watch=everything)
    svc.wait_for("news_ingest parsed by the dag-processor",
                 lambda: cluster.request("GET", "/api/v2/dags/news_ingest")["is_paused"] is False,
                 240, watch=everything)
    for name in names:
        svc.wait_for(f"{name} ready", lambda n=name: f"{n}@{HOST} ready" in svc.tail(n, 400), 240,
                     watch=everything)
    return cluster


def _run(svc: Services, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
    proc = svc.start(name, argv, env, cwd)
    try:
        code = proc.wait(timeout=300)
    except Exception:
        raise ServiceError(f"{' '.join(argv[:3])}: timed out\n{svc.tail(name)}") from None
    if code != 0:
        raise ServiceError(f"{' '.join(argv[:3])} failed ({code}):\n{svc.tail(name)}")
