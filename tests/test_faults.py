"""Fault injection: a run killed (SIGKILL) at every stage boundary and inside every
write, or hitting a full disk, then run again with the same run id, with a new one, or
with only its publish task retried: the tables and the run state must equal those of
an uninterrupted run (each story once, each copy once, the dedup history intact).

A smaller number of real ``airflow dags test`` processes are killed from outside at
random moments (the last test). Each other run is a real process (``tests/fault_worker.py``, started through a forkserver
that imported the pipeline once) over the demo news web; ``NEWS_FAULT`` names the point
where it dies (:mod:`newsingest.faults`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

from newsingest.dedup import DedupIndex

HERE = Path(__file__).resolve().parent
# Half of the demo web (to keep the matrix fast): two publishers that share stories, a
# small one, and a feed answering HTTP 500.
FEEDS = {"northgate-world", "northgate-business", "daily-ledger-news", "daily-ledger-sport",
         "piedmont-local"}
A, B = "scheduled__2026-11-24T10:00:00+00:00", "scheduled__2026-11-24T10:30:00+00:00"

# (action, point glob): every stage boundary, inside each staged table and state write,
# the commit record, each step of applying it; a full disk in the middle of writes.
KILLS = [
    "stage.plan.end", "stage.poll.start", "stage.poll.end", "stage.fetch.end",
    "stage.extract.end", "stage.dedup.end", "stage.geo.end",
    "write-mid:*/out/articles/*", "write-mid:*/out/copies/*", "write-mid:*/out/feed_polls/*",
    "write-mid:*/raw-*", "write-mid:*/feeds.json", "write-mid:*/site_templates.json",
    "publish.staged", "write-mid:_commits/*", "publish.committed",
    "apply.moved:articles/*", "apply.moved:raw_pages/*", "apply.moved:state/feeds.json",
    "publish.applied", "stage.publish.end",
]
DISK_FULL = ["write-mid:*/out/copies/*", "write-mid:*/raw-*", "write-mid:_commits/*",
             "write-mid:*/dedup_index.bin"]
CELLS = [("kill", p) for p in KILLS] + [("enospc", p) for p in DISK_FULL]
# Where rolling back and rolling forward differ: also the other order of re-runs.
BOTH_ORDERS = [c for c in CELLS if c[1] in (
    "stage.poll.end", "stage.geo.end", "write-mid:*/out/copies/*", "publish.staged",
    "write-mid:_commits/*", "publish.committed", "apply.moved:articles/*",
    "apply.moved:state/feeds.json", "publish.applied")]
# Inside publish, after its inputs are complete: Airflow retries just that task.
PUBLISH_RETRY = [c for c in CELLS if c[1].startswith(("publish.", "apply.", "write-mid:_commits",
                                                       "stage.publish"))]


def rows(data: Path, name: str) -> list[dict]:
    if not (data / name).exists():
        return []
    return ds.dataset(str(data / name), format="parquet", partitioning="hive").to_table().to_pylist()


def snapshot(data: Path) -> dict:
    """What must not depend on crashes: stories, copies, pages, history, seen entries."""
    articles, copies = rows(data, "articles"), rows(data, "copies")
    assert len({a["article_id"] for a in articles}) == len(articles), "an article_id twice"
    assert len({c["copy_id"] for c in copies}) == len(copies), "a copy twice"
    polls = [(p["run_id"], p["feed_id"]) for p in rows(data, "feed_polls")]
    assert len(set(polls)) == len(polls), "a run's feed poll recorded twice"
    index = DedupIndex.from_bytes((data / "state" / "dedup_index.bin").read_bytes())
    store = index._store
    history = sorted((store.doc_id(i), int(store.cols["cluster"][i])) for i in range(len(index)))
    feeds = json.loads((data / "state" / "feeds.json").read_text())["feeds"]
    return {
        "articles": sorted(a["article_id"] for a in articles),
        "copies": sorted((c["copy_id"], c["cluster_id"], c["outcome"]) for c in copies),
        "raw_pages": sorted(p["copy_id"] for p in rows(data, "raw_pages")),
        "history": history,
        "seen": {fid: sorted(v["seen"]) for fid, v in feeds.items()},
    }


def assert_clean(data: Path) -> None:
    leftovers = [str(p.relative_to(data)) for p in data.rglob("*")
                 if p.is_file() and (p.name.startswith(".tmp-") or "_staging" in p.parts
                                     or "_lock" in p.parts)]
    assert not leftovers, leftovers


@pytest.fixture(scope="module")
def web():
    from newsingest_demo.server import DemoWeb

    with DemoWeb() as w:
        yield w


@pytest.fixture(scope="module")
def forkserver():
    """A forkserver that imported the pipeline (it starts as a new interpreter: it finds
    ``fault_worker`` through PYTHONPATH)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), saved) if p)
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["fault_worker"])
    mp.Process(target=print, args=("forkserver ready",)).start()  # start it now, with that path
    yield mp
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


