"""Line-level cleaning of extracted article text.

Rules run on whole lines (paragraphs) of the extractor's output, never inside a
sentence. The phrase rules live in ``data/boilerplate_phrases.yaml`` (see its header);
this module compiles them once at import. Order:

1. headline repeated at the top of the body (with or without a site suffix; any of the
   page's titles: JSON-LD headline, ``og:title``, ``<h1>``);
2. byline lines at the top (``By Jane Doe``; a line naming a known author) and a byline
   glued to the first paragraph;
   Also: a standfirst line repeating the page's description, paragraphs repeated
   earlier in the body, and bare image-URL / timestamp lines (rendered microdata);
3. phrase rules (comment forms, tag lines, share bars, read-more, promos, cookies,
   related lists, paywall notices, copyright and moderation notices; ``pattern`` rules
   for promos with a variable middle);
   then related-article teasers: the trailing run of link texts, "[VIDEO]"-tagged or
   all-capitals headlines, a leading run and inner runs of two or more link lines;
4. per-site template lines (a callback answered by :class:`SiteTemplates`), dropped only
   when short and either at the top/bottom edge of the body or not prose, and never more
   than ``TEMPLATE_MAX_SHARE`` of the body's characters;
5. truncation detection (paywall phrase, teaser ending).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Sequence

import yaml

CLEAN_VERSION = "2"
TEMPLATE_MAX_SHARE = 0.4      # never drop more than this share of a body's characters as template
TEMPLATE_MAX_WORDS = 15       # template lines longer than this are never dropped
NONPROSE_MAX_WORDS = 6        # short, unpunctuated lines may go even inside the body
HEAD_ZONE = 4                 # lines at the top examined for headline/byline
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u00a0": " ", "\u2009": " ", "\u202f": " ",
                         "\u2013": "-", "\u2014": "-", "\u2026": "..."})
_SPECIAL_RE = re.compile("[\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00ab\u00bb\u00a0\u2009\u202f"
                         "\u2013\u2014\u2026]")
_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"\w+")
_PUNCT_EDGE_RE = re.compile(r"^[\W_]+|[\W_]+$")
_PROSE_END_RE = re.compile(r"[.!?:;\"')\]]$")
_SITE_SUFFIX_RE = re.compile(r"\s+(?:[|\-\u2013\u2014:\u00b7\u2022»/]|::)\s+[^|\-\u2013\u2014]{1,60}$")
_TAG_SPLIT_RE = re.compile(r"\s*(?:[,;|\u00b7\u2022/#]|\s-\s)\s*")
_TEASER_END_RE = re.compile(r"(?:\.\.\.|\u2026|\[\.\.\.\]|\[\u2026\]|\(\.\.\.\)|\(\u2026\))\s*$")
_BYLINE_SPLIT_RE = re.compile(r"\s*(?:[|,;\u00b7\u2022/(]|\s[-\u2013\u2014]\s)\s*")
_BULLET_RE = re.compile(r"^(?:[-\u2022\u25cf\u25aa*>\u203a\u00bb]|\d{1,2}[.)])\s+")
_TEASER_TAG_RE = re.compile(r"\s*\[[A-Z][A-Z0-9 &'-]{1,18}\]\s*$")
_MICRODATA_RE = re.compile(
    r"^(?:\S+\.(?:jpe?g|png|gif|webp|avif|svg)(?:\?\S*)?"           # an image URL or file name
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)$",
    re.IGNORECASE)
REPEAT_MIN_WORDS = 6          # a line of at least this many words seen before in the body is a repeat
TEASER_MAX_WORDS = 25         # related-link teasers at the foot of an article are shorter than this
# A description-matching line longer than this is the article's lead paragraph (many sites
# copy the lead into the description), not a standfirst.
STANDFIRST_MAX_WORDS = 20
_NAME_JOINERS = {"and", "und", "et", "y", "e", "&", "van", "von", "de", "der", "den", "da", "di",
                 "del", "la", "le", "du", "dos", "das"}

Decision = Callable[[str], bool]


@lru_cache(maxsize=8192)
def normalize_line(line: str) -> str:
    """Case-folded, quote- and whitespace-normalised form of a line (used as a key)."""
    if not line.isascii():
        line = unicodedata.normalize("NFC", line)
        if _SPECIAL_RE.search(line):
            line = line.translate(_QUOTES)
    return " ".join(line.split()).casefold()


def _words(norm: str) -> int:
    return len(_WORD_RE.findall(norm))


def _trie_pattern(words: list[str]) -> str:
    """A regex alternation of literal strings, factored as a character trie (fast in ``re``)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            body = "(?:" + body + ")?"
        return body

    return build(trie)


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """Compile phrases to one regex; word boundaries apply only next to word characters."""
    body = _trie_pattern(sorted(set(phrases)))
    return re.compile(r"(?:(?<!\w)|(?=\W))(?:%s)(?:(?<=\W)|(?!\w))" % body)


