"""Feed health from ``feed_polls``: every feed's latest state, its recent record, and the
real error behind a backoff.

Reads only the newest partitions of ``feed_polls`` (enough files for the last ``window``
polls), the matching ``copies`` files for pages fetched per poll, and older poll files
only for a feed whose failure streak started before the window.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from newsingest.config import storage_options_from_env
from newsingest.published import partition_date, published_files, read_published, sibling_file
from newsingest.store import Store

POLL_COLUMNS = ["run_id", "feed_id", "url", "publisher", "polled_at", "status", "http_status",
                "entries", "new_entries", "error_kind", "error", "consecutive_failures", "next_poll_at"]
FAILING = ("error", "skipped_backoff")


def _newest_files(files: list[str], runs: int) -> tuple[list[str], list[str]]:
    """Split files (oldest partition first) into (newest partitions holding >= ``runs`` files, older)."""
    by_date: dict[str, list[str]] = defaultdict(list)
    for f in files:
        by_date[partition_date(f) or ""].append(f)
    chosen: list[str] = []
    dates = sorted(by_date, reverse=True)
    taken = 0
    for date in dates:
        if len(chosen) >= runs:
            break
        chosen += by_date[date]
        taken += 1
    older = [f for d in dates[taken:] for f in by_date[d]]
    return chosen, older


def _rows(store: Store, files: list[str]) -> list[dict]:
    table = read_published(store, "feed_polls", POLL_COLUMNS, files=files)
    return table.to_pylist() if table is not None else []


def _pages_per_poll(store: Store, poll_files: list[str]) -> dict[tuple[str, str], int]:
    """(run_id, feed_id) -> pages fetched (copies with an HTTP response) in those runs."""
    available = set(published_files(store, "copies"))
    files = [s for s in (sibling_file(f, "copies") for f in poll_files) if s in available]
    table = read_published(store, "copies", ["run_id", "feed_id", "http_status"], files=files)
    pages: dict[tuple[str, str], int] = defaultdict(int)
    for row in (table.to_pylist() if table is not None else []):
        if row["http_status"] is not None:
            pages[(row["run_id"], row["feed_id"])] += 1
    return pages


def _latest_error(rows: list[dict]) -> dict | None:
    return next((r for r in reversed(rows) if r["status"] == "error"), None)


def feed_health(data_url: str, window: int = 20, lookback_files: int = 500) -> list[dict[str, Any]]:
    """One dict per feed: latest poll, the error that caused a failure streak or backoff,
    the last ``window`` polls (entries, new entries, pages fetched), last success.

    Sorted worst first (most consecutive failures, then lowest success rate).
    """
    store = Store(data_url, storage_options_from_env())
    newest, older = _newest_files(published_files(store, "feed_polls"), window)
    rows = _rows(store, newest)
    if not rows:
        return []
    by_feed: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_feed[row["feed_id"]].append(row)
    for feed_rows in by_feed.values():
        feed_rows.sort(key=lambda r: r["polled_at"])

    # A streak that began before the files read: look further back, newest partitions first.
    missing = {f for f, rs in by_feed.items() if rs[-1]["status"] in FAILING and _latest_error(rs) is None}
    earlier: dict[str, list[dict]] = defaultdict(list)
    budget = lookback_files
    while missing and older and budget > 0:
        batch, older = _newest_files(older, 1)
        batch = batch[:budget]
        budget -= len(batch)
        for row in _rows(store, batch):
            if row["feed_id"] in missing:
                earlier[row["feed_id"]].append(row)
        for feed_id in list(missing):
            if _latest_error(sorted(earlier[feed_id], key=lambda r: r["polled_at"])):
                missing.discard(feed_id)

    pages = _pages_per_poll(store, newest)
    report = []
    for feed_id, all_rows in by_feed.items():
        recent = all_rows[-window:]
        last = recent[-1]
        tried = [r for r in recent if r["status"] != "skipped_backoff"]  # polls that were made
        ok = [r for r in all_rows if r["status"] in ("ok", "not_modified")]
        failing = last["status"] in FAILING and (last["consecutive_failures"] or 0) > 0
        cause = _latest_error(all_rows) or _latest_error(sorted(earlier[feed_id], key=lambda r: r["polled_at"]))
        cause = cause if failing else None
        report.append({
            "feed_id": feed_id,
            "publisher": last["publisher"],
            "url": last["url"],
            "last_polled_at": last["polled_at"],
            "last_status": last["status"],
            "last_http_status": last["http_status"],
            "last_error_kind": last["error_kind"],
            "last_error": last["error"],
            "error_kind": cause["error_kind"] if cause else None,
            "error": cause["error"] if cause else None,
            "error_at": cause["polled_at"] if cause else None,
            "consecutive_failures": last["consecutive_failures"] or 0,
            "next_poll_at": last["next_poll_at"],
            "polls": len(recent),
            "success_rate": round(sum(r["status"] != "error" for r in tried) / len(tried), 3) if tried else None,
            "new_entries": sum(r["new_entries"] or 0 for r in recent),
            "last_ok_at": ok[-1]["polled_at"] if ok else None,
            "history": [{"polled_at": r["polled_at"], "status": r["status"], "entries": r["entries"],
                         "new_entries": r["new_entries"], "pages": pages.get((r["run_id"], feed_id), 0)}
                        for r in recent],
        })
    report.sort(key=lambda r: (-r["consecutive_failures"], r["success_rate"] if r["success_rate"] is not None else 0.0,
                               r["feed_id"]))
    return report
