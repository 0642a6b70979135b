"""The stages chained without Airflow (``pipeline.run_all``): re-runs, broken feeds, params."""

from __future__ import annotations

import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import yaml

from newsingest.config import Settings
from newsingest.errors import ConfigError
from newsingest.pipeline import RunContext, plan, run_all


def settings(registry: Path, data: Path, **extra: str) -> Settings:
    return Settings.from_env({"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(data),
                              "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.02",
                              "NEWS_CONNECT_TIMEOUT": "2", "NEWS_TOTAL_TIMEOUT": "5", **extra})


def rows(data: Path, name: str) -> list[dict]:
    return ds.dataset(str(data / name), format="parquet", partitioning="hive").to_table().to_pylist()


def files(data: Path) -> list[str]:
    return sorted(str(p.relative_to(data)) for p in data.rglob("*.parquet"))


@pytest.fixture(scope="module")
def web():
    from newsingest_demo.server import DemoWeb

    with DemoWeb() as w:
        yield w


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rerunning_the_same_run_replaces_its_output(web, tmp_path):
    registry = web.write_registry(tmp_path / "feeds.yaml")
    data = tmp_path / "data"
    ctx = RunContext("manual__2026-11-24T10:00:00+00:00", "2026-11-24", settings(registry, data))
    first = run_all(ctx)
    snapshot = (files(data), sorted(a["article_id"] for a in rows(data, "articles")),
                len(rows(data, "copies")), len(rows(data, "feed_polls")))
    assert first["stories"] == len(snapshot[1]) > 0
    again = run_all(ctx)
    assert again["stories"] == first["stories"]
    assert (files(data), sorted(a["article_id"] for a in rows(data, "articles")),
            len(rows(data, "copies")), len(rows(data, "feed_polls"))) == snapshot
    # A new run after that sees nothing new: no article rows added, stories stay unique.
    later = run_all(RunContext("manual__2026-11-24T11:00:00+00:00", "2026-11-24", settings(registry, data)))
    assert later["stories"] == 0
    assert sorted(a["article_id"] for a in rows(data, "articles")) == snapshot[1]


def test_broken_feeds_are_recorded_and_do_not_fail_the_run(web, tmp_path):
    good = web.registry()[0]
    page = good["url"].split("/", 3)[0] + "//" + good["url"].split("/")[2] + "/"
    registry = tmp_path / "feeds.yaml"
    registry.write_text(yaml.safe_dump({"feeds": [
        good,
        {"id": "nobody-home", "url": f"http://127.0.0.1:{closed_port()}/rss.xml",
         "publisher": "Nobody", "country": "FR"},
        {"id": "html-not-feed", "url": page, "publisher": "Homepage", "country": "FR"},
    ]}))
    data = tmp_path / "data"
    summary = run_all(RunContext("manual__broken", "2026-11-24", settings(registry, data)))
    polls = {p["feed_id"]: p for p in rows(data, "feed_polls")}
    assert polls["nobody-home"]["status"] == "error" and polls["nobody-home"]["error_kind"]
    assert "127.0.0.1" in polls["nobody-home"]["error"]
    assert polls["html-not-feed"]["status"] == "error" and polls["html-not-feed"]["error"]
    assert polls[good["id"]]["status"] == "ok"
    assert summary["feeds_failed"] == 2 and summary["stories"] > 0


def test_private_addresses_are_refused_unless_allowed(web, tmp_path):
    registry = web.write_registry(tmp_path / "feeds.yaml")
    data = tmp_path / "data"
    s = settings(registry, data, NEWS_ALLOW_PRIVATE_NETWORKS="0")
    summary = run_all(RunContext("manual__guarded", "2026-11-24", s))
    polls = rows(data, "feed_polls")
    assert summary["stories"] == 0
    assert {p["error_kind"] for p in polls} == {"unsafe_url"}
    assert all("127.0.0.1" in p["error"] for p in polls)


def test_plan_groups_feeds_by_host_and_rejects_unknown_ids(web, tmp_path):
    registry = web.write_registry(tmp_path / "feeds.yaml")
    ctx = RunContext("r", "2026-11-24", settings(registry, tmp_path / "data", NEWS_FEED_GROUP_SIZE="2"))
    groups = plan(ctx)
    feeds = {f["id"]: f["url"] for f in web.registry()}
    assert sorted(f for g in groups for f in g["feeds"]) == sorted(feeds)
    for g in groups:
        hosts = {feeds[f].split("/")[2] for f in g["feeds"]}
        assert len(g["feeds"]) <= 2 or len(hosts) == 1
    with pytest.raises(ConfigError, match="unknown feed id"):
        plan(ctx, ["no-such-feed"])
    assert [g["feeds"] for g in plan(ctx, [next(iter(feeds))])] == [[next(iter(feeds))]]


