"""The digest: stories across runs, digest_country_daily, the charts and the news_digest DAG.

Library tests write real Parquet with the store (two runs on two days, a later copy
joining an earlier story); the DAG tests run ``news_ingest`` and ``news_digest`` with
``dag.test()`` over the demo web and check the digest against ``articles`` and
``copies`` with DuckDB.
"""

from __future__ import annotations

import html
import io
from datetime import datetime, timedelta, timezone

import duckdb
import pyarrow.dataset as ds
import pytest
from PIL import Image, ImageStat

from newsingest.config import Settings
from newsingest.digest import DEFAULT_DATA_URL, articles_asset_uri, published_anything, run_digest
from newsingest.schema import ARTICLES, COPIES, to_table
from newsingest.store import Store, run_key
from newsrun import demo_data

T1 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
T2 = T1 + timedelta(days=1)


def non_blank(png: bytes) -> bool:
    """A real picture: several colours and some spread of grey levels."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return image.size[0] > 200 and ImageStat.Stat(image).stddev[0] > 10 and len(image.getcolors(1 << 16)) > 20


def article(aid: str, title: str, publisher: str, about: list[str], mentioned: list[str], run: str, at) -> dict:
    return {"article_id": aid, "url": f"https://{publisher.lower()}.example/{aid}", "title": title,
            "text": title + ". Body.", "publisher": publisher, "published_at": at, "fetched_at": at,
            "countries_about": about, "countries_mentioned": mentioned, "copies_seen": 1, "run_id": run}


def copy(cid: str, story: str | None, publisher: str, outcome: str, run: str, at) -> dict:
    return {"copy_id": cid, "cluster_id": story, "outcome": outcome, "is_canonical": outcome == "story",
            "publisher": publisher, "source_domain": f"{publisher.lower()}.example", "run_id": run,
            "fetched_at": at, "http_status": 200 if story else 500}


def write_two_days(root) -> Store:
    """Day 1: story A (2 outlets) and B; day 2: a third outlet's copy joins A, new story C."""
    store = Store(str(root))
    r1, r2 = "scheduled__day1", "scheduled__day2"
    store.publish("articles", "2026-11-20", run_key(r1), [("", to_table(ARTICLES, [
        article("A", "Floods in Kenya", "Wire", ["KE"], ["KE", "UG"], r1, T1),
        article("B", "French rail strike", "Ledger", ["FR"], ["FR"], r1, T1)]))])
    store.publish("copies", "2026-11-20", run_key(r1), [("", to_table(COPIES, [
        copy("a1", "A", "Wire", "story", r1, T1), copy("a2", "A", "Ledger", "duplicate", r1, T1),
        copy("b1", "B", "Ledger", "story", r1, T1), copy("x1", None, "Ledger", "fetch_error", r1, T1)]))])
    store.publish("articles", "2026-11-21", run_key(r2), [("", to_table(ARTICLES, [
        article("C", "Kenya rate decision", "Desk", ["KE"], ["KE", "US"], r2, T2)]))])
    store.publish("copies", "2026-11-21", run_key(r2), [("", to_table(COPIES, [
        copy("a3", "A", "Desk", "joined_existing", r2, T2), copy("c1", "C", "Desk", "story", r2, T2)]))])
    return store


def test_asset_uri_is_the_articles_table_under_the_data_root(tmp_path, monkeypatch):
    assert articles_asset_uri(str(tmp_path)) == f"file://{tmp_path}/articles"
    assert articles_asset_uri("s3://bucket/news/") == "s3://bucket/news/articles"
    assert articles_asset_uri(Settings(data_url="gs://b/n")) == "gs://b/n/articles"
    monkeypatch.setenv("NEWS_DATA_URL", str(tmp_path / "d"))
    assert articles_asset_uri() == f"file://{tmp_path}/d/articles"
    assert DEFAULT_DATA_URL == Settings().data_url


