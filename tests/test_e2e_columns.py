"""Every column of every table after a real ``dag.test()`` run over the demo news web.

The expectations come from the demo web itself: its manifest (stories, copies, feeds,
countries, failing feeds, broken links) and the content it renders (authors, tags), and
the bytes it serves (``raw_pages``). A column that stops being written, or is written
wrong, fails here: each table's schema is compared with the set of columns checked.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.dataset as ds
import pytest

from conftest import REPO
from newsingest.schema import ARTICLES, COPIES, FEED_POLLS, RAW_PAGES, SCHEMA_VERSION

pytestmark = pytest.mark.usefixtures("airflow_db")


def table(data: Path, name: str) -> list[dict]:
    return ds.dataset(str(data / name), format="parquet", partitioning="hive").to_table().to_pylist()


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def key(url: str | None) -> tuple[int | None, str]:
    parts = urlsplit(url or "")
    return parts.port, parts.path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One manual DAG run over the demo web; yields what the checks need."""
    from airflow.dag_processing.dagbag import DagBag
    from newsingest_demo.server import DemoWeb
    from newsingest_demo.site import load_content

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    with DemoWeb() as web:
        root = tmp_path_factory.mktemp("columns")
        registry = web.write_registry(root / "feeds.yaml")
        values = {"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(root / "data"),
                  "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.02"}
        saved = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            start = datetime.now(timezone.utc)
            dag_run = bag.dags["news_ingest"].test(logical_date=None)
            end = datetime.now(timezone.utc)
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        assert dag_run.state == "success"
        data = root / "data"
        yield {"web": web, "manifest": web.manifest, "content": load_content(),
               "run_id": dag_run.run_id, "start": start, "end": end,
               **{name: table(data, name) for name in ("articles", "copies", "feed_polls",
                                                       "raw_pages")}}


def checked_all(schema, checked: set[str]) -> None:
    """Each table's columns (plus the hive partition ``date``) are all checked."""
    assert checked == {f.name for f in schema} | {"date"}, \
        sorted(({f.name for f in schema} | {"date"}) ^ checked)


def expected_copies(r: dict) -> dict[tuple[int | None, str], dict]:
    """(port, path) of each copy -> what the demo web says about it."""
    m, web, content = r["manifest"], r["web"], r["content"]
    pubs = {p["publisher_id"]: p for p in m["publishers"]}
    rendered = {(c.publisher_id, c.path): c for c in content.copies}
    out = {}
    for story in m["stories"]:
        for copy in story["copies"]:
            pub = pubs[copy["publisher_id"]]
            page = rendered[(copy["publisher_id"], copy["path"])]
            out[key(web.url(copy["publisher_id"], copy["path"]))] = {
                "story": story, "copy": copy, "pub": pub, "author": page.author,
                "tags": set(page.tags), "url": web.url(copy["publisher_id"], copy["path"]),
                "feed_url": web.url(copy["publisher_id"], copy["feed_link_path"]),
                "domain": urlsplit(web.url(copy["publisher_id"], "/")).netloc}
    return out


