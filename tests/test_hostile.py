"""The hostile web, on loopback: every case ends within its limit with a clear error.

Servers are real HTTP servers on 127.0.0.1 (free ports). Fetchers allow only the
loopback network (``allow_networks``), so redirects to 10.0.0.1 or 169.254.169.254 are
refused exactly as in production, and a socket spy proves no connection was attempted.
"""

from __future__ import annotations

import gzip
import socket
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import brotli
import pytest
from support_http import LoopbackServer, Reply, Request, guard_connections

from newsingest.config import FeedSpec
from newsingest.feeds import FeedState, poll_feed
from newsingest.fetch import Fetcher, FetchPolicy
from newsingest.polling import RULES, check_every

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
LOOPBACK_ONLY = dict(allow_private=False, allow_networks=("127.0.0.0/8",))
TIGHT = dict(connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, host_interval=0.0,
             retries=1, backoff_base=0.01, max_bytes=1_000_000, **LOOPBACK_ONLY)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().partition(b"\n")[2]


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(FetchPolicy(**{**TIGHT, **overrides}))


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every address any socket tries to connect to; non-loopback ones raise."""
    return guard_connections(monkeypatch)


# --- hostile handlers -----------------------------------------------------------------
def endless(req: Request) -> None:
    req.start_stream(200, {"Content-Type": "application/rss+xml"})
    chunk = b"<item>" + b"x" * 65_000 + b"</item>"
    while True:
        req.wfile.write(chunk)


def dribble(req: Request) -> None:
    """One byte every 0.2 s: never trips the read timeout, must trip the total one."""
    req.start_stream(200, {"Content-Type": "application/rss+xml"})
    for byte in b"<rss version='2.0'>" * 1000:
        req.wfile.write(bytes([byte]))
        req.wfile.flush()
        time.sleep(0.2)


def dribble_headers(req: Request) -> None:
    """Status line, then header bytes one at a time (slowloris in reverse)."""
    req.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for byte in b"X-Slow: " + b"z" * 10_000:
        req.wfile.write(bytes([byte]))
        req.wfile.flush()
        time.sleep(0.2)


def slow_headers(req: Request) -> None:
    time.sleep(3)
    req.send_reply(Reply(200, b"late"))


def truncated(req: Request) -> None:
    req.send_response(200)
    req.send_header("Content-Length", "100000")
    req.end_headers()
    req.wfile.write(b"<rss>only a little")
    req.close_connection = True


def header_flood(req: Request) -> None:
    req.send_response(200)
    for i in range(500):
        req.send_header(f"X-Flood-{i}", "y" * 100)
    req.send_header("Content-Length", "2")
    req.end_headers()
    req.wfile.write(b"ok")


ZEROS = b"\0" * 30_000_000
GZIP_BOMB = gzip.compress(ZEROS, 6)                      # ~30 KB -> 30 MB (30x the cap)
BROTLI_BOMB = brotli.compress(ZEROS, quality=4)          # a few KB -> 30 MB
del ZEROS


def streaming_bomb(req: Request) -> None:
    req.start_stream(200, {"Content-Encoding": "gzip"})
    req.wfile.write(GZIP_BOMB)


HOSTILE = {
    "/gzip-bomb": Reply(200, GZIP_BOMB, {"Content-Encoding": "gzip"}),
    "/br-bomb": Reply(200, BROTLI_BOMB, {"Content-Encoding": "br"}),
    "/stream-bomb": streaming_bomb,
    "/endless": endless,
    "/dribble": dribble,
    "/slow-headers": slow_headers,
    "/dribble-headers": dribble_headers,
    "/truncated": truncated,
    "/header-flood": header_flood,
    "/loop-a": Reply(302, b"", {"Location": "/loop-b"}),
    "/loop-b": Reply(301, b"", {"Location": "/loop-a"}),
    "/to-metadata": Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}),
    "/to-private": Reply(307, b"", {"Location": "http://10.0.0.1/admin"}),
    "/to-private-v6": Reply(302, b"", {"Location": "http://[::ffff:10.0.0.1]/"}),
    "/to-file": Reply(302, b"", {"Location": "file:///etc/passwd"}),
    "/to-localhost-name": Reply(302, b"", {"Location": "http://metadata.internal.test/"}),
    "/429": Reply(429, b"slow down", {"Retry-After": "30"}),
    "/html": Reply(200, fixture("html_page.html"), {"Content-Type": "text/html"}),
    "/empty": Reply(200, b"", {"Content-Type": "application/rss+xml"}),
}


@pytest.fixture(scope="module")
def hostile() -> LoopbackServer:
    with LoopbackServer(HOSTILE) as srv:
        yield srv


# --- size and compression -------------------------------------------------------------
@pytest.mark.parametrize("path", ["/gzip-bomb", "/br-bomb", "/stream-bomb"])
def test_decompression_bombs_stop_at_the_cap(hostile: LoopbackServer, path: str) -> None:
    with fetcher() as f:
        tracemalloc.start()
        started = time.monotonic()
        res = f.fetch(hostile.url(path))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert res.error_kind == "decompression_bomb", res.error
    assert hostile.url(path) in res.error and "1000000 bytes" in res.error
    assert res.body == b"" and elapsed < 2
    assert peak < 8_000_000, peak            # never held much more than the 1 MB cap


def test_endless_body_is_cut_at_the_cap(hostile: LoopbackServer) -> None:
    with fetcher() as f:
        started = time.monotonic()
        res = f.fetch(hostile.url("/endless"))
    assert res.error_kind == "too_large" and "1000000 bytes" in res.error
    assert time.monotonic() - started < 2 and res.body == b""


def test_one_byte_per_second_is_cut_at_the_total_timeout(hostile: LoopbackServer) -> None:
    with fetcher(total_timeout=1.5, read_timeout=1.0) as f:
        started = time.monotonic()
        res = f.fetch(hostile.url("/dribble"))
        elapsed = time.monotonic() - started
    assert res.error_kind == "timeout" and "total timeout of 1.5s" in res.error, res.error
    assert 1.4 <= elapsed <= 2.2, elapsed
    assert res.attempts == 1                   # no time left for a retry


def test_dribbled_headers_are_cut_at_the_total_timeout(hostile: LoopbackServer) -> None:
    with fetcher(total_timeout=1.5, read_timeout=1.0) as f:
        started = time.monotonic()
        res = f.fetch(hostile.url("/dribble-headers"))
        elapsed = time.monotonic() - started
    assert res.error_kind == "timeout" and "total timeout of 1.5s" in res.error, res.error
    assert 1.4 <= elapsed <= 2.2, elapsed


def test_slow_headers_hit_the_read_timeout(hostile: LoopbackServer) -> None:
    with fetcher(read_timeout=0.5, total_timeout=1.5, retries=0) as f:
        started = time.monotonic()
        res = f.fetch(hostile.url("/slow-headers"))
    assert res.error_kind == "timeout" and time.monotonic() - started < 1.3


def test_truncated_body_is_a_connection_error(hostile: LoopbackServer) -> None:
    with fetcher(retries=0) as f:
        res = f.fetch(hostile.url("/truncated"))
    assert res.error_kind == "connection" and "reading the body failed" in res.error


def test_header_flood_is_an_error_not_a_crash(hostile: LoopbackServer) -> None:
    with fetcher(retries=0) as f:
        res = f.fetch(hostile.url("/header-flood"))
    assert not res.ok and res.error_kind in ("connection", "protocol") and res.error


# --- redirects ------------------------------------------------------------------------
def test_redirect_loop(hostile: LoopbackServer) -> None:
    with fetcher() as f:
        res = f.fetch(hostile.url("/loop-a"))
    assert res.error_kind == "redirect_loop" and "redirect loop" in res.error
    assert res.redirects == [hostile.url("/loop-b"), hostile.url("/loop-a")]


@pytest.mark.parametrize("path, reason", [
    ("/to-metadata", "169.254.169.254 is a cloud metadata address"),
    ("/to-private", "10.0.0.1 is a private address"),
    ("/to-private-v6", "private address"),
    ("/to-file", "scheme 'file' is not http or https"),
])
def test_redirects_to_internal_addresses_are_refused_before_connecting(
        hostile: LoopbackServer, connections: list[object], path: str, reason: str) -> None:
    with fetcher() as f:
        started = time.monotonic()
        res = f.fetch(hostile.url(path))
        elapsed = time.monotonic() - started
    assert res.error_kind == "unsafe_url" and reason in res.error, res.error
    assert elapsed < 0.5 and res.attempts == 1           # no connect timeout was waited for
    hosts = {addr[0] for addr in connections if isinstance(addr, tuple)}
    assert hosts <= {"127.0.0.1"}, hosts                  # only the loopback server was reached


def test_redirect_to_name_resolving_inside_is_refused(
        hostile: LoopbackServer, connections: list[object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):  # noqa: ANN001
        if host == "metadata.internal.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with fetcher(allow_private=True, allow_networks=()) as f:   # even with private allowed
        res = f.fetch(hostile.url("/to-localhost-name"))
    assert res.error_kind == "unsafe_url"
    assert "metadata.internal.test -> 169.254.169.254" in res.error
    assert {a[0] for a in connections if isinstance(a, tuple)} <= {"127.0.0.1"}


def test_loopback_is_refused_when_private_networks_are_not_allowed(
        hostile: LoopbackServer, connections: list[object]) -> None:
    with Fetcher(FetchPolicy(allow_private=False)) as f:
        res = f.fetch(hostile.url("/html"))
    assert res.error_kind == "unsafe_url" and "loopback" in res.error
    assert connections == []


# --- rate limiting --------------------------------------------------------------------
def test_429_retry_after_holds_the_host_back(hostile: LoopbackServer) -> None:
    with LoopbackServer({"/ok": Reply(200, b"fine")}) as other, fetcher() as f:
        res = f.fetch(hostile.url("/429"))
        assert res.error_kind == "rate_limited" and res.retry_after == 30
        assert "429" in res.error
        before = hostile.hits("/html")
        results = f.fetch_many([hostile.url("/html"), other.url("/ok"), hostile.url("/empty")])
        assert [r.error_kind for r in results] == ["rate_limited", None, "rate_limited"]
        assert hostile.hits("/html") == before               # not contacted
        assert results[0].retry_after and results[0].retry_after > 25


def test_503_with_short_retry_after_is_retried() -> None:
    calls = {"n": 0}

    def once_busy(req: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(503, b"busy", {"Retry-After": "1"})
        return Reply(200, b"ok")
    with LoopbackServer({"/f": once_busy}) as srv, fetcher(total_timeout=5.0) as f:
        started = time.monotonic()
        res = f.fetch(srv.url("/f"))
    assert res.ok and res.attempts == 2 and 0.9 <= time.monotonic() - started < 2.5


# --- the rest stays unharmed ----------------------------------------------------------
def test_hostile_urls_do_not_harm_the_good_ones(hostile: LoopbackServer) -> None:
    good = {f"/good{i}": Reply(200, b"<rss>%d</rss>" % i) for i in range(6)}
    with LoopbackServer(good) as srv, fetcher(workers=8, retries=0, total_timeout=1.5) as f:
        urls = [hostile.url(p) for p in ("/endless", "/dribble", "/gzip-bomb", "/loop-a",
                                         "/to-metadata", "/truncated")]
        urls += [srv.url(p) for p in good]
        started = time.monotonic()
        results = f.fetch_many(urls)
        elapsed = time.monotonic() - started
    assert [r.url for r in results] == urls
    assert all(not r.ok and r.error for r in results[:6])
    assert [r.body for r in results[6:]] == [b"<rss>%d</rss>" % i for i in range(6)]
    assert elapsed < 3.0


# --- feeds over the wire: poll_feed ---------------------------------------------------
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
                   f"<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>" for t, link in items)
    return f"<rss version='2.0'><channel><title>x</title>{body}</channel></rss>".encode()


def test_lying_etag_is_caught_by_the_unconditional_check() -> None:
    content = {"body": rss([("first", "http://lie.example/1")])}
    seen_conditional: list[bool] = []

    def liar(req: Request) -> Reply:
        conditional = req.header("If-None-Match") is not None
        seen_conditional.append(conditional)
        if conditional:
            return Reply(304, b"", {"ETag": '"static"'})     # lies once content changed
        return Reply(200, content["body"], {"ETag": '"static"'})
    with LoopbackServer({"/feed": liar}) as srv, fetcher() as f:
        feed = FeedSpec("liar", srv.url("/feed"), "Liar", "US")
        first = poll_feed(feed, None, f, now=NOW)
        assert first.row["status"] == "ok" and len(first.entries) == 1
        content["body"] = rss([("second", "http://lie.example/2"), ("first", "http://lie.example/1")])
        state, caught_at = first.state, None
        for i in range(1, check_every(RULES.trust_initial) + 1):
            out = poll_feed(feed, state, f, now=NOW + timedelta(minutes=15 * i))
            state = out.state
            if out.row["status"] == "ok":
                caught_at = i
                assert [e.title for e in out.entries] == ["second", "first"]
                break
            assert out.row["status"] == "not_modified"
        assert caught_at is not None, "the change was never detected"
        assert state.trust < RULES.trust_use_validators and state.validator_lies == 1
        n = len(seen_conditional)
        poll_feed(feed, state, f, now=NOW + timedelta(hours=5))
        assert seen_conditional[n:] == [False]       # validators no longer trusted


def test_unchanged_body_on_200_is_not_modified() -> None:
    body = rss([("a", "http://same.example/a")])
    with LoopbackServer({"/feed": Reply(200, body, {"ETag": '"changes-every-time"'})}) as srv, \
            fetcher() as f:
        feed = FeedSpec("same", srv.url("/feed"), "Same", "US")
        first = poll_feed(feed, None, f, now=NOW)
        second = poll_feed(feed, first.state, f, now=NOW + timedelta(minutes=5))
    assert first.row["status"] == "ok" and second.row["status"] == "not_modified"
    assert second.entries == [] and second.row["not_modified"] is True


def test_feed_parse_errors_back_off_and_keep_state(hostile: LoopbackServer) -> None:
    with fetcher() as f:
        for path, message in (("/html", "HTML page, not a feed"), ("/empty", "empty body")):
            feed = FeedSpec("bad", hostile.url(path), "Bad", "US")
            prior = FeedState(body_hash="sha256:old", etag='"e"')
            out = poll_feed(feed, prior, f, now=NOW, force=True)
            assert out.row["status"] == "error" and out.row["error_kind"] == "feed_parse"
            assert message in out.row["error"] and out.entries == []
            assert out.state.body_hash == "sha256:old" and out.state.etag == '"e"'
            assert out.state.consecutive_failures == 1
            due = datetime.fromisoformat(out.state.next_poll_at)
            assert NOW + timedelta(minutes=3) < due < NOW + timedelta(minutes=7)


def test_backoff_skips_until_due_and_honours_retry_after(hostile: LoopbackServer) -> None:
    with fetcher() as f:
        feed = FeedSpec("limited", hostile.url("/429"), "Limited", "US")
        out = poll_feed(feed, None, f, now=NOW)
        assert out.row["status"] == "error" and out.row["error_kind"] == "rate_limited"
        due = datetime.fromisoformat(out.state.next_poll_at)
        assert due >= NOW + timedelta(seconds=240)          # base backoff (jittered) >= 30 s
        hits = hostile.hits("/429")
        skipped = poll_feed(feed, out.state, f, now=NOW + timedelta(seconds=10))
        assert skipped.row["status"] == "skipped_backoff" and skipped.state == out.state
        assert hostile.hits("/429") == hits
    # a Retry-After longer than the backoff wins
    with LoopbackServer({"/f": Reply(429, b"", {"Retry-After": "7200"})}) as srv, fetcher() as f:
        out = poll_feed(FeedSpec("x", srv.url("/f"), "X", "US"), FeedState(), f, now=NOW)
        due = datetime.fromisoformat(out.state.next_poll_at)
        assert due >= NOW + timedelta(seconds=7200)
        forced = poll_feed(FeedSpec("x", srv.url("/f"), "X", "US"), out.state, f, now=NOW,
                           force=True)
        assert forced.row["status"] == "error" and forced.state.consecutive_failures == 2


def test_ten_thousand_item_feed_is_capped_newest_first() -> None:
    items = b"".join(
        b"<item><title>t%d</title><link>http://big.example/%d</link><pubDate>%s</pubDate></item>"
        % (i, i, (NOW - timedelta(minutes=10_000 - i)).strftime(
            "%a, %d %b %Y %H:%M:%S GMT").encode())
        for i in range(10_000))
    body = b"<rss version='2.0'><channel><title>big</title>" + items + b"</channel></rss>"
    with LoopbackServer({"/big": Reply(200, gzip.compress(body), {"Content-Encoding": "gzip"})}) \
            as srv, fetcher(max_bytes=5_000_000) as f:
        out = poll_feed(FeedSpec("big", srv.url("/big"), "Big", "US"), None, f, now=NOW,
                        max_entries=200)
    assert out.row["status"] == "ok" and out.row["entries"] == 200 and len(out.entries) == 200
    assert out.entries[0].title == "t9999" and out.entries[-1].title == "t9800"


@pytest.mark.parametrize("name, expect", [
    ("wrong_charset.xml", "Caf\u00e9 owner\u2019s story"),
    ("billion_laughs.xml", "Innocent"),
    ("rss2_relative.xml", "Second story"),
    ("atom_xmlbase.xml", "Second & last"),
    ("rss1_rdf.xml", "Two"),
    ("future_dates.xml", "Undated"),
    ("guids_missing_dup.xml", "Unique guid"),
])
def test_fixture_feeds_over_http(name: str, expect: str) -> None:
    body = fixture(name)
    routes = {"/old/feed": Reply(301, b"", {"Location": "/feeds/current.xml"}),
              "/feeds/current.xml": Reply(200, body, {"Content-Type": "application/xml"})}
    with LoopbackServer(routes) as srv, fetcher() as f:
        started = time.monotonic()
        out = poll_feed(FeedSpec("fx", srv.url("/old/feed"), "Fx", "US"), None, f, now=NOW)
    assert out.row["status"] == "ok", out.row
    assert time.monotonic() - started < 4
    assert expect in [e.title for e in out.entries]
    for entry in out.entries:
        assert entry.link.startswith(("http://", "https://"))
        assert "<script" not in entry.summary and "alert(" not in entry.summary
        assert entry.published_at is None or entry.published_at <= NOW


def test_relative_links_resolve_against_the_final_url() -> None:
    body = b"<rss version='2.0'><channel><title>r</title><item><title>a</title>" \
           b"<link>story.html</link></item></channel></rss>"
    routes = {"/old": Reply(301, b"", {"Location": "/news/feed.xml"}),
              "/news/feed.xml": Reply(200, body)}
    with LoopbackServer(routes) as srv, fetcher() as f:
        out = poll_feed(FeedSpec("r", srv.url("/old"), "R", "US"), None, f, now=NOW)
    assert out.entries[0].link == srv.url("/news/story.html")


def test_304_after_a_change_is_caught_by_last_modified() -> None:
    """A server that answers 304 to any conditional request, though its ETag changes."""
    content = {"body": rss([("first", "http://lm.example/1")]), "etag": '"1"',
               "lm": "Mon, 23 Nov 2026 10:00:00 GMT"}

    def liar(req: Request) -> Reply:
        headers = {"ETag": content["etag"], "Last-Modified": content["lm"]}
        if req.header("If-None-Match"):
            return Reply(304, b"", headers)
        return Reply(200, content["body"], headers)
    with LoopbackServer({"/feed": liar}) as srv, fetcher() as f:
        feed = FeedSpec("lm", srv.url("/feed"), "LM", "US")
        state = poll_feed(feed, None, f, now=NOW).state
        content.update(body=rss([("second", "http://lm.example/2")]), etag='"2"',
                       lm="Tue, 24 Nov 2026 12:30:00 GMT")      # changed at 12:30 ...
        for i in range(1, 10):
            out = poll_feed(feed, state, f, now=NOW + timedelta(hours=1, minutes=15 * i))
            state = out.state                                 # ... but 304s from 13:15 on
            if out.row["status"] == "ok":
                break
        assert out.row["status"] == "ok" and out.entries[0].title == "second"
        assert state.validator_lies == 1 and state.trust < RULES.trust_initial
