"""End-to-end throughput: the real ``news_ingest`` DAG through Airflow over a large loopback web.

    .venv/bin/python bench/pipeline.py                     # 2,000 pages, 200 hosts, 40 feeds
    .venv/bin/python bench/pipeline.py --pages 5000 --feeds 50
    .venv/bin/python bench/pipeline.py --executor          # LocalExecutor, parallelism 2
    .venv/bin/python bench/pipeline.py --base-port 31000 --now 2026-12-07T23:00:00+00:00 \
        --executor --compare-with /tmp/other-run           # same web as a kept run: tables equal?
    .venv/bin/python bench/pipeline.py --executor --parallelism 1,2 --rounds 2 \
        --pages 5000 --feeds 50 --new 0                    # 1 against 2 slots, alternating rounds
    .venv/bin/python bench/pipeline.py --scheduler --parallelism 1,2   # on a real scheduler

It builds the web of ``bench/newsweb.py`` (every publisher on its own 127.0.0.1 port, pages
of about 60 KB in the demo web's templates, 15% of stories syndicated to a second host),
migrates a fresh SQLite Airflow database in a work directory, and runs
``airflow dags test news_ingest`` in a subprocess twice: the first run ingests every page,
the second only the new entries (``--new`` share of the pages, added to every feed in
between). By default the tasks run one after another inside that process (``dags test``);
``--executor`` passes ``--use-executor`` with ``LocalExecutor`` and ``--parallelism``
worker processes.

The bench's Airflow home gets the project's
``config/airflow_local_settings.py`` (the library preloaded before task processes are
forked, as the Docker image does; ``--no-preload`` leaves it out). ``--compare-with``
checks the first run's published tables against a run kept in another work directory
on the same web (``--base-port`` and ``--now`` make the web the same twice): every
column but the timing ones (fetched/polled times, elapsed, next poll, run id, the HTTP
``Date`` header) must be equal.

``--parallelism 1,2 --rounds 2`` runs each slot count in turn (1, 2, then 2, 1), every
run on a fresh database, api-server and web, and prints the medians and the ratio
against the fewest slots, on the CLI's wall and on the DAG run's own duration (start to
end in the metadata DB: what a long-running scheduler pays per run, without the CLI's
start). ``--scheduler`` runs the DAG as deployed instead: ``airflow scheduler``
(LocalExecutor), ``airflow dag-processor`` and the api-server run throughout, and each run
is triggered (``airflow dags trigger``) and waited for. Before the timed runs a small
``news_digest`` run warms the api-server (a fresh one takes 3-5 s over its first calls;
``--no-warm-up`` keeps that in). Per run the timeline from the metadata DB is printed:
the CLI's start until the run exists, the hand-overs (from the moment a task instance
could start, its upstream done and a worker slot free, to its start), the run's end and
the CLI's exit, and the api-server's slow calls. A fixed CPU loop is timed before and
after each run (the machine's speed; on a shared machine it moves by a third within
minutes), and the comparison also gives the ratio at one CPU speed.

Politeness is set so the web answers as fast as it can, and stated in the output:
``NEWS_HOST_INTERVAL=0``, ``NEWS_PER_HOST_CONCURRENCY=4``, ``NEWS_FETCH_WORKERS=16``,
``NEWS_ALLOW_PRIVATE_NETWORKS=1``, ``NEWS_MAX_ENTRIES_PER_FEED`` at least the entries of
the largest feed. Per task, a listener plugin (``bench/pipeline_probe.py``, loaded only from
the bench's own plugins folder) records wall and CPU seconds of the task's callable and
the peak RSS reached during it; the metadata database gives each task instance's duration
as Airflow saw it. Printed per run: articles (pages ingested) per second of the whole
``airflow dags test`` and projected per day, the same for the tasks' own work only, wall
and CPU per stage, peak memory per stage, Airflow's overhead (the process's wall minus
the tasks' callables), the web's own CPU, and the load average. Checks: every page of the
run is ingested and the syndicated copies are found as duplicates.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from newsweb import LoadWeb  # noqa: E402

from newsingest.store import Store  # noqa: E402
from newsingest.summary import read_table  # noqa: E402

# tag_countries: a task of its own before the geo stage moved into dedup (--compare-with old code).
STAGES = ("plan", "poll", "fetch", "extract", "dedup", "tag_countries", "publish")
DAY = 86_400
GROUPS_PER_SLOT = 2   # fewer task instances to hand over, yet a slot seldom waits on the other


def politeness(args: argparse.Namespace, web: LoadWeb) -> dict[str, str]:
    """The NEWS_* settings of the bench: nothing in the fetcher waits on purpose."""
    largest_feed = max(Counter(web.feed_of(p) for p in web.pages).values())
    return {
        "NEWS_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWS_HOST_INTERVAL": "0",
        "NEWS_PER_HOST_CONCURRENCY": str(args.per_host),
        "NEWS_FETCH_WORKERS": str(args.fetch_workers),
        "NEWS_MAX_ENTRIES_PER_FEED": str(max(200, 2 * largest_feed)),
        "NEWS_FEED_GROUP_SIZE": str(args.group_size),
    }


def airflow_env(work: Path, args: argparse.Namespace) -> dict[str, str]:
    plugins = work / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("pipeline_probe.py"), plugins / "pipeline_probe.py")
    if not args.no_preload:  # the deployment's local settings: the library preloaded before forks
        config = work / "airflow" / "config"
        config.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "config" / "airflow_local_settings.py", config / "airflow_local_settings.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWS_"))}
    env.update({
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": str(args.parallelism),
        # The task supervisor waits up to this long on the finished task's closed sockets
        # before it sees the process gone (Airflow's default 5 s: up to 5 s idle per task).
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": str(args.min_heartbeat_interval),
        "NEWS_DATA_URL": str(work / "data"),
        "NEWS_FEEDS": str(work / "feeds.yaml"),
        "NEWS_BENCH_PROBE": str(work / "probe.jsonl"),
    })
    if args.profile:
        env["NEWS_BENCH_PROFILE"] = str(Path(args.profile).resolve())
    if args.executor:
        port = free_port()
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        })
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def api_server(env: dict[str, str], work: Path):
    """The api-server LocalExecutor's task processes report to (Airflow 3's execution API)."""
    log = open(work / "api-server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "airflow"), "api-server"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        health = env["AIRFLOW__API__BASE_URL"] + "/api/v2/monitor/health"
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"api-server exited ({proc.returncode}): see {work / 'api-server.log'}")
            try:
                with urllib.request.urlopen(health, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("api-server did not answer within 240 s") from None
                time.sleep(1)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@contextlib.contextmanager
def daemons(env: dict[str, str], work: Path, commands: list[str]):
    """Long-running Airflow commands (``scheduler``, ``dag-processor``) for --scheduler; their pids."""
    procs, logs = [], []
    try:
        for name in commands:
            logs.append(open(work / f"{name}.log", "wb"))  # noqa: SIM115 - closed below
            procs.append(subprocess.Popen([str(ROOT / ".venv" / "bin" / "airflow"), name], env=env,
                                          stdout=logs[-1], stderr=subprocess.STDOUT,
                                          start_new_session=True))
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in logs:
            log.close()


def _db_value(work: Path, sql: str, params: tuple = ()):  # noqa: ANN202 - one cell or None
    con = sqlite3.connect(work / "airflow" / "airflow.db", timeout=30)
    try:
        row = con.execute(sql, params).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def run_scheduled(env: dict[str, str], work: Path, label: str, pids: list[int],
                  api_pid: int | None) -> dict:
    """One run triggered on a long-running scheduler: wall from the trigger to the run's end."""
    airflow = str(ROOT / ".venv" / "bin" / "airflow")
    _wait_serialized(work, "news_ingest")
    subprocess.run([airflow, "dags", "unpause", "news_ingest"], env=env, capture_output=True, check=True)
    log = work / f"dag-{label}.log"
    load_before = os.getloadavg()[0]
    cpu0, api0 = sum(tree_cpu(pid, True) for pid in pids), tree_cpu(api_pid)
    web0, t0, wall0 = time.process_time(), time.time(), time.perf_counter()
    with open(log, "wb") as out:
        subprocess.run([airflow, "dags", "trigger", "news_ingest"], env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)
    state = _wait_run(work, "news_ingest", 3600)
    wall = time.perf_counter() - wall0
    return {"label": label, "code": 0 if state == "success" else 1, "wall_s": wall,
            "cpu_s": sum(tree_cpu(pid, True) for pid in pids) - cpu0,
            "web_cpu_s": time.process_time() - web0, "api_cpu_s": tree_cpu(api_pid) - api0,
            "started": t0,
            "log": str(log), "load": (load_before, os.getloadavg()[0])}


