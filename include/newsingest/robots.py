"""robots.txt, fetched through the guarded fetcher and cached per origin (RFC 9309).

Rules of RFC 9309 §2.3.1: 2xx -> parse; 4xx (incl. 401/403) -> allow everything;
5xx, network errors and timeouts -> disallow everything for now (cached briefly).
Parsing and matching are Protego's (the parser Scrapy uses): RFC 9309 groups,
``*`` and ``$`` wildcards, the longest matching rule wins, Allow wins a tie,
percent-encoding normalised, ``/robots.txt`` itself always allowed.
(``urllib.robotparser`` ignores ``*`` and ``$`` and takes the first match instead.)
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

ROBOTS_MAX_BYTES = 512 * 1024       # RFC 9309 asks parsers to read at least 500 KiB
ROBOTS_TTL = 24 * 3600.0            # RFC 9309: cache for no longer than 24 hours
ROBOTS_ERROR_TTL = 300.0            # retry an unreachable robots.txt after 5 minutes
MAX_CRAWL_DELAY = 30.0              # a larger Crawl-delay is capped to this

Origin = tuple[str, str, int]


@dataclass
class RobotsRules:
    """The verdict source for one origin."""

    parser: Protego | None      # None with allow_all/deny_all
    allow_all: bool
    reason: str                 # e.g. "robots.txt 404: allow all"
    expires: float              # monotonic
    crawl_delay: float | None = None
    error_kind: str | None = None   # why robots.txt could not be read (network failures)

    def allows(self, agent: str, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, agent))


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against ('newsingest/0.1 (...)' -> 'newsingest')."""
    token = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
    return token or "*"


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80))


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], "/robots.txt", "", ""))


# fetch(url) -> (status or None, body, error_kind or None, error message or None)
RobotsFetch = Callable[[str], tuple[int | None, bytes, str | None, str | None]]


def rules_from_response(status: int | None, body: bytes, error: str | None,
                        agent: str) -> RobotsRules:
    """Turn a robots.txt response into rules, following RFC 9309."""
    now = time.monotonic()
    if status is not None and 200 <= status < 300:
        rp = Protego.parse(body.decode("utf-8", "replace"))
        delay = rp.crawl_delay(agent)
        try:
            delay = float(delay) if delay is not None else None
        except (TypeError, ValueError):
            delay = None
        ok = delay is not None and math.isfinite(delay) and delay > 0
        crawl_delay = min(delay, MAX_CRAWL_DELAY) if ok else None
        return RobotsRules(rp, True, f"robots.txt {status}", now + ROBOTS_TTL, crawl_delay)
    if status is not None and 400 <= status < 500:
        return RobotsRules(None, True, f"robots.txt {status}: allow all", now + ROBOTS_TTL)
    why = f"HTTP {status}" if status is not None else (error or "unreachable")
    return RobotsRules(None, False, f"robots.txt unavailable ({why}): disallow for now",
                       now + ROBOTS_ERROR_TTL)


class RobotsCache:
    """Thread-safe per-origin cache; one fetch per origin even under concurrency."""

    def __init__(self, fetch: RobotsFetch, user_agent: str) -> None:
        self._fetch = fetch
        self.agent = agent_token(user_agent)
        self._rules: dict[Origin, RobotsRules] = {}
        self._locks: dict[Origin, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, url: str) -> RobotsRules:
        origin = origin_of(url)
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            cached = self._rules.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            status, body, kind, error = self._fetch(robots_url(url))
            rules = rules_from_response(status, body, error, self.agent)
            if status is None:
                rules.error_kind = kind
            if kind != "rate_limited" or status is not None:
                self._rules[origin] = rules     # never cache a request we did not send
            return rules

    def is_cached(self, url: str) -> bool:
        """True when fresh rules for the origin of ``url`` are at hand (no fetch needed)."""
        cached = self._rules.get(origin_of(url))
        return cached is not None and cached.expires > time.monotonic()

    def check(self, url: str) -> tuple[bool, RobotsRules]:
        rules = self.rules(url)
        return rules.allows(self.agent, url), rules