@dataclass(frozen=True)
class Rule:
    """One category of phrase rules (see the YAML header for the modes)."""

    name: str
    mode: str
    max_words: int = 30
    slack: int = 0
    follow_words: int = 0
    items: bool = False
    truncates: bool = False
    needs_digit: bool = False


@dataclass(frozen=True)
class RuleSet:
    """All categories compiled into one trie regex, matched in a single pass per line."""

    rules: tuple[Rule, ...]
    master: re.Pattern[str]
    owners: dict[str, tuple[int, ...]]    # normalised phrase -> indices into rules
    widths: dict[str, int]                # normalised phrase -> its number of words
    max_words: int                        # no rule matches a longer line
    byline: re.Pattern[str]
    patterns: tuple[tuple[Rule, re.Pattern[str]], ...] = ()  # `pattern` rules, tried last


def load_rules(text: str | None = None) -> RuleSet:
    """Compile the YAML rule data (the packaged file unless ``text`` is given)."""
    if text is None:
        text = resources.files("newsingest").joinpath("data/boilerplate_phrases.yaml").read_text(
            encoding="utf-8")
    data = yaml.safe_load(text)
    byline = data.pop("byline_prefixes", {})
    rules: list[Rule] = []
    patterns: list[tuple[Rule, re.Pattern[str]]] = []
    owners: dict[str, list[int]] = {}
    for name, spec in data.items():
        mode = spec["mode"]
        if mode not in ("line", "heading", "prefix", "contains", "pattern"):
            raise ValueError(f"boilerplate rule {name!r}: unknown mode {mode!r}")
        default_max = 60 if mode in ("line", "heading") else 30
        if mode == "pattern":
            regexes = [str(p) for lang in spec["phrases"].values() for p in lang]
            try:
                compiled = re.compile("|".join(f"(?:{r})" for r in regexes))
            except re.error as exc:
                raise ValueError(f"boilerplate rule {name!r}: bad pattern: {exc}") from exc
            patterns.append((Rule(name=name, mode=mode, max_words=int(spec.get("max_words", default_max))),
                             compiled))
            continue
        rules.append(Rule(
            name=name, mode=mode, max_words=int(spec.get("max_words", default_max)),
            slack=int(spec.get("slack", 0)), follow_words=int(spec.get("follow_words", 0)),
            items=bool(spec.get("items")), truncates=bool(spec.get("truncates")),
            needs_digit=bool(spec.get("needs_digit"))))
        for lang_phrases in spec["phrases"].values():
            for phrase in lang_phrases:
                norm = normalize_line(str(phrase))
                if norm and len(rules) - 1 not in owners.setdefault(norm, []):
                    owners[norm].append(len(rules) - 1)
    prefixes = sorted({normalize_line(p) for lang in byline.values() for p in lang},
                      key=len, reverse=True)
    byline_re = re.compile(r"^(?:%s)\s+(?=[A-ZÀ-ÖØ-Þ])" % "|".join(re.escape(p) for p in prefixes),
                           re.IGNORECASE)
    return RuleSet(rules=tuple(rules), master=_phrase_regex(owners),
                   owners={k: tuple(v) for k, v in owners.items()},
                   widths={k: _words(k) or 1 for k in owners},
                   max_words=max(r.max_words for r in rules + [p[0] for p in patterns]),
                   byline=byline_re, patterns=tuple(patterns))


