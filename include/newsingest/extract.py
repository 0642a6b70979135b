"""Article extraction: trafilatura for the body, own metadata, then :mod:`newsingest.clean`.

Per page: bytes are decoded (:mod:`newsingest.textdecode`: BOM, valid UTF-8, HTTP charset,
``<meta>``, detection; mojibake repaired) and parsed once (valid UTF-8 bytes straight into
lxml, else trafilatura's loader). Metadata is read from that tree (JSON-LD, ``<meta>``,
``<html lang>``, ``rel=canonical``, a date in the URL; htmldate only when none of those gives
a date), scripts/styles/svg are dropped, layout tables are unwrapped and an article body
split into sibling containers is joined (:mod:`newsingest.pagetree`), and trafilatura
extracts from the tree in precision mode (``TRAFILATURA_OPTIONS``); when that finds little
(under ``FALLBACK_MIN_CHARS``, or under ``FALLBACK_PARAGRAPH_SHARE`` of the page's paragraph
text while under ``FALLBACK_MAX_CHARS``) balanced mode runs and the longer text wins. When trafilatura returns nothing: JSON-LD
``articleBody``, then trafilatura's ``baseline``. A declared language that the text's
function words contradict (``data/extract_stopwords.yaml``) is replaced by py3langid's
answer (its model is loaded once, before a batch's first page). The lines are then cleaned
(:func:`newsingest.clean.clean_lines`, given the page's titles, descriptions and anchor
texts); ``ExtractedArticle.removed`` counts removed lines per rule: ``headline_repeat``,
``standfirst``, ``byline``, ``repeat``, ``microdata``, ``related_links``, ``template`` and
the categories of ``data/boilerplate_phrases.yaml`` (``comment_form``, ``tags_line``,
``share``, ``read_more``, ``promo``, ``promo_pattern``, ``copyright``, ``moderation``,
``cookie``, ``related``, ``paywall``, ...).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any, Iterator, Sequence
from urllib.parse import urljoin, urlsplit

import trafilatura
import yaml
from lxml.html import fromstring as lxml_fromstring
from trafilatura.utils import HTML_PARSER, load_html

from newsingest.clean import CLEAN_VERSION, clean_lines
from newsingest.errors import ExtractionError
from newsingest.pagetree import (link_texts, merge_split_bodies, page_descriptions, page_titles,
                                 unwrap_layout_tables)
from newsingest.templates import SiteTemplates
from newsingest.textdecode import decode_html, repair_mojibake

__all__ = ["ExtractedArticle", "PageInput", "extract_article", "extract_batch", "EXTRACTOR_VERSION",
           "TRAFILATURA_OPTIONS", "load_language_model"]

LOG = logging.getLogger(__name__)
EXTRACTOR_VERSION = f"trafilatura-{trafilatura.__version__}+clean-{CLEAN_VERSION}"
# Precision mode first (it leaves the least boilerplate on news pages); when it finds
# less than FALLBACK_MIN_CHARS, or (under FALLBACK_MAX_CHARS) less than
# FALLBACK_PARAGRAPH_SHARE of the text of the page's <p> elements (it dropped part of the
# article), balanced mode (TRAFILATURA_FALLBACK) runs and its text is taken when longer.
# The cleaning layer then removes what balanced mode lets through.
TRAFILATURA_OPTIONS: dict[str, Any] = dict(
    include_comments=False, include_tables=True, include_images=False, include_links=False,
    favor_precision=True, favor_recall=False, fast=False, deduplicate=False,
    with_metadata=False, output_format="txt")
TRAFILATURA_FALLBACK: dict[str, Any] = {**TRAFILATURA_OPTIONS, "favor_precision": False}
FALLBACK_MIN_CHARS = 250
FALLBACK_PARAGRAPH_SHARE = 0.3
FALLBACK_MAX_CHARS = 2000     # a precision text this long is the article (the rest is comments)
MIN_TEXT_CHARS = 25
_DROP_BEFORE_EXTRACTION = ("script", "style", "svg")
_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "liveblogposting",
                  "analysisnewsarticle", "opinionnewsarticle", "report", "techarticle",
                  "scholarlyarticle", "socialmediaposting", "backgroundnewsarticle",
                  "reviewnewsarticle", "webpage", "posting"}
_DATE_META = ("article:published_time", "og:article:published_time", "article:published",
              "datepublished", "publishdate", "publish-date", "pubdate", "publication_date",
              "sailthru.date", "parsely-pub-date", "dc.date.issued", "dc.date", "dcterms.date",
              "date", "og:published_time", "cxenseparse:recs:publishtime")
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|-|$)")
_LANG_RE = re.compile(r"^([a-zA-Z]{2})(?:[-_][A-Za-z0-9]+)*$")
_SPLIT_AUTHORS_RE = re.compile(r"\s*(?:;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*|\s*,\s*(?=\S+\s+\S)")
_JSON_CTRL_RE = re.compile(r"[\x00-\x1f]")
_FAST_PARSE = {"utf-8/utf8-valid", "utf-8/http", "utf-8/meta"}
_CTRL_BYTES = bytes(range(9)) + b"\x0b\x0c" + bytes(range(14, 32))
_DOCTYPE_BYTES_RE = re.compile(rb"^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
_BINARY_RE = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")
_WS_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")


@dataclass
class ExtractedArticle:
    """What the pipeline stores for one page."""

    title: str | None
    title_source: str
    text: str
    authors: list[str]
    language: str | None
    language_source: str
    published_at: datetime | None
    published_at_source: str
    site_name: str | None
    canonical_url: str | None
    tags: list[str]
    truncated: bool
    truncated_reason: str | None
    removed: dict[str, int]
    extractor: str = EXTRACTOR_VERSION


@dataclass
class PageInput:
    """One fetched page for :func:`extract_batch`."""

    url: str | None
    html: str | bytes
    content_type: str | None = None


# --------------------------------------------------------------------------- metadata
@dataclass
class _Meta:
    metas: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    ld: dict[str, Any] = field(default_factory=dict)


def _iter_ld(obj: Any, depth: int = 0) -> Iterator[dict]:
    if depth > 6:
        return
    if isinstance(obj, list):
        for item in obj:
            yield from _iter_ld(item, depth + 1)
    elif isinstance(obj, dict):
        yield obj
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in obj:
                yield from _iter_ld(obj[key], depth + 1)


def _ld_types(obj: dict) -> set[str]:
    t = obj.get("@type", "")
    types = t if isinstance(t, list) else [t]
    return {str(x).lower() for x in types}


def _read_json_ld(tree) -> dict[str, Any]:
    """The most article-like JSON-LD object of the page (article types beat WebPage)."""
    best, best_rank = {}, 0
    for raw in tree.xpath('//script[@type="application/ld+json"]/text()'):
        raw = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
        raw = raw.removeprefix("//<![CDATA[").removesuffix("//]]>")
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:
                data = json.loads(_JSON_CTRL_RE.sub(" ", raw))
            except ValueError:
                continue
        for obj in _iter_ld(data):
            types = _ld_types(obj)
            if not types & _ARTICLE_TYPES:
                continue
            rank = 1 if types <= {"webpage"} else 2
            if rank > best_rank:
                best, best_rank = obj, rank
    return best


def _read_meta(tree) -> _Meta:
    meta = _Meta()
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or
               el.get("http-equiv") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if not key or not content:
            continue
        if key in ("article:tag", "og:article:tag"):
            meta.tags.append(content)
        meta.metas.setdefault(key, content)
    meta.ld = _read_json_ld(tree)
    return meta


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if value is None:
        return None
    value = _WS_RE.sub(" ", str(value)).strip()
    return value or None


def _parse_date(value: Any) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    from dateutil import parser as dparser

    try:
        dt = dparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            dt = dparser.parse(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    if not 1990 <= dt.year <= datetime.now(timezone.utc).year + 1:
        return None
    return dt


def _published(meta: _Meta, tree, url: str | None, itemprop: bool = True
               ) -> tuple[datetime | None, str]:
    """Publication date and where it came from; ``itemprop=False`` skips the microdata scan
    (the caller knows the page never says ``datePublished``)."""
    dt = _parse_date(meta.ld.get("datePublished") or meta.ld.get("dateCreated"))
    if dt:
        return dt, "json-ld"
    for key in _DATE_META:
        if key in meta.metas:
            dt = _parse_date(meta.metas[key])
            if dt:
                return dt, "meta"
    for value in tree.xpath('//time[@itemprop="datePublished"]/@datetime'
                            '|//*[@itemprop="datePublished"]/@content') if itemprop else ():
        dt = _parse_date(value)
        if dt:
            return dt, "meta"
    if url:
        m = _URL_DATE_RE.search(urlsplit(url).path)
        if m:
            try:
                return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=timezone.utc), "url"
            except ValueError:
                pass
    try:
        from htmldate import find_date

        found = find_date(tree, url=url, original_date=True, extensive_search=False,
                          outputformat="%Y-%m-%d")
    except Exception:  # htmldate is best effort
        found = None
    if found:
        dt = _parse_date(found)
        if dt:
            return dt, "htmldate"
    return None, "none"


def _authors(meta: _Meta) -> list[str]:
    raw = meta.ld.get("author") or meta.ld.get("creator")
    names: list[str] = []
    if raw:
        for item in raw if isinstance(raw, list) else [raw]:
            name = _text(item)
            if name:
                names.append(name)
    if not names:
        for key in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author"):
            value = meta.metas.get(key)
            if value and "://" not in value:
                names = [p for p in _SPLIT_AUTHORS_RE.split(value) if p]
                break
    out = []
    for n in names:
        n = n.strip(" ,;|")
        if n and "://" not in n and len(n) <= 80 and n not in out:
            out.append(n)
    return out[:10]


def _load_stopwords() -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(resources.files("newsingest").joinpath(
        "data/extract_stopwords.yaml").read_text(encoding="utf-8"))
    return {lang: frozenset(words) for lang, words in raw.items()}


def _index_stopwords(stopwords: dict[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for lang, words in stopwords.items():
        for word in words:
            index[word] = index.get(word, ()) + (lang,)
    return index


STOPWORDS = _load_stopwords()
_STOPWORD_LANGS = _index_stopwords(STOPWORDS)


def _plausible_language(declared: str, text: str) -> bool:
    """False when another language's function words clearly dominate ``text`` (a
    WordPress-style ``lang="en-US"`` on a German blog); cheap, no model involved."""
    if declared not in STOPWORDS:
        return True
    counts = dict.fromkeys(STOPWORDS, 0)
    for word in _WORD_RE.findall(text[:1500].lower()):
        for lang in _STOPWORD_LANGS.get(word, ()):
            counts[lang] += 1
    best = max(counts, key=counts.__getitem__)
    return best == declared or counts[best] < 8 or counts[best] < 2 * counts[declared]


_LANGID: Any = None


def load_language_model() -> bool:
    """Load py3langid's model once, up front (``extract_batch`` calls this before its first
    page, so no page pays the load); False when py3langid is not installed."""
    global _LANGID
    if _LANGID is None:
        try:
            import py3langid
        except ImportError:  # pragma: no cover - optional
            _LANGID = False
            return False
        py3langid.classify("warm up")  # builds the identifier from its packaged model
        _LANGID = py3langid
    return _LANGID is not False


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` via py3langid (trafilatura's optional dependency)."""
    if len(text) < 20 or not load_language_model():
        return None
    lang, _ = _LANGID.classify(text[:1500])
    return lang


