"""The stages chained without Airflow (``pipeline.run_all``): re-runs, broken feeds, params."""

from __future__ import annotations

import socket
from pathlib import Path

import pyarrow.dataset as ds
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