def test_articles_every_column(run) -> None:
    expected = expected_copies(run)
    articles = run["articles"]
    assert len(articles) == run["manifest"]["counts"]["distinct_stories"]
    copies_by_cluster: dict[str, list[dict]] = {}
    for c in run["copies"]:
        copies_by_cluster.setdefault(c["cluster_id"], []).append(c)
    about_differs: list[tuple] = []         # "about" is a judgement: see test_e2e.py
    for a in articles:
        exp = expected[key(a["url"])]
        story, copy, pub = exp["story"], exp["copy"], exp["pub"]
        sid = story["story_id"]
        assert a["schema_version"] == SCHEMA_VERSION and a["run_id"] == run["run_id"]
        assert a["date"] == run["start"].strftime("%Y-%m-%d")
        members = copies_by_cluster[a["article_id"]]
        assert {key(c["final_url"]) for c in members} == {
            key(run["web"].url(c["publisher_id"], c["path"])) for c in story["copies"]}, sid
        assert a["copies_seen"] == len(story["copies"]), sid
        canonical = [c for c in members if c["is_canonical"]]
        assert len(canonical) == 1 and a["url"] == canonical[0]["final_url"], sid
        assert key(a["url"]) == key(exp["url"]) and a["source_domain"] == exp["domain"]
        assert a["canonical_url"] is None or key(a["canonical_url"]) == key(a["url"]), sid
        assert a["feed_id"] in copy["feed_ids"]
        assert (a["publisher"], a["publisher_country"]) == (pub["name"], pub["country"])
        assert a["title"] == copy["headline"], sid
        for sentence in story["must_contain"]:
            assert sentence in a["text"], (sid, sentence)
        assert a["word_count"] == len(a["text"].split()) > 50
        assert a["authors"] == [exp["author"]], sid
        assert a["tags"] and exp["tags"] <= set(a["tags"]) | {t.lower() for t in a["tags"]} \
            or set(a["tags"]) <= exp["tags"] | {story["section"]}, (sid, a["tags"], exp["tags"])
        assert a["language"] == pub["language"] and a["language_source"] in ("html", "meta")
        assert a["published_at"] == when(copy["published_at"]), sid
        assert a["published_at_source"] in ("json-ld", "meta", "htmldate", "url")
        assert run["start"] <= a["fetched_at"] <= run["end"]
        assert set(a["countries_mentioned"]) == set(story["countries_mentioned"]), sid
        assert a["countries_about"] and set(a["countries_about"]) <= set(a["countries_mentioned"])
        if set(a["countries_about"]) != set(story["countries_about"]):
            about_differs.append((sid, a["countries_about"], story["countries_about"]))
        counts = {c["code"]: c["count"] for c in a["country_counts"]}
        assert set(counts) == set(a["countries_mentioned"]) and min(counts.values()) >= 1
        assert sum(counts.values()) == len(a["country_evidence"])
        for ev in a["country_evidence"]:
            field = a["title"] if ev["field"] == "title" else a["text"]
            assert ev["field"] in ("title", "text") and field[ev["start"]:ev["end"]] == ev["surface"]
            assert counts[ev["code"]] >= 1
        assert a["truncated"] is False
        assert a["extractor_version"].startswith("newsingest-")
    assert len(about_differs) <= len(articles) // 30, about_differs
    checked_all(ARTICLES, set(articles[0]))


def test_copies_every_column(run) -> None:
    expected = expected_copies(run)
    m, web = run["manifest"], run["web"]
    broken = {key(web.url(b["publisher_id"], b["path"])): b for b in m["broken_links"]}
    copies = run["copies"]
    assert len(copies) == m["counts"]["copies"] + len(broken)
    assert len({c["copy_id"] for c in copies}) == len(copies)
    ids = {c["copy_id"] for c in copies}
    articles = {a["article_id"]: a for a in run["articles"]}
    for c in copies:
        assert c["schema_version"] == SCHEMA_VERSION and c["run_id"] == run["run_id"]
        assert c["date"] == run["start"].strftime("%Y-%m-%d")
        assert len(c["copy_id"]) == 16 and c["entry_id"]
        assert run["start"] <= c["fetched_at"] <= run["end"]
        if key(c["feed_url"]) in broken:
            b = broken[key(c["feed_url"])]
            assert (c["outcome"], c["http_status"], c["error_kind"]) == ("fetch_error", 404,
                                                                         "http_status")
            assert c["feed_url"] in c["error"] and c["feed_id"] == b["feed_id"]
            assert c["cluster_id"] is None and c["is_canonical"] is False
            assert c["match_rule"] is c["similarity"] is c["matched_copy_id"] is None
            assert c["word_count"] is None and c["canonical_url"] is None
            continue
        exp = expected[key(c["final_url"])]
        assert c["feed_url"] == exp["feed_url"]         # tracking parameters included
        assert c["final_url"] == c["feed_url"]          # the demo web does not redirect
        assert c["feed_id"] in exp["copy"]["feed_ids"] and c["publisher"] == exp["pub"]["name"]
        assert c["source_domain"] == exp["domain"]
        assert c["canonical_url"] is None or key(c["canonical_url"]) == key(c["final_url"])
        assert c["title"] == exp["copy"]["headline"]
        assert c["published_at"] == when(exp["copy"]["published_at"])
        assert (c["http_status"], c["error_kind"], c["error"]) == (200, None, None)
        assert c["word_count"] > 50
        article = articles[c["cluster_id"]]
        assert c["is_canonical"] is (key(article["url"]) == key(c["final_url"]))
        if c["is_canonical"]:
            assert (c["outcome"], c["match_rule"], c["similarity"]) == ("story", "new", 1.0)
            assert c["matched_copy_id"] is None and c["word_count"] == article["word_count"]
        else:
            assert c["outcome"] == "duplicate"
            assert c["match_rule"] in ("url", "content_hash", "near_duplicate")
            assert 0.5 <= c["similarity"] <= 1.0
            assert c["similarity"] == 1.0 or c["match_rule"] == "near_duplicate"
            assert c["matched_copy_id"] in ids and c["matched_copy_id"] != c["copy_id"]
    checked_all(COPIES, set(copies[0]))


