"""A/B speed of newsingest.geo against another version of the code, in one process.

Usage: python bench/geo_ab.py REF [--rounds N] [--real DIR]

REF is the ``include`` directory of the other version, e.g. the starting commit exported
with ``git archive <commit> include | tar -x -C /tmp/ref`` (REF = /tmp/ref/include). Its
``newsingest`` package is copied to a temporary directory under another name, so that
both versions load side by side; they then take turns, round after round, on the same
workloads (CPU time, pinned to one core), so that both share whatever else the machine
is doing. Prints each version's median articles per CPU-second and the ratio (this
checkout / REF), also as the median of the per-round ratios.

Workloads: the benchmark article cut to 2,000 characters, the labelled real pages cut to
2,000 characters (re-extracted from DIR, default ../shared/data/extraction-dev, as
bench/geo.py does; skipped when absent) and the labelled sentences.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

NEWS_CHARS = 2_000


def load_ref(ref: Path, tmp: Path):
    """The other version's tag_countries, loaded as package ``newsingest_ref``."""
    src = ref / "newsingest"
    if not (src / "geo.py").is_file():
        raise SystemExit(f"{ref}: no newsingest/geo.py under it (give an include directory)")
    dst = tmp / "newsingest_ref"
    shutil.copytree(src, dst)
    for py in dst.glob("*.py"):
        py.write_text(re.sub(r"\bnewsingest\.", "newsingest_ref.", py.read_text("utf-8")),
                      encoding="utf-8")
    sys.path.insert(0, str(tmp))
    from newsingest_ref.geo import tag_countries

    return tag_countries


def rate(f, docs: list[tuple[str, str]], min_seconds: float = 0.25) -> float:
    n, t0 = 0, time.process_time()
    while True:
        for title, text in docs:
            f(title, text)
        n += len(docs)
        dt = time.process_time() - t0
        if dt >= min_seconds:
            return n / dt


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench/geo_ab.py", description=__doc__.split("\n")[0])
    ap.add_argument("ref", type=Path, help="include directory of the other version")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "data" /
                    "extraction-dev", metavar="DIR")
    args = ap.parse_args(argv[1:])
    import geo as bench_geo
    from newsingest.geo import tag_countries as new

    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass
    workloads: dict[str, list[tuple[str, str]]] = {}
    title, _, body = bench_geo.ARTICLE.read_text(encoding="utf-8").partition("\n")
    workloads["benchmark article cut to 2,000 characters"] = [(title, body[:NEWS_CHARS])]
    if args.real.is_dir():
        pages = [it for labels in bench_geo.REAL_SETS
                 for it in bench_geo.load_real(labels, args.real)]
        cut = [(it["title"], it["text"][:NEWS_CHARS]) for it in pages
               if len(it["text"]) >= NEWS_CHARS]
        if cut:
            workloads[f"{len(cut)} real pages cut to 2,000 characters"] = cut
    items = bench_geo.load(bench_geo.DEFAULT)
    workloads[f"{len(items)} labelled sentences"] = [(it["title"], it["text"]) for it in items]
    with tempfile.TemporaryDirectory() as tmp:
        ref = load_ref(args.ref, Path(tmp))
        ref("warm-up", "The gazetteer is built on first use.")
        new("warm-up", "The gazetteer is built on first use.")
        print(f"articles per CPU-second, one core, median of {args.rounds} alternating rounds")
        for name, docs in workloads.items():
            a, b = [], []
            for _ in range(args.rounds):
                a.append(rate(ref, docs))
                b.append(rate(new, docs))
            ma, mb = statistics.median(a), statistics.median(b)
            per_round = statistics.median(y / x for x, y in zip(a, b, strict=True))
            print(f"  {name}: ref {ma:,.0f}/s, this {mb:,.0f}/s, ratio {mb / ma:.3f} "
                  f"(median of round ratios {per_round:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