def test_outage_opens_the_circuit_and_keeps_feeds_out_of_backoff(tmp_path):
    """Every feed unreachable at once (an outage): no feed is pushed into backoff."""
    registry = tmp_path / "feeds.yaml"
    registry.write_text(yaml.safe_dump({"feeds": [
        {"id": f"down-{i}", "url": f"http://127.0.0.1:{closed_port()}/rss.xml",
         "publisher": f"Down {i}", "country": "DE"} for i in range(5)]}))
    data = tmp_path / "data"
    first = run_all(RunContext("manual__outage1", "2026-11-24", settings(registry, data)))
    assert first["circuit_open"] is True and first["feeds_failed"] == 5
    run_all(RunContext("manual__outage2", "2026-11-24", settings(registry, data)))
    second = [p for p in rows(data, "feed_polls") if p["run_id"] == "manual__outage2"]
    assert [p["status"] for p in second] == ["error"] * 5, "feeds were skipped for backoff"
    assert all(p["error_kind"] == "connection" for p in second)


PARAS = [
    "OSLO, Nov 23 (Fjord Post) - Norway will build three offshore wind farms in the North Sea, "
    "the energy ministry said on Sunday, after a tender drew bids from eleven companies.",
    "The farms will supply power to about two million homes from 2031, and the state grid "
    "operator plans a new cable to the coast near Stavanger to carry it.",
    "Fishermen's groups said the turbines would close rich grounds to trawlers and asked for "
    "compensation, which the ministry promised to discuss in the spring.",
]


def page(title: str, lead: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in [lead, *PARAS[1:]])
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{body}</article></body></html>").encode()


def feed(links: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><guid>g-{i}</guid><link>{u}</link></item>"
                    for i, u in enumerate(links))
    return f"<rss version='2.0'><channel><title>F</title>{items}</channel></rss>".encode()


def one_feed_registry(tmp_path: Path, url: str) -> Path:
    registry = tmp_path / "feeds.yaml"
    registry.write_text(yaml.safe_dump({"feeds": [
        {"id": "fjord", "url": url, "publisher": "Fjord Post", "country": "NO"}]}))
    return registry


def test_transient_failures_are_retried_on_later_runs_up_to_a_limit(tmp_path):
    """A page answering 503 beyond its retries is fetched again on later runs although
    its feed is unchanged, until it works, or for at most MAX_FETCH_ATTEMPTS runs."""
    from newsingest.state import MAX_FETCH_ATTEMPTS
    from support_http import LoopbackServer, Reply

    html = {"Content-Type": "text/html; charset=utf-8"}
    with LoopbackServer() as site:
        links = [site.url("/flaky"), site.url("/down")]
        site.routes.update({
            "/rss.xml": Reply(200, feed(links), {"Content-Type": "application/rss+xml"}),
            "/flaky": Reply(503, b"busy"), "/down": Reply(503, b"busy"),
        })
        registry, data = one_feed_registry(tmp_path, site.url("/rss.xml")), tmp_path / "data"
        s = settings(registry, data, NEWS_FETCH_RETRIES="0")
        summaries = []
        for n in range(MAX_FETCH_ATTEMPTS + 2):
            if n == 2:   # the flaky page recovers on the third run
                site.routes["/flaky"] = Reply(200, page("Norway picks wind farms", PARAS[0]), html)
            summaries.append(run_all(RunContext(f"manual__retry{n}", "2026-11-24", s)))
            assert summaries[-1]["stories"] == (1 if n == 2 else 0), n
        assert site.hits("/flaky") == 3
        assert site.hits("/down") == MAX_FETCH_ATTEMPTS
        assert site.hits("/rss.xml") == MAX_FETCH_ATTEMPTS + 2
    assert [x["url"] for x in rows(data, "articles")] == [links[0]]
    assert [sm["pages_pending"] for sm in summaries][-2:] == [0, 0]


