"""Storage: atomic writes, per-run file names, idempotent publishing, state snapshots."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from newsingest.state import FeedStates
from newsingest.store import Store, run_key


def test_run_key_is_safe_and_distinct():
    a, b = run_key("manual__2026-11-24T10:00:00+00:00"), run_key("manual__2026-11-24T10:00:00+01:00")
    assert a != b and "/" not in a and ":" not in a and "+" not in a


def test_publish_replaces_only_this_runs_files(tmp_path):
    store = Store(str(tmp_path))
    k1, k2 = run_key("run one"), run_key("run two")
    store.publish("t", "2026-11-24", k1, [("-g0", pa.table({"x": [1]})), ("-g1", pa.table({"x": [2]}))])
    store.publish("t", "2026-11-24", k2, [("", pa.table({"x": [10]}))])
    # Re-running run one with a single group replaces both of its earlier files.
    store.publish("t", "2026-11-24", k1, [("-g0", pa.table({"x": [3]}))])
    files = store.table_files("t")
    assert len(files) == 2
    values = sorted(ds.dataset(str(tmp_path / "t"), partitioning="hive").to_table()["x"].to_pylist())
    assert values == [3, 10]


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
