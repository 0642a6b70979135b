"""The commit log stays small: compaction into a checkpoint, and crashes inside it.

Every run adds one record under ``_commits/``; compaction folds the older ones into a
checkpoint that still answers "did this run commit, and was it superseded?" (a re-run
of an old run stays a no-op). A process SIGKILLed at each step of compaction leaves a
log that the next run reads the same way and finishes compacting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from conftest import REPO
from newsingest import commit
from newsingest.store import Store, run_key

KEEP, AT = 3, 5   # small thresholds, so that a dozen commits compact twice


def stage(store: Store, key: str, attempt: str, x: int) -> list[tuple[str, str]]:
    commit.start_attempt(store, key, key, attempt)
    final = f"t/date=2026-11-24/part-{key}.parquet"
    store.write_parquet(f"_staging/{key}/out/{final}", pa.table({"x": [x]}))
    return [(f"_staging/{key}/out/{final}", final)]


def values(root: Path) -> list[int]:
    return sorted(ds.dataset(str(root / "t"), partitioning="hive").to_table()["x"].to_pylist())


def log_files(root: Path) -> tuple[list[str], list[str]]:
    names = sorted(p.name for p in (root / "_commits").iterdir())
    return ([n for n in names if n[0].isdigit()], [n for n in names if n.startswith("checkpoint-")])


def state_of(store: Store, keys: list[str]) -> dict[str, tuple]:
    """What the log says per run: its last commit's seq, attempt and summary."""
    out = {}
    for key in keys:
        rec = commit.latest_for(store, key)
        out[key] = None if rec is None else (rec.seq, rec.attempt, rec.summary)
    return out


@pytest.fixture
def small_log(monkeypatch):
    monkeypatch.setattr(commit, "KEEP_RECORDS", KEEP)
    monkeypatch.setattr(commit, "COMPACT_AT", AT)


def commit_runs(store: Store, runs: list[int], start: int = 0) -> dict[str, tuple]:
    """Commit run ``r<i>`` for each i (a run may repeat: a re-run); returns the expected log."""
    expected: dict[str, tuple] = {}
    for n, i in enumerate(runs, start=start + 1):
        key = run_key(f"r{i}")
        commit.commit(store, f"r{i}", key, f"a{n}", stage(store, key, f"a{n}", i), {"run": i, "n": n})
        expected[key] = (n, f"a{n}", {"run": i, "n": n})
    return expected


def test_the_log_is_compacted_and_still_knows_every_run(tmp_path, small_log):
    store = Store(str(tmp_path))
    runs = [0, 1, 2, 3, 1, 4, 5, 6, 7, 8, 9, 10]          # r1 re-ran while it was the ...
    expected = commit_runs(store, runs)
    records, checkpoints = log_files(tmp_path)
    assert len(records) <= AT and len(checkpoints) == 1, (records, checkpoints)
    assert records[-1].startswith("000000000012-")
    assert state_of(store, list(expected)) == expected     # folded runs included
    assert commit.latest_for(store, run_key("r0")).folded
    assert commit.latest_for(store, run_key("never")) is None
    assert commit.latest(store).key == run_key("r10")
    assert values(tmp_path) == list(range(11))
    # the next commit continues the numbering after the newest record
    more = commit_runs(store, [11], start=12)
    assert more[run_key("r11")][0] == 13 and commit.latest(store).seq == 13