def test_an_empty_run_writes_no_empty_files(tmp_path):
    from support_http import LoopbackServer, Reply

    with LoopbackServer() as site:
        site.routes.update({
            "/rss.xml": Reply(200, feed([site.url("/a")]), {"Content-Type": "application/rss+xml"}),
            "/a": Reply(200, page("Norway picks wind farms", PARAS[0]), {"Content-Type": "text/html"}),
        })
        registry, data = one_feed_registry(tmp_path, site.url("/rss.xml")), tmp_path / "data"
        run_all(RunContext("manual__full", "2026-11-24", settings(registry, data)))
        before = set(files(data))
        summary = run_all(RunContext("manual__empty", "2026-11-24", settings(registry, data)))
    assert summary["copies"] == 0
    added = sorted(set(files(data)) - before)
    assert [f.split("/")[0] for f in added] == ["feed_polls"], added
    for f in files(data):
        assert pq.read_metadata(data / f).num_rows > 0, f"{f} is empty"


def test_gone_links_are_settled_and_not_fetched_again(tmp_path):
    """404 and 410 are final: when the feed changes and still lists them, they are not
    fetched again (a 304 would hide this: the feed here changes between runs)."""
    from support_http import LoopbackServer, Reply

    html = {"Content-Type": "text/html"}
    with LoopbackServer() as site:
        links = [site.url("/missing"), site.url("/gone"), site.url("/a")]
        site.routes.update({
            "/rss.xml": Reply(200, feed(links), {"Content-Type": "application/rss+xml"}),
            "/missing": Reply(404, b"no"), "/gone": Reply(410, b"gone"),
            "/a": Reply(200, page("Norway picks wind farms", PARAS[0]), html),
            "/b": Reply(200, page("Trawlers want compensation for wind farms",
                                  "Fishermen in Norway asked for money on Monday."), html),
        })
        registry, data = one_feed_registry(tmp_path, site.url("/rss.xml")), tmp_path / "data"
        s = settings(registry, data, NEWS_FETCH_RETRIES="0")
        run_all(RunContext("manual__one", "2026-11-24", s))
        site.routes["/rss.xml"] = Reply(200, feed([*links, site.url("/b")]),
                                        {"Content-Type": "application/rss+xml"})
        second = run_all(RunContext("manual__two", "2026-11-24", s))
        assert second["copies"] == 1 and site.hits("/b") == 1
        assert (site.hits("/missing"), site.hits("/gone"), site.hits("/a")) == (1, 1, 1)
    broken = {c["http_status"] for c in rows(data, "copies") if c["outcome"] == "fetch_error"}
    assert broken == {404, 410}


def test_a_run_commits_on_an_object_store_like_filesystem(tmp_path):
    """fsspec's memory:// (rename is copy + delete, no directories, like S3): the same
    commit, recovery and lease code publishes each story once and leaves no staging."""
    from support_http import LoopbackServer, Reply

    from newsingest.store import Store

    root = f"memory://newsingest-{tmp_path.name}"
    with LoopbackServer() as site:
        site.routes.update({
            "/rss.xml": Reply(200, feed([site.url("/a")]), {"Content-Type": "application/rss+xml"}),
            "/a": Reply(200, page("Norway picks wind farms", PARAS[0]), {"Content-Type": "text/html"}),
        })
        registry = one_feed_registry(tmp_path, site.url("/rss.xml"))
        first = run_all(RunContext("manual__mem1", "2026-11-24", settings(registry, root)))
        again = run_all(RunContext("manual__mem1", "2026-11-24", settings(registry, root)))
        later = run_all(RunContext("manual__mem2", "2026-11-24", settings(registry, root)))
    store = Store(root)
    assert first["stories"] == again["stories"] == 1 and later["stories"] == 0
    arts = pq.read_table(store.path(store.table_files("articles")[0]), filesystem=store.fs)
    assert len(store.table_files("articles")) == 1 and arts.num_rows == 1
    assert [f.split("/")[0] for f in store.find()
            if f.split("/")[0] in ("_staging", "_lock")] == []
    assert len(store.listdir("_commits")) == 3


