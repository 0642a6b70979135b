"""Text normalisation and stable, compact sketches for near-duplicate detection.

Everything here is deterministic across processes and machines (fixed 64-bit
arithmetic in numpy, never Python's salted ``hash``), so sketches can be persisted.
A batch of texts is processed at once (:func:`sketch_batch`): each text is normalised
(:func:`prepare_text`: NFKC, case-folded, boilerplate paragraphs of
``data/dedup_boilerplate.txt`` dropped, a leading dateline such as "NIAMEY, Nov 13
(Reuters) -" or "NAIROBI:" dropped: :func:`strip_dateline`), the texts are joined into one UTF-8 buffer and
tokenised in numpy: tokens are runs of letters and digits (a decimal point or
thousands separator between digits stays inside a number); ASCII and common non-ASCII
punctuation (curly quotes, dashes, no-break spaces, guillemets) separate them, so quote
and dash styles never matter. A token hashes its length and its first and last 8 bytes
(splitmix64). Before tokenising, word equivalences (:mod:`newsingest.text_equivalents`:
"million" hashes as "mln", "per cent" as "pct") apply, page furniture is dropped
(:func:`strip_furniture`) and thousands separators and initialism dots are squeezed out
(:func:`squeeze_bytes`). Shingles are word 3-grams of the body (the title is not part
of it): on short copy-edited copy, one edit every ten words leaves about 70% of the
3-grams and under 60% of the 5-grams.
A document keeps:

* ``sample``: a consistent threshold sample of its shingle hashes. Each 64-bit shingle
  hash splits into an *order* (high 32 bits, decides membership) and a *key* (low 32
  bits, stored and looked up). A shingle is kept when ``order < tau``; ``tau`` is the
  base rate (1/14) clamped so that a document keeps between ``MIN_SAMPLE`` and
  ``MAX_SAMPLE`` shingles (a short text of at most ``MIN_SAMPLE`` shingles keeps all
  of them). Because membership depends only on the hash, the samples of
  two documents restricted to ``min(tau_a, tau_b)`` estimate containment without bias:
  a trimmed copy's sample is a subset of its original's.
* ``lead``: 16-bit hashes of the first ``LEAD_CAP`` shingles (of the first
  ``LEAD_WINDOW``) whose hash is 0 modulo ``LEAD_RATE``, in text order; the first
  ``LEAD_HEAD`` of them are the *head*. The head of a copy lies in the lead of its
  original (and the other way round), whatever was trimmed from the top.
* ``lead_rest``: how many of the lead shingles lie in the first sentence (0: no sentence
  end found in the lead window); the ``LEAD_HEAD`` after them are the *rest head*, which
  still agrees when a copy rewrote its first sentence. A sentence ends at a line break or
  at ``.``/``!``/``?`` and white space, not after a word of at most ``ABBREV_MAX``
  letters (abbreviations); a first sentence has at least ``FIRST_SENTENCE_MIN`` tokens.
* the lowest bit of a key says whether the shingle holds a number (figures, dates):
  recurring templated reports share their words but not their numeric shingles.
* ``chash``: an order-sensitive 64-bit hash of the token sequence (exact content).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

import numpy as np

from newsingest.text_equivalents import DROP
from newsingest.text_equivalents import load as load_equivalents

SHINGLE = 3
BASE_RATE = 14
MIN_SAMPLE = 24
MAX_SAMPLE = 40
LEAD_WINDOW = 120
LEAD_HEAD = 8
LEAD_RATE = 3
LEAD_CAP = 24
MIN_EXACT_TOKENS = 12
FIRST_SENTENCE_MIN = 10
SENTENCE_SCAN = 66     # a later first-sentence end leaves too few lead shingles after it
ABBREV_MAX = 3

_U32 = 1 << 32
BASE_TAU = _U32 // BASE_RATE
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = (np.uint64(s) for s in (30, 27, 31, 32))
_MASK32 = np.uint64(0xFFFFFFFF)

_ASCII_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u200b": "", "\u00ad": "", "\ufeff": "",
    "\u2022": " ", "\u00b7": " ", "\u2026": "...",
}
_ASCII_RE = re.compile("[" + "".join(_ASCII_MAP) + "]")
_SPACE_RE = re.compile(r"\s+")


def _pattern_lines() -> tuple[list[str], list[str]]:
    """The anchored and the tail patterns of ``data/dedup_boilerplate.txt``."""
    text = resources.files("newsingest").joinpath("data/dedup_boilerplate.txt").read_text("utf-8")
    pats = [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    return [p for p in pats if p.startswith("^")], [p for p in pats if not p.startswith("^")]


def _load_patterns() -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    anchored, tail = _pattern_lines()
    return (re.compile("|".join(f"(?:{p})" for p in anchored)),
            re.compile("|".join(f"(?:{p})" for p in tail)) if tail else None)


def _required_literal(pattern: str) -> str:
    """The longest run of plain characters that every match of ``pattern`` contains
    (consecutive top-level literals; "" when there is none or case is ignored)."""
    try:
        from re import _constants, _parser   # CPython's parser of regular expressions
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return ""
        best, run = "", ""
        for op, av in parsed:
            run = run + chr(av) if op is _constants.LITERAL else ""
            best = max(best, run, key=len)
        return best
    except (ImportError, AttributeError, re.error):
        return ""


def _tail_literals() -> tuple[str, ...] | None:
    """One literal per tail pattern that its matches contain (None: some have none), so
    that a text without any of them skips the tail search."""
    lits = tuple(_required_literal(p) for p in _pattern_lines()[1])
    return lits if all(lits) else None


BOILERPLATE_RE, BOILERPLATE_TAIL_RE = _load_patterns()
EQUIVALENTS = load_equivalents()
BOILERPLATE_TAIL_LITERALS = _tail_literals()
BOILERPLATE_TAIL_PARAS = 3
BOILERPLATE_MAX_CHARS = 400

# Tokens: runs of ASCII letters/digits and non-ASCII bytes (letters of other scripts);
# ASCII punctuation and spaces separate them.
MAX_TEXT_BYTES = 200_000
_HEAD_MASK = np.array([(1 << (8 * i)) - 1 for i in range(9)], np.uint64)
_TAIL_MASK = np.array([0] * 8 + [(1 << 64) - 1], np.uint64)


def normalize_text(text: str) -> str:
    """NFKC, ASCII quotes and dashes, case-folded; paragraphs stay on their own lines."""
    text = text or ""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = _ASCII_RE.sub(lambda m: _ASCII_MAP[m.group()], text)
        return text.casefold()
    return text.lower()


def strip_boilerplate(norm: str) -> str:
    """Drop whole short paragraphs matching ``data/dedup_boilerplate.txt``."""
    match = BOILERPLATE_RE.match
    paras = norm.split("\n")
    kept = [p for p in paras
            if len(p) >= BOILERPLATE_MAX_CHARS or not (q := p.strip()) or not match(q)]
    tail = BOILERPLATE_TAIL_RE
    lits = BOILERPLATE_TAIL_LITERALS
    if tail is not None:
        if lits is None or any(lit in norm for lit in lits):
            _strip_tail(kept, tail)
        kept = [p for p in kept if p]
    return "\n".join(kept) if len(kept) != len(paras) else norm


def _strip_tail(kept: list[str], tail: re.Pattern[str]) -> None:
    """Blank the last short paragraphs that match a tail pattern."""
    for i in range(max(0, len(kept) - BOILERPLATE_TAIL_PARAS), len(kept)):
        if len(kept[i]) < BOILERPLATE_MAX_CHARS and tail.search(kept[i].strip()):
            kept[i] = ""


FURNITURE_MAX_WORDS = 12
_SENTENCE_END = tuple(".!?\"'\u201d\u2019")


def _is_furniture(line: str) -> bool:
    """A short line that is not a sentence and holds at most one number: a headline, a
    kicker, a byline, a section path or a link."""
    if len(line) > 16 * FURNITURE_MAX_WORDS or line.count(" ") > 3 * FURNITURE_MAX_WORDS:
        return False   # long: a paragraph (cheap test before splitting)
    words = line.split()
    if not words or len(words) > FURNITURE_MAX_WORDS or line.rstrip().endswith(_SENTENCE_END):
        return False
    return sum(w[0].isdigit() for w in words) <= 1


def strip_furniture(norm: str) -> str:
    """Drop the page furniture around a story: the run of short non-sentence lines
    (:func:`_is_furniture`) before its first paragraph (kickers, bylines, the title
    again) and a run of two or more at its end (lists of related headlines, tags).
    Tables of figures (lines of several numbers) stay; a text made only of such lines
    is kept whole. Only the lines at either end are looked at (the text is not split)."""
    if "\n" not in norm:
        return norm
    n = len(norm)
    start = 0                      # the first line of the story
    while start < n:
        nl = norm.find("\n", start)
        end = n if nl < 0 else nl
        line = norm[start:end]
        if line.strip() and not _is_furniture(line):
            break
        start = end + 1
    stop, dropped = n, 0           # the end of its last line
    while stop > start:
        nl = norm.rfind("\n", start, stop)
        line = norm[nl + 1:stop]
        if line.strip():
            if not _is_furniture(line):
                break
            dropped += 1
        stop = max(nl, start)
    if dropped < 2:
        stop = n
    if start >= stop or (start == 0 and stop == n):
        return norm
    return norm[start:stop]


_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
# a place of one to four words, an optional date, an optional (agency), a separator
_SP = r"[^\S\n]"
_DATELINE_RE = re.compile(
    r"[^\W\d_][^\W\d_'.-]*+(?:(?:[.'-]|[.'-]?" + _SP + r"+)[^\W\d_]++){0,3}"
    r"(?:," + _SP + r"+(?:" + _MONTHS + r")\.?" + _SP + r"+\d{1,2}(?:,?" + _SP + r"+\d{4})?)?"
    r"(?:" + _SP + r"*\([^()\n]{1,40}\))?"
    r"(?:" + _SP + r"*(?:--?|\u2013|\u2014)|:|(?<=[^\W\d_]{3})\.)" + _SP + r"+"
    r"(?=(?:\S+" + _SP + r"+){7}\S)")
DATELINE_LINES = 3
DATELINE_SCAN = 300


_DATELINE_SEPS = (" -", ":", "\u2013", "\u2014", ". ")
_DATELINE_SPACES = 10   # a place of 4 words, a date, an agency of 3 words


def strip_dateline(norm: str) -> str:
    """Drop a dateline ("niamey, nov 13 (reuters) - ", "nairobi: ", "washington (ap) --")
    from the start of one of the first ``DATELINE_LINES`` lines, when at least 8 words
    follow it on that line: copies trim, reformat or keep it, so it is not part of the
    story."""
    start, find, count = 0, norm.find, norm.count
    for _ in range(DATELINE_LINES):
        nl = find("\n", start)
        stop = min(start + 120, len(norm) if nl < 0 else nl)
        for sep in _DATELINE_SEPS:   # cheap test first: a separator after a few words
            k = find(sep, start, stop)
            if k >= 0 and count(" ", start, k) <= _DATELINE_SPACES:
                m = _DATELINE_RE.match(norm, start, start + DATELINE_SCAN)
                if m:
                    return norm[:start] + norm[m.end():]
                break
        if nl < 0:
            break
        start = nl + 1
        while norm.startswith("\n", start):
            start += 1
    return norm


def stable_hash64(text: str | bytes) -> int:
    """A process-independent 64-bit hash."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, element-wise on uint64."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _S30)) * _M2
        x = (x ^ (x >> _S27)) * _M3
        return x ^ (x >> _S31)