def test_feed_polls_every_column(run) -> None:
    m, web = run["manifest"], run["web"]
    failing = {f["feed_id"]: f for f in m["failing_feeds"]}
    listed: dict[str, int] = {}
    for story in m["stories"]:
        for copy in story["copies"]:
            for fid in copy["feed_ids"]:
                listed[fid] = listed.get(fid, 0) + 1
    for b in m["broken_links"]:
        listed[b["feed_id"]] = listed.get(b["feed_id"], 0) + 1
    polls = {p["feed_id"]: p for p in run["feed_polls"]}
    feeds = {f["feed_id"]: (pub, f) for pub in m["publishers"] for f in pub["feeds"]}
    assert set(polls) == set(feeds) and len(run["feed_polls"]) == len(feeds)
    for fid, p in polls.items():
        pub, feed = feeds[fid]
        url = web.url(pub["publisher_id"], feed["path"])
        assert p["schema_version"] == SCHEMA_VERSION and p["run_id"] == run["run_id"]
        assert p["date"] == run["start"].strftime("%Y-%m-%d")
        assert (p["url"], p["publisher"]) == (url, pub["name"])
        assert run["start"] <= p["polled_at"] <= run["end"] and p["elapsed_ms"] >= 0
        assert p["not_modified"] is False
        served = urllib.request.urlopen(url, timeout=5) if fid not in failing or \
            failing[fid]["failure"] != "http-500" else None
        if fid in failing:
            kind = {"http-500": "http_status", "html-instead-of-feed": "feed_parse",
                    "truncated-xml": "feed_parse"}[failing[fid]["failure"]]
            assert (p["status"], p["error_kind"]) == ("error", kind) and url in p["error"]
            assert p["http_status"] == (500 if served is None else 200)
            assert p["entries"] == p["new_entries"] == 0 and p["consecutive_failures"] == 1
            assert p["next_poll_at"] > p["polled_at"]
        else:
            assert (p["status"], p["http_status"], p["error_kind"], p["error"]) == (
                "ok", 200, None, None), fid
            assert p["entries"] == p["new_entries"] == listed[fid], fid
            assert p["consecutive_failures"] == 0 and p["next_poll_at"] is None
        if served is not None:
            assert p["bytes"] == len(served.read())
        else:
            assert p["bytes"] > 0
    checked_all(FEED_POLLS, set(run["feed_polls"][0]))


def test_raw_pages_every_column(run) -> None:
    copies = {c["copy_id"]: c for c in run["copies"]}
    pages = run["raw_pages"]
    assert len(pages) == len(copies)                   # every copy got an HTTP answer
    for p in pages:
        c = copies[p["copy_id"]]
        assert p["schema_version"] == SCHEMA_VERSION and p["run_id"] == run["run_id"]
        assert p["date"] == run["start"].strftime("%Y-%m-%d")
        assert (p["url"], p["final_url"], p["http_status"], p["fetched_at"]) == (
            c["feed_url"], c["final_url"], c["http_status"], c["fetched_at"])
        served = urllib.request.urlopen(p["final_url"], timeout=5) if c["http_status"] == 200 \
            else None
        body = served.read() if served else None
        headers = dict(p["headers"])
        if body is not None:
            assert p["body"] == body                      # decompressed, byte for byte
            assert headers["content-type"] == served.headers["Content-Type"]
            assert headers["etag"].strip('"').removesuffix("-gz") == \
                served.headers["ETag"].strip('"')
        else:
            assert p["http_status"] == 404 and p["body"]
        assert p["body_sha256"] == hashlib.sha256(p["body"]).hexdigest()
        assert all(k == k.lower() for k in headers)
    checked_all(RAW_PAGES, set(pages[0]))
