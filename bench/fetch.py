"""Benchmark: Fetcher.fetch_many over many loopback hosts under the default politeness.

    .venv/bin/python bench/fetch.py                 # 1,000 pages, 20 hosts, 200 ms latency
    .venv/bin/python bench/fetch.py --pages 100 --hosts 5     # quick run

Hosts are 20 HTTP servers on 127.0.0.1 with distinct ports. The fetcher's politeness key is
(host name, port), so each server is one "host" (distinct ports on one address are distinct
origins, RFC 6454). The servers run in a child process so the reported peak memory (RSS)
is the fetcher's own.

Theoretical limit for the settings: a host with n requests (its pages plus robots.txt) cannot
finish before max((n - 1) * host_interval, (ceil(n / per_host_concurrency) - 1) * latency)
+ latency; all requests together cannot finish before requests * latency / workers. The
limit is the largest of these; the goal is wall time within 1.2x of it. A tighter bound
also counts that W workers cannot start every host at t=0 (the k-th host to start waits
floor(k / W) * latency); it is reported as "staggered_limit_s".
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import resource
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support_http import LoopbackServer, Reply, Request  # noqa: E402

from newsingest.config import Settings  # noqa: E402
from newsingest.fetch import Fetcher, FetchPolicy  # noqa: E402


def serve(hosts: int, latency: float, page_bytes: int, conn: "mp.connection.Connection") -> None:
    """Child process: run the servers, report ports, then request logs when told to stop."""
    log: dict[int, list[tuple[float, float]]] = {}
    lock = threading.Lock()
    page = (b"<html><body>" + b"news " * (page_bytes // 5) + b"</body></html>")

    def make_handler(idx: int):  # noqa: ANN202
        def handler(req: Request) -> Reply:
            start = time.monotonic()
            time.sleep(latency)
            with lock:
                log.setdefault(idx, []).append((start, time.monotonic()))
            return Reply(200, page, {"Content-Type": "text/html"})
        return handler

    servers = []
    for idx in range(hosts):
        handler = make_handler(idx)
        servers.append(LoopbackServer(default=handler).start())
    conn.send([s.port for s in servers])
    conn.recv()                                   # wait for "stop"
    for s in servers:
        s.stop()
    conn.send(log)


def _host_time(n: int, interval: float, concurrency: int, latency: float) -> float:
    return max((n - 1) * interval, (math.ceil(n / concurrency) - 1) * latency) + latency


def theoretical_limit(per_host: list[int], interval: float, concurrency: int, latency: float,
                      workers: int) -> float:
    """The simple bound: the slowest host alone, or all requests spread over all workers."""
    host_bound = max(_host_time(n, interval, concurrency, latency) for n in per_host)
    worker_bound = sum(per_host) * latency / workers
    return max(host_bound, worker_bound)


def staggered_limit(per_host: list[int], interval: float, concurrency: int, latency: float,
                    workers: int) -> float:
    """A tighter bound: with W workers busy ``latency`` per request, the k-th host to start
    cannot start before floor(k / W) * latency (longest hosts first is the best order)."""
    times = sorted((_host_time(n, interval, concurrency, latency) for n in per_host), reverse=True)
    staggered = max((k // workers) * latency + t for k, t in enumerate(times))
    return max(staggered, sum(per_host) * latency / workers)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.2, help="server latency, seconds")
    ap.add_argument("--page-bytes", type=int, default=20_000)
    ap.add_argument("--order", choices=["grouped", "interleaved", "shuffled"], default="shuffled")
    args = ap.parse_args(argv)

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(args.hosts, args.latency, args.page_bytes, child),
                       daemon=True)
    proc.start()
    ports: list[int] = parent.recv()

    settings = Settings()          # the default politeness: interval, concurrency, workers
    policy = replace(FetchPolicy.from_settings(settings, max_bytes=settings.max_page_bytes),
                     allow_networks=("127.0.0.0/8",))
    pairs = [(i % args.hosts, i) for i in range(args.pages)]
    if args.order == "grouped":
        pairs.sort()
    elif args.order == "shuffled":
        random.Random(42).shuffle(pairs)
    urls = [f"http://127.0.0.1:{ports[h]}/page/{i}" for h, i in pairs]

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Fetcher(policy) as fetcher:
        t0 = time.monotonic()
        results = fetcher.fetch_many(urls)
        wall = time.monotonic() - t0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    parent.send("stop")
    log: dict[int, list[tuple[float, float]]] = parent.recv()
    proc.join(5)

    per_host = [sum(1 for h, _ in pairs if h == idx) + (1 if policy.respect_robots else 0)
                for idx in range(args.hosts)]
    limit = theoretical_limit(per_host, policy.host_interval, policy.per_host_concurrency,
                              args.latency, policy.workers)
    tight = staggered_limit(per_host, policy.host_interval, policy.per_host_concurrency,
                            args.latency, policy.workers)
    gaps, peak_conc = [], 0
    for spans in log.values():
        starts = sorted(s for s, _ in spans)
        gaps += [b - a for a, b in zip(starts, starts[1:], strict=False)]
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
        live = 0
        for _, delta in events:
            live += delta
            peak_conc = max(peak_conc, live)
    ok = sum(r.ok for r in results)
    report = {
        "pages": args.pages, "hosts": args.hosts, "order": args.order,
        "server_latency_s": args.latency, "page_bytes": args.page_bytes,
        "policy": {"host_interval": policy.host_interval,
                   "per_host_concurrency": policy.per_host_concurrency,
                   "workers": policy.workers, "respect_robots": policy.respect_robots,
                   "retries": policy.retries},
        "requests_served": sum(len(v) for v in log.values()),
        "ok": ok, "errors": len(results) - ok,
        "error_kinds": sorted({r.error_kind for r in results if r.error_kind}),
        "wall_s": round(wall, 3),
        "theoretical_limit_s": round(limit, 3),
        "ratio": round(wall / limit, 3),
        "staggered_limit_s": round(tight, 3),
        "ratio_to_staggered": round(wall / tight, 3),
        "goal_ratio": 1.2,
        "min_gap_same_host_s": round(min(gaps), 3) if gaps else None,
        "peak_concurrency_one_host": peak_conc,
        "peak_rss_mb": round(rss_peak / 1024, 1),
        "rss_before_fetch_mb": round(rss_before / 1024, 1),
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))
    print(f"wall {wall:.2f}s vs limit {limit:.2f}s -> ratio {wall / limit:.3f} "
          f"({'within' if wall / limit <= 1.2 else 'OVER'} the 1.2x goal); "
          f"peak RSS {rss_peak / 1024:.1f} MB")
    return 0 if ok == len(results) and wall / limit <= 1.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
