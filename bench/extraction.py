"""Benchmark: plain trafilatura vs newsingest's extraction on the extraction-dev pages.

Usage: python bench/extraction.py [PATH] [--limit N] [--rounds R] [--show-left] [--dump FILE] [--interleaved]

PATH is a folder with ``evaldata.json`` and ``cache/``/``eval/`` gzip pages (see its
README). For each page both extractors run in the same process:

* plain:     ``trafilatura.extract(html, url=url, include_comments=False)`` (2.x defaults,
  balanced mode: what the project calls);
* precision: the same with ``favor_precision=True`` (plain trafilatura's best setting on
  news pages, the stronger reference);
* project: ``newsingest.extract.extract_batch`` over all pages (learns site templates
  across the batch, then cleans); a page that raises ExtractionError counts as empty.

Reported per column: snippet precision/recall/F1 (a ``with`` snippet found = TP, a
``without`` snippet found = FP, a ``with`` snippet missing = FN), occurrences of a fixed
list of boilerplate phrases (defined below, independently of the project's rule data),
and pages per CPU-second (``time.process_time``; fastest of ``--rounds`` alternating
rounds), with project/reference ratios. ``--dump FILE`` writes every page's project
output (JSON ``{url: text}``) for before/after diffs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

from newsingest.errors import ExtractionError
from newsingest.extract import (EXTRACTOR_VERSION, PageInput, detect_language, extract_article,
                                extract_batch)

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "extraction-dev"

# Boilerplate phrases whose presence in an output is counted (case-insensitive
# occurrences on word boundaries, so "Feiertags:" is not "tags:"). Comment forms, tag
# lines, share bars and promos, several languages. Phrases that are common in prose
# ("look like this:", "share this pillow") are left out or given their colon form.
BOILERPLATE_PHRASES = [
    # English
    "leave a reply", "leave a comment", "please enter your comment", "please enter your name here",
    "you have entered an incorrect email address", "your email address will not be published",
    "required fields are marked", "cancel reply", "post comment", "notify me of",
    "tags:", "share this:", "share this article", "share on facebook", "share on twitter",
    "click to share", "follow us on",
    "sign up for our newsletter", "subscribe to our newsletter", "read more:", "related posts",
    # German
    "hinterlasse einen kommentar", "schreibe einen kommentar", "kommentar verfassen",
    "e-mail-adresse wird nicht veröffentlicht", "erforderliche felder sind", "antworten abbrechen",
    "benachrichtige mich", "kommentar abschicken", "schlagwörter:", "schlagworte:",
    "teilen mit:", "newsletter abonnieren", "lesen sie auch:", "ähnliche beiträge",
    "abgelegt unter:", "zum teilen anklicken",
    # French, Spanish, Portuguese, Italian
    "laisser un commentaire", "ne sera pas publiée", "annuler la réponse", "partager sur",
    "lire aussi :", "partager sur facebook", "deja una respuesta", "no será publicada", "cancelar respuesta",
    "compartir en", "deixe uma resposta", "não será publicado", "cancelar resposta",
    "lascia un commento", "non sarà pubblicato", "annulla risposta",
]


def load_pages(root: Path, limit: int | None) -> list[tuple[str, dict, bytes]]:
    """(url, expectations, html bytes) for each page whose HTML file exists."""
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    out = []
    for url, spec in data.items():
        for sub in ("cache", "eval"):
            path = root / sub / f"{spec['file']}.gz"
            if path.exists():
                out.append((url, spec, gzip.decompress(path.read_bytes())))
                break
        if limit and len(out) >= limit:
            break
    return out


def score(pages: list[tuple[str, dict, bytes]], outputs: list[str]) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for (_, spec, _), text in zip(pages, outputs, strict=True):
        for s in spec.get("with", []):
            if s in text:
                tp += 1
            else:
                fn += 1
        for s in spec.get("without", []):
            if s in text:
                fp += 1
            else:
                tn += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


_PHRASE_RES = [(p, re.compile(r"(?<!\w)" + re.escape(p) + (r"(?!\w)" if p[-1].isalnum() else "")))
               for p in BOILERPLATE_PHRASES]


def count_boilerplate(outputs: list[str]) -> Counter:
    found: Counter = Counter()
    for text in outputs:
        low = text.casefold()
        for phrase, regex in _PHRASE_RES:
            n = len(regex.findall(low))
            if n:
                found[phrase] += n
    return found


def run_plain(pages, **options) -> tuple[list[str], float]:
    start = time.process_time()
    outs = [trafilatura.extract(html, url=url, include_comments=False, **options) or ""
            for url, _, html in pages]
    return outs, time.process_time() - start


def run_precision(pages) -> tuple[list[str], float]:
    return run_plain(pages, favor_precision=True)


def run_project(pages) -> tuple[list[str], float, Counter, int]:
    start = time.process_time()
    results = extract_batch([PageInput(url=url, html=html) for url, _, html in pages])
    elapsed = time.process_time() - start
    outs, removed, errors = [], Counter(), 0
    for res in results:
        if isinstance(res, ExtractionError):
            outs.append("")
            errors += 1
        else:
            outs.append(res.text)
            removed.update(res.removed)
    return outs, elapsed, removed, errors


def run_interleaved(pages) -> tuple[float, float]:
    """CPU seconds of precision-mode trafilatura and of ``extract_article``, taking turns
    page by page (load swings on a shared machine hit both columns alike)."""
    prec = proj = 0.0
    for url, _, html in pages:
        t0 = time.process_time()
        trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
        t1 = time.process_time()
        try:
            extract_article(html, url)
        except ExtractionError:
            pass
        t2 = time.process_time()
        prec += t1 - t0
        proj += t2 - t1
    return prec, proj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--rounds", type=int, default=2,
                    help="timing rounds (alternating); the fastest of each column is reported")
    ap.add_argument("--show-left", action="store_true", help="list boilerplate phrases left")
    ap.add_argument("--dump", type=Path, default=None, help="write the project's outputs as JSON")
    ap.add_argument("--interleaved", action="store_true",
                    help="also time precision mode and extract_article page by page, taking turns "
                         "(the CPU goal then uses this pair)")
    args = ap.parse_args(argv)
    pages = load_pages(args.path, args.limit)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 2
    # warm-up (imports, lazy tables) outside the timed runs
    warm = pages[:3]
    run_plain(warm)
    run_precision(warm)
    run_project(warm)
    detect_language("warm up the language identifier model once, as a long-running worker would")

    # Rounds alternate the three columns; the fastest round of each is reported, which
    # damps noise from other processes on a shared machine. Quality comes from round one.
    plain_out, plain_cpu = run_plain(pages)
    prec_out, prec_cpu = run_precision(pages)
    proj_out, proj_cpu, removed, errors = run_project(pages)
    for _ in range(args.rounds - 1):
        plain_cpu = min(plain_cpu, run_plain(pages)[1])
        prec_cpu = min(prec_cpu, run_precision(pages)[1])
        proj_cpu = min(proj_cpu, run_project(pages)[1])
    if args.dump:
        args.dump.write_text(json.dumps({url: text for (url, _, _), text in zip(pages, proj_out, strict=True)},
                                        ensure_ascii=False), encoding="utf-8")
    outs = {"plain": plain_out, "precision": prec_out, "project": proj_out}
    scores = {k: score(pages, v) for k, v in outs.items()}
    left = {k: count_boilerplate(v) for k, v in outs.items()}
    cpu = {"plain": plain_cpu, "precision": prec_cpu, "project": proj_cpu}
    n = len(pages)
    cols = ("plain", "precision", "project")

    print(f"pages: {n}   timing rounds: {args.rounds}   trafilatura-{trafilatura.__version__}"
          f" plain = balanced, precision = favor_precision (both include_comments=False)"
          f"   project: {EXTRACTOR_VERSION}")
    print(f"{'metric':<28}" + "".join(f"{c:>12}" for c in cols) + f"{'/plain':>9}{'/prec':>9}")

    def row(label: str, values: dict, fmt: str, ratio: bool = True) -> None:
        line = f"{label:<28}" + "".join(format(values[c], fmt).rjust(12) for c in cols)
        if ratio:
            line += "".join(f"{(values['project'] / values[c] if values[c] else 0):>9.3f}"
                            for c in ("plain", "precision"))
        print(line)

    for key in ("precision", "recall", "f1"):
        row("snippet " + key, {c: scores[c][key] for c in cols}, ".4f")
    for key in ("tp", "fp", "fn"):
        row("snippets " + key, {c: scores[c][key] for c in cols}, "d", ratio=False)
    row("boilerplate phrases left", {c: sum(left[c].values()) for c in cols}, "d")
    row("empty outputs / errors", {"plain": sum(not o for o in plain_out),
                                   "precision": sum(not o for o in prec_out), "project": errors},
        "d", ratio=False)
    row("CPU seconds", cpu, ".2f")
    row("CPU per page (ms)", {c: 1000 * cpu[c] / n for c in cols}, ".2f")
    if args.interleaved:
        prec_i, proj_i = run_interleaved(pages)
        print(f"{'CPU/page interleaved (ms)':<28}{'':>12}{1000 * prec_i / n:>12.2f}{1000 * proj_i / n:>12.2f}"
              f"{'':>9}{proj_i / prec_i:>9.3f}   (page by page: precision mode, then extract_article)")
        proj_cpu, prec_cpu = proj_i, prec_i
    print("lines removed by rule (project):",
          ", ".join(f"{k}={v}" for k, v in removed.most_common()) or "none")
    if args.show_left:
        for c in cols:
            print(f"boilerplate left, {c}:", dict(left[c].most_common()))
    goals = [scores["project"]["f1"] >= scores["precision"]["f1"],
             sum(left["project"].values()) <= sum(left["precision"].values()),
             proj_cpu <= 1.25 * prec_cpu]
    print("goals (F1 >= precision mode, boilerplate <= precision mode, CPU <= 1.25x precision mode):",
          " ".join("met" if g else "MISSED" for g in goals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
