"""Repairs of a parsed page before trafilatura reads it, and what cleaning needs from it.

* :func:`merge_split_bodies` - an article body split into sibling containers of one class
  (``div.article__body`` once per section, with headings or ads between them): trafilatura
  takes the first matching container only, so the later ones are moved into the first
  (with the section headings between them). Only direct siblings with the same tag and
  class attribute, each holding paragraph text, are merged; a list of teasers (each in
  its own ``<article>``) does not qualify.
* :func:`unwrap_layout_tables` - a table used for page layout (it holds another table or
  long paragraphs) becomes plain ``div`` blocks, so its text is not flattened into one
  table row.
* :func:`page_titles`, :func:`page_descriptions`, :func:`link_texts` - the page's headings,
  descriptions and anchor texts, against which the cleaning layer compares body lines.
"""

from __future__ import annotations

import re
from typing import Any

from newsingest.clean import link_text_key

# Class names of article-body containers (any outlet's naming: article__body, story-body,
# entry-content, post-text, body-copy, rich-text, ...).
BODY_CLASS_RE = re.compile(
    r"(?:article|story|entry|post|news|main)[-_]*(?:body|content|text)"
    r"|body[-_]?(?:text|copy)|rich[-_]?text|articlebody|storybody", re.IGNORECASE)
MIN_PARAGRAPH_CHARS = 60      # a merged container holds at least one paragraph this long
LAYOUT_PARAGRAPH_CHARS = 400  # a table whose <p> text reaches this is a layout table
LAYOUT_CELL_CHARS = 800       # ... as is one with a cell of this much text
_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_TABLE_PARTS = ("thead", "tbody", "tfoot")


def _has_paragraph(el: Any) -> bool:
    return any(len(p.text_content()) >= MIN_PARAGRAPH_CHARS for p in el.iter("p"))


def merge_split_bodies(tree: Any) -> int:
    """Move sibling body containers into the first one; returns how many were moved."""
    groups: dict[tuple, list] = {}
    for el in tree.iter("div", "section", "article"):
        cls = el.get("class")
        if cls and BODY_CLASS_RE.search(cls) or el.get("itemprop") == "articleBody":
            parent = el.getparent()
            if parent is not None:
                groups.setdefault((id(parent), el.tag, cls), []).append(el)
    moved = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        bodies = [m for m in members if _has_paragraph(m)]
        if len(bodies) < 2:
            continue
        first, last = bodies[0], bodies[-1]
        parent = first.getparent()
        if parent is None or last.getparent() is not parent:
            continue
        wanted = {id(b) for b in bodies[1:]}
        between = False
        for sib in list(parent):
            if sib is first:
                between = True
                continue
            if not between:
                continue
            if id(sib) in wanted or sib.tag in _HEADINGS:
                first.append(sib)
                moved += id(sib) in wanted
            if sib is last:
                break
    return moved


def _is_layout_table(table: Any) -> bool:
    if table.find(".//table") is not None:
        return True
    if sum(len(p.text_content()) for p in table.iter("p")) >= LAYOUT_PARAGRAPH_CHARS:
        return True
    return any(len(cell.text_content()) >= LAYOUT_CELL_CHARS for cell in table.iter("td"))


def unwrap_layout_tables(tree: Any) -> int:
    """Turn layout tables (and their rows and cells, not nested tables) into divs."""
    count = 0
    for table in list(tree.iter("table")):
        if not _is_layout_table(table):
            continue
        rows = [r for r in table if r.tag == "tr"]
        for part in table:
            if part.tag in _TABLE_PARTS:
                part.tag = "div"
                rows.extend(r for r in part if r.tag == "tr")
        for row in rows:
            for cell in row:
                if cell.tag in ("td", "th"):
                    cell.tag = "div"
            row.tag = "div"
        table.tag = "div"
        count += 1
    return count


def page_titles(tree: Any, metas: dict[str, str]) -> list[str]:
    """The page's headline candidates other than the chosen title: og/twitter/dc titles,
    ``<h1>`` texts and ``<title>``."""
    out = [metas[k] for k in ("og:title", "twitter:title", "dc.title") if metas.get(k)]
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if text:
            out.append(text)
    title = tree.find(".//title")
    if title is not None and title.text:
        out.append(" ".join(title.text.split()))
    return out


def page_descriptions(metas: dict[str, str], ld: dict[str, Any]) -> list[str]:
    """The page's own summaries: meta, og and twitter descriptions and JSON-LD's."""
    out = [metas[k] for k in ("og:description", "description", "twitter:description") if metas.get(k)]
    desc = ld.get("description")
    if isinstance(desc, str) and desc.strip():
        out.append(desc)
    return out


def link_texts(tree: Any) -> frozenset[str]:
    """Normalised texts of the page's anchors long enough to be an article's headline."""
    keys = set()
    for a in tree.iter("a"):
        text = a.text_content()
        if text.count(" ") >= 3:
            key = link_text_key(text)
            if key:
                keys.add(key)
    return frozenset(keys)
