"""The daily digest: what the ``news_digest`` DAG writes for one UTC day.

For day ``D`` (a ``date=`` partition of ``copies``):

- ``stories/``: one row per story over every run (``newsingest.stories``), all partitions
  rewritten, since later copies change earlier stories;
- ``digest_country_daily/date=D/part-digest.parquet``: per country and role (``about``,
  ``mentioned``) the stories that had a copy fetched on D, new vs continuing, their copies
  and outlets that day, and the top stories by number of outlets;
- ``digest/date=D/``: the charts (PNG) and ``index.html``, one self-contained page.

Every file is written atomically under a fixed name, so a re-run for the same day
replaces its files. A story is *new* on D when its first copy was fetched on D,
*continuing* when it was first seen earlier and got another copy on D.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping

# Light at import: the DAG files call articles_asset_uri() while they are parsed.
DEFAULT_DATA_URL = "./data"  # Settings.data_url's default (a test keeps them equal)
PARTITION_KEY = "date"  # newsingest.schema.PARTITION_KEY
ROLES = ("about", "mentioned")
TOP_STORIES = 5


@lru_cache(maxsize=1)
def digest_schema():
    """The ``digest_country_daily`` table's pyarrow schema."""
    import pyarrow as pa

    from newsingest.schema import SCHEMA_VERSION, TS

    top_story = pa.struct([("article_id", pa.string()), ("title", pa.string()),
                           ("outlets", pa.int32()), ("copies", pa.int32())])
    return pa.schema([
        pa.field("schema_version", pa.int16(), nullable=False),
        pa.field("country", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("stories", pa.int32()),
        pa.field("new_stories", pa.int32()),
        pa.field("continuing_stories", pa.int32()),
        pa.field("copies", pa.int32()),
        pa.field("outlets", pa.int32()),
        pa.field("top_stories", pa.list_(top_story)),
        pa.field("generated_at", TS),
    ], metadata={b"newsingest.table": b"digest_country_daily",
                 b"newsingest.schema_version": str(SCHEMA_VERSION).encode()})


def articles_asset_uri(settings: Any = None) -> str:
    """The ``news_articles`` Asset's URI: the ``articles`` table under ``NEWS_DATA_URL``.

    ``settings`` is a ``Settings``, a data URL, or None (read ``NEWS_DATA_URL``). A local
    root becomes an absolute ``file://`` URI; an fsspec URL (``s3://bucket/news``) keeps
    its scheme.
    """
    if settings is None:
        settings = os.environ.get("NEWS_DATA_URL") or DEFAULT_DATA_URL
    url = str(getattr(settings, "data_url", settings)).rstrip("/")
    if "://" in url:
        return f"{url}/articles"
    return "file://" + posixpath.join(posixpath.abspath(url), "articles")


def published_anything(counts: Mapping[str, Any]) -> bool:
    """Whether a ``publish`` result added story data (new stories or copies joining one)."""
    return bool(counts.get("stories") or counts.get("copies_joined_existing")
                or counts.get("copies_duplicate"))


def country_daily(stories: list[dict[str, Any]], day: str, copies_on_day: Mapping[str, list[dict]],
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """``digest_country_daily`` rows of ``day``: one per (country, role), most stories first."""
    now = now or datetime.now(timezone.utc)
    active = [s for s in stories if s["article_id"] in copies_on_day]
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for story in active:
        for role in ROLES:
            for code in dict.fromkeys(story[f"countries_{role}"] or []):
                groups[(code, role)].append(story)
    rows = []
    for (code, role), members in groups.items():
        day_copies = [c for s in members for c in copies_on_day[s["article_id"]]]
        top = sorted(members, key=lambda s: (-s["outlet_count"], -s["copy_count"], s["title"] or ""))
        rows.append({
            "country": code, "role": role, "stories": len(members),
            "new_stories": sum(s["first_seen_date"] == day for s in members),
            "continuing_stories": sum(s["first_seen_date"] < day for s in members),
            "copies": len(day_copies),
            "outlets": len({c["publisher"] for c in day_copies if c["publisher"]}),
            "top_stories": [{"article_id": s["article_id"], "title": s["title"],
                             "outlets": s["outlet_count"], "copies": s["copy_count"]}
                            for s in top[:TOP_STORIES]],
            "generated_at": now,
        })
    rows.sort(key=lambda r: (r["role"], -r["stories"], r["country"]))
    return rows


def copies_by_story_on(store, day: str) -> dict[str, list[dict]]:
    """The story copies fetched on ``day`` (its ``copies`` partition), by story id."""
    from newsingest.published import published_files, partition_date, read_published

    files = [f for f in published_files(store, "copies") if partition_date(f) == day]
    table = read_published(store, "copies", ["copy_id", "cluster_id", "publisher"], files=files)
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in (table.to_pylist() if table is not None else []):
        if row["cluster_id"] is not None:
            out[row["cluster_id"]][row["copy_id"]] = row
    return {k: list(v.values()) for k, v in out.items()}


def run_digest(data_url: str, day: str, now: datetime | None = None) -> dict[str, Any]:
    """Write the stories table, ``digest_country_daily`` and the charts of ``day``; return counts."""
    from newsingest.charts import render_day
    from newsingest.config import storage_options_from_env
    from newsingest.schema import to_table
    from newsingest.store import Store
    from newsingest.stories import build_stories, write_stories

    datetime.strptime(day, "%Y-%m-%d")  # a clear error for a malformed day
    store = Store(data_url, storage_options_from_env())
    stories = build_stories(store)
    write_stories(store, stories)
    on_day = copies_by_story_on(store, day)
    rows = country_daily(stories, day, on_day, now)
    directory = f"digest_country_daily/{PARTITION_KEY}={day}"
    store.write_parquet(f"{directory}/part-digest.parquet", to_table(digest_schema(), rows))
    pages = render_day(store, day, stories, rows, on_day)
    return {"date": day, "stories": len(stories), "stories_on_day": len(on_day),
            "countries_about": sum(r["role"] == "about" for r in rows), "files": pages}