def test_raw_pages_keep_each_answered_page_once_with_its_hash(tmp_path):
    """Fetch stages the raw_pages rows (hashed in the mapped task); publish commits them,
    leaving out a page listed again whose rows an earlier run published, and pages that
    never answered (no status: nothing to keep)."""
    import hashlib

    from support_http import LoopbackServer, Reply

    html = {"Content-Type": "text/html; charset=utf-8"}
    dead = f"http://127.0.0.1:{closed_port()}/dead"
    with LoopbackServer() as site:
        site.routes.update({
            "/rss.xml": Reply(200, feed([site.url("/a"), site.url("/missing"), dead]),
                              {"Content-Type": "application/rss+xml"}),
            "/a": Reply(200, page("Norway picks wind farms", PARAS[0]), html),
            "/missing": Reply(404, b"no such page"),
            "/b": Reply(200, page("Trawlers want compensation for wind farms",
                                  "Fishermen in Norway asked for money on Monday."), html),
        })
        registry, data = one_feed_registry(tmp_path, site.url("/rss.xml")), tmp_path / "data"
        s = settings(registry, data, NEWS_FETCH_RETRIES="0")
        first = run_all(RunContext("manual__raw1", "2026-11-24", s))
        # The feed state is lost (restored from an old backup): /a is listed as new again.
        (data / "state" / "feeds.json").unlink()
        site.routes["/rss.xml"] = Reply(200, feed([site.url("/a"), site.url("/b")]),
                                        {"Content-Type": "application/rss+xml"})
        second = run_all(RunContext("manual__raw2", "2026-11-24", s))
        assert site.hits("/a") == 2 and site.hits("/b") == 1
    assert (first["stories"], second["stories"], second["copies_refetched"]) == (1, 1, 1)
    raw = rows(data, "raw_pages")
    by_run = sorted((r["run_id"], r["url"].rsplit("/", 1)[1], r["http_status"]) for r in raw)
    assert by_run == [("manual__raw1", "a", 200), ("manual__raw1", "missing", 404),
                      ("manual__raw2", "b", 200)]
    for r in raw:
        assert r["body_sha256"] == hashlib.sha256(r["body"]).hexdigest()
        assert r["body"] and (r["http_status"] != 200 or dict(r["headers"])["content-type"] == html["Content-Type"])
    assert {r["copy_id"] for r in raw} <= {c["copy_id"] for c in rows(data, "copies")}


def test_a_run_staged_by_the_previous_layout_publishes_the_same(web, tmp_path):
    """Pages staged by the version that kept bodies in pages-<ref> (a run upgraded between
    fetch and extract) are extracted and published as the current layout's are."""
    from newsingest import pipeline
    from newsingest.store import Store

    registry = web.write_registry(tmp_path / "feeds.yaml")
    tables = {}
    for layout in ("current", "previous"):
        data = tmp_path / layout
        ctx = RunContext("manual__2026-11-24T10:00:00+00:00", "2026-11-24", settings(registry, data))
        store = Store(str(data))
        refs = [pipeline.poll_group(ctx, g) for g in plan(ctx)]
        for ref in refs:
            pipeline.fetch_group(ctx, ref)
            if layout == "previous":
                meta = store.read_parquet(f"{ctx.staging}/pages-{ref}.parquet")
                raw = {r["copy_id"]: r for r in store.read_parquet(f"{ctx.staging}/raw-{ref}.parquet").to_pylist()}
                old = [{**m, "headers": (raw.get(m["copy_id"]) or {}).get("headers") or [],
                        "body": (raw.get(m["copy_id"]) or {}).get("body")} for m in meta.to_pylist()]
                store.write_parquet(f"{ctx.staging}/pages-{ref}.parquet", pa.Table.from_pylist(old))
                store.remove(f"{ctx.staging}/raw-{ref}.parquet")
            pipeline.extract_group(ctx, ref)
        pipeline.dedup_stage(ctx, refs)
        pipeline.geo_stage(ctx, refs)
        pipeline.publish(ctx, refs)
        tables[layout] = {name: sorted(rows(data, name), key=lambda r: (r.get("copy_id") or r.get("article_id") or r["feed_id"]))
                          for name in ("articles", "copies", "raw_pages")}
    assert tables["current"]["raw_pages"] and tables["current"]["articles"]
    def untimed(r: dict) -> dict:
        out = {k: v for k, v in r.items() if k not in ("fetched_at", "elapsed_ms", "polled_at")}
        if "headers" in out:
            out["headers"] = [h for h in out["headers"] if h[0] != "date"]
        return out

    for name, current in tables["current"].items():
        assert [untimed(r) for r in tables["previous"][name]] == [untimed(r) for r in current], name
