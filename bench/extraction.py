"""Benchmark: plain trafilatura vs newsingest's extraction on the extraction-dev pages.

Usage: python bench/extraction.py PATH [--limit N] [--rounds R] [--show-left]

PATH is a folder with ``evaldata.json`` and ``cache/``/``eval/`` gzip pages (see its
README). For each page both extractors run in the same process:

* plain:   ``trafilatura.extract(html, url=url, include_comments=False)`` (2.x defaults);
* project: ``newsingest.extract.extract_batch`` over all pages (learns site templates
  across the batch, then cleans); a page that raises ExtractionError counts as empty.

Reported per column: snippet precision/recall/F1 (a ``with`` snippet found = TP, a
``without`` snippet found = FP, a ``with`` snippet missing = FN), occurrences of a fixed
list of boilerplate phrases (defined below, independently of the project's rule data),
and pages per CPU-second (``time.process_time``; fastest of ``--rounds`` alternating
rounds), with project/plain ratios.
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
from newsingest.extract import EXTRACTOR_VERSION, PageInput, detect_language, extract_batch

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


def run_plain(pages) -> tuple[list[str], float]:
    start = time.process_time()
    outs = [trafilatura.extract(html, url=url, include_comments=False) or "" for url, _, html in pages]
    return outs, time.process_time() - start


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--rounds", type=int, default=2,
                    help="timing rounds (alternating); the fastest of each column is reported")
    ap.add_argument("--show-left", action="store_true", help="list boilerplate phrases left")
    args = ap.parse_args(argv)
    pages = load_pages(args.path, args.limit)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 2
    # warm-up (imports, lazy tables) outside the timed runs
    warm = pages[:3]
    run_plain(warm)
    run_project(warm)
    detect_language("warm up the language identifier model once, as a long-running worker would")

    # Rounds alternate plain/project; the fastest round of each is reported, which damps
    # noise from other processes on a shared machine. Quality comes from the first round.
    plain_out, plain_cpu = run_plain(pages)
    proj_out, proj_cpu, removed, errors = run_project(pages)
    for _ in range(args.rounds - 1):
        plain_cpu = min(plain_cpu, run_plain(pages)[1])
        proj_cpu = min(proj_cpu, run_project(pages)[1])
    ps, qs = score(pages, plain_out), score(pages, proj_out)
    pb, qb = count_boilerplate(plain_out), count_boilerplate(proj_out)
    n = len(pages)
    p_rate, q_rate = n / plain_cpu, n / proj_cpu

    print(f"pages: {n}   timing rounds: {args.rounds}   plain: trafilatura-{trafilatura.__version__} (include_comments=False)"
          f"   project: {EXTRACTOR_VERSION}")
    print(f"{'metric':<28}{'plain':>12}{'project':>12}{'ratio':>10}")
    for key in ("precision", "recall", "f1"):
        print(f"{'snippet ' + key:<28}{ps[key]:>12.4f}{qs[key]:>12.4f}{qs[key] / ps[key]:>10.3f}")
    for key in ("tp", "fp", "fn"):
        print(f"{'snippets ' + key:<28}{ps[key]:>12d}{qs[key]:>12d}")
    bp, bq = sum(pb.values()), sum(qb.values())
    print(f"{'boilerplate phrases left':<28}{bp:>12d}{bq:>12d}{(bq / bp if bp else 0):>10.3f}")
    print(f"{'empty outputs / errors':<28}{sum(not o for o in plain_out):>12d}{errors:>12d}")
    print(f"{'CPU seconds':<28}{plain_cpu:>12.2f}{proj_cpu:>12.2f}{proj_cpu / plain_cpu:>10.3f}")
    print(f"{'pages per CPU-second':<28}{p_rate:>12.1f}{q_rate:>12.1f}{q_rate / p_rate:>10.3f}")
    print(f"{'CPU per page (ms)':<28}{1000 * plain_cpu / n:>12.2f}{1000 * proj_cpu / n:>12.2f}"
          f"{proj_cpu / plain_cpu:>10.3f}")
    print("lines removed by rule (project):",
          ", ".join(f"{k}={v}" for k, v in removed.most_common()) or "none")
    if args.show_left:
        print("boilerplate left, plain:", dict(pb.most_common()))
        print("boilerplate left, project:", dict(qb.most_common()))
    goals = [qs["f1"] >= ps["f1"], bq <= bp / 2, proj_cpu <= 1.15 * plain_cpu]
    print("goals (F1 >= plain, boilerplate <= 1/2 plain, CPU <= 1.15x):",
          " ".join("met" if g else "MISSED" for g in goals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
