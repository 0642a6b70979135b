"""A polite, hardened HTTP fetcher for feeds and article pages.

* Every hop (the URL and each redirect target) is checked by :mod:`newsingest.netguard`
  BEFORE any connection; :mod:`newsingest.transport` then connects to the very address
  that was checked (no DNS rebinding), enforces connect/read/TOTAL timeouts and caps the
  body (Content-Length, streaming, decompression bombs).
* The total deadline covers the whole call: robots.txt, redirects and retries.
* Per-host concurrency limit and minimum interval between request starts
  (:mod:`newsingest.hostgate`); Retry-After (429/503) holds the host back; transient
  errors (connection, DNS, timeouts, 502/503/504) are retried with jittered exponential
  backoff, 4xx are not.
* robots.txt honoured (per origin, cached; :mod:`newsingest.robots`), Crawl-delay raises
  the host's interval; an honest, configurable User-Agent.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

from newsingest.config import Settings
from newsingest.errors import HostResolutionError, UnsafeURLError
from newsingest.hostgate import HostGate, HostKey
from newsingest.netguard import Target, resolve_url, split_url
from newsingest.robots import ROBOTS_MAX_BYTES, RobotsCache
from newsingest.transport import REDIRECT_STATUSES, Exchange, Transport, parse_retry_after

RETRY_STATUSES = frozenset({502, 503, 504})
TRANSIENT_KINDS = frozenset({"connection", "timeout", "dns"})
DEFAULT_429_BLOCK = 60.0              # hold a host back this long after a 429 without Retry-After
ROBOTS_TASK = -1                      # fetch_many task ids <= this are robots.txt prefetches
DEFAULT_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml, "
                  "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")


@dataclass(frozen=True)
class FetchPolicy:
    """How to fetch: limits, politeness and safety. Build with :meth:`from_settings`."""

    user_agent: str = Settings.user_agent
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    per_host_concurrency: int = 2
    host_interval: float = 1.0
    workers: int = 8
    retries: int = 2
    respect_robots: bool = True
    allow_private: bool = False
    # extensions (defaults keep the documented behaviour)
    allow_networks: tuple[str, ...] = ()   # CIDRs allowed even when allow_private is False
    max_retry_wait: float = 10.0           # longest Retry-After/backoff slept inside one fetch
    backoff_base: float = 0.5              # first retry waits ~this (x2 per retry, jittered)
    accept: str = DEFAULT_ACCEPT
    ca_certs: str | None = None            # CA bundle for https (None: certifi's bundle)

    @classmethod
    def from_settings(cls, settings: Settings, *, max_bytes: int | None = None) -> "FetchPolicy":
        """Policy from :class:`Settings`; ``max_bytes`` defaults to ``max_feed_bytes``."""
        return cls(
            user_agent=settings.user_agent,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            total_timeout=settings.total_timeout,
            max_bytes=max_bytes if max_bytes is not None else settings.max_feed_bytes,
            max_redirects=settings.max_redirects,
            per_host_concurrency=settings.per_host_concurrency,
            host_interval=settings.host_interval,
            workers=settings.fetch_workers,
            retries=settings.fetch_retries,
            respect_robots=settings.respect_robots,
            allow_private=settings.allow_private_networks,
        )


@dataclass
class FetchResult:
    """The outcome of one fetch; ``error_kind`` is None on success (2xx or 304)."""

    url: str
    final_url: str | None
    status: int | None
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    elapsed_ms: int
    not_modified: bool
    error_kind: str | None
    error: str | None
    redirects: list[str] = field(default_factory=list)
    retry_after: float | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass
class _Ctx:
    deadline: float
    preclaimed: HostKey | None = None   # a gate slot fetch_many already took for this call
    truncate: bool = False              # cut an oversized body at the cap instead of failing


def _strip_fragment(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url            # malformed: netguard refuses it with a clear message
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


class Fetcher:
    """Thread-safe fetcher; share one per run so politeness state is shared."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.gate = HostGate(policy.per_host_concurrency, policy.host_interval)
        self.robots = RobotsCache(self._fetch_robots, policy.user_agent)
        self.transport = Transport(policy)
        self._local = threading.local()

    # --- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public API -------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResult:
        """GET ``url``; never raises for network/HTTP problems (see ``error_kind``)."""
        ctx = _Ctx(deadline=time.monotonic() + self.policy.total_timeout)
        return self._fetch(url, etag, last_modified, ctx)

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]:
        """Fetch ``urls`` concurrently; results in input order.

        Workers take the host whose next politeness slot comes first, so no worker idles
        behind a busy host while another host could be served.
        """
        results: list[FetchResult | None] = [None] * len(urls)
        pending: dict[HostKey, deque[int]] = {}
        for i, url in enumerate(urls):
            try:
                _, host, port = split_url(url)
            except UnsafeURLError:
                results[i] = self.fetch(url)     # refused at once, no network
                continue
            queue = pending.setdefault((host, port), deque())
            if not queue and self.policy.respect_robots and not self.robots.is_cached(url):
                queue.append(ROBOTS_TASK - i)    # robots.txt first, in a slot of its own
            queue.append(i)
        gate = self.gate
        robots_inflight: set[HostKey] = set()   # hosts waiting for their robots.txt

        def next_task() -> tuple[int, HostKey | None, float] | None:
            with gate.cond:
                while pending:
                    best: HostKey | None = None
                    best_at = 0.0
                    now = time.monotonic()
                    for key in pending:
                        if key in robots_inflight:
                            continue                    # rules (Crawl-delay) not known yet
                        if gate.held_back_until(key) - now > self.policy.max_retry_wait:
                            best, best_at = key, -1.0   # held back by Retry-After: fail fast
                            break
                        at = gate.ready_at(key)
                        if gate.has_capacity(key) and (best is None or at < best_at):
                            best, best_at = key, at
                    if best is None:
                        gate.cond.wait(0.5)
                        continue
                    queue = pending[best]
                    idx = queue.popleft()
                    if not queue:
                        del pending[best]
                    if best_at < 0:
                        return idx, None, now
                    if idx <= ROBOTS_TASK:
                        robots_inflight.add(best)
                    return idx, best, gate.claim(best)
                return None

        def worker() -> None:
            while True:
                task = next_task()
                if task is None:
                    return
                idx, key, start = task
                if idx <= ROBOTS_TASK and key is None:
                    continue                     # host held back: no robots.txt request now
                delay = start - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                ctx = _Ctx(deadline=time.monotonic() + self.policy.total_timeout,
                           preclaimed=key)
                try:
                    if idx <= ROBOTS_TASK:
                        try:
                            self._prefetch_robots(urls[ROBOTS_TASK - idx], ctx)
                        finally:
                            with gate.cond:
                                robots_inflight.discard(key)   # type: ignore[arg-type]
                                gate.cond.notify_all()
                        continue
                    results[idx] = self._fetch(urls[idx], None, None, ctx)
                except Exception as exc:  # noqa: BLE001 - never lose a result
                    if ctx.preclaimed is not None:
                        self.gate.release(ctx.preclaimed)
                        ctx.preclaimed = None
                    if idx <= ROBOTS_TASK:
                        continue
                    results[idx] = self._result(urls[idx], datetime.now(timezone.utc),
                                                time.monotonic(), None,
                                                Exchange(error_kind="internal",
                                                     error=f"{urls[idx]}: {exc!r}"), [], 1)

        n = min(max(1, self.policy.workers), sum(len(q) for q in pending.values()))
        if n:
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="fetch") as pool:
                for future in [pool.submit(worker) for _ in range(n)]:
                    future.result()
        return [r if r is not None else self._missing(urls[i]) for i, r in enumerate(results)]

    # --- internals --------------------------------------------------------------------
    def _prefetch_robots(self, url: str, ctx: _Ctx) -> None:
        """Load robots.txt for the origin of ``url`` using the slot fetch_many claimed."""
        try:
            target = resolve_url(url, self.policy.allow_private, self.policy.allow_networks,
                                 timeout=self.policy.connect_timeout)
        except (UnsafeURLError, HostResolutionError):
            return                          # the page fetch will report it
        self._local.ctx = ctx
        try:
            rules = self.robots.rules(url)
            if rules.crawl_delay:
                self.gate.set_interval(target.host_key, rules.crawl_delay)
        finally:
            self._local.ctx = None
            if ctx.preclaimed is not None:
                self.gate.release(ctx.preclaimed)
                ctx.preclaimed = None

    def _missing(self, url: str) -> FetchResult:
        return self._result(url, datetime.now(timezone.utc), time.monotonic(), None,
                            Exchange(error_kind="internal", error=f"{url}: not fetched"), [], 0)

    def _result(self, url: str, fetched_at: datetime, t0: float, final: str | None,
                hop: Exchange, redirects: list[str], attempts: int) -> FetchResult:
        return FetchResult(
            url=url, final_url=final, status=hop.status, headers=hop.headers,
            body=hop.body if hop.error_kind is None or hop.status else b"",
            fetched_at=fetched_at, elapsed_ms=int((time.monotonic() - t0) * 1000),
            not_modified=hop.status == 304 and hop.error_kind is None,
            error_kind=hop.error_kind, error=hop.error, redirects=redirects,
            retry_after=hop.retry_after, attempts=attempts)

    def _fetch(self, url: str, etag: str | None, last_modified: str | None,
               ctx: _Ctx, *, max_bytes: int | None = None, robots: bool | None = None,
               retries: int | None = None) -> FetchResult:
        fetched_at = datetime.now(timezone.utc)
        t0 = time.monotonic()
        retries = self.policy.retries if retries is None else retries
        attempt = 0
        try:
            while True:
                attempt += 1
                final, hop, redirects = self._follow(url, etag, last_modified, ctx,
                                                     max_bytes or self.policy.max_bytes,
                                                     self.policy.respect_robots
                                                     if robots is None else robots)
                if attempt > retries or not self._transient(hop):
                    break
                wait = self.policy.backoff_base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                if hop.retry_after is not None:
                    wait = max(wait, hop.retry_after)
                if wait > self.policy.max_retry_wait or time.monotonic() + wait >= ctx.deadline:
                    break
                time.sleep(wait)
        finally:
            if ctx.preclaimed is not None:       # slot taken but never used
                self.gate.release(ctx.preclaimed)
                ctx.preclaimed = None
        return self._result(url, fetched_at, t0, final, hop, redirects, attempt)

    @staticmethod
    def _transient(hop: Exchange) -> bool:
        if hop.error_kind in TRANSIENT_KINDS:
            return True
        return hop.error_kind == "http_status" and hop.status in RETRY_STATUSES

    def _follow(self, url: str, etag: str | None, last_modified: str | None, ctx: _Ctx,
                max_bytes: int, robots: bool) -> tuple[str | None, Exchange, list[str]]:
        """Follow redirects manually; every hop is checked before connecting."""
        current = _strip_fragment(url) if isinstance(url, str) else url
        seen = {current}
        redirects: list[str] = []
        while True:
            try:
                target = resolve_url(current, self.policy.allow_private, self.policy.allow_networks,
                                     timeout=min(self.policy.connect_timeout,
                                                 max(0.0, ctx.deadline - time.monotonic())))
            except UnsafeURLError as exc:
                why = str(exc) if current == url else f"{url}: redirect refused: {exc}"
                return None, Exchange(error_kind="unsafe_url", error=why), redirects
            except HostResolutionError as exc:
                where = current if current == url else f"{url}: redirect to {current}"
                return None, Exchange(error_kind="dns", error=f"{where}: {exc}"), redirects
            blocked = self.gate.blocked_for(target.host_key)
            if blocked > min(self.policy.max_retry_wait, ctx.deadline - time.monotonic()):
                return None, Exchange(error_kind="rate_limited", retry_after=blocked,
                                  error=f"{current}: host {target.host} asked us to wait "
                                        f"{blocked:.0f}s (Retry-After); not contacted"), redirects
            if robots:
                refusal = self._robots_refusal(current, target, ctx)
                if refusal is not None:
                    return None, refusal, redirects
            hop = self._exchange(target, current, etag, last_modified, ctx, max_bytes)
            location = hop.headers.get("location")
            if hop.error_kind is not None or hop.status not in REDIRECT_STATUSES or not location:
                return current, hop, redirects
            try:
                nxt = _strip_fragment(urljoin(current, location.strip()))
            except ValueError:
                return current, Exchange(status=hop.status, headers=hop.headers,
                                     error_kind="unsafe_url",
                                     error=f"{url}: malformed redirect Location "
                                           f"{location[:200]!r}"), redirects
            redirects.append(nxt)
            if nxt in seen:
                return current, Exchange(status=hop.status, headers=hop.headers,
                                     error_kind="redirect_loop",
                                     error=f"{url}: redirect loop at {nxt} "
                                           f"(after {len(redirects)} redirects)"), redirects
            if len(redirects) > self.policy.max_redirects:
                return current, Exchange(status=hop.status, headers=hop.headers,
                                     error_kind="too_many_redirects",
                                     error=f"{url}: more than {self.policy.max_redirects} "
                                           f"redirects (last to {nxt})"), redirects
            seen.add(nxt)
            current = nxt

    def _robots_refusal(self, url: str, target: Target, ctx: _Ctx) -> Exchange | None:
        self._local.ctx = ctx
        try:
            allowed, rules = self.robots.check(url)
        finally:
            self._local.ctx = None
        if rules.crawl_delay:
            self.gate.set_interval(target.host_key, rules.crawl_delay)
        if allowed:
            return None
        if rules.error_kind:  # the host did not answer: report that, not a robots verdict
            return Exchange(error_kind=rules.error_kind,
                            error=f"{url}: not fetched, robots.txt of {target.host} could not be "
                                  f"read ({rules.reason})")
        return Exchange(error_kind="robots_disallowed",
                    error=f"{url}: disallowed by robots.txt of {target.host} for agent "
                          f"{self.robots.agent!r} ({rules.reason})")

    def _fetch_robots(self, url: str) -> tuple[int | None, bytes, str | None, str | None]:
        ctx = getattr(self._local, "ctx", None) or _Ctx(
            deadline=time.monotonic() + self.policy.total_timeout)
        # RFC 9309: parse at least the first 500 KiB of a larger robots.txt, ignore the rest
        res = self._fetch(url, None, None, _Ctx(deadline=ctx.deadline, preclaimed=ctx.preclaimed,
                                                truncate=True),
                          max_bytes=ROBOTS_MAX_BYTES, robots=False, retries=0)
        ctx.preclaimed = None   # the robots request used (or released) the claimed slot
        status = res.status if res.error_kind in (None, "http_status") else None
        return status, res.body, res.error_kind, res.error

    def _exchange(self, target: Target, url: str, etag: str | None, last_modified: str | None,
                  ctx: _Ctx, max_bytes: int) -> Exchange:
        """One request to the checked address, holding a politeness slot of its host."""
        key = target.host_key
        if ctx.preclaimed == key:
            ctx.preclaimed = None            # fetch_many already waited for this slot
        elif not self.gate.acquire(key, ctx.deadline):
            return Exchange(error_kind="timeout", error=f"{url}: total timeout of "
                        f"{self.policy.total_timeout}s passed while waiting for a politeness "
                        f"slot for host {target.host}")
        try:
            ex = self.transport.exchange(target, url, etag, last_modified, ctx.deadline,
                                         max_bytes, truncate=ctx.truncate)
        finally:
            self.gate.release(key)
        if ex.status == 429:
            self.gate.block(key, ex.retry_after if ex.retry_after is not None
                            else DEFAULT_429_BLOCK)
        elif ex.status == 503 and ex.retry_after is not None:
            self.gate.block(key, ex.retry_after)
        return ex



__all__ = ["Fetcher", "FetchPolicy", "FetchResult", "parse_retry_after"]
