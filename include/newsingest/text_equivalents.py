"""Word equivalences for near-duplicate detection (``data/dedup_equivalents.tsv``).

Copy desks expand wire abbreviations ("mln" -> "million", "pct" -> "percent"), respell
British forms and spell out small numbers. :mod:`newsingest.shingles` hashes every
variant as its canonical token, and drops the tokens whose canonical form is ``-``.
Multi-word variants ("per cent") are rewritten in the text before tokenising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DROP = "-"


@dataclass(frozen=True)
class Equivalents:
    """Single-token variants (variant -> canonical, ``DROP`` to drop) and a rewrite of
    the multi-word variants."""

    tokens: dict[str, str]
    phrases: dict[str, str]
    phrase_re: re.Pattern[str] | None
    cue_words: tuple[str, ...] = ()   # a text holding none of these holds no phrase

    def rewrite_phrases(self, norm: str) -> str:
        """Replace multi-word variants in case-folded text with their canonical token."""
        if self.phrase_re is None or not any(w in norm for w in self.cue_words):
            return norm
        return self.phrase_re.sub(lambda m: _replacement(self.phrases[m.group()]), norm)


def _replacement(canon: str) -> str:
    return " " if canon == DROP else canon


def parse(text: str) -> Equivalents:
    """Parse the table (see the data file's header for the format)."""
    tokens: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        canon, sep, rest = line.partition("\t")
        canon = canon.strip().lower()
        if not sep or not canon or not rest.split():
            raise ValueError(f"dedup_equivalents line {n}: expected 'canonical<TAB>variants'")
        for v in rest.lower().split():
            target = tokens if "_" not in v else phrases
            key = v.replace("_", " ")
            if key in tokens or key in phrases:
                raise ValueError(f"dedup_equivalents line {n}: {key!r} listed twice")
            target[key] = canon
    pattern = (re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len,
                                                                           reverse=True))
                          + r")\b") if phrases else None)
    # the shortest set of literals every phrase contains: each phrase's rarest-looking
    # (longest) word
    cues = tuple(sorted({max(p.split(), key=len) for p in phrases}))
    return Equivalents(tokens, phrases, pattern, cues)


@lru_cache(maxsize=1)
def load() -> Equivalents:
    """The project's table."""
    return parse(resources.files("newsingest").joinpath("data/dedup_equivalents.tsv")
                 .read_text("utf-8"))