def warm_up(env: dict[str, str], work: Path, scheduler: bool) -> float:
    """One small run of ``news_digest`` before the timed runs; its wall seconds.

    A fresh api-server answers its first task-start and state calls in 3-5 s instead of
    0.02-0.1 s (lazy imports and caches of its worker); a deployment's api-server runs for
    days, so the timed runs should not pay that. The digest runs on an empty data root of
    its own (``dags test``) or reads the still empty one (``--scheduler``)."""
    airflow = str(ROOT / ".venv" / "bin" / "airflow")
    t = time.perf_counter()
    with open(work / "warm-up.log", "wb") as out:
        if not scheduler:
            subprocess.run([airflow, "dags", "test", "news_digest", "--use-executor"], check=True,
                           env={**env, "NEWS_DATA_URL": str(work / "warm-up-data")},
                           stdout=out, stderr=subprocess.STDOUT)
            return time.perf_counter() - t
        _wait_serialized(work, "news_digest")
        for cmd in (["dags", "unpause", "news_digest"], ["dags", "trigger", "news_digest"]):
            subprocess.run([airflow, *cmd], env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
        _wait_run(work, "news_digest", 600)
        subprocess.run([airflow, "dags", "pause", "news_digest"], env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t


def _wait_serialized(work: Path, dag_id: str) -> None:
    deadline = time.monotonic() + 300
    while not _db_value(work, "SELECT COUNT(*) FROM serialized_dag WHERE dag_id = ?", (dag_id,)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the dag-processor did not serialize {dag_id} in 300 s: see {work}")
        time.sleep(0.5)


def _wait_run(work: Path, dag_id: str, timeout: float) -> str:
    """Wait for the newest run of ``dag_id`` to finish; its state."""
    deadline, state = time.monotonic() + timeout, None
    while state not in ("success", "failed"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the triggered {dag_id} run did not finish in {timeout:.0f} s")
        time.sleep(0.2)
        state = _db_value(work, "SELECT state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
                          (dag_id,))
    return state


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int | None, reaped: bool = False) -> float:
    """CPU seconds so far of a process and its live children (the api-server and its workers);
    ``reaped``: also of their children that have exited (the scheduler's task processes)."""
    if pid is None:
        return 0.0
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + (t.children_user + t.children_system if reaped else 0.0)
        except psutil.Error:
            pass
    return total


def run_dag(env: dict[str, str], work: Path, label: str, executor: bool,
            api_pid: int | None = None) -> dict:
    """One ``airflow dags test news_ingest`` in a subprocess: wall, CPU, load, exit code."""
    cmd = [str(ROOT / ".venv" / "bin" / "airflow"), "dags", "test", "news_ingest"]
    if executor:
        cmd.append("--use-executor")
    log = work / f"dag-{label}.log"
    load_before = os.getloadavg()[0]
    api0 = tree_cpu(api_pid)
    cpu0, web0, t0, wall0 = children_cpu(), time.process_time(), time.time(), time.perf_counter()
    with open(log, "wb") as out:
        code = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.perf_counter() - wall0
    return {"label": label, "code": code, "wall_s": wall, "cpu_s": children_cpu() - cpu0,
            "web_cpu_s": time.process_time() - web0, "api_cpu_s": tree_cpu(api_pid) - api0,
            "started": t0, "log": str(log),
            "load": (load_before, os.getloadavg()[0])}


def probe_rows(work: Path, since: float) -> list[dict]:
    path = work / "probe.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["end"] >= since]


def db_durations(work: Path, run_id: str) -> dict[str, float]:
    """Sum of task-instance durations per task, as Airflow's metadata DB has them."""
    con = sqlite3.connect(work / "airflow" / "airflow.db")
    try:
        rows = con.execute("SELECT task_id, duration FROM task_instance "
                           "WHERE dag_id = 'news_ingest' AND run_id = ?",
                           (run_id,)).fetchall()
    finally:
        con.close()
    out: dict[str, float] = defaultdict(float)
    for task_id, duration in rows:
        out[task_id] += duration or 0.0
    return dict(out)


def _epoch(value: str | None) -> float | None:
    """A metadata-DB timestamp (SQLite text in UTC) as epoch seconds."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp()


def _ready_at(ti: dict, tis: list[dict], order: list[str], parallel: int) -> float | None:
    """When a task instance could have started: its upstream done and a worker slot free.

    Upstream is the previous stage of the chain (the same map index between mapped
    stages, else every instance of it); a slot is free once fewer than ``parallel``
    other instances run."""
    k = order.index(ti["task_id"])
    if k == 0:
        return None
    up = [u for u in tis if u["task_id"] == order[k - 1]]
    if ti["map_index"] >= 0 and up and up[0]["map_index"] >= 0:
        up = [u for u in up if u["map_index"] == ti["map_index"]]
    others = [o for o in tis if o is not ti]
    busy_ends = [o["end"] for o in others if o["end"] <= ti["start"]
                 and sum(1 for q in others if q["start"] < o["end"] <= q["end"]) >= parallel]
    return max([u["end"] for u in up] + busy_ends, default=None)


def _api_calls(api_log: Path | None, start: float, end: float) -> list[tuple[float, str, float]]:
    """(finished at, method and route, seconds) of the execution-API requests in a window."""
    if api_log is None or not api_log.exists():
        return []
    calls = []
    for line in api_log.read_text("utf-8", "replace").splitlines():
        m = API_REQUEST.search(line)
        if not m:
            continue
        at = dt.datetime.fromisoformat(line[:27].replace("Z", "+00:00")).timestamp()
        if start <= at <= end:
            route = re.sub(r"/[0-9a-f-]{36}", "/{id}", m["path"])
            calls.append((at, f"{m['method']} {route}", int(m["us"]) / 1e6))
    return calls


API_REQUEST = re.compile(r"duration_us=(?P<us>\d+) .*method=(?P<method>\w+) path=(?P<path>\S+)")


def timeline(work: Path, run: dict, parallel: int, api_log: Path | None) -> dict:
    """Where the run's wall time went, from the metadata DB's task-instance and run times.

    ``startup``: the CLI's start until the DAG run exists (process start, DAG parse, run
    creation); ``first_handover``: until the first task instance runs; ``handovers``: per
    task instance, from the moment it could start (upstream done, a slot free) to its start
    (the scheduling loop, queueing, the worker's task process start and its first
    api-server call); ``run_end``: the last task's end until the run is marked done;
    ``exit``: until the CLI has exited."""
    con = sqlite3.connect(work / "airflow" / "airflow.db")
    try:
        rows = con.execute("SELECT task_id, map_index, start_date, end_date FROM task_instance "
                           "WHERE dag_id = 'news_ingest' AND run_id = ? AND start_date IS NOT NULL", (run["run_id"],)).fetchall()
        run_start, run_end = con.execute("SELECT start_date, end_date FROM dag_run "
                                         "WHERE dag_id = 'news_ingest' AND run_id = ?",
                                         (run["run_id"],)).fetchone()
    finally:
        con.close()
    tis = sorted(({"task_id": t, "map_index": m, "start": _epoch(a), "end": _epoch(b)}
                  for t, m, a, b in rows if b), key=lambda r: r["start"])
    if not tis or not run_start or not run_end:
        return {}
    present = {r["task_id"] for r in tis}
    order = [s for s in STAGES if s in present] + sorted(present - set(STAGES))
    handovers = []
    for ti in tis[1:]:
        ready = _ready_at(ti, tis, order, parallel)
        if ready is not None:
            handovers.append(max(0.0, ti["start"] - ready))
    run_start_s, run_end_s = _epoch(run_start), _epoch(run_end)
    cli_end = run["started"] + run["wall_s"]
    busy = sum(r["end"] - r["start"] for r in tis)
    span = max(r["end"] for r in tis) - tis[0]["start"]
    calls = _api_calls(api_log, run_start_s, cli_end)
    starts = [c for c in calls if c[1].endswith("/run")]
    return {
        "startup_s": run_start_s - run["started"],
        "first_handover_s": tis[0]["start"] - run_start_s,
        "handovers": len(handovers), "handovers_s": sum(handovers),
        "handover_median_s": statistics.median(handovers) if handovers else 0.0,
        "handover_max_s": max(handovers, default=0.0),
        "run_end_s": run_end_s - max(r["end"] for r in tis),
        "exit_s": cli_end - run_end_s,
        "dag_run_s": run_end_s - run_start_s,
        "idle_slot_s": parallel * span - busy,
        "first_task_start_call_s": starts[0][2] if starts else None,
        "task_start_call_median_s": statistics.median(c[2] for c in starts[1:]) if len(starts) > 1 else None,
        "slow_api_calls": [(name, round(secs, 2)) for _, name, secs in calls if secs >= 0.5],
    }


def print_timeline(t: dict, ingested: int) -> None:
    if not t:
        print("timeline: the metadata DB has no finished task instances for this run")
        return
    rate = ingested / t["dag_run_s"] if t["dag_run_s"] else 0.0
    print(f"DAG run (start to end in the metadata DB): {t['dag_run_s']:.1f} s -> {rate:.2f} articles/s, "
          f"{rate * DAY:,.0f}/day (a long-running scheduler pays this per run, not the CLI's start)")
    print(f"timeline: CLI start -> run created {t['startup_s']:.1f} s (process start, DAG parse, run "
          f"creation); -> first task starts {t['first_handover_s']:.1f} s; {t['handovers']} hand-overs "
          f"(upstream done and a slot free -> task started) {t['handovers_s']:.1f} s in all, median "
          f"{t['handover_median_s']:.2f} s, max {t['handover_max_s']:.2f} s; last task end -> run done "
          f"{t['run_end_s']:.1f} s; -> CLI exit {t['exit_s']:.1f} s; worker slots idle "
          f"{t['idle_slot_s']:.1f} slot-s between the first start and the last end")
    if t["first_task_start_call_s"] is not None:
        print(f"api-server: the first task-start call took {t['first_task_start_call_s']:.2f} s (a fresh "
              f"api-server's first request: once per api-server start), later ones median "
              f"{t['task_start_call_median_s'] or 0.0:.3f} s; calls of 0.5 s or more: "
              + (", ".join(f"{n} {s} s" for n, s in t["slow_api_calls"]) or "none"))


def outcomes(work: Path, run_id: str) -> dict[str, int]:
    store = Store(str(work / "data"))
    copies = read_table(store, "copies", ["run_id", "outcome", "http_status"])
    articles = read_table(store, "articles", ["run_id"])
    counts: Counter = Counter()
    for row in copies.to_pylist() if copies is not None else []:
        if row["run_id"] == run_id:
            counts["copies"] += 1
            counts[row["outcome"]] += 1
    counts["articles_rows"] = sum(1 for r in (articles.to_pylist() if articles is not None else [])
                                  if r["run_id"] == run_id)
    return dict(counts)


def report(run: dict, rows: list[dict], db: dict[str, float], counts: dict[str, int],
           expected: dict[str, int], parallel: int) -> dict:
    ingested = sum(v for k, v in counts.items() if k in ("story", "duplicate", "joined_existing"))
    work_wall = sum(r["wall_s"] for r in rows)
    print(f"\n== run {run['label']}: {run['run_id']}  (exit {run['code']}, log {run['log']})")
    print(f"load average 1 min: {run['load'][0]:.1f} before, {run['load'][1]:.1f} after")
    print(f"pages expected {expected['pages']} (stories {expected['stories']}, syndicated copies "
          f"{expected['syndicated_copies']}); copies rows {counts.get('copies', 0)}, ingested "
          f"{ingested} (story {counts.get('story', 0)}, duplicate {counts.get('duplicate', 0)}, "
          f"joined_existing {counts.get('joined_existing', 0)}, fetch_error "
          f"{counts.get('fetch_error', 0)}, no_text {counts.get('no_text', 0)}), "
          f"articles rows {counts.get('articles_rows', 0)}")
    rate = ingested / run["wall_s"] if run["wall_s"] else 0.0
    print(f"whole run: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU (Airflow processes), "
          f"api-server {run['api_cpu_s']:.1f} s CPU, web {run['web_cpu_s']:.1f} s CPU -> "
          f"{rate:.2f} articles/s, {rate * DAY:,.0f}/day")
    print(f"{'stage':14s} {'tasks':>5s} {'wall s':>8s} {'CPU s':>8s} {'TI dur s':>9s} "
          f"{'ms/article':>10s} {'peak RSS MB':>11s}")
    by_stage: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_stage[r["task_id"]].append(r)
    stages = {}
    for stage in STAGES:
        sr = by_stage.get(stage, [])
        if not sr and stage not in db:
            continue   # a task this version of the DAG does not have
        wall, cpu = sum(r["wall_s"] for r in sr), sum(r["cpu_s"] for r in sr)
        peak = max((r["peak_rss_mb"] for r in sr), default=0.0)
        per = 1000 * wall / ingested if ingested else math.nan
        stages[stage] = {"tasks": len(sr), "wall_s": wall, "cpu_s": cpu, "ti_s": db.get(stage, 0.0),
                         "peak_rss_mb": peak}
        print(f"{stage:14s} {len(sr):5d} {wall:8.2f} {cpu:8.2f} {db.get(stage, 0.0):9.2f} "
              f"{per:10.1f} {peak:11.0f}")
    ti_total = sum(db.values())
    print(f"{'tasks total':14s} {len(rows):5d} {work_wall:8.2f} {sum(r['cpu_s'] for r in rows):8.2f} "
          f"{ti_total:9.2f}")
    overhead = run["wall_s"] - work_wall / parallel
    work_rate = ingested / (work_wall / parallel) if work_wall else 0.0
    print(f"Airflow overhead: {overhead:.1f} s of {run['wall_s']:.1f} s wall "
          f"({100 * overhead / run['wall_s']:.0f}%: process start, DAG parse, DB, XCom, task "
          f"start-up{'; tasks counted / parallelism' if parallel > 1 else ''}); task instances "
          f"as Airflow timed them: {ti_total:.1f} s, of which outside the callables "
          f"{ti_total - work_wall:.1f} s")
    print(f"tasks' work only: {work_rate:.2f} articles/s, {work_rate * DAY:,.0f}/day")
    print_timeline(run.get("timeline") or {}, ingested)
    return {**run, "ingested": ingested, "counts": counts, "expected": expected,
            "articles_per_s": rate, "articles_per_day": rate * DAY, "stages": stages,
            "overhead_s": overhead, "work_articles_per_s": work_rate}


# Columns that differ between two runs of the same web by their timing alone.
TIMING_COLUMNS = {"fetched_at", "polled_at", "elapsed_ms", "next_poll_at", "run_id"}
TIMING_HEADERS = {"date"}


def _comparable(data: Path, table: str, run_id: str | None) -> list[str]:
    """One published table as sorted JSON lines without its timing columns."""
    tbl = read_table(Store(str(data)), table)
    if tbl is None:
        return []
    out = []
    for row in tbl.to_pylist():
        if run_id is not None and row.get("run_id") != run_id:
            continue
        row = {k: v for k, v in row.items() if k not in TIMING_COLUMNS and k != "date"}
        if "headers" in row:
            row["headers"] = sorted((k, v) for k, v in row["headers"] or []
                                    if k.lower() not in TIMING_HEADERS)
        if isinstance(row.get("body"), bytes):
            row["body"] = row["body"].hex()
        out.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(out)


def compare_tables(data: Path, other: Path, run_id: str) -> list[str]:
    """Differences between this run's tables and those of the first run under ``other``."""
    con = sqlite3.connect(other.parent / "airflow" / "airflow.db")
    try:
        other_run = con.execute("SELECT run_id FROM dag_run WHERE dag_id = 'news_ingest' ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        con.close()
    differences = []
    for table in ("articles", "copies", "feed_polls", "raw_pages"):
        mine, theirs = _comparable(data, table, run_id), _comparable(other, table, other_run)
        if mine != theirs:
            only_mine = len(set(mine) - set(theirs))
            differences.append(f"{table}: {len(mine)} rows here, {len(theirs)} there, "
                               f"{only_mine} rows only here, e.g. "
                               f"{next(iter(sorted(set(mine) - set(theirs))), '')[:300]}")
        else:
            print(f"  {table}: {len(mine)} rows, identical")
    return differences


def latest_run_id(work: Path, since: float) -> str:
    rows = probe_rows(work, since)
    if rows:
        return rows[-1]["run_id"]
    con = sqlite3.connect(work / "airflow" / "airflow.db")
    try:
        return con.execute("SELECT run_id FROM dag_run WHERE dag_id = 'news_ingest' "
                           "ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages of the first run")
    parser.add_argument("--hosts", type=int, default=200, help="publisher hosts (loopback ports)")
    parser.add_argument("--feeds", type=int, default=40, help="feeds in the registry")
    parser.add_argument("--new", type=float, default=0.1,
                        help="second run: new pages as a share of --pages (0: no second run)")
    parser.add_argument("--page-kb", type=int, default=60, help="article page weight in KB")
    parser.add_argument("--group-size", type=int, default=0,
                        help="NEWS_FEED_GROUP_SIZE (default: two groups per worker slot of the "
                             "most slots run, the README's sizing rule)")
    parser.add_argument("--per-host", type=int, default=4, help="NEWS_PER_HOST_CONCURRENCY")
    parser.add_argument("--fetch-workers", type=int, default=16, help="NEWS_FETCH_WORKERS")
    parser.add_argument("--executor", action="store_true",
                        help="LocalExecutor (dags test --use-executor) instead of in-process tasks")
    parser.add_argument("--parallelism", type=_slot_list, default=[2],
                        help="LocalExecutor worker slots; a list (1,2) runs each in turn and "
                             "prints the ratio of their medians")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds over the --parallelism list, every other one in reverse "
                             "order (1,2 then 2,1); each run on a fresh database and web")
    parser.add_argument("--scheduler", action="store_true",
                        help="runs triggered on a long-running `airflow scheduler` (LocalExecutor) "
                             "with a dag-processor and an api-server, as deployed, instead of "
                             "`airflow dags test --use-executor`")
    parser.add_argument("--idle-sleep", type=float, default=1.0,
                        help="with --scheduler: [scheduler] scheduler_idle_sleep_time, seconds "
                             "(Airflow's default 1)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="without the news_digest run that warms a fresh api-server before "
                             "the timed runs (its first calls take 3-5 s)")
    parser.add_argument("--workdir", help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", help="also write the figures as JSON here")
    parser.add_argument("--base-port", type=int, default=0,
                        help="publishers on ports base..base+hosts-1 (default: any free ports)")
    parser.add_argument("--now", help="the web's clock, ISO 8601 UTC (default: now); with "
                                      "--base-port, two runs see the same web")
    parser.add_argument("--compare-with", metavar="WORKDIR",
                        help="check the first run's tables equal those of a run kept in WORKDIR "
                             "(--keep or --workdir) on the same web (--base-port, --now)")
    parser.add_argument("--min-heartbeat-interval", type=int, default=1,
                        help="[workers] min_heartbeat_interval, seconds (Airflow's default: 5)")
    parser.add_argument("--no-preload", action="store_true",
                        help="without config/airflow_local_settings.py (tasks import the library "
                             "themselves)")
    parser.add_argument("--profile", help="write a cProfile file of each task's callable into this folder")
    args = parser.parse_args(argv)
    args.executor = args.executor or args.scheduler
    if args.group_size <= 0:   # two groups per slot, the same for every slot count compared
        slots = max(args.parallelism) if args.executor else 1
        args.group_size = max(1, math.ceil(args.feeds / (GROUPS_PER_SLOT * slots)))
    if len(args.parallelism) == 1 and args.rounds == 1:
        args.parallelism = args.parallelism[0]
        return bench_once(args)[0]
    if not args.executor:
        parser.error("a list of --parallelism or --rounds needs --executor")
    if args.compare_with:
        parser.error("--compare-with takes one run: a single --parallelism and --rounds 1")
    runs: list[tuple[int, dict]] = []
    for r in range(args.rounds):
        for slots in (args.parallelism if r % 2 == 0 else args.parallelism[::-1]):
            one = argparse.Namespace(**{**vars(args), "parallelism": slots, "json": None,
                                        "workdir": args.workdir and str(Path(args.workdir) / f"r{r}-p{slots}")})
            print(f"\n##### round {r + 1}, parallelism {slots}")
            code, results = bench_once(one)
            if code:
                return code
            runs.extend((slots, res) for res in results if res["label"] == "first")
    summary = compare_slots(runs)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "summary": summary,
                                               "runs": [res for _, res in runs]}, indent=2,
                                              default=str), "utf-8")
    return 0