def _canonical(tree, meta: _Meta, url: str | None) -> str | None:
    head = tree.find("head")
    links = [el.get("href") or "" for el in (head if head is not None else tree).iter("link")
             if (el.get("rel") or "").strip().lower() == "canonical"]
    for href in links + [meta.metas.get("og:url") or ""]:
        href = href.strip()
        if not href:
            continue
        absolute = urljoin(url or "", href)
        if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
            return absolute
    return None


def _title(tree, meta: _Meta, site_name: str | None) -> tuple[str | None, str]:
    t = _text(meta.ld.get("headline")) or (
        _text(meta.ld.get("name")) if _ld_types(meta.ld) - {"webpage"} else None)
    if t:
        return t, "json-ld"
    for key in ("og:title", "twitter:title", "dc.title"):
        if meta.metas.get(key):
            return _text(meta.metas[key]), "meta"
    h1 = [_text(h.text_content()) for h in tree.iter("h1")]
    h1 = [h for h in h1 if h]
    if len(h1) == 1:
        return h1[0], "html"
    titles = tree.xpath("//title/text()")
    if titles and _text(titles[0]):
        from newsingest.clean import _SITE_SUFFIX_RE

        return _SITE_SUFFIX_RE.sub("", _text(titles[0])) or _text(titles[0]), "html"
    return None, "none"


