"""The data root after a run holds data, not leftovers: no empty ``_staging/`` or
``_lock/`` directories, and pruning emptied directories never races a writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import yaml

from newsingest import commit, lease
from newsingest.config import Settings
from newsingest.pipeline import RunContext, run_all
from newsingest.store import Store, run_key

PAGE = ("<!doctype html><html lang='en'><head><title>Oslo opens a harbour tunnel</title></head><body>"
        "<article><h1>Oslo opens a harbour tunnel</h1>"
        + "".join(f"<p>The new tunnel under the Oslo fjord carries {n} thousand cars a day, the city "
                  f"said on Monday, and the ferries will keep running until the spring of 2027.</p>"
                  for n in range(4, 9))
        + "</article></body></html>").encode()


def directories(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir())


def test_a_run_leaves_no_empty_lock_or_staging_directory(tmp_path):
    from support_http import LoopbackServer, Reply

    with LoopbackServer() as site:
        rss = (f"<rss version='2.0'><channel><title>F</title><item><title>Tunnel</title><guid>g1</guid>"
               f"<link>{site.url('/tunnel')}</link></item></channel></rss>").encode()
        site.routes.update({"/rss.xml": Reply(200, rss, {"Content-Type": "application/rss+xml"}),
                            "/tunnel": Reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})})
        registry = tmp_path / "feeds.yaml"
        registry.write_text(yaml.safe_dump({"feeds": [
            {"id": "fjord", "url": site.url("/rss.xml"), "publisher": "Fjord Post", "country": "NO"}]}))
        data = tmp_path / "data"
        s = Settings.from_env({"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(data),
                               "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.01"})
        for run in ("manual__one", "manual__two", "manual__one"):   # a re-run too
            run_all(RunContext(run, "2026-11-24", s))
            dirs = directories(data)
            assert "_lock" not in dirs and "_staging" not in dirs, dirs
            assert "_commits" in dirs and "articles/date=2026-11-24" in dirs, dirs


def test_a_replaced_partition_file_takes_its_emptied_directory_along(tmp_path):
    store = Store(str(tmp_path))
    key = run_key("r")
    for attempt, day in (("a1", "2026-11-23"), ("a2", "2026-11-24")):   # re-run on another date
        commit.start_attempt(store, key, "r", attempt)
        final = f"t/date={day}/part-{key}.parquet"
        store.write_parquet(f"_staging/{key}/out/{final}", pa.table({"x": [1]}))
        commit.commit(store, "r", key, attempt, [(f"_staging/{key}/out/{final}", final)], {})
    assert directories(tmp_path) == ["_commits", "t", "t/date=2026-11-24"]


def test_object_stores_have_nothing_to_prune():
    store = Store("memory://newsingest-prune")
    store.write_bytes("_lock/x.json", b"{}")
    store.remove("_lock/x.json")
    assert store.prune("_lock") == []


def test_pruning_never_races_a_writer_taking_the_lease(tmp_path, monkeypatch):
    """One thread takes and gives back leases (pruning ``_lock/`` each time) while another
    writes into ``_lock/`` and prunes too: no write ever fails because the directory was
    removed between its creation and the file's, and nothing is left behind."""
    store = Store(str(tmp_path))
    errors: list[BaseException] = []
    rounds = 400

    def leases() -> None:
        try:
            for i in range(rounds):
                lease.acquire(store, f"manual__{i}").release()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def writer() -> None:
        try:
            for i in range(rounds):
                store.write_bytes(f"{lease.LOCK_DIR}/zz-{i}.tmpfile", b"x")
                store.remove(f"{lease.LOCK_DIR}/zz-{i}.tmpfile")
                store.prune(lease.LOCK_DIR)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=leases), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert not (tmp_path / lease.LOCK_DIR).exists()
