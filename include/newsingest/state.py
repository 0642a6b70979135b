"""Run-to-run state kept under ``<data root>/state/``: feed state and seen entries.

``state/feeds.json`` holds, per feed, the poll state (validators, backoff) and the
entry ids already ingested, each with the run that ingested it, plus the *pending*
entries: pages that failed transiently (5xx, timeouts) and are fetched again on later
runs, up to ``MAX_FETCH_ATTEMPTS`` runs, even while their feed is unchanged. It also
keeps the snapshot from before the last committed run, so re-running that run starts
from the same state as its first attempt (idempotent re-runs). The file is replaced
only through a run's commit (:mod:`newsingest.commit`).

Pending entries of a feed that left the registry are dropped by the next run
(:func:`drop_removed_feeds`): ``plan`` records the registry's feed ids in the run's
staging (:func:`save_registry_ids`), ``publish`` drops the rest and counts them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from newsingest.store import Store

REGISTRY_IDS = "registry_ids.json"   # in a run's staging: the feed ids of the registry at plan

FEEDS_STATE = "state/feeds.json"
DEDUP_INDEX = "state/dedup_index.bin"
SITE_TEMPLATES = "state/site_templates.json"
MAX_SEEN_PER_FEED = 5000
MAX_FETCH_ATTEMPTS = 5    # runs that try a transiently failing page before it is given up


@dataclass
class FeedStates:
    """Per-feed poll state and seen entry ids, as of the start of a run."""

    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    # copy_id -> {"entry": the feed entry (JSON-safe), "attempts": runs that tried it}
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, run_id: str) -> "FeedStates":
        """State before ``run_id``: the latest, or the snapshot preceding it on a re-run."""
        raw = store.read_bytes(FEEDS_STATE)
        if raw is None:
            return cls()
        doc = json.loads(raw)
        if doc.get("run_id") == run_id:
            before = doc.get("before") or {}
            if doc.get("version", 1) >= 2:
                return cls(before.get("feeds") or {}, before.get("pending") or {})
            return cls(before)
        return cls(doc.get("feeds") or {}, doc.get("pending") or {})

    def poll_state(self, feed_id: str) -> dict[str, Any] | None:
        return (self.feeds.get(feed_id) or {}).get("state")

    def is_new(self, feed_id: str, entry_id: str) -> bool:
        return entry_id not in (self.feeds.get(feed_id) or {}).get("seen", {})

    def updated(self, poll_states: dict[str, dict[str, Any]],
                seen: dict[str, list[str]], run_id: str,
                pending: dict[str, dict[str, Any]] | None = None) -> "FeedStates":
        """A copy with new poll states, newly ingested entry ids (bounded per feed) and,
        when given, the new pending entries."""
        feeds = {fid: {"state": v.get("state"), "seen": dict(v.get("seen", {}))}
                 for fid, v in self.feeds.items()}
        for fid, st in poll_states.items():
            feeds.setdefault(fid, {"state": None, "seen": {}})["state"] = st
        for fid, ids in seen.items():
            entry = feeds.setdefault(fid, {"state": None, "seen": {}})
            for eid in ids:
                entry["seen"].setdefault(eid, run_id)
            if len(entry["seen"]) > MAX_SEEN_PER_FEED:  # dicts keep insertion order: drop oldest
                entry["seen"] = dict(list(entry["seen"].items())[-MAX_SEEN_PER_FEED:])
        return FeedStates(feeds, dict(self.pending if pending is None else pending))

    def to_bytes(self, run_id: str, before: "FeedStates") -> bytes:
        """The state after ``run_id`` as stored, keeping ``before`` for re-runs."""
        doc = {"version": 2, "run_id": run_id, "feeds": self.feeds, "pending": self.pending,
               "before": {"feeds": before.feeds, "pending": before.pending}}
        return json.dumps(doc, sort_keys=True).encode()

    def commit(self, store: Store, run_id: str, before: "FeedStates") -> None:
        """Persist directly as the state after ``run_id`` (tools, tests; runs commit theirs
        through :mod:`newsingest.commit`)."""
        store.write_bytes(FEEDS_STATE, self.to_bytes(run_id, before))


def save_registry_ids(store: Store, staging: str, feed_ids: list[str]) -> None:
    """Record the registry's feed ids (all of them, not only the run's) for ``publish``."""
    store.write_bytes(f"{staging}/{REGISTRY_IDS}", json.dumps(sorted(set(feed_ids))).encode())


def registry_ids(store: Store, staging: str) -> set[str] | None:
    """The feed ids ``plan`` recorded, or None (a run staged by an older version)."""
    raw = store.read_bytes(f"{staging}/{REGISTRY_IDS}")
    return set(json.loads(raw)) if raw is not None else None


def drop_removed_feeds(pending: dict[str, dict[str, Any]], feed_ids: set[str] | None
                       ) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """``pending`` without the entries of feeds not in ``feed_ids`` (None: keep all), and
    how many were dropped per removed feed."""
    if feed_ids is None:
        return dict(pending), {}
    kept: dict[str, dict[str, Any]] = {}
    dropped: dict[str, int] = {}
    for copy_id, item in pending.items():
        feed = (item.get("entry") or {}).get("feed_id")
        if feed in feed_ids:
            kept[copy_id] = item
        else:
            dropped[str(feed)] = dropped.get(str(feed), 0) + 1
    return kept, dropped
