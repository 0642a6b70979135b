"""parse_feed on the fixture feeds, plus FeedState round trips and the circuit breaker."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsingest.errors import FeedParseError
from newsingest.feeds import (FeedEntry, FeedState, PollOutcome, circuit_open, newest_first,
                              parse_feed)

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def fixture(name: str) -> bytes:
    """Fixture bytes without the leading '<!-- case: ... -->' line (a comment may not
    precede an XML declaration, so the served document starts after it)."""
    data = (FIXTURES / name).read_bytes()
    first, _, rest = data.partition(b"\n")
    assert first.startswith(b"<!-- case:"), f"{name} must start with a case comment"
    return rest


def by_link(entries: list[FeedEntry]) -> dict[str, FeedEntry]:
    return {e.link: e for e in entries}


def test_every_fixture_starts_with_a_case_comment() -> None:
    for path in FIXTURES.iterdir():
        assert path.read_bytes().startswith(b"<!-- case:"), path.name


def test_rss2_relative_links_plain_text_and_metadata() -> None:
    entries = parse_feed(fixture("rss2_relative.xml"), "https://news.example.com/feeds/top.xml",
                         now=NOW)
    assert [e.link for e in entries] == [
        "https://news.example.com/business/rates-on-hold",
        "https://news.example.com/feeds/world/second.html?id=2#top",
    ]
    first, second = entries
    assert first.title == "Markets & Money: rates \u201con hold\u201d"
    assert first.summary == "The central bank kept rates. More later."
    assert "alert" not in first.summary and "color" not in first.summary
    assert "<" not in first.summary
    assert first.guid == "rates-2026-11-23" and first.entry_id == "rates-2026-11-23"
    assert first.published_at == datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert first.published_clamped is False
    assert first.categories == ["Business", "Economy"]
    assert first.authors == ["Jane Doe"]
    assert second.summary == "Plain text summary"
    assert second.authors == ["John Roe"]


def test_atom_xml_base_and_content_types() -> None:
    entries = parse_feed(fixture("atom_xmlbase.xml"), "https://elsewhere.example/feed", now=NOW)
    links = [e.link for e in entries]
    assert links == ["https://atom.example.org/blog/posts/big-news",
                     "https://atom.example.org/absolute-path/second"]
    big, second = entries
    assert big.title == "Big news today"
    assert big.summary == "Scientists found water."
    assert big.published_at == datetime(2026, 11, 23, 14, 15, tzinfo=timezone.utc)
    assert big.authors == ["Ann Author"]
    assert big.categories == ["science"]
    assert big.entry_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert second.title == "Second & last"
    assert second.summary == "XHTML body"
    assert second.published_at == datetime(2026, 11, 22, 11, 0, tzinfo=timezone.utc)


def test_rss1_rdf_relative_links() -> None:
    entries = parse_feed(fixture("rss1_rdf.xml"), "http://rdf.example.net/index.rdf", now=NOW)
    assert [e.link for e in entries] == ["http://rdf.example.net/one", "http://rdf.example.net/two"]
    assert entries[0].published_at == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert entries[0].categories == ["Politics"]


def test_missing_and_duplicated_guids_give_unique_stable_ids() -> None:
    body = fixture("guids_missing_dup.xml")
    entries = parse_feed(body, "http://dup.example.com/rss", now=NOW)
    ids = [e.entry_id for e in entries]
    assert len(ids) == len(set(ids)), ids
    titles = [e.title for e in entries]
    assert "Evil" not in titles                       # javascript: link dropped
    assert titles.count("Twin") == 1                  # exact duplicate collapsed
    links = by_link(entries)
    assert links["http://dup.example.com/g"].entry_id == "unique-1"
    # a GUID shared by two different items is not used as the id
    assert links["http://dup.example.com/c"].entry_id.startswith("sha256:")
    assert links["http://dup.example.com/c"].guid == "same"
    # same link, different titles -> different ids
    same_link = [e for e in entries if e.link == "http://dup.example.com/e"]
    assert len(same_link) == 2 and same_link[0].entry_id != same_link[1].entry_id
    # stable across parses and independent of the feed URL
    again = parse_feed(body, "http://mirror.example.org/other", now=NOW + timedelta(days=1))
    assert [e.entry_id for e in again] == ids


def test_future_dates_are_clamped_and_bogus_dates_dropped() -> None:
    entries = by_link(parse_feed(fixture("future_dates.xml"), "http://future.example.com/",
                                 now=NOW))
    future = entries["http://future.example.com/1"]
    assert future.published_at == NOW and future.published_clamped is True
    normal = entries["http://future.example.com/2"]
    assert normal.published_clamped is False and normal.published_at < NOW
    assert entries["http://future.example.com/3"].published_at is None      # 1970
    assert entries["http://future.example.com/4"].published_at is None      # garbage
    assert entries["http://future.example.com/5"].published_at is None
    for e in entries.values():
        assert e.published_at is None or e.published_at.tzinfo is not None


def test_billion_laughs_and_external_entities_are_harmless() -> None:
    import time
    started = time.monotonic()
    entries = parse_feed(fixture("billion_laughs.xml"), "http://lol.example.com/", now=NOW)
    assert time.monotonic() - started < 2
    assert len(entries) == 2
    for e in entries:
        assert len(e.title) < 100 and "lolol" not in e.title
        assert "root:" not in e.summary                      # /etc/passwd not read
    assert entries[1].title == "Innocent"


def test_wrong_declared_charset_is_recovered() -> None:
    entries = parse_feed(fixture("wrong_charset.xml"), "http://cs.example.com/", now=NOW)
    assert len(entries) == 1
    assert entries[0].title == "Caf\u00e9 owner\u2019s story"
    assert entries[0].summary == "R\u00e9sum\u00e9"


def test_single_byte_declaration_over_utf8_bytes_is_not_mojibake() -> None:
    entries = parse_feed(fixture("latin1_declared_utf8_bytes.xml"), "http://cs.example.com/",
                         now=NOW)
    assert entries[0].title == "Na\u00efve caf\u00e9 \u2014 \u00fcber"


def test_truncated_feed_keeps_complete_items() -> None:
    entries = parse_feed(fixture("truncated.xml"), "http://cut.example.com/", now=NOW)
    assert [e.guid for e in entries][:2] == ["c1", "c2"]


@pytest.mark.parametrize("body, message", [
    (b"", "empty body"),
    (b"  \r\n\t ", "empty body"),
    (b"\xef\xbb\xbf", "empty body"),
    (None, "HTML page, not a feed"),          # html_page.html
    (b"<html><body><p>hello</p></body></html>", "HTML page, not a feed"),
    (b"not xml at all, just words", "XML not well-formed at line"),
])
def test_unusable_bodies_raise_with_a_reason(body: bytes | None, message: str) -> None:
    if body is None:
        body = fixture("html_page.html")
    with pytest.raises(FeedParseError, match=re.escape(message)) as info:
        parse_feed(body, "http://bad.example.com/feed")
    assert "http://bad.example.com/feed" in str(info.value)


def test_not_well_formed_xml_without_feed_names_the_line() -> None:
    with pytest.raises(FeedParseError, match=r"XML not well-formed at line \d+: mismatched tag"):
        parse_feed(fixture("not_xml.xml"), "http://bad.example.com/feed")


def test_truncated_before_any_item_is_an_error() -> None:
    with pytest.raises(FeedParseError, match=r"XML not well-formed at line \d+"):
        parse_feed(fixture("truncated_before_items.xml"), "http://cut.example.net/rdf")


def test_empty_valid_feed_is_not_an_error() -> None:
    assert parse_feed(fixture("empty_channel.xml"), "http://quiet.example.com/") == []


def test_parse_feed_never_reads_local_files(tmp_path: Path) -> None:
    # feedparser.parse(bytes) would treat short bytes as a file name; we pass a stream
    secret = tmp_path / "secret.xml"
    secret.write_bytes(b"<rss version='2.0'><channel><title>s</title><item><title>SECRET"
                       b"</title><link>http://s.example/</link></item></channel></rss>")
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), "http://x.example/")


def test_ten_thousand_items_parse_and_sort_newest_first() -> None:
    items = b"".join(
        b"<item><title>t%d</title><link>http://big.example.com/%d</link>"
        b"<pubDate>%s</pubDate></item>"
        % (i, i, (NOW - timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S GMT").encode())
        for i in range(10_000))
    body = b"<rss version='2.0'><channel><title>big</title>" + items + b"</channel></rss>"
    entries = parse_feed(body, "http://big.example.com/rss", now=NOW)
    assert len(entries) == 10_000
    newest = newest_first(list(reversed(entries)))[:200]
    assert [e.title for e in newest[:3]] == ["t0", "t1", "t2"]


def test_plain_text_fields_have_no_markup_or_control_chars() -> None:
    body = (b"<rss version='2.0'><channel><title>x</title><item>"
            b"<title>&lt;script&gt;alert(1)&lt;/script&gt;Headline\x01 \t here</title>"
            b"<link> http://x.example/a </link>"
            b"<description>&lt;iframe src=//evil&gt;&lt;/iframe&gt;&lt;p onclick=x()&gt;Body&lt;/p&gt;"
            b"&amp;#8217;s</description></item></channel></rss>")
    [entry] = parse_feed(body, "http://x.example/rss")
    assert entry.title == "Headline here"
    assert entry.summary == "Body \u2019s"
    assert entry.link == "http://x.example/a"


# --- FeedState and circuit breaker ----------------------------------------------------
def test_feed_state_round_trip_and_tolerance() -> None:
    state = FeedState(etag='"x"', last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
                      body_hash="sha256:ab", consecutive_failures=2,
                      next_poll_at="2026-11-24T12:00:00+00:00", last_status=503, trust=0.7,
                      polls_since_unconditional=3)
    import json
    assert FeedState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    weird = FeedState.from_dict({"etag": 5, "trust": 7, "consecutive_failures": "x",
                                 "unknown": 1, "last_status": True})
    assert weird.etag is None and weird.trust == 1.0 and weird.consecutive_failures == 0
    assert weird.last_status is None
    assert FeedState.from_dict(None) == FeedState()


def _outcome(status: str, kind: str | None = None, http: int | None = None) -> PollOutcome:
    return PollOutcome("f", [], FeedState(), {"status": status, "error_kind": kind,
                                              "http_status": http})


def test_circuit_breaker() -> None:
    outage = [_outcome("error", "connection")] * 8 + [_outcome("ok")] * 2
    assert circuit_open(outage)
    assert not circuit_open([_outcome("error", "timeout")] * 4)           # too few feeds
    assert not circuit_open([_outcome("error", "http_status", 404)] * 10)  # not an outage
    assert circuit_open([_outcome("error", "http_status", 502)] * 10)
    mixed = [_outcome("error", "dns")] * 5 + [_outcome("ok")] * 5
    assert not circuit_open(mixed)
    skipped = [_outcome("skipped_backoff")] * 20 + [_outcome("error", "timeout")] * 4
    assert not circuit_open(skipped)


def test_poll_feed_never_raises() -> None:
    from newsingest.config import FeedSpec
    from newsingest.feeds import poll_feed

    class Exploding:
        def fetch(self, url: str, **kwargs: object) -> None:
            raise RuntimeError("boom")
    out = poll_feed(FeedSpec("x", "http://x.example/feed", "X", "US"), None, Exploding(),  # type: ignore[arg-type]
                    now=NOW)
    assert out.row["status"] == "error" and out.row["error_kind"] == "internal"
    assert "boom" in out.row["error"] and out.state.consecutive_failures == 1
    assert set(out.row) == {"feed_id", "url", "status", "http_status", "not_modified", "bytes",
                            "elapsed_ms", "entries", "error_kind", "error",
                            "consecutive_failures", "next_poll_at", "polled_at"}


def test_unsafe_feed_url_is_an_error_row_without_network() -> None:
    from newsingest.config import FeedSpec
    from newsingest.feeds import poll_feed
    from newsingest.fetch import Fetcher, FetchPolicy

    with Fetcher(FetchPolicy(allow_private=False)) as f:
        out = poll_feed(FeedSpec("meta", "http://169.254.169.254/feed", "M", "US"), None, f,
                        now=NOW)
    assert out.row["error_kind"] == "unsafe_url" and "metadata" in out.row["error"]
    assert out.row["http_status"] is None and out.row["bytes"] == 0
