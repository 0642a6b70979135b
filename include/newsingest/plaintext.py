"""HTML fragments from feeds -> inert plain text.

Nothing is rendered or executed: the fragment is tokenised by the standard library's
HTMLParser, text inside active or invisible elements (script, style, iframe, ...) is
dropped, entities are decoded and whitespace is collapsed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements whose content is never text for a reader (or is active content).
DROP_CONTENT = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "applet",
    "svg", "math", "canvas", "frameset", "frame", "head", "select", "textarea", "button",
})
# Elements that separate words when rendered.
BLOCK = frozenset({
    "p", "br", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article",
    "header", "footer", "figure", "figcaption", "aside", "nav", "img", "address",
})
_WS = re.compile(r"\s+")
_NUMERIC_REF = re.compile(r"&#(?:\d{1,7}|[xX][0-9a-fA-F]{1,6});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
_ACTIVE_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT:
            self.skip_depth += 1
        elif tag in BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def collapse(text: str) -> str:
    """Remove control characters and collapse whitespace."""
    return _WS.sub(" ", _CONTROL.sub(" ", text)).strip()


def _fix_double_escaping(text: str) -> str:
    # '&amp;#8217;' in the source decodes to '&#8217;': a common publisher bug
    return _NUMERIC_REF.sub(lambda m: html.unescape(m.group(0)), text)


def html_to_text(fragment: str | None, max_chars: int | None = None) -> str:
    """Plain text of an HTML fragment: tags and active content removed, entities decoded."""
    if not fragment:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; be safe anyway
        return collapse(re.sub(r"<[^>]*>", " ", _ACTIVE_BLOCK.sub(" ", fragment)))[:max_chars]
    text = collapse(_fix_double_escaping("".join(parser.parts)))
    return text[:max_chars] if max_chars else text


def plain_to_text(text: str | None, max_chars: int | None = None) -> str:
    """Text declared as plain: keep it literal, but never let script/style blocks through."""
    if not text:
        return ""
    text = collapse(_fix_double_escaping(_ACTIVE_BLOCK.sub(" ", text)))
    return text[:max_chars] if max_chars else text


def to_text(value: str | None, content_type: str | None, max_chars: int | None = None) -> str:
    """Plain text from a feedparser value and its declared type ('text/html', 'text/plain'...).

    Declared plain text is kept literally unless it contains markup, which is then
    stripped like HTML (safer than passing tags through to a consumer).
    """
    if content_type and "html" not in content_type.lower() and "<" not in (value or ""):
        return plain_to_text(value, max_chars)
    return html_to_text(value, max_chars)
