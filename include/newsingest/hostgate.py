"""Per-host politeness: a concurrency limit and a minimum interval between request starts.

A "host" is (host name, port) as written in the URL. Every request the fetcher sends
(redirect hops, retries, robots.txt) passes through the gate of its host.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

HostKey = tuple[str, int]


@dataclass
class _HostState:
    active: int = 0
    next_start: float = 0.0      # monotonic time of the earliest next request start
    last_start: float = 0.0      # monotonic start time of the latest claimed slot
    blocked_until: float = 0.0   # from Retry-After (429/503)
    interval: float | None = None  # per-host override (robots.txt Crawl-delay)


class HostGate:
    """Thread-safe slot allocator; callers ``claim`` under ``cond`` or use ``acquire``."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.concurrency = max(1, concurrency)
        self.interval = max(0.0, interval)
        self.cond = threading.Condition()
        self._hosts: dict[HostKey, _HostState] = {}

    def _state(self, key: HostKey) -> _HostState:
        st = self._hosts.get(key)
        if st is None:
            st = self._hosts[key] = _HostState()
        return st

    # --- to be called with self.cond held -------------------------------------------
    def has_capacity(self, key: HostKey) -> bool:
        return self._state(key).active < self.concurrency

    def ready_at(self, key: HostKey) -> float:
        st = self._state(key)
        return max(st.next_start, st.blocked_until)

    def held_back_until(self, key: HostKey) -> float:
        """Monotonic time until which a Retry-After holds ``key`` back."""
        return self._state(key).blocked_until

    def claim(self, key: HostKey) -> float:
        """Take a slot: returns the monotonic time at which the request may start."""
        st = self._state(key)
        start = max(time.monotonic(), st.next_start, st.blocked_until)
        st.active += 1
        st.last_start = start
        st.next_start = start + (st.interval if st.interval is not None else self.interval)
        return start

    # --- self-locking API -------------------------------------------------------------
    def acquire(self, key: HostKey, deadline: float | None = None) -> bool:
        """Block until a slot of ``key`` is free and its start time has come.

        Returns False (holding nothing) if that would pass ``deadline``.
        """
        with self.cond:
            while not self.has_capacity(key):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.cond.wait(remaining)
            if deadline is not None and self.ready_at(key) > deadline:
                return False
            start = self.claim(key)
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return True

    def release(self, key: HostKey) -> None:
        with self.cond:
            st = self._state(key)
            st.active = max(0, st.active - 1)
            self.cond.notify_all()

    def block(self, key: HostKey, seconds: float) -> None:
        """Hold back requests to ``key`` for ``seconds`` (a Retry-After)."""
        with self.cond:
            st = self._state(key)
            st.blocked_until = max(st.blocked_until, time.monotonic() + max(0.0, seconds))

    def blocked_for(self, key: HostKey) -> float:
        with self.cond:
            return max(0.0, self._state(key).blocked_until - time.monotonic())

    def set_interval(self, key: HostKey, interval: float) -> None:
        """Raise the interval of one host (never below the policy's)."""
        with self.cond:
            st = self._state(key)
            st.interval = max(self.interval, interval)
            st.next_start = max(st.next_start, st.last_start + st.interval)
