"""Explicit pyarrow schemas of the four output tables: the data contract.

Every table carries ``schema_version``; bump it on any change that breaks readers
(removed or retyped columns). Added nullable columns keep the version.
The README documents each column; ``tests/test_schema.py`` keeps the two in step.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pyarrow as pa

SCHEMA_VERSION = 1
PARTITION_KEY = "date"  # hive-style partition: <table>/date=YYYY-MM-DD/ (the run's UTC date)

TS = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())
COUNTRY_COUNT = pa.struct([("code", pa.string()), ("count", pa.int32())])
COUNTRY_EVIDENCE = pa.struct([
    ("code", pa.string()),
    ("surface", pa.string()),
    ("field", pa.string()),
    ("start", pa.int32()),
    ("end", pa.int32()),
])


def _schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    meta = {b"newsingest.table": name.encode(), b"newsingest.schema_version": str(SCHEMA_VERSION).encode()}
    return pa.schema([pa.field("schema_version", pa.int16(), nullable=False), *fields], metadata=meta)


ARTICLES = _schema("articles", [
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("canonical_url", pa.string()),
    pa.field("source_domain", pa.string()),
    pa.field("feed_id", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("publisher_country", pa.string()),
    pa.field("title", pa.string()),
    pa.field("text", pa.string()),
    pa.field("word_count", pa.int32()),
    pa.field("authors", STRINGS),
    pa.field("language", pa.string()),
    pa.field("language_source", pa.string()),
    pa.field("published_at", TS),
    pa.field("published_at_source", pa.string()),
    pa.field("fetched_at", TS),
    pa.field("countries_mentioned", STRINGS),
    pa.field("countries_about", STRINGS),
    pa.field("country_counts", pa.list_(COUNTRY_COUNT)),
    pa.field("country_evidence", pa.list_(COUNTRY_EVIDENCE)),
    pa.field("tags", STRINGS),
    pa.field("copies_seen", pa.int32()),
    pa.field("truncated", pa.bool_()),
    pa.field("run_id", pa.string()),
    pa.field("extractor_version", pa.string()),
])

COPIES = _schema("copies", [
    pa.field("copy_id", pa.string(), nullable=False),
    pa.field("cluster_id", pa.string()),
    pa.field("outcome", pa.string()),
    pa.field("is_canonical", pa.bool_()),
    pa.field("match_rule", pa.string()),
    pa.field("similarity", pa.float32()),
    pa.field("matched_copy_id", pa.string()),
    pa.field("feed_id", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("source_domain", pa.string()),
    pa.field("entry_id", pa.string()),
    pa.field("feed_url", pa.string()),
    pa.field("final_url", pa.string()),
    pa.field("canonical_url", pa.string()),
    pa.field("title", pa.string()),
    pa.field("word_count", pa.int32()),
    pa.field("published_at", TS),
    pa.field("fetched_at", TS),
    pa.field("http_status", pa.int32()),
    pa.field("error_kind", pa.string()),
    pa.field("error", pa.string()),
    pa.field("run_id", pa.string()),
])

FEED_POLLS = _schema("feed_polls", [
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("feed_id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("polled_at", TS),
    pa.field("status", pa.string()),
    pa.field("http_status", pa.int32()),
    pa.field("not_modified", pa.bool_()),
    pa.field("bytes", pa.int64()),
    pa.field("elapsed_ms", pa.int32()),
    pa.field("entries", pa.int32()),
    pa.field("new_entries", pa.int32()),
    pa.field("error_kind", pa.string()),
    pa.field("error", pa.string()),
    pa.field("consecutive_failures", pa.int32()),
    pa.field("next_poll_at", TS),
])

RAW_PAGES = _schema("raw_pages", [
    pa.field("copy_id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("final_url", pa.string()),
    pa.field("http_status", pa.int32()),
    pa.field("headers", pa.map_(pa.string(), pa.string())),
    pa.field("fetched_at", TS),
    pa.field("body_sha256", pa.string()),
    pa.field("body", pa.binary()),
    pa.field("run_id", pa.string()),
])

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "copies": COPIES,
    "feed_polls": FEED_POLLS,
    "raw_pages": RAW_PAGES,
}


def to_table(schema: pa.Schema, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Build a table of exactly ``schema`` from row dicts; a wrong value names the column."""
    rows = list(rows)
    arrays = []
    for f in schema:
        values = [SCHEMA_VERSION if f.name == "schema_version" else r.get(f.name) for r in rows]
        try:
            arrays.append(pa.array(values, type=f.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ValueError(f"column {f.name!r} ({f.type}): {exc}") from None
    return pa.Table.from_arrays(arrays, schema=schema)