def _punctuation_bytes(b: np.ndarray, w: np.ndarray) -> None:
    """Clear ``w`` on the UTF-8 bytes of non-ASCII punctuation and spaces: U+0080-00BF
    (C2 xx: no-break space, guillemets, soft hyphen...), U+2000-206F (E2 80/81 xx:
    curly quotes, dashes, bullets, ellipsis...), U+3000-303F (E3 80 xx) and the BOM, so
    that quote and dash styles never change a token."""
    n = len(b)
    lead = np.flatnonzero(b[:-1] >= 0xC2)   # the candidates: few bytes are this high
    v = b[lead]
    c2 = lead[v == 0xC2]
    w[c2] = False
    w[c2 + 1] = False
    t = lead[((v == 0xE2) | (v == 0xE3) | (v == 0xEF)) & (lead < n - 2)]
    v, v1, v2 = b[t], b[t + 1], b[t + 2]
    three = t[((v == 0xE2) & ((v1 == 0x80) | (v1 == 0x81))) | ((v == 0xE3) & (v1 == 0x80))
              | ((v == 0xEF) & (v1 == 0xBB) & (v2 == 0xBF))]
    for j in range(3):
        w[three + j] = False


def _tokens(buf: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hashes, number mask, start and end offsets of the word tokens of UTF-8 ``buf``.

    A token hashes its length and its first and last 8 bytes (all of it when shorter)."""
    b = np.frombuffer(buf, np.uint8)
    if not len(b):
        return (np.zeros(0, np.uint64), np.zeros(0, bool), np.zeros(0, np.int64),
                np.zeros(0, np.int64))
    padded_w = np.zeros(len(b) + 2, bool)   # word bytes, and a non-word byte at either end
    w = padded_w[1:-1]
    with np.errstate(over="ignore"):
        digit = (b - np.uint8(48)) < 10
        np.logical_or(digit, ((b | np.uint8(32)) - np.uint8(97)) < 26, out=w)
        w |= b >= 128
    if len(b) > 2:  # a decimal point or thousands separator between digits joins them
        w[1:-1] |= ((b[1:-1] == 46) | (b[1:-1] == 44)) & digit[:-2] & digit[2:]
        _punctuation_bytes(b, w)
    edges = np.flatnonzero(padded_w[1:] != padded_w[:-1])   # start, end, start, end...
    starts, ends = edges[0::2], edges[1::2]
    padded = np.zeros(len(b) + 16, np.uint8)
    padded[8:8 + len(b)] = b
    # every 8-byte little-endian window of the buffer, without copying
    win = np.ndarray((len(b) + 9,), dtype="<u8", buffer=padded, offset=0, strides=(1,))
    length = ends - starts
    cap = np.minimum(length, 8)
    with np.errstate(over="ignore"):
        head = win[starts + 8] & _HEAD_MASK[cap]     # first min(8, len) bytes
        tail = win[ends] & _TAIL_MASK[cap]           # last 8 bytes of long tokens
        tok = _mix((head * _M1) ^ tail ^ (length.astype(np.uint64) * _M3))
    return tok, digit[starts], starts, ends


def squeeze_bytes(buf: bytes) -> bytes:
    """Drop the thousands separators of numbers ("95,800" -> "95800": a comma between a
    digit and exactly three digits) and the dots of initialisms ("u.s." -> "us.": a dot
    between two single letters), so that copy-edited styles hash alike. Only the bytes
    around commas and dots are looked at."""
    b = np.frombuffer(buf, np.uint8)
    n = len(b)
    if n < 4:
        return buf
    padded = np.zeros(n + 8, np.uint8)   # byte i at i + 4; zeros are neither digit nor letter
    padded[4:n + 4] = b

    def digit(i: np.ndarray) -> np.ndarray:
        return (padded[i] - np.uint8(48)) < 10

    def letter(i: np.ndarray) -> np.ndarray:
        return ((padded[i] | np.uint8(32)) - np.uint8(97)) < 26

    with np.errstate(over="ignore"):
        c = np.flatnonzero(b == 44) + 4
        c = c[digit(c - 1) & digit(c + 1)]
        c = c[digit(c + 2) & digit(c + 3) & ~digit(c + 4)]
        d = np.flatnonzero(b == 46) + 4
        d = d[letter(d - 1) & letter(d + 1)]
        d = d[~letter(d - 2) & ~digit(d - 2) & ~letter(d + 2) & ~digit(d + 2)]
    if not len(c) and not len(d):
        return buf
    keep = np.ones(n, bool)
    keep[c - 4] = False
    keep[d - 4] = False
    return b[keep].tobytes()


@dataclass(frozen=True)
class _EquivalenceTable:
    """``data/dedup_equivalents.tsv`` as token hashes: the sorted single-word variants with
    their canonical hash, whether it is a number and whether it is dropped; a filter on
    the low 16 bits of a hash (most tokens skip the look-up); and the multi-word variants."""

    var: np.ndarray
    can: np.ndarray
    num: np.ndarray
    drop: np.ndarray
    bloom: np.ndarray
    phrases: tuple[tuple[np.ndarray, int, bool, bool], ...]


def _token_hash(word: str) -> int:
    return int(_tokens(word.encode("utf-8"))[0][0])


def _equivalence_table() -> _EquivalenceTable:
    """Hash the project's table of word equivalences."""
    def target(canon: str) -> tuple[int, bool, bool]:
        drop = canon == DROP
        return (0 if drop else _token_hash(canon)), (not drop and canon[0].isdigit()), drop

    items = sorted((_token_hash(v), *target(c)) for v, c in EQUIVALENTS.tokens.items())
    var = np.array([i[0] for i in items], np.uint64)
    bloom = np.zeros(1 << 16, bool)
    bloom[(var & np.uint64(0xFFFF)).astype(np.intp)] = True
    phrases = tuple((np.array([_token_hash(w) for w in p.split()], np.uint64), *target(c))
                    for p, c in EQUIVALENTS.phrases.items())
    return _EquivalenceTable(var, np.array([i[1] for i in items], np.uint64),
                             np.array([i[2] for i in items], bool),
                             np.array([i[3] for i in items], bool), bloom, phrases)


def _apply_equivalents(th: np.ndarray, is_num: np.ndarray, starts: np.ndarray,
                       ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Tokens with every listed variant hashed as its canonical token (a multi-word one
    as one token spanning its words), dropped ones gone."""
    table = _EQUIV_TABLE
    if not len(th):
        return th, is_num, starts, ends
    th, is_num, ends = th.copy(), is_num.copy(), ends.copy()
    gone = np.zeros(len(th), bool)
    for seq, canon, num, drop in table.phrases:
        m = len(seq)
        idx = np.flatnonzero(th[:len(th) - m + 1] == seq[0])
        for j in range(1, m):
            idx = idx[th[idx + j] == seq[j]]
        if not len(idx):
            continue
        for j in range(1, m):
            gone[idx + j] = True
        gone[idx] |= drop
        th[idx], is_num[idx], ends[idx] = canon, num, ends[idx + m - 1]
    cand = np.flatnonzero(table.bloom[(th & np.uint64(0xFFFF)).astype(np.intp)])
    if len(cand) and len(table.var):
        pos = np.minimum(np.searchsorted(table.var, th[cand]), len(table.var) - 1)
        hit = table.var[pos] == th[cand]
        idx, rows = cand[hit], pos[hit]
        th[idx], is_num[idx] = table.can[rows], table.num[rows]
        gone[idx[table.drop[rows]]] = True
    if gone.any():
        keep = ~gone
        return th[keep], is_num[keep], starts[keep], ends[keep]
    return th, is_num, starts, ends


def token_hashes(norm: str) -> tuple[np.ndarray, np.ndarray]:
    """Stable 64-bit hashes of the word tokens of normalised text, and a mask of the
    tokens that are numbers."""
    th, is_num, s, e = _tokens(squeeze_bytes(norm.encode("utf-8")[:MAX_TEXT_BYTES]))
    th, is_num, _, _ = _apply_equivalents(th, is_num, s, e)
    return th, is_num


def _poly(th: np.ndarray, k: int) -> np.ndarray:
    n = len(th) - k + 1
    with np.errstate(over="ignore"):
        acc = th[:n].copy()
        for j in range(1, k):
            acc = acc * _M1 + th[j:j + n]
    return _mix(acc)


def shingle_hashes(th: np.ndarray) -> np.ndarray:
    """64-bit hashes of the ``SHINGLE``-grams of token hashes ``th`` (fewer tokens:
    one shingle of all of them)."""
    if not len(th):
        return np.zeros(0, np.uint64)
    return _poly(th, min(SHINGLE, len(th)))


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal ``group`` values (sorted)."""
    if not len(group):
        return np.zeros(0, np.int64)
    idx = np.arange(len(group))
    first = np.r_[True, group[1:] != group[:-1]]
    return idx - np.maximum.accumulate(np.where(first, idx, 0))


@dataclass
class Sketches:
    """Sketches of a batch of texts, as arrays (rows of the per-doc columns are docs;
    ``e_*`` are the sample entries, sorted by document then order)."""

    cols: dict[str, np.ndarray]
    e_doc: np.ndarray
    e_key: np.ndarray
    e_ord: np.ndarray


def prepare_text(text: str) -> str:
    """What is hashed: NFKC, case-folded (lower case, \u00df as ss), boilerplate paragraphs
    and a leading dateline dropped, truncated to MAX_TEXT_BYTES. (Quote and dash styles are ignored by the tokeniser.)"""
    text = text or ""
    if text.isascii():
        norm = text.lower()
    else:
        norm = _nfkc(text).lower()   # str.lower plus the one common full folding: close to casefold
        if "\u00df" in norm:
            norm = norm.replace("\u00df", "ss")
    norm = strip_dateline(strip_furniture(strip_boilerplate(norm)))
    if "%" in norm:
        norm = norm.replace("%", " pct ")
    if "\x01" in norm:
        norm = norm.replace("\x01", " ")
    return norm if len(norm) <= MAX_TEXT_BYTES // 4 else norm.encode()[:MAX_TEXT_BYTES].decode(
        "utf-8", "ignore")


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, normalising only the paragraphs that need
    it (a line break is a normalisation boundary: nothing composes or reorders across it)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    return "\n".join(p if unicodedata.is_normalized("NFKC", p) else unicodedata.normalize("NFKC", p)
                     for p in text.split("\n"))


def sketch_batch(texts: Sequence[str], chunk_bytes: int = 300_000) -> Sketches:
    """Sketch many texts at once (see the module docstring)."""
    prepared = [prepare_text(t) for t in texts]
    parts: list[Sketches] = []
    start, size = 0, 0
    for i, t in enumerate(prepared):
        size += len(t) + 1
        if size >= chunk_bytes or i == len(prepared) - 1:
            parts.append(_sketch_chunk(prepared[start:i + 1]))
            start, size = i + 1, 0
    if not parts:
        return _sketch_chunk([])
    offsets = np.cumsum([0] + [len(p.cols["tau"]) for p in parts[:-1]])
    return Sketches(
        cols={k: np.concatenate([p.cols[k] for p in parts]) for k in parts[0].cols},
        e_doc=np.concatenate([p.e_doc + off for p, off in zip(parts, offsets)]),
        e_key=np.concatenate([p.e_key for p in parts]),
        e_ord=np.concatenate([p.e_ord for p in parts]),
    )


def _sketch_chunk(texts: list[str]) -> Sketches:
    nd = len(texts)
    buf = squeeze_bytes("\x01".join(texts).encode("utf-8"))
    th, is_num, starts, ends = _tokens(buf)
    th, is_num, starts, ends = _apply_equivalents(th, is_num, starts, ends)
    seps = np.flatnonzero(np.frombuffer(buf, np.uint8) == 1)
    # tokens per document: between the first tokens after consecutive separators
    bounds = np.r_[0, np.searchsorted(starts, seps), len(starts)] if nd else np.zeros(1, np.int64)
    ntok = np.diff(bounds)
    tdoc = np.repeat(np.arange(nd), ntok)
    first_tok = np.cumsum(ntok) - ntok
    tpos = np.arange(len(th)) - first_tok[tdoc]
    # shingles: k consecutive tokens of one document (short documents: all tokens)
    k = SHINGLE
    if len(th) >= k:
        ok = tdoc[:len(th) - k + 1] == tdoc[k - 1:]
        n = len(th) - k + 1
        numeric = is_num[:n].copy()
        for j in range(1, k):
            numeric |= is_num[j:j + n]
        numeric = numeric[ok]
        sh = _poly(th, k)[ok]
        sdoc = tdoc[:len(th) - k + 1][ok]
        spos = tpos[:len(th) - k + 1][ok]
    else:
        sh, sdoc, spos = (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        numeric = np.zeros(0, bool)
    short = np.flatnonzero((ntok > 0) & (ntok < k))
    if len(short):
        extra = [_poly(th[first_tok[d]:first_tok[d] + ntok[d]], int(ntok[d])) for d in short]
        sh = np.concatenate([sh, *extra])
        sdoc = np.concatenate([sdoc, short])
        spos = np.concatenate([spos, np.zeros(len(short), np.int64)])
        numeric = np.concatenate([numeric, [bool(is_num[first_tok[d]:first_tok[d] + ntok[d]].any())
                                            for d in short]])
        order = np.argsort(sdoc, kind="stable")
        sh, sdoc, spos, numeric = sh[order], sdoc[order], spos[order], numeric[order]
    orders = (sh >> _S32).astype(np.uint32)
    # the key's lowest bit says whether the shingle holds a number (figures, dates)
    keys = ((sh & _MASK32).astype(np.uint32) & np.uint32(0xFFFFFFFE)) | numeric.astype(np.uint32)
    # consistent sample: order < tau, with MIN_SAMPLE..MAX_SAMPLE entries per document
    nsh = np.bincount(sdoc, minlength=nd)
    base = orders < BASE_TAU
    cnt = np.bincount(sdoc[base], minlength=nd)
    low = cnt < MIN_SAMPLE
    pick = base & ~low[sdoc] | low[sdoc]
    code = (sdoc[pick].astype(np.uint64) << _S32) | orders[pick].astype(np.uint64)
    kk = keys[pick]
    order = np.argsort(code, kind="stable")
    code, kk = code[order], kk[order]
    uniq = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, bool)
    code, kk = code[uniq], kk[uniq]
    edoc = (code >> _S32).astype(np.int64)
    eord = (code & _MASK32).astype(np.uint32)
    rank = _rank_in_group(edoc)
    limit = np.where(low, MIN_SAMPLE, MAX_SAMPLE)
    keep = rank < limit[edoc]
    tau = np.full(nd, BASE_TAU, np.int64)
    over = keep & (rank == limit[edoc] - 1)
    cut_docs = edoc[over]
    nuniq = np.bincount(edoc, minlength=nd)
    needs_cut = nuniq[cut_docs] > limit[cut_docs]
    tau[cut_docs[needs_cut]] = eord[over][needs_cut].astype(np.int64) + 1
    tau[low & (nuniq <= MIN_SAMPLE)] = _U32 - 1
    edoc, ekey, eord = edoc[keep], kk[keep], eord[keep]
    cols: dict[str, np.ndarray] = {
        "tau": tau, "n": np.bincount(edoc, minlength=nd), "ntok": ntok,
        "chash": _content_hashes(th, tpos, tdoc, ntok, nd),
    }
    # lead: the first LEAD_CAP shingles whose hash is 0 modulo LEAD_RATE, in text order
    lsel = np.flatnonzero((spos < LEAD_WINDOW)
                          & (((sh >> np.uint64(20)) % np.uint64(LEAD_RATE)) == 0))
    ldoc = sdoc[lsel]
    lrank = _rank_in_group(ldoc)
    lk = lrank < LEAD_CAP
    lead = np.zeros((nd, LEAD_CAP), np.uint16)
    lval = ((sh[lsel][lk] >> np.uint64(48)).astype(np.uint16) & np.uint16(0xFFFC)) | np.uint16(2)
    lead[ldoc[lk], lrank[lk]] = lval | numeric[lsel][lk].astype(np.uint16)   # bit 0: number
    cols["lead"] = lead
    cols["lead_n"] = np.bincount(ldoc[lk], minlength=nd)
    # rest: where the lead shingles after the first sentence begin (0: not known)
    second = _second_sentence(buf, starts, ends, is_num, tdoc, tpos, nd)
    before = (spos[lsel][lk] < second[ldoc[lk]]) & (second[ldoc[lk]] > 0)
    cols["lead_rest"] = np.bincount(ldoc[lk][before], minlength=nd)
    cols["lead_head"] = np.minimum(cols["lead_n"], LEAD_HEAD)
    cols["nnum"] = np.bincount(edoc[(ekey & 1) == 1], minlength=nd)
    del nsh
    return Sketches(cols, edoc, ekey, eord)


def _second_sentence(buf: bytes, starts: np.ndarray, ends: np.ndarray, is_num: np.ndarray,
                     tdoc: np.ndarray, tpos: np.ndarray, nd: int) -> np.ndarray:
    """Per document, the position of the first token of its second sentence (0: none
    before token ``SENTENCE_SCAN``). A sentence ends at a line break, or at ``.``, ``!`` or ``?`` (then
    closing quotes or brackets) followed by white space, except a full stop after a word
    of at most ``ABBREV_MAX`` letters (Nov., U.S., Mr.). The first sentence has at least
    ``FIRST_SENTENCE_MIN`` tokens: a shorter one (a dateline, a kicker or an outlet's
    header line) runs on into the next."""
    out = np.zeros(nd, np.int64)
    b = np.frombuffer(buf, np.uint8)
    cand = np.flatnonzero((tpos >= FIRST_SENTENCE_MIN) & (tpos < SENTENCE_SCAN))
    # a sentence end leaves two bytes or more between the tokens ('. '), or a line break
    gap_lo = ends[cand - 1]
    glen = starts[cand] - gap_lo
    keep = (glen >= 2) | (b[gap_lo] == 10)
    cand, gap_lo, glen = cand[keep], gap_lo[keep], glen[keep]
    if not len(cand):
        return out
    line = np.zeros(len(cand), bool)
    space = np.zeros(len(cand), bool)
    for j in range(3):   # the separator's first bytes suffice
        c = b[np.minimum(gap_lo + j, len(b) - 1)]
        inside = glen > j
        line |= inside & (c == 10)
        space |= inside & ((c == 32) | (c == 10) | (c == 9) | (c == 13))
    first = b[gap_lo]
    stop = (first == 46) | (first == 33) | (first == 63)
    prev_len = ends[cand - 1] - starts[cand - 1]
    abbrev = (first == 46) & (prev_len <= ABBREV_MAX) & ~is_num[cand - 1]
    ok = line | (stop & ~abbrev & space)
    hit = cand[ok]
    if len(hit):
        docs, idx = np.unique(tdoc[hit], return_index=True)
        out[docs] = tpos[hit[idx]]
    return out


def _content_hashes(th: np.ndarray, tpos: np.ndarray, tdoc: np.ndarray, ntok: np.ndarray,
                    nd: int) -> np.ndarray:
    """Order-sensitive 64-bit hash of each document's token sequence (0: too short)."""
    out = np.zeros(nd, np.uint64)
    if not len(th):
        return out
    with np.errstate(over="ignore"):
        v = _mix(th ^ (tpos.astype(np.uint64) * _M3))
    has = np.flatnonzero(ntok > 0)
    first = (np.cumsum(ntok) - ntok)[has]
    sums = np.add.reduceat(v, first)
    with np.errstate(over="ignore"):
        h = _mix(sums + ntok[has].astype(np.uint64) * _M1)
    h[h == 0] = 1
    out[has] = h
    out[ntok < MIN_EXACT_TOKENS] = 0
    return out


@dataclass(frozen=True, slots=True)
class Sketch:
    """The sketch of one text (a view used by tests and tools)."""

    keys: np.ndarray
    orders: np.ndarray
    tau: int
    lead: np.ndarray
    lead_head: int
    content_hash: int
    n_tokens: int
    lead_rest: int = 0


def sketch_text(text: str) -> Sketch:
    """Normalise ``text`` and compute its sketch."""
    s = sketch_batch([text])
    c = s.cols
    return Sketch(keys=s.e_key, orders=s.e_ord, tau=int(c["tau"][0]),
                  lead=c["lead"][0, :int(c["lead_n"][0])], lead_head=int(c["lead_head"][0]),
                  content_hash=int(c["chash"][0]),
                  n_tokens=int(c["ntok"][0]), lead_rest=int(c["lead_rest"][0]))


_EQUIV_TABLE = _equivalence_table()
