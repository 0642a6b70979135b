"""Run-to-run state kept under ``<data root>/state/``: feed state and seen entries.

``state/feeds.json`` holds, per feed, the poll state (validators, backoff) and the
entry ids already ingested, each with the run that ingested it. It also keeps the
snapshot from before the last committed run, so re-running that run starts from
the same state as its first attempt (idempotent re-runs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from newsingest.store import Store

FEEDS_STATE = "state/feeds.json"
DEDUP_INDEX = "state/dedup_index.bin"
SITE_TEMPLATES = "state/site_templates.json"
MAX_SEEN_PER_FEED = 5000


@dataclass
class FeedStates:
    """Per-feed poll state and seen entry ids, as of the start of a run."""

    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, run_id: str) -> "FeedStates":
        """State before ``run_id``: the latest, or the snapshot preceding it on a re-run."""
        raw = store.read_bytes(FEEDS_STATE)
        if raw is None:
            return cls()
        doc = json.loads(raw)
        if doc.get("run_id") == run_id:
            return cls(doc.get("before") or {})
        return cls(doc.get("feeds") or {})

    def poll_state(self, feed_id: str) -> dict[str, Any] | None:
        return (self.feeds.get(feed_id) or {}).get("state")

    def is_new(self, feed_id: str, entry_id: str) -> bool:
        return entry_id not in (self.feeds.get(feed_id) or {}).get("seen", {})

    def updated(self, poll_states: dict[str, dict[str, Any]],
                seen: dict[str, list[str]], run_id: str) -> "FeedStates":
        """A copy with new poll states and newly ingested entry ids (bounded per feed)."""
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
        return FeedStates(feeds)

    def commit(self, store: Store, run_id: str, before: "FeedStates") -> None:
        """Persist as the state after ``run_id``, keeping ``before`` for re-runs."""
        doc = {"version": 1, "run_id": run_id, "feeds": self.feeds, "before": before.feeds}
        store.write_bytes(FEEDS_STATE, json.dumps(doc, sort_keys=True).encode())
