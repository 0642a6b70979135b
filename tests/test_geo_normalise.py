"""gazetteer.normalise: the fast paths agree with the plain definition on every character."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from newsingest.gazetteer import normalise

_CJK_MARKS = "、。，：；！？（）「」『』【】《》"
_TABLE = str.maketrans({i: " " for i in range(0x3100)
                        if not chr(i).isalnum() and unicodedata.category(chr(i))[0] != "M"}
                       | {ord(c): " " for c in _CJK_MARKS})


def reference(s: str) -> str:
    """The definition: lower case (first character of a longer lower case), then every
    character below U+3100 that is neither alphanumeric nor a combining accent, and the
    CJK marks, as a space."""
    low = s.lower()
    if len(low) != len(s):
        low = "".join((c.lower() or c)[0] for c in s)
    return low.translate(_TABLE)


def _chars(lo: int, hi: int) -> str:
    # every code point of the first two planes (where letters and marks are), every 61st
    # beyond (ideographs, private use); not the surrogates
    step = 1 if lo < 0x20000 else 61
    return "".join(chr(i) for i in range(lo, hi, step) if not 0xD800 <= i < 0xE000)


@pytest.mark.parametrize("lo", range(0, sys.maxunicode + 1, 0x8000))
def test_every_code_point(lo: int) -> None:
    """Each character in a word, with few capitals around it (the replace path) and with
    many (the path that lower-cases the whole text)."""
    for c in _chars(lo, lo + 0x8000):
        for s in (f"Ab{c}x. Éz", f"ΣΑΣ {c}ΑΣ x"):
            got = normalise(s)
            assert got == reference(s), (hex(ord(c)), s, got)
            assert len(got) == len(s)


@pytest.mark.parametrize("text", [
    "Kyiv’s “grain corridor” — talks in İstanbul, Türkiye.",
    "ПРЕЗИДЕНТ РОССИИ заявил: «Москва» — столица.",       # many capitals: lower-cased whole
    "ΑΘΗΝΑ, Ελλάδα — ΟΔΟΣ",                                # final sigma by context
    "Le Président français à Bogotá, Côte d´Ivoire × 2",   # acute accent and times sign
    "东京，日本。北京（中国）",                               # CJK marks above U+3100
    "Mu\u0308nchen and Bogota\u0301",                       # combining accents stay
    "plain ASCII, with U.S. and UK",
    "a\ud800b’C",                                          # a lone surrogate survives
])
def test_news_text(text: str) -> None:
    assert normalise(text) == reference(text)


def test_examples() -> None:
    assert normalise("Kyiv’s “grain”—deal") == "kyiv s  grain  deal"
    assert normalise("CÔTE D’IVOIRE") == "côte d ivoire"
    assert normalise("İzmir") == "izmir"
