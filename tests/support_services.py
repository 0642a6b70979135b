"""Real servers for the scale-out test, each on a free 127.0.0.1 port in its own process group.

    with Services(workdir) as svc:
        pg = start_postgres(svc)      # Debian's postgresql (initdb + postgres, temp cluster)
        redis = start_redis(svc)      # Debian's redis-server, password required
        s3 = start_s3(svc)            # moto's server mode: a local S3 endpoint
    # leaving the block stops every process group started, also after a failure

Nothing is downloaded, nothing listens beyond loopback, every password is generated.
PostgreSQL refuses to run as root, so as root its cluster belongs to the ``postgres``
user (``runuser``) in a temporary directory of its own.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServiceError(RuntimeError):
    """A service did not start; the message carries the tail of its log."""


class Services:
    """Owns the processes started for a test: logs, liveness, and stopping them all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, tuple[subprocess.Popen, int]] = {}
        self.cleanups: list[Callable[[], None]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None, stop_signal: int = signal.SIGTERM) -> subprocess.Popen:
        """Start ``argv`` in a new session (its own process group), output to logs/<name>.log."""
        with open(self.logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs[name] = (proc, stop_signal)
        return proc

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self, name: str) -> None:
        proc = self.procs[name][0]
        if proc.poll() is not None:
            raise ServiceError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float,
                 watch: tuple[str, ...] = ()) -> None:
        """Poll ``check`` until true; fail early when a watched process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in watch:
                self.alive(name)
            try:
                if check():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.5)
        logs = "\n".join(f"--- {n}\n{self.tail(n)}" for n in watch)
        raise ServiceError(f"{what}: not ready after {timeout:.0f} s\n{logs}")

    def report(self, lines: int = 30) -> str:
        """The tail of every log, for a failure message."""
        return "\n".join(f"--- {name} (exit {p.poll()})\n{self.tail(name, lines)}"
                         for name, (p, _) in self.procs.items())

    def stop(self) -> None:
        """Stop the process groups, last started first: polite signal, then SIGKILL."""
        for proc, sig in reversed(list(self.procs.values())):
            _signal_group(proc, sig)
        deadline = time.monotonic() + 10
        for proc, _ in reversed(list(self.procs.values())):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # children left behind by a clean exit too
            proc.wait()
        self.procs.clear()
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.cleanups.clear()

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group id is the leader's pid (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=3) as resp:
        return 200 <= resp.status < 300


# -- PostgreSQL -------------------------------------------------------------------------
@dataclass(frozen=True)
class Postgres:
    port: int
    user: str
    password: str
    database: str

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@{HOST}:{self.port}/{self.database}"

    @property
    def celery_backend_url(self) -> str:
        return f"db+postgresql://{self.user}:{self.password}@{HOST}:{self.port}/{self.database}"


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL server binaries (``apt-get install postgresql``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise ServiceError("PostgreSQL server not found under /usr/lib/postgresql/*/bin: "
                           "install Debian's postgresql package (.ci/run does)")
    return Path(found[-1]).parent


def start_postgres(svc: Services, database: str = "airflow", user: str = "airflow") -> Postgres:
    """A throw-away cluster: initdb, postgres on 127.0.0.1, one database owned by ``user``."""
    import psycopg2

    bindir = postgres_bin()
    password = secrets.token_urlsafe(18)
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="newsingest-pg-"))  # not under pytest's 0700 tmp dirs
    svc.cleanups.append(lambda: shutil.rmtree(root, ignore_errors=True))
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if run_as:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    pwfile.chmod(0o600)
    data = root / "data"
    init = subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", user,
                           f"--pwfile={pwfile}", "--auth=scram-sha-256", "--no-sync", "-E", "UTF8"],
                          capture_output=True, text=True)
    if init.returncode != 0:
        raise ServiceError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    port = free_port()
    svc.start("postgres", [*run_as, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                           "-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={root}",
                           "-c", "fsync=off", "-c", "max_connections=200"],
              stop_signal=signal.SIGINT)  # SIGINT: fast shutdown

    def connect():
        return psycopg2.connect(host=HOST, port=port, user=user, password=password, dbname="postgres",
                                connect_timeout=3)

    svc.wait_for("PostgreSQL", lambda: connect().close() is None, 60, watch=("postgres",))
    conn = connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
    conn.close()
    conn = psycopg2.connect(host=HOST, port=port, user=user, password=password, dbname=database)
    conn.autocommit = True
    with conn.cursor() as cur:  # PostgreSQL 15+: public is no longer writable by everyone
        cur.execute(f'GRANT ALL ON SCHEMA public TO "{user}"')
    conn.close()
    return Postgres(port, user, password, database)


# -- Redis ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Redis:
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@{HOST}:{self.port}/0"


def start_redis(svc: Services) -> Redis:
    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise ServiceError("redis-server not found: install Debian's redis-server package (.ci/run does)")
    port, password = free_port(), secrets.token_urlsafe(18)
    workdir = svc.workdir / "redis"
    workdir.mkdir(exist_ok=True)
    svc.start("redis", [binary, "--bind", HOST, "--port", str(port), "--requirepass", password,
                        "--save", "", "--appendonly", "no", "--dir", str(workdir)])
    svc.wait_for("Redis", lambda: redis.Redis(host=HOST, port=port, password=password).ping(), 30,
                 watch=("redis",))
    return Redis(port, password)


# -- S3 (moto server mode) ------------------------------------------------------------------
@dataclass(frozen=True)
class S3:
    endpoint: str
    key: str
    secret: str
    region: str = "eu-central-1"  # not us-east-1: s3fs sends it as the bucket's location constraint

    @property
    def storage_options(self) -> dict:
        """s3fs options, as NEWS_STORAGE_OPTIONS takes them."""
        return {"endpoint_url": self.endpoint, "key": self.key, "secret": self.secret,
                "client_kwargs": {"region_name": self.region}}


def start_s3(svc: Services, bucket: str) -> S3:
    """moto's S3 server (accepts any credentials) with ``bucket`` created through s3fs."""
    import s3fs

    port = free_port()
    svc.start("s3", [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)])
    s3 = S3(f"http://{HOST}:{port}", "test-" + secrets.token_hex(6), secrets.token_urlsafe(18))
    svc.wait_for("S3 server", lambda: http_ok(f"{s3.endpoint}/moto-api/"), 60, watch=("s3",))
    s3fs.S3FileSystem(skip_instance_cache=True, **s3.storage_options).mkdir(bucket)
    return s3
