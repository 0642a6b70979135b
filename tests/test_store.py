"""Storage: atomic writes, per-run file names, idempotent publishing, state snapshots."""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from newsingest import commit, lease
from newsingest.state import FeedStates
from newsingest.store import Store, run_key


def test_run_key_is_safe_and_distinct():
    a, b = run_key("manual__2026-11-24T10:00:00+00:00"), run_key("manual__2026-11-24T10:00:00+01:00")
    assert a != b and "/" not in a and ":" not in a and "+" not in a


def _stage(store: Store, key: str, attempt: str, tables: dict[str, pa.Table]) -> list[tuple[str, str]]:
    commit.start_attempt(store, key, key, attempt)
    files = []
    for name, tbl in tables.items():
        final = f"t/date=2026-11-24/part-{key}{name}.parquet"
        store.write_parquet(f"_staging/{key}/out/{final}", tbl)
        files.append((f"_staging/{key}/out/{final}", final))
    return files


def values(tmp_path) -> list[int]:
    return sorted(ds.dataset(str(tmp_path / "t"), partitioning="hive").to_table()["x"].to_pylist())


def test_a_commit_makes_a_runs_files_visible_and_replaces_its_earlier_commit(tmp_path):
    store = Store(str(tmp_path))
    k1, k2 = run_key("run one"), run_key("run two")
    commit.commit(store, "run one", k1, "a1", _stage(store, k1, "a1", {
        "-g0": pa.table({"x": [1]}), "-g1": pa.table({"x": [2]})}), {"n": 2})
    commit.commit(store, "run two", k2, "a2", _stage(store, k2, "a2", {"": pa.table({"x": [10]})}), {})
    assert values(tmp_path) == [1, 2, 10]
    # Run one again with a single group: its commit replaces both earlier files.
    commit.commit(store, "run one", k1, "a3", _stage(store, k1, "a3", {"-g0": pa.table({"x": [3]})}), {})
    assert values(tmp_path) == [3, 10] and len(store.table_files("t")) == 2
    assert not store.listdir("_staging")
    assert commit.latest_for(store, k1).attempt == "a3" and commit.latest(store).key == k1


def test_recovery_rolls_a_committed_run_forward_and_never_an_uncommitted_one(tmp_path):
    store = Store(str(tmp_path))
    k1, k2 = run_key("r1"), run_key("r2")
    files = _stage(store, k1, "a1", {"": pa.table({"x": [1]})})
    record = commit.Record(1, k1, {"attempt": "a1", "files": [list(f) for f in files], "remove": []})
    store.write_bytes(record.rel, b'{"attempt": "a1", "files": %s, "remove": []}'
                      % str([list(f) for f in files]).replace("'", '"').encode())
    _stage(store, k2, "a2", {"": pa.table({"x": [2]})})   # staged, never committed
    assert not (tmp_path / "t").exists()        # committed, but not applied yet: invisible
    assert commit.recover(store).key == k1
    commit.sweep(store)
    assert values(tmp_path) == [1] and not store.listdir("_staging")
    commit.recover(store)   # idempotent
    assert values(tmp_path) == [1]