class Runner:
    def __init__(self, mp, web, tmp: Path) -> None:
        self.mp, self.data, self.tmp = mp, tmp / "data", tmp
        registry = tmp / "feeds.yaml"
        registry.write_text(yaml.safe_dump({"feeds": [f for f in web.registry() if f["id"] in FEEDS]}))
        self.env = {"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(self.data),
                    "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.01",
                    "NEWS_LOCK_TTL": "3", "NEWS_LOCK_WAIT": "8"}
        self.n = 0

    def run(self, run_id: str, fault: str | None = None, mode: str = "run") -> tuple[int, dict]:
        import fault_worker

        self.n += 1
        out = self.tmp / f"result-{self.n}.json"
        env = dict(self.env, **({"NEWS_FAULT": fault} if fault else {}))
        proc = self.mp.Process(target=fault_worker.child, args=(env, run_id, mode, str(out)))
        proc.start()
        proc.join(180)
        assert proc.exitcode is not None, "run hung"
        doc = json.loads(out.read_text()) if out.exists() else {}
        return proc.exitcode, doc

    def ok(self, run_id: str, mode: str = "run") -> dict:
        code, doc = self.run(run_id, mode=mode)
        assert code == 0 and doc.get("ok"), doc.get("trace") or doc
        return doc["summary"]


@pytest.fixture(scope="module")
def reference(forkserver, web, tmp_path_factory):
    """An uninterrupted run A, then B over unchanged feeds."""
    r = Runner(forkserver, web, tmp_path_factory.mktemp("reference"))
    first = r.ok(A)
    after_a = snapshot(r.data)
    r.ok(B)
    after_b = snapshot(r.data)
    assert first["stories"] == len(after_a["articles"]) > 20 and len(after_a["copies"]) > first["stories"]
    assert after_b == after_a
    return after_a


def crash(r: Runner, action: str, point: str) -> None:
    code, doc = r.run(A, fault=f"{action}@{point}")
    if action == "kill":
        assert code == -9, f"the fault point {point} was never reached ({code}, {doc})"
    else:
        assert code == 0 and not doc["ok"] and "No space left" in doc["error"], doc


@pytest.mark.parametrize("action,point", CELLS)
def test_crash_then_same_run_then_next_run(forkserver, web, tmp_path, reference, action, point):
    r = Runner(forkserver, web, tmp_path)
    crash(r, action, point)
    r.ok(A)                       # Airflow's retry / "Clear" of the crashed run
    assert snapshot(r.data) == reference
    r.ok(B)                       # the next scheduled run
    assert snapshot(r.data) == reference
    assert_clean(r.data)


