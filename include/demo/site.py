"""Render the demo news web (article pages, feeds, robots.txt) from the YAML content.

Content lives in ``content/*.yaml`` (publishers and stories, each story with its
syndicated copies); per-publisher HTML and feed templates live in ``templates/``.
Nothing here does HTTP: :func:`render_publisher` returns a path -> :class:`Resource`
map that ``server.py`` serves and ``build_manifest.py`` describes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from email.utils import format_datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

HERE = Path(__file__).resolve().parent
CONTENT_DIR = HERE / "content"
TEMPLATE_DIR = HERE / "templates"
MANIFEST_PATH = HERE / "manifest.json"

FEED_FORMATS = {"rss2": "rss2.xml.j2", "atom": "atom.xml.j2", "rss1": "rss1.rdf.j2"}
FEED_CONTENT_TYPES = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "rss1": "application/rdf+xml; charset=utf-8",
}
HTML_TYPE = "text/html; charset=utf-8"
FEED_FAILURES = {"http-500", "html-instead-of-feed", "truncated-xml"}
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
SLUG_STRIP = re.compile(r"[^a-z0-9]+")
QUOTE_CHARS = set("\"'\u2018\u2019\u201c\u201d")
DEFAULT_COPY_DELAY = dt.timedelta(minutes=47)


@dataclass(frozen=True)
class FeedSpec:
    """One feed of a publisher, possibly designed to fail."""

    id: str
    path: str
    format: str
    title: str
    sections: tuple[str, ...] | None
    status: str = "ok"
    reason: str = ""
    broken_links: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Publisher:
    """An invented outlet with its own template, feeds and boilerplate."""

    id: str
    name: str
    kind: str
    country: str
    language: str
    html_lang: str
    template: str
    tagline: str
    path_pattern: str
    dateline_style: str
    gzip: bool
    boilerplate: tuple[str, ...]
    feeds: tuple[FeedSpec, ...]
    robots_disallow: tuple[str, ...] = ()
    quirks: tuple[str, ...] = ()


@dataclass
class Story:
    """One story as written: the original text plus syndication instructions."""

    id: str
    headline: str
    published: dt.datetime
    author: str
    section: str
    dateline: str | None
    paragraphs: list[str]
    tags: list[str]
    about: list[str]
    mentioned: list[str]
    copies: list[dict[str, Any]]
    summary: str | None = None
    must_contain: list[str] | None = None
    traps: list[str] = field(default_factory=list)
    hard_negative_of: list[str] = field(default_factory=list)
    note: str = ""
    source_file: str = ""


@dataclass
class Copy:
    """One URL serving a story on one publisher (the original or a syndicated copy)."""

    story_id: str
    publisher_id: str
    path: str
    link_query: str
    headline: str
    paragraphs: list[str]
    published: dt.datetime
    author: str
    section: str
    tags: list[str]
    summary: str
    is_original: bool
    nid: int = 0

    @property
    def feed_link_path(self) -> str:
        """Path (with tracking query, if any) as it appears in the feed."""
        return f"{self.path}?{self.link_query}" if self.link_query else self.path


@dataclass(frozen=True)
class Resource:
    """A rendered response: status, content type, body and Last-Modified time."""

    status: int
    content_type: str
    body: bytes
    last_modified: dt.datetime | None = None

    @cached_property
    def etag(self) -> str:
        """Strong validator derived from the body (computed once per resource)."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    @cached_property
    def gzipped(self) -> bytes:
        """The gzip variant of the body, compressed once (as a server's static gzip cache)."""
        return gzip_bytes(self.body)


@dataclass
class Content:
    """Everything loaded from ``content/``."""

    publishers: dict[str, Publisher]
    stories: list[Story]
    copies: list[Copy]

    def copies_of(self, publisher_id: str) -> list[Copy]:
        """Copies served by one publisher, newest first."""
        found = [c for c in self.copies if c.publisher_id == publisher_id]
        return sorted(found, key=lambda c: (c.published, c.path), reverse=True)


# --------------------------------------------------------------------------- loading


