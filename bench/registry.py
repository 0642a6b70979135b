"""Feed registry size: CPU time to load and validate 20,000 and 200,000 feeds, and to plan.

    .venv/bin/python bench/registry.py                   # synthetic registries of 20k and 200k
    .venv/bin/python bench/registry.py --sizes 5000      # other sizes
    .venv/bin/python bench/registry.py --registry my.yaml

Compares the libyaml loader (``yaml.CSafeLoader``, what ``load_registry`` uses) with the
pure-Python ``yaml.SafeLoader`` (used before), in alternating rounds, and times ``plan``
(one parse per run; the mapped tasks get their feeds from it). Prints medians of CPU time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from newsingest import config
from newsingest.config import Settings, load_registry
from newsingest.pipeline import RunContext, plan

COUNTRIES = ("GB", "FR", "DE", "KE", "BR", "IN", "US", "JP", "ZA", "AU")


def synthetic(n: int) -> str:
    """A registry of ``n`` feeds over n/5 hosts, shaped like the shipped one."""
    return "feeds:\n" + "".join(
        f"  - id: outlet-{i // 5}-feed-{i % 5}\n"
        f"    url: https://news{i // 5}.example.org/rss/section-{i % 5}.xml\n"
        f"    publisher: Outlet {i // 5}\n"
        f"    country: {COUNTRIES[i % len(COUNTRIES)]}\n"
        f"    language: en\n" for i in range(n))


def measure(path: Path, rounds: int, data: Path, compare: bool) -> dict[str, float | int]:
    times: dict[str, list[float]] = {"csafe": [], "safe": [], "plan": []}
    loaders = [("csafe", yaml.CSafeLoader)] + ([("safe", yaml.SafeLoader)] if compare else [])
    for _ in range(rounds):                      # alternate so load drift hits both alike
        for name, loader in loaders:
            config.YAML_LOADER = loader
            t0 = time.process_time()
            load_registry(path)
            times[name].append(time.process_time() - t0)
        config.YAML_LOADER = yaml.CSafeLoader
        ctx = RunContext("manual__bench", "2026-01-01",
                         Settings(feeds_path=path, data_url=str(data)))
        t0 = time.process_time()
        groups = plan(ctx, max_groups=1024)
        times["plan"].append(time.process_time() - t0)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    return {"feeds": len(load_registry(path)), "groups": len(groups),
            "xcom_bytes": len(json.dumps(groups)),
            "csafe_s": round(med["csafe"], 2), "plan_s": round(med["plan"], 2),
            **({"safe_s": round(med["safe"], 2), "speedup": round(med["safe"] / med["csafe"], 1)}
               if compare else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[20_000, 200_000])
    ap.add_argument("--registry", type=Path, help="measure this registry instead")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-compare", action="store_true",
                    help="skip the pure-Python loader (slow on large registries)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [args.registry] if args.registry else []
        for n in ([] if args.registry else args.sizes):
            p = Path(tmp) / f"feeds-{n}.yaml"
            p.write_text(synthetic(n))
            paths.append(p)
        for p in paths:
            print(json.dumps({"registry": p.name, **measure(p, args.rounds, Path(tmp) / "data",
                                                       not args.no_compare)}),
                  flush=True)


if __name__ == "__main__":
    main()
