"""Snapshot of what ``DedupIndex.assign`` returns on the ``bench/dedup.py`` stream.

Runs the same documents as ``bench/dedup.py --sizes N`` (same seed, same chronological
runs) and records every Assignment, a digest of the index after each run and the final
``to_bytes()``. Two snapshots (before and after a speed change) must be identical.

Usage: PYTHONPATH=include .venv/bin/python bench/dedup_snapshot.py OUT.pkl [--sizes 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import sys
import time
from dataclasses import astuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dedup as bench  # noqa: E402  (bench/dedup.py: the set builder)

from newsingest.dedup import DedupIndex  # noqa: E402


def snapshot(n: int, runs: int, seed: int, rewritten_leads: float) -> tuple[bytes, float]:
    """The pickled snapshot and the CPU seconds spent in ``assign``."""
    pool = bench.build_pool(bench.load_texts(bench.DEFAULT_DATA, bench.DEFAULT_CACHE))
    docs, _ = bench.generate(pool, n, seed, rewritten_leads)
    index = DedupIndex()
    size = math.ceil(len(docs) / runs)
    assignments, digests, cpu = [], [], 0.0
    for r in range(runs):
        chunk = docs[r * size:(r + 1) * size]
        if not chunk:
            continue
        now = max(d.published_at for d in chunk)
        t0 = time.process_time()
        out = index.assign(chunk, run_id=f"run{r}", now=now)
        cpu += time.process_time() - t0
        assignments.append([astuple(a) for a in out])
        digests.append(hashlib.sha256(index.to_bytes()).hexdigest())
    return pickle.dumps((assignments, digests, index.to_bytes())), cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--sizes", type=int, default=10000, help="document count")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rewritten-leads", type=float, default=0.1)
    args = ap.parse_args(argv)
    data, cpu = snapshot(args.sizes, args.runs, args.seed, args.rewritten_leads)
    args.out.write_bytes(data)
    print(f"{args.out}: sha256 {hashlib.sha256(data).hexdigest()}, "
          f"{args.sizes / cpu:.0f} docs/cpu-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