@pytest.mark.parametrize("table", ["stories", "digest_country_daily"])
def test_digest_tables_are_documented_column_by_column_in_order(table):
    import re

    from conftest import REPO
    from newsingest.digest import digest_schema
    from newsingest.stories import STORIES

    section = (REPO / "README.md").read_text().split(f"### `{table}/`", 1)[1].split("\n### ", 1)[0]
    first_cells = re.findall(r"^\| ((?:`[a-z0-9_]+`(?:,| /)? ?)+)\|", section, flags=re.M)
    documented = [name for cell in first_cells for name in re.findall(r"`([a-z0-9_]+)`", cell)]
    assert documented == (STORIES if table == "stories" else digest_schema()).names


def test_published_anything_only_for_story_data():
    assert published_anything({"stories": 3, "copies": 5})
    assert published_anything({"stories": 0, "copies_joined_existing": 1})
    assert not published_anything({"stories": 0, "copies": 0})
    assert not published_anything({"stories": 0, "copies": 2, "copies_fetch_error": 2})


def test_stories_fold_copies_across_runs_and_days(tmp_path):
    write_two_days(tmp_path)
    result = run_digest(str(tmp_path), "2026-11-21", now=T2)
    assert result["stories"] == 3 and result["stories_on_day"] == 2
    stories = {r["article_id"]: r for r in
               ds.dataset(str(tmp_path / "stories"), partitioning="hive").to_table().to_pylist()}
    a = stories["A"]
    assert a["copy_count"] == 3 and a["outlet_count"] == 3 and a["outlets"] == ["Desk", "Ledger", "Wire"]
    assert (a["first_seen_date"], a["last_seen_date"], a["runs"]) == ("2026-11-20", "2026-11-21", 2)
    assert a["first_seen_at"] == T1 and a["last_seen_at"] == T2 and str(a["date"]) == "2026-11-20"
    assert stories["B"]["copy_count"] == 1 and stories["C"]["copy_dates"] == ["2026-11-21"]

    daily = ds.dataset(str(tmp_path / "digest_country_daily"), partitioning="hive").to_table().to_pylist()
    rows = {(r["country"], r["role"]): r for r in daily}
    ke = rows[("KE", "about")]  # A continues from day 1 (one copy on day 2), C is new
    assert (ke["stories"], ke["new_stories"], ke["continuing_stories"], ke["copies"], ke["outlets"]) == (2, 1, 1, 2, 1)
    assert [t["article_id"] for t in ke["top_stories"]] == ["A", "C"] and ke["top_stories"][0]["outlets"] == 3
    assert rows[("UG", "mentioned")]["stories"] == 1 and ("FR", "about") not in rows  # B has no copy on day 2
    assert {str(r["date"]) for r in daily} == {"2026-11-21"}


