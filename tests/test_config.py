"""The feed registry and settings: validation with errors that name the entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest.config import DEFAULT_REGISTRY, Settings, load_registry, parse_registry
from newsingest.errors import ConfigError

GOOD = """
feeds:
  - id: wire-world
    url: https://example.org/world/rss.xml
    publisher: Example Wire
    country: gb
    language: en
  - id: daily-2
    url: http://news.example.com/feed
    publisher: Daily
    country: KE
"""


def test_parse_good_registry():
    feeds = parse_registry(GOOD)
    assert [f.id for f in feeds] == ["wire-world", "daily-2"]
    assert feeds[0].country == "GB" and feeds[0].language == "en"
    assert feeds[1].language is None


@pytest.mark.parametrize("entry, message", [
    ("{id: Bad_Id, url: 'https://x.org/f', publisher: P, country: GB}", "field 'id' must match"),
    ("{id: ok, url: 'ftp://x.org/f', publisher: P, country: GB}", "field 'url' must be an absolute http(s) URL"),
    ("{id: ok, url: 'https://x.org/f', publisher: P, country: XX}", "field 'country' must be an ISO 3166-1"),
    ("{id: ok, url: 'https://x.org/f', country: GB}", "field 'publisher' is required"),
    ("{id: ok, url: 'https://x.org/f', publisher: P, country: GB, language: English}", "field 'language'"),
    ("{id: ok, url: 'https://x.org/f', publisher: P, country: GB, colour: red}", "unknown field(s) colour"),
])
def test_bad_entry_names_entry_and_field(entry, message):
    text = f"feeds:\n  - {{id: first, url: 'https://a.org/', publisher: A, country: FR}}\n  - {entry}\n"
    with pytest.raises(ConfigError) as err:
        parse_registry(text, "my.yaml")
    assert message in str(err.value)
    assert "my.yaml: feed #2" in str(err.value)


def test_duplicate_ids_and_shape_errors():
    dup = "feeds:\n" + " - {id: a, url: 'https://a.org/', publisher: A, country: FR}\n" * 2
    with pytest.raises(ConfigError, match="duplicate id 'a'"):
        parse_registry(dup)
    with pytest.raises(ConfigError, match="top-level 'feeds:' list"):
        parse_registry("feed: []")
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_registry("feeds: [unclosed")


def test_missing_registry_file_says_how_to_fix(tmp_path: Path):
    with pytest.raises(ConfigError, match="NEWS_FEEDS"):
        load_registry(tmp_path / "nope.yaml")


def test_shipped_registry_is_valid():
    feeds = load_registry(DEFAULT_REGISTRY)
    assert feeds and len({f.id for f in feeds}) == len(feeds)


def test_settings_from_env_and_bad_values(tmp_path: Path):
    s = Settings.from_env({"NEWS_FEEDS": str(tmp_path / "f.yaml"), "NEWS_DATA_URL": "s3://b/news",
                           "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.25"})
    assert s.feeds_path == tmp_path / "f.yaml" and s.data_url == "s3://b/news"
    assert s.allow_private_networks is True and s.host_interval == 0.25
    assert Settings.from_env({}).allow_private_networks is False
    with pytest.raises(ConfigError, match="NEWS_ALLOW_PRIVATE_NETWORKS='maybe'"):
        Settings.from_env({"NEWS_ALLOW_PRIVATE_NETWORKS": "maybe"})
    with pytest.raises(ConfigError, match="NEWS_FEED_GROUP_SIZE='0': must be >= 1"):
        Settings.from_env({"NEWS_FEED_GROUP_SIZE": "0"})
    with pytest.raises(ConfigError, match="expected a float"):
        Settings.from_env({"NEWS_TOTAL_TIMEOUT": "fast"})
