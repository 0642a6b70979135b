"""Robust decoding of fetched HTML bytes and repair of mojibake.

Order of evidence (first that applies wins):

1. a byte-order mark (UTF-8/UTF-16/UTF-32);
2. bytes that are valid, non-ASCII UTF-8: a wrong ``latin-1`` / ``windows-1252`` label
   (a common server default) is overridden, since random 8-bit text is virtually never
   valid UTF-8;
3. the HTTP ``Content-Type`` charset;
4. a ``<meta charset>`` / ``http-equiv`` declaration in the first 4 KiB;
5. ``charset_normalizer`` detection;
6. windows-1252 with replacement.

``latin-1``/``iso-8859-1``/``ascii`` labels are read as windows-1252, as browsers do.
Afterwards, text that still shows UTF-8-read-as-1252 mojibake (``Ã¤``, ``â€™``) is
repaired with ftfy when it is installed, else by a re-encode round trip.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTTP_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_META_CHARSET_RE = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
_NON_ASCII_RE = re.compile(rb"[\x80-\xff]")
_UTF8_SEQ_RE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
# UTF-8 lead byte (as read in cp1252/latin-1) followed by a continuation-byte character.
_MOJIBAKE_RE = re.compile(
    "[\u00c2\u00c3\u00c5\u00e2\u00c4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021"
    "\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc"
    "\u2122\u0161\u203a\u0153\u017e\u0178]")
_MOJIBAKE_LEADS = ("\u00c3", "\u00c2", "\u00e2\u20ac")
_LATIN1_ALIASES = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1",
                   "us-ascii", "ascii", "iso-8859-15", "iso8859-15"}



def _normalize_label(label: str | None) -> str | None:
    """Map a charset label to a Python codec name, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _LATIN1_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def http_charset(content_type: str | None) -> str | None:
    """The codec named by an HTTP Content-Type header, if any and known."""
    if not content_type:
        return None
    m = _HTTP_CHARSET_RE.search(content_type)
    return _normalize_label(m.group(1)) if m else None


def meta_charset(data: bytes) -> str | None:
    """The codec declared by a ``<meta>`` tag near the top of the document."""
    m = _META_CHARSET_RE.search(data[:4096])
    return _normalize_label(m.group(1).decode("ascii", "ignore")) if m else None


def decode_bytes(data: bytes, content_type: str | None = None) -> tuple[str, str, str]:
    """Decode HTML bytes; return ``(text, codec, source)``.

    ``source`` is one of ``bom``, ``utf8-valid``, ``http``, ``meta``, ``detected``,
    ``fallback`` (``+replaced`` when a mostly-UTF-8 document had a few broken bytes).
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace"), enc, "bom"
    declared = http_charset(content_type)
    source = "http"
    if declared is None:
        declared, source = meta_charset(data), "meta"
    if declared in (None, "utf-8") or _NON_ASCII_RE.search(data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if declared == "utf-8":
                return text, "utf-8", source
            if declared is None or not text.isascii():
                return text, "utf-8", "utf8-valid"
    if declared in (None, "utf-8"):
        # mostly UTF-8 with a few broken bytes (a common CMS bug): keep UTF-8, replace those
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if len(_UTF8_SEQ_RE.findall(data)) >= 4 * bad:
            return text, "utf-8", f"{source if declared else 'detected'}+replaced"
    if declared and declared != "utf-8":   # a declared UTF-8 that does not decode: detect
        try:
            return data.decode(declared), declared, source
        except (LookupError, UnicodeError):
            pass
    try:
        from charset_normalizer import from_bytes

        sample = data if len(data) < 10_000 else data[:5000] + data[-5000:]
        best = from_bytes(sample).best() or from_bytes(data[:200_000]).best()
    except Exception:  # pragma: no cover - detector failure
        best = None
    if best is not None and best.encoding:
        enc = _normalize_label(best.encoding) or best.encoding
        return data.decode(enc, errors="replace"), enc, "detected"
    return data.decode("cp1252", errors="replace"), "cp1252", "fallback"


def has_mojibake(text: str, minimum: int = 2) -> bool:
    """True when ``text`` shows at least ``minimum`` UTF-8-as-1252 sequences."""
    if not any(c in text for c in _MOJIBAKE_LEADS):
        return False
    count = 0
    for _ in _MOJIBAKE_RE.finditer(text):
        count += 1
        if count >= minimum:
            return True
    return False


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as windows-1252/latin-1 (cheap when clean)."""
    if not has_mojibake(text, 1):
        return text
    try:  # optional, imported on first need: better repair of partial/mixed mojibake
        import ftfy
    except ImportError:  # pragma: no cover - exercised only without ftfy
        ftfy = None
    if ftfy is not None:
        return ftfy.fix_encoding(text)
    for enc in ("cp1252", "latin-1"):
        try:
            return text.encode(enc).decode("utf-8")
        except UnicodeError:
            continue
    return text


def decode_html(html: str | bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(unicode_html, how)``; ``how`` is ``codec/source[+mojibake-repaired]``.

    Whole-document mojibake (UTF-8 bytes decoded as windows-1252/latin-1 somewhere upstream)
    is undone here with a cheap round trip; partial mojibake is left to
    :func:`repair_mojibake` on the extracted text, where ftfy's work is small.
    """
    if isinstance(html, bytes):
        text, enc, source = decode_bytes(html, content_type)
        how = f"{enc}/{source}"
    else:
        text, how = html, "str"
    if text.startswith("\ufeff"):
        text = text[1:]
    if has_mojibake(text, 3):
        for enc in ("cp1252", "latin-1"):
            try:
                text, how = text.encode(enc).decode("utf-8"), how + "+mojibake-repaired"
                break
            except UnicodeError:
                continue
    return text, how