def test_digest_rerun_replaces_its_files(tmp_path):
    write_two_days(tmp_path)
    first = run_digest(str(tmp_path), "2026-11-20", now=T1)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file() and not p.parts[len(tmp_path.parts)].startswith(("articles", "copies")))
    before = {f: (tmp_path / f).read_bytes() for f in files if f.endswith(".parquet")}
    second = run_digest(str(tmp_path), "2026-11-20", now=T1)
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file() and not p.parts[len(tmp_path.parts)].startswith(("articles", "copies")))
    assert files == after and first == second
    assert not [f for f in after if "/." in f]  # no temporary files left
    assert {f: (tmp_path / f).read_bytes() for f in before} == before
    page = (tmp_path / "digest/date=2026-11-20/index.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "French rail strike" in page
    for name in ("countries", "countries_by_day", "syndicated"):
        assert non_blank((tmp_path / f"digest/date=2026-11-20/{name}.png").read_bytes())


def test_digest_rejects_a_malformed_day(tmp_path):
    write_two_days(tmp_path)
    with pytest.raises(ValueError, match="does not match format"):
        run_digest(str(tmp_path), "20-11-2026")


# -- the DAGs over the demo web -----------------------------------------------------------
pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture(scope="module")
def runs():
    return demo_data()


def glob(data, table: str) -> str:
    return f"read_parquet('{data}/{table}/**/*.parquet', hive_partitioning = true)"


def test_digest_dag_numbers_agree_with_articles_and_copies(runs):
    data, day = runs["data"], runs["day"]
    assert [r.state for r in runs["ingest"]] == ["success", "success"] and runs["digest"].state == "success"
    con = duckdb.connect()  # closed at the end: results left open block other work on it
    # stories: one row per article, copy counts and outlets from copies across every run
    mismatch = con.execute(f"""
        WITH c AS (SELECT cluster_id, count(DISTINCT copy_id) AS n, count(DISTINCT publisher) AS o
                   FROM {glob(data, 'copies')} WHERE cluster_id IS NOT NULL GROUP BY cluster_id)
        SELECT count(*) FROM {glob(data, 'articles')} a
        FULL JOIN {glob(data, 'stories')} s USING (article_id) LEFT JOIN c ON c.cluster_id = article_id
        WHERE s.article_id IS NULL OR a.article_id IS NULL OR s.copy_count <> c.n OR s.outlet_count <> c.o
    """).fetchone()[0]
    assert mismatch == 0
    n_articles = con.execute(f"SELECT count(*) FROM {glob(data, 'articles')}").fetchone()[0]
    assert n_articles > 40
    # digest_country_daily: per country the demo day's stories, copies and outlets
    expected = dict(con.execute(f"""
        SELECT code, count(DISTINCT a.article_id) FROM (
            SELECT article_id, unnest(countries_about) AS code FROM {glob(data, 'articles')}) a
        JOIN {glob(data, 'copies')} c ON c.cluster_id = a.article_id AND c.date = '{day}'
        GROUP BY code""").fetchall())
    daily = con.execute(f"SELECT * FROM {glob(data, 'digest_country_daily')} WHERE role = 'about'").df()
    assert dict(zip(daily.country, daily.stories)) == expected
    assert (daily.new_stories + daily.continuing_stories == daily.stories).all()
    copies_us = con.execute(f"""
        SELECT count(DISTINCT c.copy_id), count(DISTINCT c.publisher) FROM {glob(data, 'copies')} c
        JOIN {glob(data, 'articles')} a ON c.cluster_id = a.article_id
        WHERE list_contains(a.countries_about, 'US') AND c.date = '{day}'""").fetchone()
    us = daily[daily.country == "US"].iloc[0]
    assert (us.copies, us.outlets) == copies_us
    # the charts and the page of the day
    folder = data / "digest" / f"date={day}"
    for name in ("countries", "countries_by_day", "syndicated"):
        assert non_blank((folder / f"{name}.png").read_bytes())
    top = con.execute(f"SELECT title FROM {glob(data, 'stories')} ORDER BY outlet_count DESC, copy_count DESC, title "
                  "LIMIT 1").fetchone()[0]
    assert html.escape(top) in (folder / "index.html").read_text()
    con.close()


def test_asset_event_only_for_runs_that_published(runs):
    first, second = runs["observed"]
    assert first["publish"] == "success" and second["publish"] == "skipped"  # unchanged feeds: nothing new
    assert second["events"] == [] and len(first["events"]) == 1
    event = first["events"][0]
    assert event["uri"] == f"file://{runs['data']}/articles"  # the Asset's URI is under NEWS_DATA_URL
    assert event["extra"]["date"] == runs["day"] and event["extra"]["stories"] > 40
    digest_assets = [a.uri for a in runs["dags"]["news_digest"].timetable.asset_condition.objects]
    assert digest_assets == [f"file://{runs['data']}/articles"]


def test_example_script_runs_on_the_demo_digest(runs):
    import subprocess
    import sys

    from conftest import REPO

    out = subprocess.run([sys.executable, str(REPO / "examples" / "analyst_digest.py"), str(runs["data"])],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"== countries, {runs['day']}" in out.stdout
    assert "stories whose copy_count disagrees with copies: 0" in out.stdout
    with duckdb.connect() as con:  # not the shared default connection
        top = con.execute(f"SELECT title FROM {glob(runs['data'], 'stories')} "
                          "ORDER BY outlet_count DESC, copy_count DESC LIMIT 1").fetchall()[0][0]
    assert top in out.stdout
