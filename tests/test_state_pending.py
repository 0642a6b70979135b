"""Pending pages (failed transiently, retried on later runs) of a feed removed from the
registry are dropped by the next run, and counted in its summary."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from newsingest.config import Settings
from newsingest.pipeline import RunContext, run_all
from newsingest.state import drop_removed_feeds

RSS = {"Content-Type": "application/rss+xml"}


def rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><guid>g-{i}</guid><link>{u}</link></item>"
                    for i, u in enumerate(links))
    return f"<rss version='2.0'><channel><title>F</title>{items}</channel></rss>".encode()


def write_registry(path: Path, feeds: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"feeds": feeds}))


def pending(data: Path) -> dict:
    return json.loads((data / "state" / "feeds.json").read_text())["pending"]


def test_pending_pages_of_a_removed_feed_are_dropped(tmp_path):
    from support_http import LoopbackServer, Reply

    with LoopbackServer() as site:
        site.routes.update({
            "/fjord.xml": Reply(200, rss([site.url("/busy-1"), site.url("/busy-2")]), RSS),
            "/bay.xml": Reply(200, rss([site.url("/busy-3")]), RSS),
            "/busy-1": Reply(503, b"busy"), "/busy-2": Reply(503, b"busy"), "/busy-3": Reply(503, b"busy"),
        })
        fjord = {"id": "fjord", "url": site.url("/fjord.xml"), "publisher": "Fjord Post", "country": "NO"}
        bay = {"id": "bay", "url": site.url("/bay.xml"), "publisher": "Bay Times", "country": "NO"}
        registry, data = tmp_path / "feeds.yaml", tmp_path / "data"
        write_registry(registry, [fjord, bay])
        s = Settings.from_env({"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(data),
                               "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.01",
                               "NEWS_FETCH_RETRIES": "0"})
        first = run_all(RunContext("manual__1", "2026-11-24", s))
        assert first["pages_pending"] == 3 and first["pages_pending_dropped"] == 0
        # A run limited to one feed keeps the other's pending pages: that feed still exists.
        only_bay = run_all(RunContext("manual__2", "2026-11-24", s), feed_ids=["bay"])
        assert only_bay["pages_pending"] == 3 and only_bay["pages_pending_dropped"] == 0
        write_registry(registry, [bay])   # fjord leaves the registry
        second = run_all(RunContext("manual__3", "2026-11-24", s))
        assert second["pages_pending_dropped"] == 2 and second["pages_pending"] == 1, second
        assert [v["entry"]["feed_id"] for v in pending(data).values()] == ["bay"]
        assert site.hits("/busy-1") == 1 and site.hits("/busy-3") == 3
        # Re-running that run starts from the state before it: the same drop, the same result.
        again = run_all(RunContext("manual__3", "2026-11-24", s))
        assert again["pages_pending_dropped"] == 2 and [v["entry"]["feed_id"] for v in pending(data).values()] == ["bay"]


def test_drop_removed_feeds_counts_per_feed_and_keeps_all_without_a_registry():
    items = {"c1": {"entry": {"feed_id": "a"}, "attempts": 1}, "c2": {"entry": {"feed_id": "b"}, "attempts": 2},
             "c3": {"entry": {"feed_id": "b"}, "attempts": 1}}
    kept, dropped = drop_removed_feeds(items, {"a"})
    assert list(kept) == ["c1"] and dropped == {"b": 2}
    assert drop_removed_feeds(items, None) == (items, {})   # staged by an older version: keep