def _parse_time(value: Any) -> dt.datetime:
    """Accept YAML timestamps or ISO strings; always return aware UTC."""
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def slugify(text: str) -> str:
    """URL slug from a headline."""
    text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    text = text.replace("'", "")
    return SLUG_STRIP.sub("-", text).strip("-")[:80].strip("-")


def curly(text: str) -> str:
    """Typographic quotes, as some CMSes apply them to syndicated copy."""
    text = re.sub(r'(^|[\s(\[])"', "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(^|[\s(\[])'", "\\1\u2018", text)
    return text.replace("'", "\u2019")


def _format_dateline(pub: Publisher, city: str, when: dt.datetime) -> str:
    """Prefix for the first paragraph in the publisher's house style."""
    if pub.dateline_style == "wire":
        return f"{city.upper()}, {when:%b} {when.day} ({pub.name}) - "
    if pub.dateline_style == "colon":
        return f"{city.upper()}: "
    if pub.dateline_style == "dot":
        return f"{city}. "
    return ""


def _load_publishers(data: dict[str, Any]) -> dict[str, Publisher]:
    pubs: dict[str, Publisher] = {}
    for raw in data["publishers"]:
        feeds = tuple(
            FeedSpec(
                id=f["id"],
                path=f["path"],
                format=f["format"],
                title=f["title"],
                sections=tuple(f["sections"]) if f.get("sections") else None,
                status=f.get("status", "ok"),
                reason=f.get("reason", ""),
                broken_links=tuple(f.get("broken_links", ())),
            )
            for f in raw["feeds"]
        )
        pubs[raw["id"]] = Publisher(
            id=raw["id"],
            name=raw["name"],
            kind=raw["kind"],
            country=raw["country"],
            language=raw["language"],
            html_lang=raw["html_lang"],
            template=raw["template"],
            tagline=raw["tagline"],
            path_pattern=raw["path_pattern"],
            dateline_style=raw["dateline_style"],
            gzip=bool(raw.get("gzip", False)),
            boilerplate=tuple(raw["boilerplate"]),
            feeds=feeds,
            robots_disallow=tuple(raw.get("robots_disallow", ())),
            quirks=tuple(raw.get("quirks", ())),
        )
    return pubs


def _make_copy(story: Story, spec: dict[str, Any], index: int, pub: Publisher) -> Copy:
    """Apply one copy's syndication edits to the story text."""
    paras = list(story.paragraphs)
    if spec.get("lead"):
        paras[0] = spec["lead"]
    paras = paras[int(spec.get("drop_first", 0)) :]
    if spec.get("drop_last"):
        paras = paras[: -int(spec["drop_last"])]
    if spec.get("local"):
        at = spec.get("local_at")
        paras.insert(len(paras) if at is None else int(at), spec["local"])
    published = (
        _parse_time(spec["published"])
        if spec.get("published")
        else story.published + DEFAULT_COPY_DELAY * index
    )
    city = spec.get("dateline", story.dateline)
    if city and paras:
        paras[0] = _format_dateline(pub, city, published) + paras[0]
    if spec.get("credit"):
        paras.append(spec["credit"])
    headline = spec.get("headline", story.headline)
    if spec.get("curly_quotes"):
        paras = [curly(p) for p in paras]
        headline = curly(headline)
    slug = spec.get("slug") or slugify(headline)
    section = spec.get("section", story.section)
    nid = zlib.crc32(f"{pub.id}/{story.id}".encode()) % 900000 + 100000
    path = pub.path_pattern.format(
        section=section,
        slug=slug,
        yyyy=f"{published:%Y}",
        mm=f"{published:%m}",
        dd=f"{published:%d}",
        nid=nid,
    )
    summary = spec.get("summary") or story.summary or SENTENCE_SPLIT.split(story.paragraphs[0])[0]
    return Copy(
        story_id=story.id,
        publisher_id=pub.id,
        path=spec.get("path", path),
        link_query=spec.get("track", ""),
        headline=headline,
        paragraphs=paras,
        published=published,
        author=spec.get("author", story.author),
        section=section,
        tags=list(spec.get("tags", story.tags)),
        summary=curly(summary) if spec.get("curly_quotes") else summary,
        is_original=index == 0,
        nid=nid,
    )