RULESET = load_rules()
BYLINE_RE = RULESET.byline


def classify(norm: str, nwords: int | None = None, ruleset: RuleSet = RULESET) -> Rule | None:
    """The first rule (in data order) that the normalised line ``norm`` matches, if any."""
    hits: dict[int, list] = {}
    for m in ruleset.master.finditer(norm):
        phrase = m.group(0)
        width = ruleset.widths.get(phrase, 1)
        for idx in ruleset.owners.get(phrase, ()):
            hit = hits.setdefault(idx, [0, False])
            hit[0] += width
            hit[1] = hit[1] or m.start() == 0
    if nwords is None and (hits or ruleset.patterns):
        nwords = _words(norm)
    for idx in sorted(hits):
        rule, (covered, at_start) = ruleset.rules[idx], hits[idx]
        if nwords > rule.max_words or (rule.needs_digit and _DIGIT_RE.search(norm) is None):
            continue
        if rule.mode in ("line", "heading"):
            rest = nwords - covered
            if rest <= 0 or (rest <= rule.slack and covered >= 3):
                return rule
        elif rule.mode == "prefix":
            if at_start:
                return rule
        else:
            return rule
    for rule, regex in ruleset.patterns:
        if nwords <= rule.max_words and regex.search(norm):
            return rule
    return None


@dataclass
class CleanResult:
    """Cleaned lines plus what was removed and why."""

    lines: list[str]
    removed: Counter = field(default_factory=Counter)
    tags: list[str] = field(default_factory=list)
    truncated_reason: str | None = None


def _tag_items(line: str) -> list[str]:
    _, _, rest = line.partition(":")
    items = [t.strip(" .#") for t in _TAG_SPLIT_RE.split(rest)]
    return [t for t in items if t and len(t) <= 60]


def _is_tags_list(line: str) -> bool:
    """A tag line lists short items; a prose sentence after 'Tags:' is not one."""
    items = _tag_items(line)
    return bool(items) and all(len(t.split()) <= 5 for t in items) and not line.rstrip().endswith(".")


def title_variants(title: str | None, site_name: str | None = None) -> set[str]:
    """Normalised forms of a headline, with and without a site suffix."""
    if not title:
        return set()
    out = {normalize_line(title)}
    stripped = _SITE_SUFFIX_RE.sub("", title)
    out.add(normalize_line(stripped))
    if site_name:
        for sep in (" | ", " - ", " \u2013 ", " \u2014 ", " : ", " :: ", " \u00b7 "):
            out.add(normalize_line(f"{stripped}{sep}{site_name}"))
    return {_PUNCT_EDGE_RE.sub("", v) for v in out if v}


def _strip_headline(lines: list[str], variants: set[str], removed: Counter) -> list[str]:
    if not variants:
        return lines
    out = list(lines)
    i = 0
    while i < min(len(out), HEAD_ZONE):
        key = _PUNCT_EDGE_RE.sub("", normalize_line(out[i]))
        if key and (key in variants or _PUNCT_EDGE_RE.sub("", _SITE_SUFFIX_RE.sub("", key)) in variants):
            del out[i]
            removed["headline_repeat"] += 1
            continue
        i += 1
    return out


def _strip_standfirst(lines: list[str], standfirsts: Sequence[str], removed: Counter) -> list[str]:
    """Drop a line at the top that repeats the page's description (a standfirst), when
    body text follows it."""
    keys = {_PUNCT_EDGE_RE.sub("", normalize_line(s)) for s in standfirsts if s}
    keys.discard("")
    if not keys:
        return lines
    for i in range(min(len(lines) - 1, 2)):
        if lines[i].count(" ") < STANDFIRST_MAX_WORDS and _PUNCT_EDGE_RE.sub(
                "", normalize_line(lines[i])) in keys:
            removed["standfirst"] += 1
            return lines[:i] + lines[i + 1:]
    return lines