@pytest.mark.parametrize("action,point", BOTH_ORDERS)
def test_crash_then_next_run_then_old_run_again(forkserver, web, tmp_path, reference, action, point):
    r = Runner(forkserver, web, tmp_path)
    crash(r, action, point)
    r.ok(B)                       # the next run recovers: rolls A forward or back
    assert snapshot(r.data) == reference
    r.ok(A)                       # re-running the older run never loses or adds rows
    assert snapshot(r.data) == reference
    assert_clean(r.data)


@pytest.mark.parametrize("action,point", PUBLISH_RETRY)
def test_crash_in_publish_then_publish_retried(forkserver, web, tmp_path, reference, action, point):
    r = Runner(forkserver, web, tmp_path)
    crash(r, action, point)
    r.ok(A, mode="publish")       # Airflow retries only the failed publish task
    assert snapshot(r.data) == reference
    r.ok(B)
    assert snapshot(r.data) == reference
    assert_clean(r.data)


def test_a_second_writer_fails_fast_naming_the_first(forkserver, web, tmp_path, reference):
    import fault_worker

    r = Runner(forkserver, web, tmp_path)
    slow = dict(r.env, NEWS_HOST_INTERVAL="0.3")      # keeps run A busy fetching for a while
    first = forkserver.Process(target=fault_worker.child, args=(slow, A, "run", str(tmp_path / "a.json")))
    first.start()
    try:
        deadline = time.monotonic() + 60
        while not list((r.data / "_staging").glob("*/entries-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        r.env["NEWS_LOCK_WAIT"] = "0"
        code, doc = r.run(B)
        assert code == 0 and not doc["ok"], doc
        assert "LockHeld" in doc["error"] and A in doc["error"] and "pid" in doc["error"], doc
        assert first.is_alive(), "run A finished too early for this test"
    finally:
        first.join(120)
    assert first.exitcode == 0 and json.loads((tmp_path / "a.json").read_text())["ok"]
    r.ok(B)
    assert snapshot(r.data) == reference
    assert_clean(r.data)


def test_airflow_dags_test_killed_from_outside_at_random_moments(web, reference, airflow_db, tmp_path):
    """The real ``airflow dags test`` process group SIGKILLed from outside at random
    moments, twice in a row, then one run to the end: the same tables as an
    uninterrupted run. The seed is printed so that a failure can be replayed."""
    seed = int(os.environ.get("NEWS_KILL_SEED") or random.randrange(1 << 30))
    print(f"NEWS_KILL_SEED={seed}")
    rng = random.Random(seed)
    registry = tmp_path / "feeds.yaml"
    registry.write_text(yaml.safe_dump({"feeds": [f for f in web.registry() if f["id"] in FEEDS]}))
    data = tmp_path / "data"
    env = dict(os.environ, NEWS_FEEDS=str(registry), NEWS_DATA_URL=str(data),
               NEWS_ALLOW_PRIVATE_NETWORKS="1", NEWS_HOST_INTERVAL="0.01", NEWS_FEED_GROUP_SIZE="2",
               NEWS_LOCK_TTL="5", NEWS_LOCK_WAIT="30")
    env.pop("NEWS_FAULT", None)
    airflow = str(Path(sys.executable).with_name("airflow"))
    log = tmp_path / "airflow.log"
    outcomes = []
    for i, delay in enumerate([rng.uniform(4, 40), rng.uniform(4, 40), None]):
        start = log.stat().st_size if log.exists() else 0
        with log.open("a") as out:
            proc = subprocess.Popen([airflow, "dags", "test", "news_ingest",
                                     f"2026-11-24T1{i}:00:00+00:00"], env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc.wait(timeout=delay or 600)
                outcomes.append(("finished", proc.returncode))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                tasks = re.findall(r"start task task_id=(\w+)", log.read_text()[start:])
                outcomes.append(("killed", round(delay or 0, 1), tasks[-1] if tasks else "before plan"))
    print(outcomes)
    assert outcomes[-1] == ("finished", 0), log.read_text()[-3000:]
    assert snapshot(data) == reference, outcomes
    assert_clean(data)
