"""A readable summary of what a run wrote: ``python -m newsingest.summary [DATA_URL]``."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds

from newsingest.config import Settings
from newsingest.store import Store

TABLES = ("articles", "copies", "feed_polls", "raw_pages")


def read_table(store: Store, name: str, columns: list[str] | None = None) -> pa.Table | None:
    """One published table as a pyarrow Table (hive partitions included), or None."""
    files = [store.path(f) for f in store.table_files(name)]
    if not files:
        return None
    dataset = ds.dataset(files, filesystem=store.fs, format="parquet", partitioning="hive",
                         partition_base_dir=store.path(name))
    return dataset.to_table(columns=columns)


def duckdb_one_liner(data_url: str) -> str:
    """A shell command that shows the top stories with DuckDB, for a local or remote root.

    DuckDB reads remote URLs itself only through its httpfs extension, which it would
    download; an fsspec filesystem registered on the connection needs nothing more (its
    options come from ``NEWS_STORAGE_OPTIONS`` at run time, so no secret is printed).
    """
    protocol = fsspec.core.split_protocol(data_url)[0]
    remote = protocol not in (None, "file", "local")
    root = data_url.rstrip("/") if remote else os.path.abspath(Store(data_url).root)
    query = (f"SELECT title, countries_about, copies_seen FROM read_parquet("
             f"'{root}/articles/**/*.parquet', hive_partitioning=true) "
             f"ORDER BY copies_seen DESC LIMIT 10")
    if not remote:
        return f".venv/bin/python -c \"import duckdb; duckdb.sql(\\\"{query}\\\").show()\""
    return (".venv/bin/python -c \"import duckdb, fsspec, json, os; con = duckdb.connect(); "
            f"con.register_filesystem(fsspec.filesystem('{protocol}', "
            "**json.loads(os.environ.get('NEWS_STORAGE_OPTIONS') or '{}'))); "
            f"con.sql(\\\"{query}\\\").show()\"")


def summarize(data_url: str, run_id: str | None = None,
              storage_options: dict | None = None) -> str:
    """Figures of one run (default: the latest), plus where the Parquet is."""
    store = Store(data_url, storage_options)
    polls = read_table(store, "feed_polls")
    if polls is None:
        return f"No data under {data_url}: has a run published yet?"
    rows = polls.to_pylist()
    if run_id is None:
        run_id = max(rows, key=lambda r: r["polled_at"] or r["run_id"])["run_id"]
    polls_run = [r for r in rows if r["run_id"] == run_id]
    copies = [r for r in (read_table(store, "copies").to_pylist() if store.table_files("copies") else [])
              if r["run_id"] == run_id]
    arts = read_table(store, "articles")
    articles = [r for r in (arts.to_pylist() if arts is not None else []) if r["run_id"] == run_id]
    outcomes = Counter(c["outcome"] for c in copies)
    about = Counter(code for a in articles for code in a["countries_about"] or [])
    failed = [r for r in polls_run if r["status"] == "error"]
    root = os.path.abspath(store.root) if "://" not in data_url else data_url
    lines = [
        f"== news_ingest run {run_id}",
        f"feeds polled      {len(polls_run)}  (ok {sum(r['status'] == 'ok' for r in polls_run)}, "
        f"not modified {sum(r['status'] == 'not_modified' for r in polls_run)}, "
        f"in backoff {sum(r['status'] == 'skipped_backoff' for r in polls_run)}, failed {len(failed)})",
    ]
    for r in failed:
        lines.append(f"  failed: {r['feed_id']}: {r['error_kind']}: {(r['error'] or '')[:110]}")
    lines += [
        f"new entries       {sum(r['new_entries'] or 0 for r in polls_run)}",
        f"pages fetched     {sum(c['http_status'] == 200 for c in copies)}  "
        f"(fetch errors {outcomes['fetch_error']}, no text {outcomes['no_text']})",
        f"stories           {len(articles)}  (new stories this run)",
        f"duplicates        {outcomes['duplicate'] + outcomes['joined_existing']} copies collapsed "
        f"({outcomes['duplicate']} within the run, {outcomes['joined_existing']} into earlier stories)",
        "top countries     " + (", ".join(f"{c} {n}" for c, n in about.most_common(8)) or "-"),
        "",
        f"Parquet under {root}:",
    ]
    for name in TABLES:
        files = store.table_files(name)
        t = read_table(store, name, columns=["schema_version"]) if files else None
        lines.append(f"  {name + '/':<12} {len(files)} file(s), {t.num_rows if t is not None else 0} rows in all")
    lines += ["", "Query it, for example with DuckDB:", "  " + duckdb_one_liner(data_url)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_url", nargs="?", default=os.environ.get("NEWS_DATA_URL", "./data"))
    parser.add_argument("--run-id", help="summarise this run instead of the latest")
    args = parser.parse_args(argv)
    print(summarize(args.data_url, args.run_id, Settings.from_env().storage_options))
    return 0


if __name__ == "__main__":
    code = main()
    # pyarrow's scanner threads reading through an fsspec filesystem (s3fs) can still be
    # winding down when the interpreter tears down, and then abort the process with
    # "terminate called without an active exception" (apache/arrow#39162, #45214): about
    # one exit in ten against a local S3 server. The work is done and printed; leave
    # without the interpreter's teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