def _keywords(meta: _Meta) -> list[str]:
    tags = list(meta.tags)
    kw = meta.ld.get("keywords")
    if isinstance(kw, list):
        tags += [str(k) for k in kw]
    elif isinstance(kw, str):
        tags += kw.split(",")
    for key in ("news_keywords", "keywords"):
        if key in meta.metas:
            tags += meta.metas[key].split(",")
    return [t.strip() for t in tags if t and t.strip() and len(t.strip()) <= 60]


# ------------------------------------------------------------------------ extraction
@dataclass
class _Raw:
    """A page after trafilatura and metadata reading, before cleaning (no tree kept)."""

    url: str | None
    lines: list[str]
    meta: _Meta
    via: str
    title: str | None
    title_source: str
    site_name: str | None
    authors: list[str]
    published_at: datetime | None
    published_at_source: str
    canonical_url: str | None
    declared_language: tuple[str | None, str]
    headlines: list[str] = field(default_factory=list)
    standfirsts: list[str] = field(default_factory=list)
    link_texts: frozenset[str] = frozenset()


def _parse_utf8_bytes(data: bytes):
    """Parse valid UTF-8 bytes directly (faster than lxml on a str), applying the same
    repairs as trafilatura's ``load_html``; None when the slow path is needed."""
    if len(data.translate(None, _CTRL_BYTES)) != len(data) or (
            b"\xef\xbf" in data and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)):
        return None  # control characters / noncharacters: trafilatura's loader strips them
    beginning = data[:50].lower()
    if b"doctype" in beginning:
        first, sep, rest = data.partition(b"\n")
        data = _DOCTYPE_BYTES_RE.sub(b"", first, count=1) + sep + rest
    for line in data[:4096].splitlines()[:4]:
        if b"<html" in line and line.endswith(b"/>"):
            return None
    try:
        tree = lxml_fromstring(data, parser=HTML_PARSER)
    except Exception:  # lxml refuses: let trafilatura's loader try
        return None
    if tree is None or len(tree) < 1 or (b"html" not in beginning and len(tree) < 2):
        return None
    return tree