@lru_cache(maxsize=1)
def load_content() -> Content:
    """Load publishers and every ``content/stories*.yaml`` file (cached)."""
    pubs = _load_publishers(yaml.safe_load((CONTENT_DIR / "publishers.yaml").read_text("utf-8")))
    stories: list[Story] = []
    copies: list[Copy] = []
    for path in sorted(CONTENT_DIR.glob("stories*.yaml")):
        for raw in yaml.safe_load(path.read_text("utf-8"))["stories"]:
            codes = list(raw["about"]) + list(raw["mentioned"])
            if not all(isinstance(c, str) for c in codes):
                raise ValueError(f"{path.name}:{raw['id']}: quote country codes such as 'NO'")
            story = Story(
                id=raw["id"],
                headline=raw["headline"],
                published=_parse_time(raw["published"]),
                author=raw["author"],
                section=raw["section"],
                dateline=raw.get("dateline"),
                paragraphs=[" ".join(p.split()) for p in raw["paragraphs"]],
                tags=list(raw.get("tags", [])),
                about=list(raw["about"]),
                mentioned=list(raw["mentioned"]),
                copies=list(raw["copies"]),
                summary=raw.get("summary"),
                must_contain=raw.get("must_contain"),
                traps=list(raw.get("traps", [])),
                hard_negative_of=list(raw.get("hard_negative_of", [])),
                note=raw.get("note", ""),
                source_file=path.name,
            )
            stories.append(story)
            for index, spec in enumerate(story.copies):
                copies.append(_make_copy(story, spec, index, pubs[spec["publisher"]]))
    return Content(publishers=pubs, stories=stories, copies=copies)


def _lists(feed: FeedSpec, copy: Copy) -> bool:
    """Whether a feed (ignoring its failure mode) lists this copy."""
    return feed.sections is None or copy.section in feed.sections


def feeds_for_copy(pub: Publisher, copy: Copy) -> list[FeedSpec]:
    """The publisher's working feeds that list this copy."""
    return [f for f in pub.feeds if f.status == "ok" and _lists(f, copy)]


def must_contain_for(story: Story, copies: list[Copy]) -> list[str]:
    """2-3 distinctive body sentences present verbatim in every copy of the story."""
    if story.must_contain:
        return list(story.must_contain)
    texts = ["\n".join(c.paragraphs) for c in copies]
    picked: list[str] = []
    for para in story.paragraphs[1:] + story.paragraphs[:1]:
        for sentence in SENTENCE_SPLIT.split(para):
            if (
                len(sentence.split()) >= 8
                and sentence.endswith(".")
                and not QUOTE_CHARS & set(sentence)
                and all(sentence in t for t in texts)
                and sentence not in picked
            ):
                picked.append(sentence)
                break
        if len(picked) == 3:
            break
    return picked


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rfc822"] = lambda d: format_datetime(d, usegmt=True)
    env.filters["iso"] = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    env.filters["human"] = lambda d: f"{d:%B} {d.day}, {d:%Y} {d:%H:%M} UTC"
    env.filters["tojson_ld"] = lambda o: json.dumps(o, ensure_ascii=False, indent=2).replace(
        "</", "<\\/"
    )
    return env


def _json_ld(pub: Publisher, copy: Copy, url: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": copy.headline,
        "datePublished": copy.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dateModified": copy.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "author": [{"@type": "Person", "name": copy.author}],
        "publisher": {"@type": "Organization", "name": pub.name},
        "mainEntityOfPage": url,
        "inLanguage": pub.html_lang,
        "keywords": copy.tags,
    }


def _related(copies: list[Copy], copy: Copy, n: int = 4) -> list[Copy]:
    """Deterministic 'related posts' for the sidebar: the next n copies, wrapping."""
    others = [c for c in copies if c.path != copy.path]
    if not others:
        return []
    start = copies.index(copy) % len(others)
    return [others[(start + i) % len(others)] for i in range(min(n, len(others)))]


