"""Word equivalences for near-duplicate detection (``data/dedup_equivalents.tsv``).

Copy desks expand wire abbreviations ("mln" -> "million", "pct" -> "percent"), respell
British forms and spell out small numbers. :mod:`newsingest.shingles` hashes every
variant as its canonical token, and drops the tokens whose canonical form is ``-``;
a multi-word variant ("per cent") becomes one token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DROP = "-"


@dataclass(frozen=True)
class Equivalents:
    """Variant -> canonical token (``DROP``: drop it), for single words and for
    multi-word variants (keys with spaces)."""

    tokens: dict[str, str]
    phrases: dict[str, str]


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
    return Equivalents(tokens, phrases)


@lru_cache(maxsize=1)
def load() -> Equivalents:
    """The project's table."""
    return parse(resources.files("newsingest").joinpath("data/dedup_equivalents.tsv")
                 .read_text("utf-8"))