def test_rerunning_a_folded_run_is_a_no_op(tmp_path, small_log, monkeypatch):
    """The pipeline's own decision (plan): an old run whose commit was folded long ago
    keeps its output, and its summary is still returned."""
    from newsingest.config import Settings
    from newsingest.pipeline import RunContext, plan, run_all

    store = Store(str(tmp_path / "data"))
    commit_runs(store, list(range(8)))
    registry = tmp_path / "feeds.yaml"
    registry.write_text("feeds:\n  - id: f\n    url: http://127.0.0.1:9/rss.xml\n"
                        "    publisher: P\n    country: FR\n")
    settings = Settings.from_env({"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(tmp_path / "data")})
    ctx = RunContext("r1", "2026-11-24", settings)
    assert commit.latest_for(store, ctx.key).folded
    before = values(tmp_path / "data")
    assert plan(ctx) == []
    assert run_all(ctx) == {"run": 1, "n": 2}
    assert values(tmp_path / "data") == before
    assert not (tmp_path / "data" / "_lock").exists() and not (tmp_path / "data" / "_staging").exists()


CHILD = """
import sys
from newsingest import commit
from newsingest.store import Store, run_key
commit.KEEP_RECORDS, commit.COMPACT_AT = {keep}, {at}
store = Store(sys.argv[1])
key, attempt = run_key("r{i}"), "a{n}"
commit.start_attempt(store, key, key, attempt)
final = "t/date=2026-11-24/part-" + key + ".parquet"
import pyarrow as pa
store.write_parquet("_staging/" + key + "/out/" + final, pa.table({{"x": [{i}]}}))
commit.commit(store, "r{i}", key, attempt, [("_staging/" + key + "/out/" + final, final)],
              {{"run": {i}, "n": {n}}})
"""

# Every step of a compaction: mid-way through the new checkpoint, after it, after the
# first folded record is deleted, after the last, and at the very end.
POINTS = ["write-mid:_commits/checkpoint-*", "compact.checkpointed", "compact.folded:4",
          "compact.folded:6", "compact.done"]


@pytest.mark.parametrize("point", POINTS)
def test_killed_while_compacting_then_the_next_run_is_consistent(tmp_path, small_log, point):
    store = Store(str(tmp_path))
    runs = list(range(8))   # 8 commits: compacted once (an old checkpoint), the 9th compacts
    expected = commit_runs(store, runs)
    first_checkpoint = log_files(tmp_path)[1]
    assert first_checkpoint, "the set-up must have compacted once already"
    n = len(runs) + 1
    env = {**os.environ, "NEWS_FAULT": f"kill@{point}",
           "PYTHONPATH": os.pathsep.join([str(REPO / "include"), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, "-c", CHILD.format(keep=KEEP, at=AT, i=8, n=n), str(tmp_path)],
                           env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, f"never reached {point}: {child.stderr[-2000:]}"
    expected[run_key("r8")] = (n, f"a{n}", {"run": 8, "n": n})   # committed before compacting

    # What the next run's plan does first, then the same questions as before the crash.
    commit.recover(store)
    commit.sweep(store)
    assert state_of(store, list(expected)) == expected
    assert commit.latest(store).key == run_key("r8")
    assert values(tmp_path) == list(range(9))
    # The next run commits after it and finishes the compaction.
    expected.update(commit_runs(store, [9], start=n))
    records, checkpoints = log_files(tmp_path)
    assert len(records) <= AT and len(checkpoints) == 1, (records, checkpoints)
    assert records[-1].startswith(f"{n + 1:012d}-")
    assert state_of(store, list(expected)) == expected
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_a_full_disk_while_compacting_postpones_it_and_keeps_the_commit(tmp_path, small_log, monkeypatch):
    store = Store(str(tmp_path))
    expected = commit_runs(store, list(range(5)))
    monkeypatch.setenv("NEWS_FAULT", "enospc@write-mid:_commits/checkpoint-*")
    expected.update(commit_runs(store, [5], start=5))     # would compact: the disk is full
    assert log_files(tmp_path)[1] == [] and len(log_files(tmp_path)[0]) == 6
    assert commit.latest(store).key == run_key("r5") and values(tmp_path) == list(range(6))
    monkeypatch.delenv("NEWS_FAULT")
    expected.update(commit_runs(store, [6], start=6))     # space again: folded now
    assert len(log_files(tmp_path)[0]) == KEEP and len(log_files(tmp_path)[1]) == 1
    assert state_of(store, list(expected)) == expected
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_a_checkpoint_entry_has_what_rerun_detection_needs(tmp_path, small_log):
    store = Store(str(tmp_path))
    commit_runs(store, list(range(6)))
    checkpoint = json.loads((tmp_path / "_commits" / log_files(tmp_path)[1][0]).read_text())
    entry = checkpoint["runs"][run_key("r0")]
    assert set(entry) == {"seq", "run_id", "attempt", "committed_at", "summary"}
    assert entry["run_id"] == "r0" and entry["seq"] == 1 and checkpoint["seq"] == 3
