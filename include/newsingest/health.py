"""Feed health from ``feed_polls``: the latest state of every feed and its recent record."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from newsingest.store import Store
from newsingest.summary import read_table


def feed_health(data_url: str, window: int = 20) -> list[dict[str, Any]]:
    """One dict per feed: latest poll, failures among the last ``window`` polls, last success.

    Sorted worst first (most consecutive failures, then lowest success rate).
    """
    table = read_table(Store(data_url), "feed_polls")
    if table is None:
        return []
    by_feed: dict[str, list[dict]] = defaultdict(list)
    for row in table.to_pylist():
        by_feed[row["feed_id"]].append(row)
    report = []
    for feed_id, rows in by_feed.items():
        rows.sort(key=lambda r: r["polled_at"])
        recent = rows[-window:]
        last = recent[-1]
        ok = [r for r in rows if r["status"] in ("ok", "not_modified")]
        report.append({
            "feed_id": feed_id,
            "publisher": last["publisher"],
            "url": last["url"],
            "last_polled_at": last["polled_at"],
            "last_status": last["status"],
            "last_http_status": last["http_status"],
            "last_error_kind": last["error_kind"],
            "last_error": last["error"],
            "consecutive_failures": last["consecutive_failures"] or 0,
            "next_poll_at": last["next_poll_at"],
            "polls": len(recent),
            "success_rate": round(sum(r["status"] != "error" for r in recent) / len(recent), 3),
            "new_entries": sum(r["new_entries"] or 0 for r in recent),
            "last_ok_at": ok[-1]["polled_at"] if ok else None,
        })
    report.sort(key=lambda r: (-r["consecutive_failures"], r["success_rate"], r["feed_id"]))
    return report