def render_article(content: Content, pub: Publisher, copy: Copy, base_url: str) -> str:
    """Full HTML document for one copy in the publisher's own template."""
    pub_copies = content.copies_of(pub.id)
    url = base_url + copy.path
    related = _related(pub_copies, copy)
    return (
        _env()
        .get_template(pub.template)
        .render(
            pub=pub,
            copy=copy,
            base_url=base_url,
            url=url,
            related=related,
            promo=related[0] if related else None,
            json_ld=_json_ld(pub, copy, url),
            year=copy.published.year,
        )
    )


def render_index(content: Content, pub: Publisher, base_url: str) -> str:
    """Publisher homepage: a plain list of its latest stories."""
    return (
        _env()
        .get_template("index.html.j2")
        .render(pub=pub, copies=content.copies_of(pub.id), base_url=base_url)
    )


def render_feed(content: Content, pub: Publisher, feed: FeedSpec, base_url: str) -> str:
    """Feed document in the feed's format, newest entries first."""
    items = [c for c in content.copies_of(pub.id) if _lists(feed, c)]
    broken = [{**b, "published": _parse_time(b["published"])} for b in feed.broken_links]
    updated = max([c.published for c in items] + [b["published"] for b in broken])
    return (
        _env()
        .get_template(FEED_FORMATS[feed.format])
        .render(pub=pub, feed=feed, items=items, broken=broken, base_url=base_url, updated=updated)
    )


def render_robots(pub: Publisher) -> str:
    """robots.txt that allows everything except a few irrelevant paths."""
    lines = [f"# robots.txt for {pub.name} (demo web)", "User-agent: *"]
    lines += [f"Disallow: {p}" for p in pub.robots_disallow] or ["Disallow:"]
    lines.append("Allow: /")
    return "\n".join(lines) + "\n"


def render_not_found(pub: Publisher) -> str:
    """Branded 404 page."""
    return _env().get_template("not_found.html.j2").render(pub=pub)


def render_publisher(content: Content, pub: Publisher, base_url: str) -> dict[str, Resource]:
    """Every resource one publisher serves, keyed by path (without query string)."""
    out: dict[str, Resource] = {}
    copies = content.copies_of(pub.id)
    newest = max(c.published for c in copies)
    for copy in copies:
        body = render_article(content, pub, copy, base_url).encode("utf-8")
        out[copy.path] = Resource(200, HTML_TYPE, body, copy.published)
    out["/"] = Resource(200, HTML_TYPE, render_index(content, pub, base_url).encode(), newest)
    out["/robots.txt"] = Resource(
        200, "text/plain; charset=utf-8", render_robots(pub).encode(), newest
    )
    for feed in pub.feeds:
        if feed.status == "ok":
            text = render_feed(content, pub, feed, base_url).encode("utf-8")
            out[feed.path] = Resource(200, FEED_CONTENT_TYPES[feed.format], text, newest)
        elif feed.status == "http-500":
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>\n"
            out[feed.path] = Resource(500, HTML_TYPE, body, None)
        elif feed.status == "html-instead-of-feed":
            # A misconfigured CMS answers the feed URL with its homepage.
            out[feed.path] = Resource(200, HTML_TYPE, out["/"].body, newest)
        elif feed.status == "truncated-xml":
            # A feed cut off mid-document, before its first item, as after a failed upload.
            full = render_feed(content, pub, _as_ok(feed), base_url)
            cut = full.index("<items>") - 40
            out[feed.path] = Resource(
                200, FEED_CONTENT_TYPES[feed.format], full[:cut].encode("utf-8"), newest
            )
        else:
            raise ValueError(f"unknown feed status {feed.status!r} for {feed.id}")
    return out


def _as_ok(feed: FeedSpec) -> FeedSpec:
    return FeedSpec(feed.id, feed.path, feed.format, feed.title, feed.sections)


def gzip_bytes(body: bytes) -> bytes:
    """Deterministic gzip (mtime 0) so ETags of the gzip variant stay stable."""
    return gzip.compress(body, mtime=0)


def visible_text(markup: str) -> str:
    """Crude tag-stripped, unescaped text of an HTML page (for tests and checks)."""
    no_tags = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", markup, flags=re.S)
    return " ".join(html.unescape(no_tags).split())
