"""The data contract: explicit schemas, versioned, documented column by column."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from conftest import REPO
from newsingest.schema import ARTICLES, SCHEMA_VERSION, TABLES, to_table


def readme_columns(table: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split(f"### `{table}/`", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_column_is_documented_in_order(name):
    assert readme_columns(name) == TABLES[name].names


@pytest.mark.parametrize("name", sorted(TABLES))
def test_schema_carries_its_version(name):
    schema = TABLES[name]
    assert schema.names[0] == "schema_version"
    assert schema.metadata[b"newsingest.schema_version"] == str(SCHEMA_VERSION).encode()


def test_to_table_fills_version_and_names_a_bad_column():
    row = {"article_id": "a1", "published_at": datetime(2026, 11, 20, tzinfo=timezone.utc),
           "country_counts": [{"code": "GE", "count": 3}], "countries_about": ["GE"]}
    t = to_table(ARTICLES, [row])
    assert t.schema == ARTICLES and t["schema_version"].to_pylist() == [SCHEMA_VERSION]
    assert t["published_at"].type == pa.timestamp("us", tz="UTC")
    with pytest.raises(ValueError, match="column 'word_count'"):
        to_table(ARTICLES, [{"article_id": "a", "word_count": "many"}])