def _drop_noise(tree) -> None:
    """Remove script (except JSON-LD, which trafilatura's fallbacks read), style and svg."""
    doomed = [el for el in tree.iter(*_DROP_BEFORE_EXTRACTION)
              if el.get("type") != "application/ld+json"]
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def _fail(url: str | None, why: str) -> ExtractionError:
    return ExtractionError(f"no article text found in {url or '<no url>'}: {why}")


def _declared_language(tree, meta: _Meta) -> tuple[str | None, str]:
    for value, source in ((tree.get("lang") or tree.get("xml:lang"), "html"),
                          (meta.metas.get("content-language"), "meta"),
                          (meta.metas.get("og:locale"), "meta"),
                          (_text(meta.ld.get("inLanguage")), "meta")):
        if value:
            m = _LANG_RE.match(value.strip().split(",")[0].strip())
            if m:
                return m.group(1).lower(), source
    return None, "none"


def _site_name(meta: _Meta) -> str | None:
    publisher = meta.ld.get("publisher")
    return (_text(meta.metas.get("og:site_name"))
            or (_text(publisher) if isinstance(publisher, (dict, list)) else None)
            or _text(meta.metas.get("application-name")))


def _extract_raw(html: str | bytes, url: str | None, content_type: str | None) -> _Raw:
    if html is None or len(html) == 0:
        raise _fail(url, "empty document")
    text, how = decode_html(html, content_type)
    head = text[:4096]
    if len(_BINARY_RE.findall(head)) > 0.05 * len(head):
        raise _fail(url, "content is binary, not text")
    tree = _parse_utf8_bytes(html) if how in _FAST_PARSE else None
    if tree is None:
        tree = load_html(text)
    if tree is None and text.lstrip().startswith("<"):  # a bare fragment: wrap it in a document
        tree = load_html(f"<html><body><div>{text}</div></body></html>")
    if tree is None:
        raise _fail(url, "HTML could not be parsed")
    meta = _read_meta(tree)
    # trafilatura and htmldate discard these anyway; dropping them once here makes their
    # tree copies and passes cheaper (JSON-LD has been read above).
    _drop_noise(tree)
    unwrap_layout_tables(tree)
    merge_split_bodies(tree)
    body = trafilatura.extract(tree, url=url, **TRAFILATURA_OPTIONS)
    via = "trafilatura"
    if not body or len(body) < FALLBACK_MIN_CHARS or (
            len(body) < FALLBACK_MAX_CHARS
            and len(body) < FALLBACK_PARAGRAPH_SHARE * sum(len(p.text_content()) for p in tree.iter("p"))):
        balanced = trafilatura.extract(tree, url=url, **TRAFILATURA_FALLBACK)
        if balanced and len(balanced) > len(body or ""):
            body, via = balanced, "trafilatura-balanced"
    if not body or len(body.strip()) < MIN_TEXT_CHARS:
        ld_body = _text(meta.ld.get("articleBody"))
        if ld_body and len(ld_body) >= MIN_TEXT_CHARS:
            body, via = str(meta.ld.get("articleBody")), "json-ld"
        else:
            try:
                _, base_text, _ = trafilatura.baseline(tree)
            except Exception:  # pragma: no cover - baseline is best effort
                base_text = ""
            body, via = base_text, "baseline"
    lines = [repair_mojibake(ln.strip()) for ln in (body or "").splitlines() if ln.strip()]
    site_name = _site_name(meta)
    title, title_source = _title(tree, meta, site_name)
    title = repair_mojibake(title) if title else title
    published_at, date_source = (None, "none")
    if lines:
        published_at, date_source = _published(meta, tree, url, "datePublished" in text)
    return _Raw(url=url, lines=lines, meta=meta, via=via, title=title, title_source=title_source,
                site_name=site_name, authors=_authors(meta), published_at=published_at,
                published_at_source=date_source, canonical_url=_canonical(tree, meta, url),
                declared_language=_declared_language(tree, meta),
                headlines=page_titles(tree, meta.metas), standfirsts=page_descriptions(meta.metas, meta.ld),
                link_texts=link_texts(tree) if lines else frozenset())