def _drop_repeats_and_microdata(lines: list[str], removed: Counter) -> list[str]:
    """Drop a paragraph already seen earlier in the body (bodies rendered twice or three
    times) and lines that are only an image URL or an ISO timestamp (schema.org microdata
    rendered as text)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        if " " not in line and _MICRODATA_RE.match(line):
            removed["microdata"] += 1
            continue
        if line.count(" ") >= REPEAT_MIN_WORDS - 1:
            norm = normalize_line(line)
            if norm in seen:
                removed["repeat"] += 1
                continue
            seen.add(norm)
        out.append(line)
    return out


def link_text_key(text: str) -> str | None:
    """The key under which an anchor text is compared with body lines (None when the
    anchor is too short to identify an article link)."""
    norm = _PUNCT_EDGE_RE.sub("", normalize_line(text))
    return norm if norm.count(" ") >= 3 else None


def _teaser_kind(line: str, link_texts: frozenset[str] | set[str]) -> str | None:
    """'link' when the line is one of the page's anchor texts (after a list bullet and a
    trailing "[VIDEO]"-style tag), 'tagged' when it ends in such a tag, 'caps' when it is
    an all-capitals headline; None for anything else or for long lines."""
    if line.count(" ") >= TEASER_MAX_WORDS:
        return None
    core = _BULLET_RE.sub("", line)
    tag = _TEASER_TAG_RE.search(core)
    if tag:
        core = core[:tag.start()]
    if link_texts and _PUNCT_EDGE_RE.sub("", normalize_line(core)) in link_texts:
        return "link"
    if tag and core.count(" ") >= 2:
        return "tagged"
    if core.count(" ") >= 2 and core.upper() == core and sum(c.isupper() for c in core) >= 12:
        return "caps"
    return None


def _drop_link_lists(lines: list[str], link_texts: frozenset[str] | set[str],
                     removed: Counter) -> list[str]:
    """Drop related-article teasers: the trailing run of teaser lines (link texts,
    "[VIDEO]"-tagged or all-capitals headlines), a leading run of link lines, and any run
    of two or more link lines inside the body."""
    if not lines:
        return lines
    kinds = [_teaser_kind(ln, link_texts) for ln in lines]
    if not any(kinds):
        return lines
    drop = [False] * len(lines)
    j = len(lines) - 1
    while j >= 0 and kinds[j]:
        drop[j] = True
        j -= 1
    i = 0
    while i <= j and kinds[i] == "link":
        drop[i] = True
        i += 1
    k = i
    while k <= j:
        if kinds[k] == "link":
            end = k
            while end + 1 <= j and kinds[end + 1] == "link":
                end += 1
            if end > k:
                drop[k:end + 1] = [True] * (end + 1 - k)
            k = end + 1
        else:
            k += 1
    if all(drop):
        return lines
    removed["related_links"] += sum(drop)
    return [ln for ln, d in zip(lines, drop, strict=True) if not d]


def _names_follow(rest: str) -> bool:
    """Does ``rest`` start with a run of personal names ("Jane Doe and Max Muster, dpa")?"""
    first = _BYLINE_SPLIT_RE.split(rest.strip(), maxsplit=1)[0]
    tokens = first.split()
    if not 1 <= len(tokens) <= 8:
        return False
    names = [t for t in tokens if t.lower() not in _NAME_JOINERS]
    return len(names) >= 2 and all(t[:1].isupper() for t in names)


def _strip_byline(lines: list[str], authors: Sequence[str], removed: Counter) -> list[str]:
    names = [normalize_line(a) for a in authors if a and len(a) >= 4]
    out = list(lines)
    i = 0
    while i < min(len(out), HEAD_ZONE):
        line = out[i]
        norm = normalize_line(line)
        nwords = _words(norm)
        glued = BYLINE_RE.match(line.translate(_QUOTES).strip())
        m = glued if glued and _names_follow(line[glued.end():]) else None
        if nwords <= 12 and (m or any(n in norm for n in names)):
            if m or nwords <= 10:
                del out[i]
                removed["byline"] += 1
                continue
        if glued and names:  # byline glued to the first paragraph: "By Jane DoeMoscow. ..."
            for a in authors:
                head = line[:glued.end()] + a
                if line.startswith(head) and len(line) > len(head) + 40:
                    out[i] = line[len(head):].lstrip(" ,.:|-\u2013\u2014")
                    removed["byline"] += 1
                    break
        i += 1
    return out


def clean_lines(lines: Sequence[str], *, title: str | None = None, site_name: str | None = None,
                authors: Sequence[str] = (), is_template: Decision | None = None,
                headlines: Sequence[str] = (), standfirsts: Sequence[str] = (),
                link_texts: frozenset[str] | set[str] = frozenset()) -> CleanResult:
    """Remove boilerplate lines from an extracted body (one paragraph per line).

    ``headlines`` are the page's other titles (``og:title``, ``<h1>``, ...) and
    ``standfirsts`` its descriptions (``og:description``, ...): a line at the top equal to
    one of them is not body text. ``link_texts`` are the page's normalised anchor texts
    (see :func:`link_text_key`), used to recognise lists of related-article links.
    """
    removed: Counter = Counter()
    body = [ln.strip() for ln in lines if ln and ln.strip()]
    variants = title_variants(title, site_name)
    for other in headlines:
        variants |= title_variants(other, site_name)
    body = _strip_headline(body, variants, removed)
    body = _strip_standfirst(body, standfirsts, removed)
    body = _strip_byline(body, authors, removed)
    body = _drop_repeats_and_microdata(body, removed)

    tags: list[str] = []
    truncated: str | None = None
    keep: list[bool] = [True] * len(body)
    follow_limit = 0
    n = len(body)
    for i, line in enumerate(body):
        if line.count(" ") > RULESET.max_words:   # long paragraph: no rule can match
            follow_limit = 0
            continue
        norm = normalize_line(line)
        if follow_limit and _words(norm) <= follow_limit and not _PROSE_END_RE.search(norm):
            keep[i] = False
            removed["related"] += 1
            continue
        follow_limit = 0
        rule = classify(norm)
        if rule is None or (rule.items and not _is_tags_list(line)):
            continue
        if rule.items:
            tags.extend(_tag_items(line))
        keep[i] = False
        removed[rule.name] += 1
        if rule.truncates and truncated is None:
            truncated = f"paywall notice: {line[:80]}"
        if rule.mode == "heading" and (i >= n // 2 or _list_to_end(body[i + 1:], rule.follow_words)):
            follow_limit = rule.follow_words
    body = [ln for ln, k in zip(body, keep, strict=True) if k]
    body = _drop_link_lists(body, link_texts, removed)

    if is_template is not None and body:
        body = _drop_templates(body, is_template, removed)

    if truncated is None and body and _TEASER_END_RE.search(body[-1]):
        truncated = "teaser ending (text ends with an ellipsis)"
    return CleanResult(lines=body, removed=removed, tags=_dedupe(tags), truncated_reason=truncated)


def _list_to_end(rest: Sequence[str], max_words: int) -> bool:
    """True when every remaining line is a short, unpunctuated list item."""
    return all(_words(ln) <= max_words and not _PROSE_END_RE.search(ln) for ln in rest)


def _drop_templates(body: list[str], is_template: Decision, removed: Counter) -> list[str]:
    """Drop learned template lines, with safeguards (see module docstring)."""
    cand = [_words(ln) <= TEMPLATE_MAX_WORDS and is_template(ln) for ln in body]
    if not any(cand):
        return body
    drop = [False] * len(body)
    i = 0
    while i < len(body) and cand[i]:        # leading edge run
        drop[i] = True
        i += 1
    j = len(body) - 1
    while j >= i and cand[j]:               # trailing edge run
        drop[j] = True
        j -= 1
    for k in range(i, j + 1):               # inside the running text: only non-prose lines
        if cand[k] and _words(body[k]) <= NONPROSE_MAX_WORDS and not _PROSE_END_RE.search(body[k]):
            drop[k] = True
    total = sum(len(ln) for ln in body)
    dropped = sum(len(ln) for ln, d in zip(body, drop, strict=True) if d)
    if dropped == total or dropped > TEMPLATE_MAX_SHARE * total:
        return body
    removed["template"] += sum(drop)
    return [ln for ln, d in zip(body, drop, strict=True) if not d]


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for it in items:
        key = it.casefold()
        if key not in seen:
            seen.add(key)
            out.append(it)
    return out
