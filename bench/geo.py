"""Benchmark for newsingest.geo: accuracy on a labelled set and throughput.

Usage: python bench/geo.py [--errors] [--real DIR] [--check DUMP] [PATH]
       (default PATH: tests/data/geo_labelled.jsonl; --help for the options)

``--real DIR`` (default ``../shared/data/extraction-dev`` when it exists) also scores the
real pages labelled in tests/data/geo_realnews_dev.jsonl, geo_realnews_holdout.jsonl
(see tests/data/GEO_REALNEWS.md), geo_realnews_blind.jsonl (GEO_REALNEWS_BLIND.md) and
geo_realnews_blind2.jsonl (GEO_REALNEWS_BLIND2.md): their text is extracted again from DIR with
trafilatura and checked against the stored SHA-1 before it is scored.

``--check DUMP`` first compares the tagger's output on the snapshot inputs with a dump
made by ``bench/geo_snapshot.py dump DUMP`` (same ``--real`` pages) and stops with status 1
if any output differs: a speed change must keep the output. Make the dump with the code
before the change, then run ``--check`` after it.

``--errors`` lists every item whose ``about`` or ``mentioned`` set differs from its label
(false positives and false negatives per item) and skips the speed runs.

Prints micro precision/recall/F1 and exact-set accuracy for ``mentioned`` and ``about``,
then articles per CPU-second on one core (median of several rounds in which the workloads
take turns) for the short labelled items, a ~600-word news article dense in country names
(tests/data/geo_bench_article.txt), the real pages, and ~600-word articles glued from the
labelled texts (far denser in country names than news), and the real pages cut to 2,000
characters (the speed target: news articles of 2,000 characters), each with its density
of country mentions per 100 words (the cost per article grows with it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

from newsingest.geo import tag_countries  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "geo_labelled.jsonl"
# dev, holdout, blind, then any later geo_realnews_*.jsonl
REAL_SETS = tuple(sorted((ROOT / "tests" / "data").glob("geo_realnews_*.jsonl"),
                         key=lambda p: (["dev", "holdout", "blind"].index(p.stem[13:])
                                        if p.stem[13:] in ("dev", "holdout", "blind") else 3,
                                        p.name)))
REAL_DEFAULT = ROOT.parent / "shared" / "data" / "extraction-dev"
ARTICLE = ROOT / "tests" / "data" / "geo_bench_article.txt"
REPS = 9
NEWS_CHARS = 2_000     # the length of the speed target's news article


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(items: list[dict]) -> dict[str, dict[str, float]]:
    """Micro P/R/F1 and exact-set accuracy for mentioned and about."""
    res: dict[str, dict[str, float]] = {}
    preds = [tag_countries(it["title"], it["text"]) for it in items]
    for key in ("mentioned", "about"):
        tp = fp = fn = exact = 0
        for it, pr in zip(items, preds, strict=True):
            gold, got = set(it[key]), set(getattr(pr, key))
            tp += len(gold & got)
            fp += len(got - gold)
            fn += len(gold - got)
            exact += gold == got
        p, r, f = prf(tp, fp, fn)
        res[key] = {"precision": p, "recall": r, "f1": f, "exact": exact / len(items)}
    return res


def load_real(labels: Path, pages: Path) -> list[dict]:
    """Labelled real pages with title and text extracted again from ``pages``."""
    import gzip
    import hashlib

    import trafilatura

    out = []
    for item in load(labels):
        path = next((p for p in (pages / "cache" / f"{item['file']}.gz",
                                 pages / "eval" / f"{item['file']}.gz") if p.exists()), None)
        if path is None:
            print(f"  missing page {item['file']}: skipped")
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        doc = trafilatura.bare_extraction(html, url=item["url"], with_metadata=True)
        d = doc if isinstance(doc, dict) else doc.as_dict()
        title, text = d.get("title") or "", d.get("text") or ""
        if "sha1" in item:
            same = hashlib.sha1(f"{title}\n{text}".encode()).hexdigest() == item["sha1"]
        else:
            same = (hashlib.sha1(title.encode()).hexdigest() == item["title_sha1"]
                    and hashlib.sha1(text.encode()).hexdigest() == item["text_sha1"])
        if not same:
            print(f"  {item['file']}: extracted text differs from the labelled one: skipped")
            continue
        out.append({**item, "title": title, "text": text})
    return out


def list_errors(items: list[dict]) -> None:
    """Print the false positives / negatives of ``about`` and ``mentioned`` per item."""
    for i, it in enumerate(items):
        r = tag_countries(it["title"], it["text"])
        for key in ("about", "mentioned"):
            gold, got = set(it[key]), set(getattr(r, key))
            if gold != got:
                print(f"#{i} [{it.get('case', '')}] {key}: FP={sorted(got - gold)} "
                      f"FN={sorted(gold - got)} counts={r.counts}")
                print(f"    {it['title']!r} | {it['text'][:160]!r}")


def throughputs(workloads: dict[str, list[tuple[str, str]]], reps: int = REPS,
                min_seconds: float = 0.2) -> dict[str, list[float]]:
    """Articles per CPU-second (process time, pinned to one core) for each workload.

    The workloads take turns, ``reps`` rounds of at least ``min_seconds`` each, so that
    they share whatever else the machine is doing; CPU time rather than wall time, so
    that other processes do not count against the tagger.
    """
    rates: dict[str, list[float]] = {name: [] for name in workloads}
    for _ in range(reps):
        for name, docs in workloads.items():
            n, t0 = 0, time.process_time()
            while True:
                for title, text in docs:
                    tag_countries(title, text)
                n += len(docs)
                dt = time.process_time() - t0
                if dt >= min_seconds:
                    break
            rates[name].append(n / dt)
    return rates


def _dense_articles(items: list[dict], words: int = 600) -> list[tuple[str, str]]:
    """~600-word articles made by joining consecutive labelled texts (many country names)."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    for it in items:
        buf.append(it["text"])
        if sum(len(t.split()) for t in buf) >= words:
            out.append((items[len(out)]["title"], "\n\n".join(buf)))
            buf = []
    return out or [(items[0]["title"], " ".join(it["text"] for it in items))]


