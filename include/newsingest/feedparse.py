"""Feed parsing (RSS 0.9x/1.0/2.0, Atom) into clean entries.

``parse_feed`` hands feedparser the BYTES (wrapped in a stream: feedparser treats a
bare bytes/str argument as a URL or a local file name) and turns what it finds into
:class:`FeedEntry` objects with plain-text fields, absolute http(s) links, UTC dates
and stable ids. ``poll_feed`` does one conditional GET with per-feed state.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import xml.sax
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newsingest.errors import FeedParseError
from newsingest.plaintext import collapse, html_to_text, to_text

MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 10_000
MAX_NAME_CHARS = 200
MAX_GUID_CHARS = 2_048
MIN_YEAR = 1990            # earlier "publication" dates are bogus (epoch 0, year 1)

_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
_XML_PREAMBLE = re.compile(rb"^\s*(?:<\?[^>]*\?>|<!--.*?-->|\s)*", re.S)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.I | re.S)
_XML_DECL_ENCODING = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
SINGLE_BYTE_CHARSETS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1",
                                  "windows-1252", "cp1252", "iso-8859-15", "us-ascii", "ascii"})
_EMAIL_NAME = re.compile(r"^\S+@\S+\s*\((.+)\)$")
_ROOT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF|channel)\s*>\s*(?:<!--.*?-->\s*)*$",
                       re.S)                # the document's closing root tag ends the body
MAX_ENTITY_DECLS = 64      # more entity declarations than this: drop the whole DTD subset


@dataclass
class FeedEntry:
    """One feed item, cleaned: plain text, absolute link, UTC date, stable id."""

    entry_id: str
    link: str
    title: str
    summary: str
    published_at: datetime | None
    published_clamped: bool
    authors: list[str]
    categories: list[str]
    guid: str | None


# --- parsing helpers ------------------------------------------------------------------
def _sniff_html(body: bytes) -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    head = head[_XML_PREAMBLE.match(head).end():]
    return bool(_HTML_START.match(head))


def _defuse_dtd(body: bytes) -> bytes:
    """Drop an internal DTD subset that declares many entities (entity-expansion bombs).

    feedparser already strips unsafe <!ENTITY> declarations; this is a second line of
    defence that keeps even the regexes and the loose parser away from huge DTDs.
    """
    head = body[:65536]
    if len(_ENTITY_DECL.findall(head)) > MAX_ENTITY_DECLS:
        return _DOCTYPE_SUBSET.sub(b"", body, count=1)
    return body


def _fix_declared_charset(body: bytes) -> bytes:
    """Trust the bytes over a single-byte charset declaration when they are valid UTF-8.

    Valid multi-byte UTF-8 is vanishingly unlikely in real Latin-1/cp1252 text, while
    feeds that declare ISO-8859-1 but are written in UTF-8 are common (mojibake otherwise).
    """
    m = _XML_DECL_ENCODING.match(body)
    if not m or m.group(2).decode("ascii").lower() not in SINGLE_BYTE_CHARSETS:
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    if body.isascii():
        return body
    return body[:m.start(2)] + b"utf-8" + body[m.end(2):]


def _utc(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        dt = datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError, OSError):
        return None
    return dt if dt.year >= MIN_YEAR else None


def _check_link(value: Any, base: str) -> tuple[str | None, str | None]:
    """(absolute http(s) link, None), or (None, why it is unusable); (None, None) if absent."""
    if not value or not isinstance(value, str) or not value.strip():
        return None, None
    value = value.strip()
    if any(ord(c) < 32 for c in value):
        return None, "a link with control characters"
    try:
        absolute = urljoin(base, value)
        parts = urlsplit(absolute)
    except ValueError:
        return None, "a malformed link"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return None, f"a {scheme}: link" if scheme else "a link without a scheme"
    if not parts.hostname:
        return None, "a link without a host"
    return absolute, None


def _http_url(value: str | None, base: str) -> str | None:
    return _check_link(value, base)[0]


def _entry_link(entry: Any, base: str) -> tuple[str | None, str]:
    """The entry's article link, or (None, why none is usable: the first bad link's reason)."""
    why: str | None = None
    candidates = [entry.get("link")]
    candidates += [item.get("href") for item in entry.get("links") or []
                   if item.get("rel", "alternate") == "alternate"]
    if entry.get("guidislink") or entry.get("id", "").startswith(("http://", "https://")):
        candidates.append(entry.get("id"))
    for value in candidates:
        link, problem = _check_link(value, base)
        if link:
            return link, ""
        why = why or problem
    return None, why or "no link"


def _names(entry: Any) -> list[str]:
    out: list[str] = []
    for author in entry.get("authors") or []:
        name = author.get("name") or author.get("email") or ""
        m = _EMAIL_NAME.match(name.strip())
        if m:                                   # RSS style "bob@example.com (Bob Smith)"
            name = m.group(1)
        out.append(html_to_text(name, MAX_NAME_CHARS))
    if not out and entry.get("author"):
        out.append(html_to_text(entry.get("author"), MAX_NAME_CHARS))
    return [n for n in dict.fromkeys(out) if n]


def _categories(entry: Any) -> list[str]:
    out = [html_to_text(t.get("term") or t.get("label") or "", MAX_NAME_CHARS)
           for t in entry.get("tags") or []]
    return [c for c in dict.fromkeys(out) if c]


def _summary(entry: Any) -> str:
    detail = entry.get("summary_detail") or {}
    value = entry.get("summary")
    if not value and entry.get("content"):
        detail = entry["content"][0]
        value = detail.get("value")
    return to_text(value, detail.get("type"), MAX_SUMMARY_CHARS)


def _hash_id(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


def _why_unusable(parsed: Any, body: bytes) -> str:
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"XML not well-formed at line {exc.getLineNumber()}: {exc.getMessage()}"
    if b"<html" in body[:2048].lower() or b"<body" in body[:2048].lower():
        return "HTML page, not a feed"
    if exc is not None:
        return f"no entries and no feed element ({exc.__class__.__name__}: {exc})"
    return "no entries and no feed element"


@dataclass
class ParsedFeed:
    """A parsed feed: its entries, the items left out and why, and a warning if any."""

    entries: list[FeedEntry]
    items: int = 0                       # items in the document (complete or not)
    dropped: Counter[str] = field(default_factory=Counter)   # reason -> items left out
    warning_kind: str | None = None      # "truncated_feed", "malformed_feed", "dropped_entries"
    warning: str | None = None

    def add_warning(self, kind: str, message: str) -> None:
        """Keep the first (most serious) kind; join the messages."""
        self.warning_kind = self.warning_kind or kind
        self.warning = f"{self.warning}; {message}" if self.warning else message


def parse_feed(body: bytes, url: str, *, now: datetime | None = None) -> list[FeedEntry]:
    """Parse a feed body into clean entries (document order); see :func:`read_feed`."""
    return read_feed(body, url, now=now).entries


def _describe_dropped(dropped: Counter[str], items: int) -> str:
    total = sum(dropped.values())
    reasons = ", ".join(f"{n} with {why}" for why, n in dropped.most_common())
    return f"{total} of {items} items dropped: {reasons}"


def read_feed(body: bytes, url: str, *, now: datetime | None = None) -> ParsedFeed:
    """Parse a feed body into clean entries, with what was left out and why.

    Raises FeedParseError saying why when the body is not a usable feed. A feed with
    a recoverable problem is accepted with the entries that could be read and a
    warning: ``truncated_feed`` (the document stops before its end, e.g. a dropped
    connection), ``malformed_feed`` (not well-formed XML, entries recovered), and
    ``dropped_entries`` (items without an http(s) link: ``ftp:``, ``javascript:``...).
    """
    now = now or datetime.now(timezone.utc)
    if not body or not body.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise FeedParseError(f"{url}: empty body")
    if _sniff_html(body):
        raise FeedParseError(f"{url}: HTML page, not a feed")
    # No base URI is given to feedparser: it would "resolve" relative GUIDs too, making
    # ids depend on the feed's address. Links are resolved below (xml:base still applies).
    parsed = feedparser.parse(io.BytesIO(_defuse_dtd(_fix_declared_charset(body))), response_headers={},
                              resolve_relative_uris=True, sanitize_html=True)
    raw_entries = parsed.get("entries") or []
    if not raw_entries:
        exc = parsed.get("bozo_exception")
        if parsed.get("version") and not isinstance(exc, xml.sax.SAXException):
            return ParsedFeed([])   # a well-formed feed that is simply empty (charset notes are fine)
        raise FeedParseError(f"{url}: {_why_unusable(parsed, body)}")

    result = ParsedFeed([], items=len(raw_entries))
    exc = parsed.get("bozo_exception")
    truncated = False
    if isinstance(exc, xml.sax.SAXParseException):
        where = f"line {exc.getLineNumber()}: {exc.getMessage()}"
        truncated = not _ROOT_END.search(body[-256:])
        if truncated:
            result.add_warning("truncated_feed", f"feed truncated (the document stops before "
                                                 f"its end, XML error at {where}); "
                                                 f"entries recovered from the complete items")
        else:
            result.add_warning("malformed_feed", f"XML not well-formed at {where}; "
                                                 f"entries recovered by the lenient parser")

    drafts: list[dict[str, Any]] = []
    seen_exact: set[tuple[Any, ...]] = set()
    for n, raw in enumerate(raw_entries):
        link, why = _entry_link(raw, url)
        if link is None:                    # nothing to fetch or cite: not an article
            if truncated and n == len(raw_entries) - 1:
                result.items -= 1           # the item the cut went through: not an item
            else:
                result.dropped[why] += 1
            continue
        guid = collapse(raw.get("id") or "")[:MAX_GUID_CHARS] or None
        title = to_text(raw.get("title"), (raw.get("title_detail") or {}).get("type"),
                        MAX_TITLE_CHARS)
        published = _utc(raw.get("published_parsed") or raw.get("updated_parsed")
                         or raw.get("created_parsed"))
        clamped = published is not None and published > now
        summary = _summary(raw)
        exact = (guid, link, title, summary, published)
        if exact in seen_exact:
            continue                        # the very same item twice: keep one
        seen_exact.add(exact)
        drafts.append(dict(link=link, title=title, summary=summary, guid=guid,
                           published_at=now if clamped else published,
                           published_clamped=clamped, authors=_names(raw),
                           categories=_categories(raw)))

    guid_counts = Counter(d["guid"] for d in drafts if d["guid"])
    link_counts = Counter(d["link"] for d in drafts)
    used: set[str] = set()
    entries: list[FeedEntry] = []
    for d in drafts:
        if d["guid"] and guid_counts[d["guid"]] == 1:
            entry_id = d["guid"]
        elif link_counts[d["link"]] == 1:
            entry_id = _hash_id(d["link"])
        else:
            entry_id = _hash_id(d["link"], d["title"])
        base, n = entry_id, 1
        while entry_id in used:
            n += 1
            entry_id = f"{base}#{n}"
        used.add(entry_id)
        entries.append(FeedEntry(entry_id=entry_id, **d))
    result.entries = entries
    if result.dropped:
        result.add_warning("dropped_entries", _describe_dropped(result.dropped, result.items))
    return result


def newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Sort newest first; undated entries keep their feed order after the dated ones."""
    def key(pair: tuple[int, FeedEntry]) -> tuple[int, float, int]:
        idx, entry = pair
        if entry.published_at is None:
            return (1, 0.0, idx)
        return (0, -entry.published_at.timestamp(), idx)
    return [e for _, e in sorted(enumerate(entries), key=key)]
