"""Polling over loopback HTTP: truncated feeds, dropped items and ``force`` are visible in the row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from support_http import LoopbackServer, Reply, guard_connections

from newsingest.config import FeedSpec
from newsingest.feeds import poll_feed
from newsingest.fetch import Fetcher, FetchPolicy

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_connections(monkeypatch)


def fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(allow_private=True, host_interval=0.0, connect_timeout=1.0,
                               read_timeout=2.0, total_timeout=5.0, backoff_base=0.01))


def item(i: int, link: str | None = None) -> bytes:
    link = link or f"https://wire.example.org/2026/11/24/story-{i}.html"
    return (f"<item><title>Story {i}: ministers meet over port strike</title>"
            f"<link>{link}</link><guid isPermaLink=\"false\">wire-{i}</guid>"
            f"<pubDate>Tue, 24 Nov 2026 {i % 24:02d}:00:00 GMT</pubDate>"
            f"<description>Talks resumed on day {i} of the strike.</description></item>"
            ).encode()


def rss(items: list[bytes]) -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            b"<title>Wire</title><link>https://wire.example.org/</link>"
            + b"\n".join(items) + b"</channel></rss>\n")


def poll(body: bytes, headers: dict[str, str] | None = None):
    with LoopbackServer({"/rss": Reply(200, body, headers or {})}) as srv, fetcher() as f:
        return poll_feed(FeedSpec("wire", srv.url("/rss"), "Wire", "GB"), None, f, now=NOW)


def test_feed_cut_inside_the_fourth_of_six_items_is_ok_with_a_warning() -> None:
    whole = rss([item(i) for i in range(1, 7)])
    cut = whole[:whole.index(b"<title>Story 4") + 20]         # a dropped connection
    out = poll(cut)
    assert out.row["status"] == "ok" and out.row["error_kind"] == "truncated_feed"
    assert [e.guid for e in sorted(out.entries, key=lambda e: e.guid)] == ["wire-1", "wire-2", "wire-3"]
    assert out.row["entries"] == 3 and "truncated" in out.row["error"]
    assert out.row["url"] in out.row["error"]
    healthy = poll(whole)
    assert healthy.row["status"] == "ok" and healthy.row["error_kind"] is None
    assert healthy.row["error"] is None and healthy.row["entries"] == 6


def test_feed_cut_inside_the_first_item_is_ok_with_a_warning_and_no_entries() -> None:
    whole = rss([item(i) for i in range(1, 7)])
    out = poll(whole[:whole.index(b"<title>Story 1") + 20])
    assert out.row["status"] == "ok" and out.row["error_kind"] == "truncated_feed"
    assert out.entries == [] and out.row["entries"] == 0
    assert "dropped" not in out.row["error"]      # the cut item is not counted as dropped


def test_feed_with_a_broken_middle_is_recovered_as_malformed() -> None:
    items = [item(i) for i in range(1, 5)]
    items[1] = items[1].replace(b"Talks resumed", b"Talks & <b>resumed")   # bad XML, mid-feed
    out = poll(rss(items))
    assert out.row["status"] == "ok" and out.row["error_kind"] == "malformed_feed"
    assert out.row["entries"] == len(out.entries) >= 3


def test_items_with_non_http_links_are_counted_with_the_reason() -> None:
    bad = ["file:///etc/passwd", "ftp://files.wire.example.org/story.txt",
           "data:text/html;base64,PGgxPkhpPC9oMT4=", "javascript:alert(1)"]
    items = [item(i) for i in range(1, 18)] + [item(100 + n, link) for n, link in enumerate(bad)]
    out = poll(rss(items))
    assert out.row["status"] == "ok" and out.row["entries"] == 17 and len(out.entries) == 17
    assert out.row["error_kind"] == "dropped_entries"
    error = out.row["error"]
    assert "4 of 21 items dropped" in error
    for scheme in ("file:", "ftp:", "data:", "javascript:"):
        assert f"1 with a {scheme} link" in error


def test_item_without_any_link_is_counted() -> None:
    no_link = b"<item><title>Corrections</title><description>A note.</description></item>"
    out = poll(rss([item(1), no_link, item(2)]))
    assert out.row["entries"] == 2 and "1 of 3 items dropped: 1 with no link" in out.row["error"]


def test_force_ignores_conditional_get_validators() -> None:
    seen: list[dict[str, str]] = []
    body = rss([item(i) for i in range(1, 4)])

    def feed(req):
        seen.append({k.lower(): v for k, v in req.headers.items()})
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, body, {"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 06:00:00 GMT"})

    with LoopbackServer({"/rss": feed}) as srv, fetcher() as f:
        spec = FeedSpec("wire", srv.url("/rss"), "Wire", "GB")
        first = poll_feed(spec, None, f, now=NOW)
        second = poll_feed(spec, first.state, f, now=NOW + timedelta(minutes=30))
        forced = poll_feed(spec, second.state, f, now=NOW + timedelta(minutes=60), force=True)
    assert "if-none-match" in seen[1] and second.row["status"] == "not_modified"
    assert "if-none-match" not in seen[2] and "if-modified-since" not in seen[2]
    assert forced.row["http_status"] == 200 and forced.row["status"] == "ok"
    assert len(forced.entries) == 3          # read again; the pipeline keeps only unseen ones
    assert forced.row["not_modified"] is True   # the body itself did not change