def _finish(raw: _Raw, templates: SiteTemplates | None) -> ExtractedArticle:
    checker = templates.checker(raw.url) if templates is not None else None
    result = clean_lines(raw.lines, title=raw.title, site_name=raw.site_name, authors=raw.authors,
                         is_template=checker, headlines=raw.headlines, standfirsts=raw.standfirsts,
                         link_texts=raw.link_texts)
    text = "\n\n".join(result.lines)
    if len(text) < MIN_TEXT_CHARS:
        why = "extractor returned nothing" if not raw.lines else "only boilerplate lines left"
        raise _fail(raw.url, why)
    truncated_reason = result.truncated_reason or _truncation(raw.meta, text)
    language, language_source = raw.declared_language
    if language is not None and not _plausible_language(language, text):
        detected = detect_language(text)
        if detected and detected != language:
            language, language_source = detected, "detected"
    if language is None:
        detected = detect_language(text)
        language, language_source = (detected, "detected") if detected else (None, "none")
    tags = _dedupe_ci(_keywords(raw.meta) + result.tags)
    return ExtractedArticle(
        title=raw.title, title_source=raw.title_source, text=text, authors=raw.authors,
        language=language, language_source=language_source, published_at=raw.published_at,
        published_at_source=raw.published_at_source, site_name=raw.site_name,
        canonical_url=raw.canonical_url, tags=tags[:50],
        truncated=truncated_reason is not None, truncated_reason=truncated_reason,
        removed=dict(result.removed), extractor=EXTRACTOR_VERSION)


