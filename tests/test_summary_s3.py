"""The summary CLI against an S3 data root (moto's server on loopback) exits cleanly.

pyarrow's scanner threads reading through s3fs could abort the interpreter's teardown
("terminate called without an active exception", exit -6) in about one run in ten, after
the summary had been printed; `python -m newsingest.summary` now leaves without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from newsingest import schema
from newsingest.store import Store
from support_services import Services, start_s3

RUNS = 12
TABLES = {"articles": schema.ARTICLES, "copies": schema.COPIES,
          "feed_polls": schema.FEED_POLLS, "raw_pages": schema.RAW_PAGES}


def _table(sch: pa.Schema, rows: int, run_id: str) -> pa.Table:
    """``rows`` rows of one run: ids and strings filled, everything else null."""
    cols = {}
    for f in sch:
        if f.name == "date":
            continue  # a hive partition column, in the path
        if f.name == "run_id":
            cols[f.name] = pa.array([run_id] * rows, f.type)
        elif f.name == "schema_version":
            cols[f.name] = pa.array([1] * rows, f.type)
        elif pa.types.is_string(f.type):
            cols[f.name] = pa.array([f"{f.name}-{i}" for i in range(rows)], f.type)
        else:
            cols[f.name] = pa.nulls(rows, f.type)
    return pa.table(cols)


@pytest.fixture(scope="module")
def s3_root(tmp_path_factory):
    with Services(tmp_path_factory.mktemp("s3")) as svc:
        s3 = start_s3(svc, "news")
        url = "s3://news/data"
        store = Store(url, s3.storage_options)
        for day in range(1, 13):  # a dozen partitions per table: several scanner fragments
            for name, sch in TABLES.items():
                store.write_parquet(f"{name}/date=2026-12-{day:02d}/part-{day}.parquet",
                                    _table(sch, 200, f"run-{day:02d}"))
        yield url, s3
        svc.stop()


def test_summary_of_an_s3_root_exits_cleanly_every_time(s3_root):
    url, s3 = s3_root
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
           "NEWS_STORAGE_OPTIONS": json.dumps(s3.storage_options)}
    codes = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-m", "newsingest.summary", url], env=env,
                              capture_output=True, text=True, timeout=120)
        codes.append((done.returncode, done.stderr[-300:]))
        assert "stories           200" in done.stdout, done.stdout + done.stderr
        assert "articles/    12 file(s), 2400 rows in all" in done.stdout, done.stdout
    assert [c for c, _ in codes] == [0] * RUNS, codes