def cpu_speed() -> float:
    """CPU seconds of a fixed pure-Python loop (median of 5): the machine's speed right now.

    On a shared machine the same work takes 15-40% more or less CPU from one minute to
    the next (extract: 31-45 s CPU for the same 5,000 pages within ten minutes); the
    probe, taken just before and after a run with nothing else of the bench running,
    lets runs be compared at one speed."""
    times = []
    for _ in range(5):
        t, x = time.process_time(), 0
        for i in range(2_000_000):
            x += i * i
        times.append(time.process_time() - t)
    return statistics.median(times)


def _slot_list(text: str) -> list[int]:
    slots = [int(x) for x in text.split(",") if x.strip()]
    if not slots or min(slots) < 1:
        raise argparse.ArgumentTypeError(f"worker slots must be positive integers, got {text!r}")
    return slots


def compare_slots(runs: list[tuple[int, dict]]) -> dict:
    """Medians per slot count of the first runs, and their ratio against the fewest slots."""
    print("\n== worker slots compared (first runs; CLI wall: the whole `airflow dags test`; "
          "DAG run: start to end in the metadata DB)")
    print(f"{'slots':>5s} {'CLI wall s':>10s} {'DAG run s':>9s} {'articles/s':>10s} "
          f"{'hand-overs s':>12s} {'start-up s':>10s} {'load':>9s} {'CPU probe ms':>12s}")
    for slots, res in runs:
        t = res.get("timeline") or {}
        print(f"{slots:5d} {res['wall_s']:10.1f} {t.get('dag_run_s', math.nan):9.1f} "
              f"{res['articles_per_s']:10.1f} {t.get('handovers_s', math.nan):12.1f} "
              f"{t.get('startup_s', math.nan):10.1f} {res['load'][0]:4.1f}-{res['load'][1]:<4.1f} "
              f"{1000 * res['speed_probe_s']:12.1f}")
    by: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    reference = statistics.median(res["speed_probe_s"] for _, res in runs)
    for slots, res in runs:
        by[slots]["wall"].append(res["wall_s"])
        by[slots]["dag_run"].append((res.get("timeline") or {}).get("dag_run_s", math.nan))
        # At the reference speed: a run on a machine 10% slower than usual counts 10% less.
        by[slots]["dag_run_adj"].append(by[slots]["dag_run"][-1] * reference / res["speed_probe_s"])
    base = min(by)
    summary = {}
    for slots in sorted(by):
        wall, dag_run = statistics.median(by[slots]["wall"]), statistics.median(by[slots]["dag_run"])
        adjusted = statistics.median(by[slots]["dag_run_adj"])
        summary[slots] = {"wall_s": wall, "dag_run_s": dag_run, "dag_run_adjusted_s": adjusted,
                          "speedup_wall": statistics.median(by[base]["wall"]) / wall,
                          "speedup_dag_run": statistics.median(by[base]["dag_run"]) / dag_run,
                          "speedup_dag_run_adjusted": statistics.median(by[base]["dag_run_adj"]) / adjusted}
        print(f"{slots} slot(s): medians CLI wall {wall:.1f} s, DAG run {dag_run:.1f} s "
              f"({adjusted:.1f} s at the median CPU speed); against {base}: "
              f"{summary[slots]['speedup_wall']:.2f}x on CLI wall, "
              f"{summary[slots]['speedup_dag_run']:.2f}x on the DAG run, "
              f"{summary[slots]['speedup_dag_run_adjusted']:.2f}x at one CPU speed")
    return summary