def _truncation(meta: _Meta, text: str) -> str | None:
    free = meta.ld.get("isAccessibleForFree")
    if free is False or (isinstance(free, str) and free.strip().lower() == "false"):
        return "json-ld isAccessibleForFree=false"
    words = len(text.split())
    try:
        declared = int(str(meta.ld.get("wordCount") or 0))
    except ValueError:
        declared = 0
    if declared >= 150 and words < declared * 0.5:
        return f"text has {words} words, page declares {declared}"
    body = meta.ld.get("articleBody")
    if isinstance(body, str) and len(body) >= 600 and len(text) < len(body) * 0.5:
        return "text much shorter than the page's JSON-LD articleBody"
    return None


def _dedupe_ci(items: list[str]) -> list[str]:
    seen, out = set(), []
    for it in items:
        if it.casefold() not in seen:
            seen.add(it.casefold())
            out.append(it)
    return out


def extract_article(html: str | bytes, url: str | None = None, *, content_type: str | None = None,
                    templates: SiteTemplates | None = None) -> ExtractedArticle:
    """Extract and clean one page; raise :class:`ExtractionError` when nothing usable is left.

    ``templates`` is only consulted here (learning happens in :func:`extract_batch`).
    """
    try:
        raw = _extract_raw(html, url, content_type)
    except ExtractionError:
        raise
    except Exception as exc:  # lxml/trafilatura internals on hostile input
        raise _fail(url, f"{type(exc).__name__}: {exc}") from exc
    return _finish(raw, templates)


def extract_batch(pages: Sequence[PageInput], templates: SiteTemplates | None = None
                  ) -> list[ExtractedArticle | ExtractionError]:
    """Extract many pages: observe every page's lines first, then clean each one.

    A page is observed once per distinct page id (canonical URL, else URL) and once per
    distinct extracted body, so copies of one article under several URLs do not turn
    its own short lines into "template" lines.

    Returns one result per page, in order (an :class:`ExtractionError` for a bad page).
    ``templates`` is updated in place (a new run is started); without it a fresh memory
    is used for this batch only.
    """
    load_language_model()
    memory = templates if templates is not None else SiteTemplates()
    memory.begin_run()
    raws: list[_Raw | ExtractionError] = []
    bodies_seen: set[int] = set()
    for page in pages:
        try:
            raw = _extract_raw(page.html, page.url, page.content_type)
        except ExtractionError as exc:
            raws.append(exc)
            continue
        except Exception as exc:
            raws.append(_fail(page.url, f"{type(exc).__name__}: {exc}"))
            continue
        raws.append(raw)
        body_key = hash(tuple(raw.lines))
        if body_key in bodies_seen:  # the same text under another URL is not more evidence
            continue
        bodies_seen.add(body_key)
        memory.observe(raw.url, raw.lines, page_id=raw.canonical_url or raw.url)
    results: list[ExtractedArticle | ExtractionError] = []
    for raw in raws:
        if isinstance(raw, ExtractionError):
            results.append(raw)
            continue
        try:
            results.append(_finish(raw, memory))
        except ExtractionError as exc:
            results.append(exc)
        except Exception as exc:  # never let one page break the batch
            LOG.exception("cleaning failed for %s", raw.url)
            results.append(_fail(raw.url, f"{type(exc).__name__}: {exc}"))
    return results
