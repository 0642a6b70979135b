"""The feed registry and settings: validation with errors that name the entry and field."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import REPO

from newsingest.config import (BOUNDS, DEFAULT_REGISTRY, Settings, check_schedule, load_registry,
                               parse_registry)
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
    with pytest.raises(ConfigError, match="NEWS_TOTAL_TIMEOUT='fast': expected a number"):
        Settings.from_env({"NEWS_TOTAL_TIMEOUT": "fast"})


@pytest.mark.parametrize("name, value, message", [
    # each of these once passed and broke every feed, or crashed later without the name
    ("NEWS_TOTAL_TIMEOUT", "nan", "must be a finite number"),      # disabled the slow-drip guard
    ("NEWS_TOTAL_TIMEOUT", "inf", "must be a finite number"),
    ("NEWS_TOTAL_TIMEOUT", "0", "must be > 0"),                    # every feed "rate_limited"
    ("NEWS_CONNECT_TIMEOUT", "0", "must be > 0"),                  # every feed "internal"
    ("NEWS_CONNECT_TIMEOUT", "nan", "must be a finite number"),    # "robots.txt could not be read"
    ("NEWS_READ_TIMEOUT", "-1", "must be > 0"),
    ("NEWS_USER_AGENT", "bot/1.0\r\nX-Injected: 1", "no CR, LF"),
    ("NEWS_USER_AGENT", "bot/1.0\n", "no CR, LF"),
    ("NEWS_USER_AGENT", "b\u00f6t/1.0", "printable ASCII"),
    ("NEWS_DEDUP_WINDOW_DAYS", "nan", "must be a finite number"),  # crashed dedup unnamed
    ("NEWS_DEDUP_WINDOW_DAYS", "0", "must be > 0"),
    ("NEWS_HISTORY_DAYS", "1e400", "must be a finite number"),
    ("NEWS_DATA_URL", "", "empty"),                                # silently became ./data
    ("NEWS_DATA_URL", "  ", "empty"),
    ("NEWS_FEEDS", "", "empty"),
    ("NEWS_FEED_GROUP_SIZE", "2.5", "expected an integer"),
    ("NEWS_FEED_GROUP_SIZE", "", "empty"),
    ("NEWS_MAX_FEED_BYTES", "100", "must be >= 1,024"),
    ("NEWS_MAX_PAGE_BYTES", "1e12", "expected an integer"),
    ("NEWS_MAX_REDIRECTS", "-1", "must be >= 0"),
    ("NEWS_MAX_REDIRECTS", "50", "must be <= 20"),
    ("NEWS_MAX_ENTRIES_PER_FEED", "0", "must be >= 1"),
    ("NEWS_PER_HOST_CONCURRENCY", "1000", "must be <= 64"),
    ("NEWS_HOST_INTERVAL", "-0.5", "must be >= 0"),
    ("NEWS_HOST_INTERVAL", "nan", "must be a finite number"),
    ("NEWS_FETCH_WORKERS", "0", "must be >= 1"),
    ("NEWS_FETCH_RETRIES", "11", "must be <= 10"),
    ("NEWS_RESPECT_ROBOTS", "", "empty"),
    ("NEWS_RESPECT_ROBOTS", "2", "expected one of"),
])
def test_every_setting_is_checked_and_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({name: value})
    assert str(err.value).startswith(f"{name}={value!r}: ")
    assert message in str(err.value)


def test_every_numeric_setting_has_a_range_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for bound in BOUNDS.values():
        row = next((line for line in readme.splitlines() if f"`{bound.env}`" in line), None)
        assert row is not None, f"{bound.env} missing from the README's configuration table"
        assert bound.text() in row or any(bound.text() in line for line in readme.splitlines()
                                          if bound.env in line), (bound.env, bound.text())


def test_settings_accept_their_bounds() -> None:
    env = {b.env: str(b.high) if b.kind is float else str(int(b.high)) for b in BOUNDS.values()}
    s = Settings.from_env(env)
    assert s.total_timeout == 3600.0 and s.fetch_retries == 10
    s = Settings.from_env({"NEWS_TOTAL_TIMEOUT": " 0.5 ", "NEWS_HOST_INTERVAL": "0"})
    assert s.total_timeout == 0.5 and s.host_interval == 0.0
    with pytest.raises(ConfigError, match="NEWS_TOTAL_TIMEOUT=nan"):
        Settings(total_timeout=float("nan"))        # direct construction is checked too


@pytest.mark.parametrize("value, expected", [
    (None, "*/30 * * * *"), ("*/15 * * * *", "*/15 * * * *"), ("@hourly", "@hourly"),
    ("@DAILY", "@daily"), ("none", None), ("0 6 * * 1-5", "0 6 * * 1-5"),
])
def test_schedule_values(value: str | None, expected: str | None) -> None:
    assert check_schedule(value) == expected


@pytest.mark.parametrize("value", ["bogus", "", "* * *", "61 * * * *", "@sometimes",
                                   "*/30 * * * * * *"])
def test_bad_schedule_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"NEWS_SCHEDULE={value!r}: ")):
        check_schedule(value)


def _entry(**fields: str) -> str:
    base = {"id": "wire-world", "url": "'https://example.org/rss.xml'", "publisher": "Wire",
            "country": "GB"}
    base.update(fields)
    return "feeds:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items()) + "\n"


@pytest.mark.parametrize("fields, message", [
    ({"country": "NO"}, "field 'country' must be a string, got the YAML boolean false"),
    ({"country": "no"}, 'quote the value, e.g. country: "NO"'),
    ({"id": "123"}, "field 'id' must be a string, got the YAML number 123: quote the value, "
                    "e.g. id: \"123\""),
    ({"publisher": "yes"}, "field 'publisher' must be a string, got the YAML boolean true"),
    ({"language": "on"}, "field 'language' must be a string, got the YAML boolean true"),
    ({"url": "'https://example.org/world news.xml'"}, "contains a space"),
    ({"url": "'https://example.org:99999/rss'"}, "field 'url' malformed (Port out of range"),
    ({"url": "'https://example.org:0/rss'"}, "port 0"),
    ({"url": "'https://example.org:http/rss'"}, "field 'url' malformed"),
    ({"url": "'https:///rss'"}, "has no host"),
])
def test_registry_type_and_url_errors_say_what_was_found(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_registry(_entry(**fields), "feeds.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("feeds.yaml: feed #1")


def test_empty_feed_list_is_an_error() -> None:
    with pytest.raises(ConfigError, match="the 'feeds:' list is empty"):
        parse_registry("feeds: []\n", "feeds.yaml")


def test_registry_file_problems_are_config_errors(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(_entry(publisher="'Le Monde Diplomatique \u00e9dition'").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.yaml: not UTF-8 text \(byte 0xe9 on line 4\); "
                                          r"save the file as UTF-8"):
        load_registry(latin1)
    with pytest.raises(ConfigError, match="is a directory; set NEWS_FEEDS to the feeds.yaml file"):
        load_registry(tmp_path)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + _entry().encode())
    assert [f.id for f in load_registry(bom)] == ["wire-world"]


def test_large_registry_parses_quickly() -> None:
    """20,000 feeds: the libyaml loader and a set of country codes (was 12 s)."""
    text = "feeds:\n" + "".join(
        f"  - id: feed-{i}\n    url: https://host{i % 4000}.example.org/rss/{i}.xml\n"
        f"    publisher: Publisher {i % 4000}\n    country: {('GB', 'FR', 'KE', 'BR')[i % 4]}\n"
        f"    language: en\n" for i in range(20_000))
    t0 = time.process_time()
    feeds = parse_registry(text)
    cpu = time.process_time() - t0
    assert len(feeds) == 20_000 and feeds[-1].country == "BR"
    assert cpu < 6.0, f"{cpu:.1f} s CPU for 20,000 feeds"   # pure-Python loader: ~9 s
