"""A really full disk: the data root on a small tmpfs mounted by the test.

The fault matrix (``test_faults.py``) raises ENOSPC from a hook; here the kernel does.
The tmpfs is sized from what a run really writes (measured first, with the run killed
at stage boundaries on a roomy tmpfs), so that the run fails while staging its fetched
pages, while staging the table files, while staging the run state, or while renewing
its lease just before the commit. Then the tmpfs grows and the run is redone: the
tables must equal those of an uninterrupted run, as in the matrix, and the failure
must have named the file it could not write. A root with no free space at all, or a
read-only one, must fail in ``plan``, naming the path, before any feed is polled.

Needs root (mount/umount), as in CI; without it the tests fail, saying so.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest
import yaml
from support_http import LoopbackServer, Reply
from test_faults import A, B, Runner, assert_clean, snapshot
from test_faults import forkserver, reference, web  # noqa: F401 - the matrix's fixtures

from newsingest.store import run_key

PAGE = 4096          # tmpfs counts whole pages
ROOMY = "64m"


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode:
        pytest.fail(f"this test mounts a tmpfs as the data root and needs root (as in CI): "
                    f"mount {' '.join(args)} failed: {proc.stderr.strip() or proc.returncode}")


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (mount's syntax: 64k, 8m) mounted at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        for _ in range(20):   # a just-ended run's process may still be closing its files
            if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "--lazy", str(path)], check=True)


def resize(path: Path, size: str, *extra: str) -> None:
    _mount("-o", ",".join(["remount", f"size={size}", *extra]), str(path))


def used(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def pages(n: int) -> str:
    return f"{n // PAGE * PAGE // 1024}k"


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def usage(forkserver, web, tmp_path_factory) -> dict[str, int]:  # noqa: F811
    """Bytes of the tmpfs in use when a run is killed at each point (run A, fresh root)."""
    base = tmp_path_factory.mktemp("usage")
    out = {}
    for i, point in enumerate(["stage.poll.end", "stage.fetch.end", "stage.geo.end", "publish.staged"]):
        (base / f"m{i}").mkdir()
        r = Runner(forkserver, web, base / f"m{i}")
        r.env["NEWS_LOCK_TTL"] = "60"   # as in the cells: no heartbeat writes
        with tmpfs(r.data, ROOMY):
            code, _ = r.run(A, fault=f"kill@{point}")
            assert code == -9, f"{point} never reached"
            out[point] = used(r.data)
    assert out["stage.poll.end"] < out["stage.fetch.end"] < out["stage.geo.end"] < out["publish.staged"], out
    return out


STAGING = re.escape(f"_staging/{run_key(A)}/")
# (cell, tmpfs size from the measured usage, the file the run must fail on)
CELLS = {
    # halfway through the first group's fetched pages
    "pages": (lambda u: (u["stage.poll.end"] + u["stage.fetch.end"]) // 2, STAGING + r"pages-g0\.parquet"),
    # halfway through staging the table files in publish
    "tables": (lambda u: (u["stage.geo.end"] + u["publish.staged"]) // 2,
               STAGING + r"out/(articles|copies|feed_polls|raw_pages)/date=[-\d]+/part-[^/']+\.parquet"),
    # one page short of everything staged: the last staged run state
    "state": (lambda u: u["publish.staged"] - PAGE, STAGING + r"(feeds|site_templates)\.json"),
    # all staged: the lease renewal just before the commit record needs the next page
    # (so a real full disk cannot hit the commit record itself: the hook cell does)
    "lease": (lambda u: u["publish.staged"], r"_lock/[^/']+\.json"),
}


def fill_and_fail(r: Runner, size: int, path_re: str) -> None:
    """Run A on a root of ``size`` bytes: it must fail on a full disk naming the file
    matching ``path_re``, leave no half-written file, and give its lease back."""
    resize(r.data, pages(size))
    code, doc = r.run(A)
    assert code == 0 and not doc["ok"], doc
    assert "No space left on device" in doc["error"], doc
    assert re.search(re.escape(str(r.data)) + "/" + path_re, doc["error"]), doc["error"]
    files = listing(r.data)
    assert not [f for f in files if Path(f).name.startswith(".tmp-")], files
    for f in files:
        if f.endswith(".parquet"):
            pq.read_metadata(r.data / f)   # every Parquet file there is whole
    assert not [f for f in files if f.startswith("_lock/")], files
    assert not [f for f in files if not f.startswith("_staging/")], "a failed run published files"


@pytest.mark.parametrize("cell,order", [(c, "same-then-next") for c in CELLS] + [("tables", "next-then-same")])
def test_full_disk_then_grown_and_rerun(forkserver, web, tmp_path, reference, usage, cell, order):  # noqa: F811
    size_of, path_re = CELLS[cell]
    r = Runner(forkserver, web, tmp_path)
    r.env["NEWS_LOCK_TTL"] = "60"   # no heartbeat write at a random moment: the failing write is known
    with tmpfs(r.data, ROOMY):
        fill_and_fail(r, size_of(usage), path_re)
        resize(r.data, ROOMY)       # space freed
        for run_id in ((A, B) if order == "same-then-next" else (B, A)):
            r.ok(run_id)
            assert snapshot(r.data) == reference
        assert_clean(r.data)


@pytest.fixture
def feed_server():
    """A feed that counts its requests: nothing may be polled on an unwritable root."""
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           b"<item><title>One</title><link>http://127.0.0.1/a</link><guid>a</guid></item>"
           b"</channel></rss>")
    with LoopbackServer({"/feed.xml": Reply(200, rss, {"Content-Type": "application/rss+xml"})}) as srv:
        yield srv


def fails_in_plan(r: Runner, feed_server, run_id: str, strerror: str) -> None:
    """A run over ``feed_server`` fails in plan, naming the root's path, polling nothing
    and changing nothing under the root."""
    registry = r.tmp / "loopback-feeds.yaml"
    registry.write_text(yaml.safe_dump({"feeds": [{
        "id": "loopback", "url": feed_server.url("/feed.xml"), "publisher": "Loopback",
        "country": "GB", "language": "en"}]}))
    before = listing(r.data)
    saved = r.env["NEWS_FEEDS"]
    r.env["NEWS_FEEDS"] = str(registry)
    try:
        code, doc = r.run(run_id)
    finally:
        r.env["NEWS_FEEDS"] = saved
    assert code == 0 and not doc["ok"], doc
    assert doc["error"].startswith("StorageError: data root "), doc["error"]
    assert strerror in doc["error"] and f"{r.data}/_lock" in doc["error"], doc["error"]
    assert "in plan" in doc["trace"] and "poll_group" not in doc["trace"], doc["trace"]
    assert feed_server.requests == [], feed_server.requests
    assert listing(r.data) == before


def test_unwritable_root_fails_in_plan_naming_the_path(forkserver, web, tmp_path, reference, feed_server):  # noqa: F811
    r = Runner(forkserver, web, tmp_path)
    with tmpfs(r.data, "64k"):
        ballast = r.data / "ballast"   # a fresh root with no free space at all
        fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * PAGE)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        assert os.statvfs(r.data).f_bfree == 0
        fails_in_plan(r, feed_server, A, "No space left on device")
        ballast.unlink()
        resize(r.data, ROOMY)
        r.ok(A)
        resize(r.data, ROOMY, "ro")   # a read-only root with data
        fails_in_plan(r, feed_server, B, "Read-only file system")
        resize(r.data, pages(used(r.data)), "rw")   # a full root with data
        assert os.statvfs(r.data).f_bfree == 0
        fails_in_plan(r, feed_server, B, "No space left on device")
        resize(r.data, ROOMY)
        r.ok(B)
        assert snapshot(r.data) == reference
        assert_clean(r.data)
