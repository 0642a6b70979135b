"""Polite feed polling: conditional GET, validator trust, per-feed backoff, circuit breaker.

Change detection never relies on the server alone: the body hash decides (an unchanged
body is "not modified" even on 200). Validators (ETag/Last-Modified) are sent only while
trusted, and every few polls an unconditional GET checks them: a body that changed while
the server kept the same validator (or kept answering 304) lowers the trust score.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from newsingest.config import FeedSpec
from newsingest.errors import FeedParseError
from newsingest.feedparse import FeedEntry, ParsedFeed, newest_first, read_feed
from newsingest.fetch import Fetcher, FetchResult


@dataclass(frozen=True)
class PollRules:
    """Tunable numbers of the polling policy."""

    base_backoff: float = 300.0          # first failure: retry after ~5 minutes
    max_backoff: float = 86_400.0        # never wait more than a day ...
    max_retry_after: float = 7 * 86_400.0  # ... unless the server says so (capped at a week)
    jitter: float = 0.2                  # +-20 % so failed feeds do not retry in lockstep
    trust_initial: float = 0.5
    trust_up: float = 0.1                # a consistent unconditional check
    trust_down: float = 0.5              # a validator caught lying
    trust_use_validators: float = 0.3    # below this, validators are not sent at all
    check_every_min: int = 2             # unconditional GET every N polls, N from trust:
    check_every_max: int = 12            # low trust -> often, full trust -> rarely


RULES = PollRules()
OUTAGE_KINDS = frozenset({"connection", "timeout", "dns", "tls"})


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat() if dt else None


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass
class FeedState:
    """What the pipeline persists per feed between runs (JSON-safe via to_dict)."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0
    next_poll_at: str | None = None          # ISO 8601 UTC; None = poll at the next run
    last_status: int | None = None
    trust: float = RULES.trust_initial       # 0..1 trust in the server's validators
    polls_since_unconditional: int = 0
    validator_lies: int = 0                  # times a validator was caught lying
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    final_url: str | None = None             # where the last successful fetch ended
    last_not_modified_at: str | None = None  # when the server last answered 304

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "FeedState":
        """Tolerant: unknown keys are ignored, missing or mistyped ones get defaults."""
        state = cls()
        if not isinstance(d, dict):
            return state
        for f in fields(cls):
            value = d.get(f.name)
            kind = _FIELD_KINDS.get(f.name, "str?")
            if kind == "str?" and (value is None or isinstance(value, str)):
                setattr(state, f.name, value)
            elif kind == "int?" and (value is None or type(value) is int):
                setattr(state, f.name, value)
            elif kind == "int" and type(value) is int:
                setattr(state, f.name, max(0, value))
            elif kind == "float" and type(value) in (int, float):
                setattr(state, f.name, min(1.0, max(0.0, float(value))))
        return state


_FIELD_KINDS = {"consecutive_failures": "int", "polls_since_unconditional": "int",
                "validator_lies": "int", "last_status": "int?", "trust": "float"}


@dataclass
class PollOutcome:
    feed_id: str
    entries: list[FeedEntry]
    state: FeedState
    row: dict[str, Any] = field(default_factory=dict)


def check_every(trust: float, rules: PollRules = RULES) -> int:
    """Polls between unconditional checks for a given validator trust."""
    span = rules.check_every_max - rules.check_every_min
    return rules.check_every_min + round(max(0.0, min(1.0, trust)) * span)


def backoff_seconds(failures: int, retry_after: float | None, rules: PollRules = RULES,
                    rng: random.Random | None = None) -> float:
    """Delay before the next poll after ``failures`` consecutive failures."""
    rng = rng or random
    delay = min(rules.max_backoff, rules.base_backoff * 2 ** max(0, failures - 1))
    delay *= rng.uniform(1 - rules.jitter, 1 + rules.jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, rules.max_retry_after))
    return delay


def _validators_lied(state: FeedState, new_etag: str | None, new_lm: str | None) -> bool:
    """The body changed: did the validators hide it?

    Yes when the server kept the same ETag (or, without ETags, the same Last-Modified)
    for different content, or when the new Last-Modified predates a 304 we were given.
    """
    if state.etag is not None and new_etag == state.etag:
        return True
    if state.etag is None and state.last_modified is not None and new_lm == state.last_modified:
        return True
    changed_at = _http_date(new_lm)
    said_unchanged_at = _parse_iso(state.last_not_modified_at)
    return bool(changed_at and said_unchanged_at and changed_at < said_unchanged_at)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _row(feed: FeedSpec, status: str, state: FeedState, now: datetime,
         res: FetchResult | None = None, entries: int = 0, not_modified: bool = False,
         error_kind: str | None = None, error: str | None = None) -> dict[str, Any]:
    return {
        "feed_id": feed.id,
        "url": feed.url,
        "status": status,
        "http_status": res.status if res else None,
        "not_modified": not_modified,
        "bytes": len(res.body) if res else 0,
        "elapsed_ms": res.elapsed_ms if res else 0,
        "entries": entries,
        "error_kind": error_kind,
        "error": error,
        "consecutive_failures": state.consecutive_failures,
        "next_poll_at": _parse_iso(state.next_poll_at),
        "polled_at": now,
    }


