"""What an analyst does first with the digest tables: a plain script (run it, or paste the
cells into a notebook). Needs DuckDB and pandas (`pip install '.[analysis]'`).

    .venv/bin/python examples/analyst_digest.py [DATA_DIR] [YYYY-MM-DD]

DATA_DIR defaults to ./data (what `make run` writes); the day defaults to the latest digest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd


def scan(data: Path, table: str) -> str:
    return f"read_parquet('{data / table}/**/*.parquet', hive_partitioning = true)"


def main(argv: list[str]) -> int:
    data = Path(argv[1] if len(argv) > 1 else "data").resolve()
    if not (data / "digest_country_daily").exists():
        print(f"no digest under {data}: run `make run` first", file=sys.stderr)
        return 1
    day = argv[2] if len(argv) > 2 else duckdb.sql(
        f"SELECT max(date)::VARCHAR FROM {scan(data, 'digest_country_daily')}").fetchall()[0][0]

    # %% 1. The countries the day's stories are about (DuckDB on digest_country_daily)
    print(f"== countries, {day}")
    print(duckdb.sql(f"""
        SELECT country, stories, new_stories, continuing_stories, copies, outlets,
               top_stories[1].title AS top_story
        FROM {scan(data, 'digest_country_daily')}
        WHERE role = 'about' AND date = '{day}'
        ORDER BY stories DESC, country LIMIT 10""").df().to_string(index=False))

    # %% 2. The most-syndicated stories across every run (pandas on stories)
    stories = pd.read_parquet(data / "stories")
    top = stories.sort_values(["outlet_count", "copy_count"], ascending=False).head(5)
    print("\n== most-syndicated stories (all runs)")
    print(top[["title", "outlet_count", "copy_count", "first_seen_date", "last_seen_date"]].to_string(index=False))

    # %% 3. Stories per country per day, a pivot (pandas)
    per_day = (stories.explode("copy_dates").explode("countries_about")
               .dropna(subset=["countries_about"])
               .groupby(["copy_dates", "countries_about"]).article_id.nunique()
               .unstack(fill_value=0))
    busiest = per_day.sum().sort_values(ascending=False).head(6).index
    print("\n== stories per country per day (about)")
    print(per_day[busiest].to_string())

    # %% 4. Coverage is right across runs: stories.copy_count equals the copies table
    mismatches = duckdb.sql(f"""
        SELECT count(*) FROM {scan(data, 'stories')} s
        JOIN (SELECT cluster_id, count(DISTINCT copy_id) AS n FROM {scan(data, 'copies')}
              WHERE cluster_id IS NOT NULL GROUP BY cluster_id) c ON c.cluster_id = s.article_id
        WHERE s.copy_count <> c.n""").fetchall()[0][0]
    print(f"\nstories whose copy_count disagrees with copies: {mismatches}")
    return 0 if mismatches == 0 else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
