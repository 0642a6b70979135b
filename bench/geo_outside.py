"""Score newsingest.geo on country labels made outside the project.

Usage: python bench/geo_outside.py [PATH] [--errors N] [--set reuters|lgl]
       (default PATH: ../shared/data/geo-dev relative to the project root)

PATH holds ``reuters_about_dev.jsonl.gz`` (scored on ``about``) and
``lgl_mentioned_dev.jsonl.gz`` (scored on ``mentioned``): gzip JSON lines
``{"id", "title", "text", "countries": [ISO2]}`` (see the README there). Prints micro
precision, recall and F1 over (article, country) pairs, then the errors by category:

* missed, found as a mention but not about (Reuters only): the about rule cut it;
* missed, not found at all;
* false positive: named in the headline, the dateline's country, named once, or more;
* the most frequent wrong and missed codes.

``--errors N`` prints N examples of wrong items per set (headline, first characters,
false positives and negatives).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from newsingest.geo import tag_countries  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "geo-dev"
SETS = {"reuters": ("reuters_about_dev.jsonl.gz", "about"),
        "lgl": ("lgl_mentioned_dev.jsonl.gz", "mentioned")}


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(items: list[dict], key: str, examples: int = 0) -> tuple[float, float, float]:
    """Print P/R/F1 of ``key`` against the labels and the error categories."""
    tp = fp = fn = 0
    cats: Counter[str] = Counter()
    fp_codes: Counter[str] = Counter()
    fn_codes: Counter[str] = Counter()
    shown = 0
    for it in items:
        r = tag_countries(it["title"], it["text"])
        gold, got = set(it["countries"]), set(getattr(r, key))
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
        for c in gold - got:
            fn_codes[c] += 1
            cats["missed: mentioned, not about" if c in r.counts and key == "about"
                 else "missed: not found"] += 1
        for c in got - gold:
            fp_codes[c] += 1
            ev = [e for e in r.evidence if e.code == c]
            if any(e.field == "title" for e in ev):
                cats["false: named in the headline"] += 1
            elif any(e.field == "text" and e.start < 40 and it["text"][e.end:e.end + 2] in (
                    ", ", " (", " -") for e in ev):
                cats["false: the dateline's country"] += 1
            elif len(ev) == 1:
                cats["false: named once"] += 1
            else:
                cats["false: named more than once"] += 1
        if examples and shown < examples and gold != got:
            shown += 1
            print(f"  [{it['id']}] FP={sorted(got - gold)} FN={sorted(gold - got)} "
                  f"gold={sorted(gold)} counts={r.counts}")
            print(f"      {it['title'][:90]!r} | {it['text'][:200]!r}")
    p, r_, f = prf(tp, fp, fn)
    print(f"{key:9s} P={p:.3f} R={r_:.3f} F1={f:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    for cat, n in cats.most_common():
        print(f"    {cat}: {n}")
    print("    most missed: " + ", ".join(f"{c} {n}" for c, n in fn_codes.most_common(12)))
    print("    most wrong:  " + ", ".join(f"{c} {n}" for c, n in fp_codes.most_common(12)))
    return p, r_, f


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT,
                    help="directory with the geo-dev files (default: %(default)s)")
    ap.add_argument("--errors", type=int, default=0, metavar="N",
                    help="print N wrong items per set")
    ap.add_argument("--set", choices=sorted(SETS), action="append",
                    help="score only this set (repeatable)")
    args = ap.parse_args(argv[1:])
    if not args.path.is_dir():
        print(f"{args.path}: not a directory (give the geo-dev path)", file=sys.stderr)
        return 2
    for name in args.set or sorted(SETS, reverse=True):
        fname, key = SETS[name]
        f = args.path / fname
        if not f.exists():
            print(f"{f}: missing, skipped")
            continue
        items = load(f)
        print(f"{name}: {f.name} ({len(items)} items), scored on {key}")
        score(items, key, args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
