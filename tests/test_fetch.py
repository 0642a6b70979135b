"""Fetcher behaviour against well-behaved loopback servers: the normal paths."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone

import brotli
import pytest
from support_http import (LoopbackServer, Reply, Request, free_port, guard_connections,
                          self_signed_cert)

from newsingest.config import Settings
from newsingest.fetch import Fetcher, FetchPolicy, parse_retry_after

FAST = dict(allow_private=True, host_interval=0.0, connect_timeout=1.0, read_timeout=2.0,
            total_timeout=5.0, backoff_base=0.01)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return guard_connections(monkeypatch)


def policy(**overrides: object) -> FetchPolicy:
    return FetchPolicy(**{**FAST, **overrides})


def test_policy_from_settings() -> None:
    s = Settings(user_agent="bot/1.0 (+https://x.example)", max_feed_bytes=12_345, max_page_bytes=4_567,
                 per_host_concurrency=3, host_interval=2.5, fetch_workers=4, fetch_retries=1,
                 respect_robots=False, allow_private_networks=True)
    p = FetchPolicy.from_settings(s)
    assert (p.user_agent, p.max_bytes, p.per_host_concurrency, p.host_interval, p.workers,
            p.retries, p.respect_robots, p.allow_private) == (
        "bot/1.0 (+https://x.example)", 12_345, 3, 2.5, 4, 1, False, True)
    assert FetchPolicy.from_settings(s, max_bytes=s.max_page_bytes).max_bytes == 4_567


def test_simple_get_headers_and_metadata() -> None:
    with LoopbackServer({"/feed": Reply(200, b"<rss/>", {"ETag": '"v1"', "X-Thing": "A"})}) as srv, \
            Fetcher(policy(user_agent="newsingest-test/1 (+mailto:ops@example.org)")) as f:
        res = f.fetch(srv.url("/feed"))
        assert res.ok and res.status == 200 and res.body == b"<rss/>"
        assert res.headers["etag"] == '"v1"' and res.headers["x-thing"] == "A"
        assert res.final_url == srv.url("/feed") and res.redirects == []
        assert res.fetched_at.tzinfo is not None and res.elapsed_ms >= 0
        assert res.not_modified is False and res.error is None and res.error_kind is None
        path, headers = srv.requests[-1]
        assert path == "/feed"
        assert headers["user-agent"] == "newsingest-test/1 (+mailto:ops@example.org)"
        assert headers["host"] == f"127.0.0.1:{srv.port}"
        assert "gzip" in headers["accept-encoding"]


def test_conditional_get_and_304() -> None:
    def handler(req: Request) -> Reply:
        if req.header("If-None-Match") == '"v1"' or req.header("If-Modified-Since"):
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, b"body", {"ETag": '"v1"'})
    with LoopbackServer({"/f": handler}) as srv, Fetcher(policy()) as f:
        res = f.fetch(srv.url("/f"), etag='"v1"')
        assert res.ok and res.not_modified and res.status == 304 and res.body == b""
        res = f.fetch(srv.url("/f"), last_modified="Mon, 23 Nov 2026 10:00:00 GMT")
        assert res.not_modified
        assert f.fetch(srv.url("/f")).body == b"body"


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),       # raw deflate, as some servers send
    ("br", brotli.compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
def test_content_codings_are_decoded(encoding: str, encode) -> None:  # noqa: ANN001
    payload = b"<rss>" + b"news " * 20_000 + b"</rss>"
    with LoopbackServer({"/z": Reply(200, encode(payload), {"Content-Encoding": encoding})}) as srv, \
            Fetcher(policy()) as f:
        res = f.fetch(srv.url("/z"))
        assert res.ok, res.error
        assert res.body == payload


def test_corrupt_gzip_is_a_decoding_error() -> None:
    with LoopbackServer({"/z": Reply(200, b"\x1f\x8bnot really gzip",
                                     {"Content-Encoding": "gzip"})}) as srv, Fetcher(policy()) as f:
        res = f.fetch(srv.url("/z"))
        assert res.error_kind == "decoding" and srv.url("/z") in res.error


def test_relative_redirects_are_followed() -> None:
    routes = {"/old": Reply(301, b"", {"Location": "/mid?x=1"}),
              "/mid": Reply(302, b"", {"Location": "new#frag"}),
              "/new": Reply(200, b"here")}
    with LoopbackServer(routes) as srv, Fetcher(policy()) as f:
        res = f.fetch(srv.url("/old"))
        assert res.ok and res.body == b"here"
        assert res.redirects == [srv.url("/mid?x=1"), srv.url("/new")]
        assert res.final_url == srv.url("/new") and res.url == srv.url("/old")


def test_too_many_redirects() -> None:
    routes = {f"/r{i}": Reply(302, b"", {"Location": f"/r{i + 1}"}) for i in range(10)}
    with LoopbackServer(routes) as srv, Fetcher(policy(max_redirects=3)) as f:
        res = f.fetch(srv.url("/r0"))
        assert res.error_kind == "too_many_redirects" and "more than 3 redirects" in res.error
        assert srv.hits("/r4") == 0


def test_content_length_over_the_cap_is_not_downloaded() -> None:
    with LoopbackServer({"/big": Reply(200, b"x" * 5000)}) as srv, \
            Fetcher(policy(max_bytes=1000)) as f:
        res = f.fetch(srv.url("/big"))
        assert res.error_kind == "too_large" and "Content-Length 5000" in res.error
        assert res.body == b""


def test_client_errors_are_not_retried_server_errors_are() -> None:
    calls = {"n": 0}

    def flaky(req: Request) -> Reply:
        calls["n"] += 1
        return Reply(502) if calls["n"] == 1 else Reply(200, b"ok")
    routes = {"/404": Reply(404, b"nope"), "/503": Reply(503, b"down"), "/flaky": flaky}
    with LoopbackServer(routes) as srv, Fetcher(policy(retries=2)) as f:
        res = f.fetch(srv.url("/404"))
        assert res.error_kind == "http_status" and res.status == 404 and "HTTP 404" in res.error
        assert srv.hits("/404") == 1 and res.attempts == 1
        res = f.fetch(srv.url("/503"))
        assert res.error_kind == "http_status" and res.status == 503
        assert srv.hits("/503") == 3 and res.attempts == 3
        res = f.fetch(srv.url("/flaky"))
        assert res.ok and res.body == b"ok" and res.attempts == 2


def test_connection_refused_is_a_connection_error_and_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}/feed"
    with Fetcher(policy(retries=1, respect_robots=False)) as f:
        res = f.fetch(url)
    assert res.error_kind == "connection" and url in res.error and res.attempts == 2
    assert res.status is None


def test_loopback_refused_without_allow_private() -> None:
    with LoopbackServer({"/f": Reply(200, b"x")}) as srv, \
            Fetcher(policy(allow_private=False)) as f:
        res = f.fetch(srv.url("/f"))
        assert res.error_kind == "unsafe_url" and "loopback" in res.error
        assert srv.requests == []          # nothing reached the server, not even robots.txt


def test_robots_txt_disallow_cache_and_switch() -> None:
    robots = b"User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n"
    routes = {"/robots.txt": Reply(200, robots), "/private/x": Reply(200, b"secret"),
              "/public": Reply(200, b"fine")}
    with LoopbackServer(routes) as srv:
        with Fetcher(policy()) as f:
            res = f.fetch(srv.url("/private/x"))
            assert res.error_kind == "robots_disallowed" and "robots.txt" in res.error
            assert f.fetch(srv.url("/public")).ok
            assert f.fetch(srv.url("/public")).ok
        assert srv.hits("/private/x") == 0 and srv.hits("/robots.txt") == 1
        with Fetcher(policy(respect_robots=False)) as f:
            assert f.fetch(srv.url("/private/x")).ok


@pytest.mark.parametrize("robots_reply, allowed", [
    (Reply(404, b""), True),      # missing robots.txt: allow
    (Reply(403, b""), True),      # RFC 9309: 4xx means no restrictions
    (Reply(500, b""), False),     # 5xx: assume complete disallow for now
])
def test_robots_status_rules(robots_reply: Reply, allowed: bool) -> None:
    with LoopbackServer({"/robots.txt": robots_reply, "/p": Reply(200, b"x")}) as srv, \
            Fetcher(policy()) as f:
        res = f.fetch(srv.url("/p"))
        assert res.ok is allowed, res.error
        assert (srv.hits("/p") == 1) is allowed


def test_robots_for_our_agent_token() -> None:
    robots = b"User-agent: newsingest\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    with LoopbackServer({"/robots.txt": Reply(200, robots), "/p": Reply(200, b"x")}) as srv, \
            Fetcher(policy(user_agent="newsingest/0.1 (+https://x.example)")) as f:
        assert f.fetch(srv.url("/p")).error_kind == "robots_disallowed"


def assert_spaced(arrivals: list[float], t0: float, interval: float) -> None:
    """The k-th request (in order of arrival) arrived no earlier than ``t0 + k * interval``.

    ``t0`` is taken before the first request could start. The host gate never lets a
    request start earlier than that, and a loaded machine only delays requests, so this
    bound holds however busy the machine is; two requests let through in one slot (or no
    spacing at all) break it. A pairwise gap between server-side arrival times would not
    be load-proof: a request delayed on its way shortens the gap to the next one."""
    late = [(k, round(at - t0, 3)) for k, at in enumerate(sorted(arrivals))
            if at - t0 < k * interval - 0.002]
    assert not late, f"requests earlier than {interval} s apart allow (k, seconds after t0): {late}"


def _timed_server(latency: float = 0.0) -> tuple[LoopbackServer, list[float], dict[str, int]]:
    starts: list[float] = []
    live = {"now": 0, "max": 0}
    lock = threading.Lock()

    def handler(req: Request) -> Reply:
        with lock:
            starts.append(time.monotonic())
            live["now"] += 1
            live["max"] = max(live["max"], live["now"])
        time.sleep(latency)
        with lock:
            live["now"] -= 1
        return Reply(200, req.path.encode())
    return LoopbackServer({f"/p{i}": handler for i in range(50)}), starts, live


def test_fetch_many_keeps_order_and_spaces_requests_per_host() -> None:
    srv, starts, _ = _timed_server()
    other_starts: list[float] = []

    def other_handler(req: Request) -> Reply:
        other_starts.append(time.monotonic())
        return Reply(200, b"q" + req.path[2:].encode())
    other = LoopbackServer({f"/q{i}": other_handler for i in range(5)})
    with srv, other, Fetcher(policy(host_interval=0.15, workers=4, respect_robots=False)) as f:
        urls = [srv.url(f"/p{i}") for i in range(5)] + [other.url(f"/q{i}") for i in range(5)]
        urls.insert(3, "ftp://nope.example/")
        t0 = time.monotonic()
        results = f.fetch_many(urls)
    assert [r.url for r in results] == urls
    assert results[3].error_kind == "unsafe_url"
    assert [r.body for r in results if r.ok][:5] == [b"/p%d" % i for i in range(5)]
    assert len(starts) == len(other_starts) == 5
    assert_spaced(starts, t0, 0.15)
    assert_spaced(other_starts, t0, 0.15)
    # The two hosts were served in parallel: the second host's first request did not wait
    # for the first host's last one (served one after the other, all /p would come first).
    assert min(other_starts) < max(starts)


def test_per_host_concurrency_limit() -> None:
    srv, starts, live = _timed_server(latency=0.2)
    with srv, Fetcher(policy(per_host_concurrency=2, workers=8, respect_robots=False)) as f:
        results = f.fetch_many([srv.url(f"/p{i}") for i in range(8)])
    assert all(r.ok for r in results)
    assert live["max"] == 2


def test_fetch_from_many_threads_shares_politeness() -> None:
    srv, starts, _ = _timed_server()
    with srv, Fetcher(policy(host_interval=0.1, respect_robots=False)) as f:
        threads = [threading.Thread(target=f.fetch, args=(srv.url(f"/p{i}"),)) for i in range(4)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(starts) == 4
    assert_spaced(starts, t0, 0.1)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    later = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == pytest.approx(90, abs=1)
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("99999999999") == 7 * 24 * 3600


# --- TLS and address pinning ----------------------------------------------------------
def _fake_dns(monkeypatch: pytest.MonkeyPatch, name: str, rebind: bool) -> dict[str, int]:
    """DNS for ``name``: 127.0.0.1; with ``rebind``, 10.0.0.1 after the first lookup."""
    real = socket.getaddrinfo
    calls = {"n": 0}

    def fake(host, port, *args, **kwargs):  # noqa: ANN001
        if host == name:
            calls["n"] += 1
            addr = "10.0.0.1" if rebind and calls["n"] > 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port))]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


def test_connection_is_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_dns(monkeypatch, "rebind.test", rebind=True)
    connected = guard_connections(monkeypatch)
    with LoopbackServer({"/f": Reply(200, b"pinned")}) as srv, \
            Fetcher(policy(allow_private=False, allow_networks=("127.0.0.0/8",),
                           respect_robots=False)) as f:
        res = f.fetch(srv.url("/f", host="rebind.test"))
        assert res.ok and res.body == b"pinned"
        assert srv.requests[-1][1]["host"] == f"rebind.test:{srv.port}"
    assert calls["n"] == 1                                 # resolved once, by the guard
    assert {a[0] for a in connected if isinstance(a, tuple)} == {"127.0.0.1"}


def test_https_verifies_the_name_while_connecting_to_the_pinned_ip(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    cert, key = self_signed_cert(str(tmp_path), names=("feeds.test",), ips=())
    _fake_dns(monkeypatch, "feeds.test", rebind=False)
    with LoopbackServer({"/f": Reply(200, b"secure")}, tls=(cert, key)) as srv:
        with Fetcher(policy(ca_certs=cert, respect_robots=False, allow_private=False,
                            allow_networks=("127.0.0.0/8",))) as f:
            res = f.fetch(srv.url("/f", host="feeds.test"))
            assert res.ok and res.body == b"secure", res.error
            assert res.final_url == f"https://feeds.test:{srv.port}/f"
        # the same server under an IP the certificate does not name: refused
        with Fetcher(policy(ca_certs=cert, respect_robots=False, retries=0)) as f:
            res = f.fetch(srv.url("/f"))
            assert res.error_kind == "tls" and "127.0.0.1" in res.error
        # an untrusted certificate (default CA bundle): refused
        with Fetcher(policy(respect_robots=False, retries=0)) as f:
            res = f.fetch(srv.url("/f", host="feeds.test"))
            assert res.error_kind == "tls"


def test_fetch_many_spaces_robots_txt_like_any_request() -> None:
    starts: list[tuple[str, float]] = []

    def handler(req: Request) -> Reply:
        starts.append((req.path, time.monotonic()))
        if req.path == "/robots.txt":
            return Reply(200, b"User-agent: *\nDisallow: /no\n")
        return Reply(200, b"page")
    with LoopbackServer(default=handler) as srv, Fetcher(policy(host_interval=0.15)) as f:
        t0 = time.monotonic()
        results = f.fetch_many([srv.url(f"/p{i}") for i in range(4)] + [srv.url("/no")])
    assert [r.error_kind for r in results] == [None] * 4 + ["robots_disallowed"]
    paths = [p for p, _ in sorted(starts, key=lambda s: s[1])]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1 and "/no" not in paths
    assert_spaced([t for _, t in starts], t0, 0.15)


def test_crawl_delay_raises_the_host_interval() -> None:
    starts: list[float] = []

    def handler(req: Request) -> Reply:
        starts.append(time.monotonic())
        if req.path == "/robots.txt":
            return Reply(200, b"User-agent: *\nCrawl-delay: 1\nAllow: /\n")
        return Reply(200, b"page")
    with LoopbackServer(default=handler) as srv, Fetcher(policy(host_interval=0.0)) as f:
        t0 = time.monotonic()
        assert all(r.ok for r in f.fetch_many([srv.url(f"/p{i}") for i in range(2)]))
    assert len(starts) == 3
    assert_spaced(starts, t0, 1.0)    # robots.txt, then 1 s apart (the policy says 0)


def test_oversized_robots_txt_is_parsed_up_to_the_cap() -> None:
    robots = b"User-agent: *\nDisallow: /private/\n" + b"# padding\n" * 60_000   # ~600 KB
    routes = {"/robots.txt": Reply(200, robots), "/private/x": Reply(200, b"no"),
              "/public": Reply(200, b"yes")}
    with LoopbackServer(routes) as srv, Fetcher(policy()) as f:
        assert f.fetch(srv.url("/public")).ok
        assert f.fetch(srv.url("/private/x")).error_kind == "robots_disallowed"