def _failed(feed: FeedSpec, state: FeedState, now: datetime, res: FetchResult | None,
            kind: str, error: str, rules: PollRules) -> PollOutcome:
    state.consecutive_failures += 1
    delay = backoff_seconds(state.consecutive_failures, res.retry_after if res else None, rules)
    state.next_poll_at = _iso(now + timedelta(seconds=delay))
    state.last_status = res.status if res else None
    state.last_error_kind, state.last_error = kind, error
    return PollOutcome(feed.id, [], state, _row(feed, "error", state, now, res,
                                                error_kind=kind, error=error))


def poll_feed(feed: FeedSpec, state: FeedState | None, fetcher: Fetcher, *,
              now: datetime | None = None, max_entries: int = 200, force: bool = False,
              rules: PollRules = RULES) -> PollOutcome:
    """Poll one feed; never raises for a broken feed (errors go into row and state)."""
    now = now or datetime.now(timezone.utc)
    state = replace(state) if state is not None else FeedState(trust=rules.trust_initial)
    try:
        return _poll(feed, state, fetcher, now, max_entries, force, rules)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other feeds
        return _failed(feed, state, now, None, "internal",
                       f"{feed.url}: unexpected {exc.__class__.__name__}: {exc}", rules)


def _poll(feed: FeedSpec, state: FeedState, fetcher: Fetcher, now: datetime,
          max_entries: int, force: bool, rules: PollRules) -> PollOutcome:
    due = _parse_iso(state.next_poll_at)
    if not force and due is not None and due > now:
        row = _row(feed, "skipped_backoff", state, now,
                   error=f"backing off until {state.next_poll_at}")
        return PollOutcome(feed.id, [], state, row)

    # force: a full, unconditional GET whose entries are read even if the body is unchanged
    has_validators = bool(state.etag or state.last_modified) and state.body_hash is not None
    conditional = (not force and has_validators and state.trust >= rules.trust_use_validators
                   and state.polls_since_unconditional + 1 < check_every(state.trust, rules))
    if conditional:
        res = fetcher.fetch(feed.url, etag=state.etag, last_modified=state.last_modified)
    else:
        res = fetcher.fetch(feed.url)
    state.last_polled_at = _iso(now)
    if not res.ok:
        return _failed(feed, state, now, res, res.error_kind or "fetch",
                       res.error or f"{feed.url}: fetch failed", rules)

    parsed = ParsedFeed([])
    if res.not_modified:
        entries: list[FeedEntry] = []
        changed = False
        state.last_not_modified_at = _iso(now)
    else:
        body_hash = "sha256:" + hashlib.sha256(res.body).hexdigest()
        try:
            parsed = read_feed(res.body, res.final_url or feed.url, now=now)
        except FeedParseError as exc:
            # keep hash and validators: the next poll must not see this body as "unchanged"
            return _failed(feed, state, now, res, "feed_parse", str(exc), rules)
        new_etag = res.headers.get("etag") or None
        new_lm = res.headers.get("last-modified") or None
        changed = body_hash != state.body_hash
        if not conditional and state.body_hash is not None:
            lied = changed and _validators_lied(state, new_etag, new_lm)
            if lied:
                state.trust = max(0.0, state.trust - rules.trust_down)
                state.validator_lies += 1
            else:
                state.trust = min(1.0, state.trust + rules.trust_up)
        state.etag, state.last_modified, state.body_hash = new_etag, new_lm, body_hash
        entries = newest_first(parsed.entries)[:max_entries] if changed or force else []

    state.polls_since_unconditional = state.polls_since_unconditional + 1 if conditional else 0
    state.consecutive_failures = 0
    state.next_poll_at = None
    state.last_status = res.status
    state.last_success_at = _iso(now)
    state.last_error_kind = state.last_error = None
    state.final_url = res.final_url
    status = "ok" if changed or force else "not_modified"
    # a recoverable problem (truncated, malformed, items dropped) is a warning on an ok row
    row = _row(feed, status, state, now, res, entries=len(entries), not_modified=not changed,
               error_kind=parsed.warning_kind, error=parsed.warning and f"{feed.url}: {parsed.warning}")
    return PollOutcome(feed.id, entries, state, row)


def circuit_open(outcomes: Sequence[PollOutcome | Mapping[str, Any]], threshold: float = 0.8,
                 min_feeds: int = 5) -> bool:
    """True when most polled feeds failed with outage-like errors in one run.

    Takes poll outcomes or their ``feed_polls`` rows.

    Counted: feeds actually polled (not skipped); failing: connection/timeout/DNS/TLS
    errors and HTTP 5xx. With at least ``min_feeds`` polled and a failing share of at
    least ``threshold``, the pipeline should keep the previous states (no backoff).
    """
    rows = [o.row if isinstance(o, PollOutcome) else o for o in outcomes]
    polled = [r for r in rows if r.get("status") != "skipped_backoff"]
    if len(polled) < min_feeds:
        return False
    failing = sum(
        1 for r in polled
        if r.get("status") == "error"
        and (r.get("error_kind") in OUTAGE_KINDS
             or (r.get("error_kind") == "http_status"
                 and (r.get("http_status") or 0) >= 500)))
    return failing / len(polled) >= threshold