def mode(args: argparse.Namespace) -> str:
    if args.scheduler:
        return (f"airflow scheduler (LocalExecutor, parallelism {args.parallelism}, idle sleep "
                f"{args.idle_sleep} s) + dag-processor + api-server, runs triggered")
    if args.executor:
        return f"airflow dags test --use-executor (LocalExecutor, parallelism {args.parallelism})"
    return "airflow dags test (tasks in-process, one at a time)"


def bench_once(args: argparse.Namespace) -> tuple[int, list[dict]]:
    """One bench: a fresh Airflow database and web, the first run and the new-only run."""
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pipeline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = airflow_env(work, args)
    parallel = args.parallelism if args.executor else 1
    results = []
    try:
        t = time.perf_counter()
        migrate = subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "db", "migrate"], env=env,
                                 capture_output=True, text=True, check=False)
        if migrate.returncode:
            print(migrate.stdout[-3000:], migrate.stderr[-3000:], file=sys.stderr)
            return 1, results
        print(f"airflow db migrate: {time.perf_counter() - t:.1f} s (not counted)")
        t = time.process_time()
        api_pid = None
        with contextlib.ExitStack() as stack:
            if args.executor:
                api_pid = stack.enter_context(api_server(env, work)).pid
            now = dt.datetime.fromisoformat(args.now) if args.now else None
            web = stack.enter_context(LoadWeb(args.pages, args.hosts, args.feeds, page_kb=args.page_kb,
                                              now=now, base_port=args.base_port))
            print(f"web: {args.hosts} hosts, {args.feeds} feeds, {web.expected(1)['pages']} pages "
                  f"(median {web.page_bytes() / 1024:.0f} KB), built in {time.process_time() - t:.1f} s CPU")
            settings = politeness(args, web)
            env.update(settings)
            print("settings: " + " ".join(f"{k}={v}" for k, v in settings.items()) +
                  f"; mode: {mode(args)}"
                  f"; library preloaded before forks: {'no' if args.no_preload else 'yes (config/airflow_local_settings.py)'}"
                  f"; [workers] min_heartbeat_interval {args.min_heartbeat_interval} s")
            web.write_registry(work / "feeds.yaml")
            if args.scheduler:  # started with the settings in their environment
                env.update({"NEWS_SCHEDULE": "none",   # only the bench's triggered runs
                            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": str(args.idle_sleep)})
                pids = stack.enter_context(daemons(env, work, ["scheduler", "dag-processor"]))
            if args.executor and not args.no_warm_up:
                print(f"api-server warmed up by a news_digest run: "
                      f"{warm_up(env, work, args.scheduler):.1f} s (not counted)")
            editions = [("first", 1)] + ([("new-only", 2)] if args.new > 0 else [])
            for label, edition in editions:
                if edition > 1:
                    web.next_edition(max(1, round(args.pages * args.new)))
                    env["NEWS_MAX_ENTRIES_PER_FEED"] = politeness(args, web)["NEWS_MAX_ENTRIES_PER_FEED"]
                speed_before = cpu_speed()
                run = (run_scheduled(env, work, label, pids, api_pid) if args.scheduler
                       else run_dag(env, work, label, args.executor, api_pid))
                run["speed_probe_s"] = (speed_before + cpu_speed()) / 2
                rows = probe_rows(work, run["started"])
                run["run_id"] = latest_run_id(work, run["started"])
                run["timeline"] = timeline(work, run, parallel,
                                           work / "api-server.log" if args.executor else None)
                counts = outcomes(work, run["run_id"])
                results.append(report(run, rows, db_durations(work, run["run_id"]), counts,
                                      web.expected(edition), parallel))
                if run["code"]:
                    print(f"the DAG run failed: see {run['log']}", file=sys.stderr)
                    return 1, results
        failed = [r["label"] for r in results if r["ingested"] != r["expected"]["pages"]]
        if args.compare_with:
            differences = compare_tables(work / "data", Path(args.compare_with) / "data",
                                         results[0]["run_id"])
            print(f"check: first run's tables against {args.compare_with}: "
                  + ("identical (timing columns and run ids aside)" if not differences
                     else "DIFFERENT\n  " + "\n  ".join(differences)))
            if differences:
                failed.append("compare")
        dup_found = results[0]["counts"].get("duplicate", 0) if results else 0
        print(f"\ncheck: every page ingested in {'every run' if not failed else 'no: ' + ', '.join(failed)}; "
              f"first run: {dup_found} duplicates found for {results[0]['expected']['syndicated_copies']} "
              f"syndicated copies")
        if len(results) > 1:
            print(f"median articles/s over the runs: "
                  f"{statistics.median(r['articles_per_s'] for r in results):.2f}")
        if args.json:
            Path(args.json).write_text(json.dumps({"args": vars(args), "settings": settings,
                                                   "runs": results}, indent=2), "utf-8")
        return (0 if not failed else 2), results
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")


if __name__ == "__main__":
    sys.exit(main())