class ListingStore(Store):
    """A real local store that records which directories it lists."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.listed: list[str] = []

    def listdir(self, relpath: str) -> list[str]:
        self.listed.append(relpath)
        return super().listdir(relpath)

    def find(self, relpath: str = "") -> list[str]:
        self.listed.append(relpath + "/**")
        return super().find(relpath)


def test_sweep_removes_temporary_files_and_staging_but_not_data(tmp_path):
    store = ListingStore(str(tmp_path))
    store.write_bytes("state/feeds.json", b"{}")
    store.write_bytes("_commits/000000000001-r.json", b"{}")
    store.write_bytes("_staging/r/attempt.json", b"{}")
    (tmp_path / "state" / ".tmp-abc").write_bytes(b"half")
    (tmp_path / "_commits" / ".tmp-def").write_bytes(b"half")
    for day in range(30):   # a year of partitions would be listed by a walk of the root
        (tmp_path / "t" / f"date=2026-11-{day + 1:02d}").mkdir(parents=True)
    assert sorted(commit.sweep(store)) == ["_commits/.tmp-def", "_staging/r", "state/.tmp-abc"]
    assert store.find() == ["_commits/000000000001-r.json", "state/feeds.json"]
    assert not (tmp_path / "_staging").exists()      # emptied: removed too
    store.listed.clear()
    commit.sweep(store)
    assert sorted(store.listed) == ["_commits", "_staging", "state"]   # never the tables


def test_lease_second_writer_fails_naming_the_holder_and_a_dead_one_is_taken_over(tmp_path, monkeypatch):
    store = Store(str(tmp_path))
    first = lease.acquire(store, "manual__first")
    with pytest.raises(lease.LockHeld, match="manual__first.*pid"):
        lease.acquire(store, "manual__second")
    assert store.listdir("_lock") == [first.name]         # the loser withdrew its candidate
    again = lease.acquire(store, "manual__first")          # a retry of the same run
    assert store.listdir("_lock") == [again.name]
    # The holder's process dies while working: taken over at once.
    doc = json.loads(store.read_bytes(again.rel))
    store.write_bytes(again.rel, json.dumps({**doc, "pid": 2 ** 22 + 12345}).encode())
    taker = lease.acquire(store, "manual__second")
    assert store.listdir("_lock") == [taker.name]
    with pytest.raises(lease.LeaseLost, match="manual__second"):
        again.renew()
    # A lease nobody renews expires.
    monkeypatch.setenv("NEWS_LOCK_TTL", "0.5")
    taker.renew(active=False)
    time.sleep(0.6)
    assert lease.stale_reason(json.loads(store.read_bytes(taker.rel))).startswith("its lease expired")
    lease.acquire(store, "manual__third").release()
    assert store.listdir("_lock") == []


def test_lease_waits_for_the_holder_when_asked(tmp_path, monkeypatch):
    store = Store(str(tmp_path))
    monkeypatch.setenv("NEWS_LOCK_TTL", "1")
    monkeypatch.setenv("NEWS_LOCK_WAIT", "5")
    held = lease.acquire(store, "a")
    held.renew(active=False)
    started = time.monotonic()
    lease.acquire(store, "b")        # waits until a's lease expires
    assert 0.5 < time.monotonic() - started < 5


def test_unwritable_root_fails_in_plan_naming_the_path(tmp_path):
    from newsingest.commit import StorageError
    from newsingest.config import Settings
    from newsingest.pipeline import RunContext, plan

    registry = tmp_path / "feeds.yaml"
    registry.write_text("feeds:\n  - id: f\n    url: http://127.0.0.1:9/rss.xml\n"
                        "    publisher: P\n    country: FR\n")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data root's parent should be")
    root = blocker / "data"
    ctx = RunContext("r", "2026-11-24", Settings.from_env({"NEWS_FEEDS": str(registry),
                                                            "NEWS_DATA_URL": str(root)}))
    with pytest.raises(StorageError, match=f"{root}.*_lock"):
        plan(ctx)


def test_direct_publish_replaces_only_this_runs_files(tmp_path):
    store = Store(str(tmp_path))
    k1, k2 = run_key("run one"), run_key("run two")
    store.publish("t", "2026-11-24", k1, [("-g0", pa.table({"x": [1]})), ("-g1", pa.table({"x": [2]}))])
    store.publish("t", "2026-11-24", k2, [("", pa.table({"x": [10]}))])
    store.publish("t", "2026-11-24", k1, [("-g0", pa.table({"x": [3]}))])
    assert len(store.table_files("t")) == 2 and values(tmp_path) == [3, 10]


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    store = Store(str(tmp_path))
    store.write_bytes("state/x.json", b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store.fs, "mv", boom)
    with pytest.raises(OSError):
        store.write_bytes("state/x.json", b"new")
    assert store.read_bytes("state/x.json") == b"old"
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["x.json"]


def test_memory_filesystem_url():
    store = Store("memory://newsingest-test")
    store.write_parquet("a/b.parquet", pa.table({"x": [1, 2]}))
    assert store.read_parquet("a/b.parquet").num_rows == 2


def test_feed_state_rerun_uses_snapshot_before_the_run(tmp_path):
    store = Store(str(tmp_path))
    s0 = FeedStates.load(store, "r1")
    assert s0.is_new("f", "e1")
    s1 = s0.updated({"f": {"etag": "A"}}, {"f": ["e1"]}, "r1")
    s1.commit(store, "r1", s0)
    assert not FeedStates.load(store, "r2").is_new("f", "e1")
    # Re-running r1 starts from the state before r1.
    again = FeedStates.load(store, "r1")
    assert again.is_new("f", "e1") and again.poll_state("f") is None


def test_parquet_writer_streams_row_groups_and_is_atomic(tmp_path):
    store = Store(str(tmp_path))
    schema = pa.schema([("x", pa.int64())])
    with store.parquet_writer("s/ok.parquet", schema) as writer:
        for i in range(3):
            writer.write_table(pa.table({"x": [i, i]}, schema=schema))
    assert store.read_parquet("s/ok.parquet")["x"].to_pylist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(RuntimeError):
        with store.parquet_writer("s/broken.parquet", schema) as writer:
            writer.write_table(pa.table({"x": [1]}, schema=schema))
            raise RuntimeError("crash mid-file")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["ok.parquet"]