def report_real(pages: Path, errors: bool) -> list[dict]:
    """Scores on the labelled real pages (see REAL_SETS); returns the pages."""
    pages_seen: list[dict] = []
    for labels in REAL_SETS:
        items = load_real(labels, pages)
        if not items:
            continue
        pages_seen += items
        print(f"real pages: {labels.name} ({len(items)} items, re-extracted from {pages})")
        for key, m in evaluate(items).items():
            print(f"{key:9s}  P={m['precision']:.3f}  R={m['recall']:.3f}  "
                  f"F1={m['f1']:.3f}  exact-set accuracy={m['exact']:.3f}")
        if errors:
            list_errors(items)
    return pages_seen


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="bench/geo.py", description="Accuracy and speed of newsingest.geo.",
        epilog="Without --errors, also measures articles per CPU-second on one core.")
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT,
                    help="labelled JSON lines (default: %(default)s)")
    ap.add_argument("--errors", action="store_true",
                    help="list the items whose about or mentioned differs; skip speed runs")
    ap.add_argument("--real", type=Path, default=REAL_DEFAULT if REAL_DEFAULT.is_dir() else None,
                    metavar="DIR", help="extraction-dev pages for the real-page sets "
                    "(default: %(default)s)")
    ap.add_argument("--check", type=Path, metavar="DUMP",
                    help="compare the output with a bench/geo_snapshot.py dump first; "
                    "exit 1 if anything differs")
    return ap.parse_args(argv[1:])


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    errors, real, path = args.errors, args.real, args.path
    if not path.is_file():
        print(f"bench/geo.py: {path}: no such labelled file", file=sys.stderr)
        return 2
    if args.check is not None:
        import geo_snapshot

        if not args.check.is_file():
            print(f"bench/geo.py: {args.check}: no such dump", file=sys.stderr)
            return 2
        pages = real if real is not None else geo_snapshot.PAGES
        if geo_snapshot.check(args.check, pages) != 0:
            print("output differs from the dump: not measuring speed")
            return 1
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass
    items = load(path)
    t0 = time.perf_counter()
    tag_countries("warm-up", "The gazetteer is built on first use.")
    build = time.perf_counter() - t0
    res = evaluate(items)
    print(f"labelled set: {path} ({len(items)} items)")
    print(f"first call (gazetteer build): {build:.2f} s")
    for key, m in res.items():
        print(f"{key:9s}  P={m['precision']:.3f}  R={m['recall']:.3f}  F1={m['f1']:.3f}  "
              f"exact-set accuracy={m['exact']:.3f}")
    if errors:
        list_errors(items)
    if real is not None and not real.is_dir():
        print(f"real pages: {real} not found, skipped")
        real = None
    real_pages = report_real(real, errors) if real is not None else []
    if errors:
        return 0
    workloads: dict[str, list[tuple[str, str]]] = {}
    short = [(it["title"], it["text"]) for it in items]
    words = sum(len((t + " " + x).split()) for t, x in short) / len(short)
    workloads[f"short items ({words:.0f} words avg)"] = short
    title, _, body = ARTICLE.read_text(encoding="utf-8").partition("\n")
    n_words = len((title + " " + body).split())
    workloads[f"{n_words}-word news article, 49 country mentions"] = [(title, body)]
    curly = (body.replace(" - ", " \u2014 ").replace("'", "\u2019")
             .replace(' "', " \u201c").replace('," ', ",\u201d "))
    workloads["same article with typographic quotes and dashes"] = [(title, curly)]
    if real_pages:
        docs = [(it["title"], it["text"]) for it in real_pages]
        words = sum(len((t + " " + x).split()) for t, x in docs) / len(docs)
        workloads[f"{len(docs)} real pages ({words:.0f} words avg)"] = docs
        cut = [(t, x[:NEWS_CHARS]) for t, x in docs if len(x) >= NEWS_CHARS]
        workloads[f"{len(cut)} real pages cut to {NEWS_CHARS:,} characters "
                  "(the speed target's news article)"] = cut
    dense = _dense_articles(items)
    avg = sum(len(x.split()) for _, x in dense) / len(dense)
    workloads[f"{len(dense)} dense ~{avg:.0f}-word articles glued from the labelled texts"] = dense
    print(f"throughput on one core, articles per CPU-second: median of {REPS} rounds "
          f"(the workloads take turns), and the slowest and fastest round")
    print("(the cost grows with the number of country mentions: each workload gives their "
          "density per 100 words)")
    for name, rates in throughputs(workloads).items():
        med = statistics.median(rates)
        print(f"  {name}: {med:,.0f}/s ({1e6 / med:.0f} us each; "
              f"{min(rates):,.0f}-{max(rates):,.0f}; "
              f"{mention_density(workloads[name]):.1f} mentions per 100 words)")
    return 0


def mention_density(docs: list[tuple[str, str]]) -> float:
    """Country mentions per 100 words over ``docs`` (title and text)."""
    mentions = sum(sum(tag_countries(t, x).counts.values()) for t, x in docs)
    words = sum(len(t.split()) + len(x.split()) for t, x in docs)
    return 100 * mentions / words if words else 0.0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
