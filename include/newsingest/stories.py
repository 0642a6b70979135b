"""The ``stories`` table: one row per story with all of its copies across every run.

``articles.copies_seen`` counts only the copies of the run that published a story;
copies found by later runs join it in ``copies`` (``outcome = 'joined_existing'``).
This table folds them together: outlets, first and last seen, copy count.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

from newsingest.published import read_published
from newsingest.schema import SCHEMA_VERSION, STRINGS, TS, to_table
from newsingest.store import Store

STORIES = pa.schema([
    pa.field("schema_version", pa.int16(), nullable=False),
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("url", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("published_at", TS),
    pa.field("countries_about", STRINGS),
    pa.field("countries_mentioned", STRINGS),
    pa.field("copy_count", pa.int32()),
    pa.field("outlet_count", pa.int32()),
    pa.field("outlets", STRINGS),
    pa.field("domains", STRINGS),
    pa.field("runs", pa.int32()),
    pa.field("first_seen_at", TS),
    pa.field("last_seen_at", TS),
    pa.field("first_seen_date", pa.string()),
    pa.field("last_seen_date", pa.string()),
    pa.field("copy_dates", STRINGS),
], metadata={b"newsingest.table": b"stories", b"newsingest.schema_version": str(SCHEMA_VERSION).encode()})

ARTICLE_COLUMNS = ["article_id", "title", "url", "publisher", "published_at", "fetched_at",
                   "countries_about", "countries_mentioned", "run_id", "date"]
COPY_COLUMNS = ["copy_id", "cluster_id", "publisher", "source_domain", "fetched_at", "run_id", "date"]


def _story_copies(store: Store) -> dict[str, list[dict]]:
    """Copies that belong to a story, by story id (one row per copy id, the latest fetch)."""
    table = read_published(store, "copies", COPY_COLUMNS)
    rows = [r for r in (table.to_pylist() if table is not None else []) if r["cluster_id"] is not None]
    rows.sort(key=lambda r: (r["fetched_at"] is not None, r["fetched_at"] or 0, r["date"]))
    latest = {r["copy_id"]: r for r in rows}  # a re-fetched copy counts once, as last seen
    by_story: dict[str, list[dict]] = defaultdict(list)
    for row in latest.values():
        by_story[row["cluster_id"]].append(row)
    return by_story


def build_stories(store: Store) -> list[dict[str, Any]]:
    """Every story with its copies across all runs; each row also carries its ``date`` (the
    partition of the run that published the story)."""
    table = read_published(store, "articles", ARTICLE_COLUMNS)
    if table is None:
        return []
    copies = _story_copies(store)
    rows = []
    for a in sorted(table.to_pylist(), key=lambda r: (r["date"], r["article_id"])):
        members = copies.get(a["article_id"], [])
        fetched = [c["fetched_at"] for c in members if c["fetched_at"] is not None] or [a["fetched_at"]]
        dates = sorted({c["date"] for c in members} | {a["date"]})
        rows.append({
            "date": a["date"], "article_id": a["article_id"], "title": a["title"], "url": a["url"],
            "publisher": a["publisher"], "published_at": a["published_at"],
            "countries_about": a["countries_about"] or [],
            "countries_mentioned": a["countries_mentioned"] or [],
            "copy_count": len(members),
            "outlet_count": len({c["publisher"] for c in members if c["publisher"]}),
            "outlets": sorted({c["publisher"] for c in members if c["publisher"]}),
            "domains": sorted({c["source_domain"] for c in members if c["source_domain"]}),
            "runs": len({c["run_id"] for c in members}),
            "first_seen_at": min(fetched), "last_seen_at": max(fetched),
            "first_seen_date": dates[0], "last_seen_date": dates[-1], "copy_dates": dates,
        })
    return rows


def write_stories(store: Store, stories: list[dict[str, Any]]) -> list[str]:
    """Write ``stories/date=D/part-stories.parquet`` per publishing date (atomic; replaces)."""
    by_date: dict[str, list[dict]] = defaultdict(list)
    for row in stories:
        by_date[row["date"]].append(row)
    written = []
    for date, rows in sorted(by_date.items()):
        written += store.publish("stories", date, "stories", [("", to_table(STORIES, rows))])
    return written
