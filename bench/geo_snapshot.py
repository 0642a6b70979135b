"""Dump what the country tagger outputs on many inputs, or compare two dumps.

Usage: python bench/geo_snapshot.py dump OUT.json [--pages DIR]
       python bench/geo_snapshot.py compare A.json B.json

A speed change must not change the output: dump before and after, then compare. The
inputs are every labelled item under tests/data (geo_*.jsonl with text), the benchmark
article, every page under DIR (default ../shared/data/extraction-dev, extracted with
trafilatura as bench/geo.py does; skipped when absent), the stories of
../shared/data/geo-dev (Reuters and LGL; skipped when absent) and, for 400 of them, the
headline in capitals with the first 300 characters of the text. For each input the dump
holds mentioned, about, counts and every evidence tuple.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from newsingest.geo import tag_countries  # noqa: E402

PAGES = ROOT.parent / "shared" / "data" / "extraction-dev"
OUTSIDE = ROOT.parent / "shared" / "data" / "geo-dev"
OUTSIDE_SETS = ("reuters_about_dev.jsonl.gz", "lgl_mentioned_dev.jsonl.gz")


def inputs(pages: Path) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for path in sorted((ROOT / "tests" / "data").glob("geo_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                if "text" in d:
                    items.append((d["title"], d["text"]))
    title, _, body = (ROOT / "tests" / "data" / "geo_bench_article.txt").read_text(
        encoding="utf-8").partition("\n")
    items.append((title, body))
    if pages.is_dir():
        import trafilatura

        for path in sorted([*pages.glob("cache/*.gz"), *pages.glob("eval/*.gz")]):
            html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            doc = trafilatura.bare_extraction(html, with_metadata=True)
            if doc is None:
                continue
            d = doc if isinstance(doc, dict) else doc.as_dict()
            if d.get("text"):
                items.append((d.get("title") or "", d["text"]))
    for name in OUTSIDE_SETS:           # wire copy and local news (datelines, companies...)
        path = OUTSIDE / name
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                items += [(d["title"], d["text"]) for d in map(json.loads, fh)]
    items += [(t.upper(), x[:300]) for t, x in items[:400]]
    return items


def dump(out: Path, pages: Path) -> None:
    rows = outputs(inputs(pages))
    out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    print(f"{len(rows)} inputs -> {out}")


def check(ref: Path, pages: Path = PAGES) -> int:
    """Compare the current output on the inputs with the dump ``ref``; 0 if the same."""
    x = json.loads(ref.read_text(encoding="utf-8"))
    y = outputs(inputs(pages))
    return _report(x, json.loads(json.dumps(y, ensure_ascii=False)))


def outputs(docs: list[tuple[str, str]]) -> list[list]:
    rows = []
    for title, text in docs:
        r = tag_countries(title, text)
        rows.append([r.mentioned, r.about, r.counts, [list(e) for e in r.evidence]])
    return rows


def compare(a: Path, b: Path) -> int:
    x = json.loads(a.read_text(encoding="utf-8"))
    y = json.loads(b.read_text(encoding="utf-8"))
    return _report(x, y)


def _report(x: list, y: list) -> int:
    if len(x) != len(y):
        print(f"different inputs: {len(x)} vs {len(y)}")
        return 1
    diff = [i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q]
    print(f"{len(x)} inputs, {len(diff)} differ")
    for i in diff[:10]:
        print(f"  #{i}: {x[i][:3]}\n       {y[i][:3]}")
    return 1 if diff else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "dump":
        pages = Path(argv[argv.index("--pages") + 1]) if "--pages" in argv else PAGES
        dump(Path(argv[2]), pages)
        return 0
    if len(argv) == 4 and argv[1] == "compare":
        return compare(Path(argv[2]), Path(argv[3]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
