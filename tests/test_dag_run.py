"""Real ``dag.test()`` runs on a one-feed loopback site: params reach the tasks, bad
configuration fails at once (no retries), a bad schedule names its variable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support_http import LoopbackServer, Reply

from conftest import REPO
from support_env import env_vars as env

pytestmark = pytest.mark.usefixtures("airflow_db")

ARTICLE = (b"<html><head><title>Port strike ends</title></head><body><article>"
           b"<h1>Port strike ends after nine days</h1>"
           + b"".join(b"<p>Dock workers voted on Tuesday to accept the new offer, ending a "
                      b"strike that had stranded cargo for nine days, union officials said. "
                      b"Paragraph %d.</p>" % i for i in range(6))
           + b"</article></body></html>")


def feed_body(base: str) -> bytes:
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
            b"<link>" + base.encode() + b"/</link><item><title>Port strike ends</title>"
            b"<link>" + base.encode() + b"/story</link><guid>wire-1</guid>"
            b"<pubDate>Tue, 24 Nov 2026 06:00:00 GMT</pubDate></item></channel></rss>")


@pytest.fixture(scope="module")
def news_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags["news_ingest"]


@pytest.fixture()
def site(tmp_path: Path):
    """A one-feed site that records whether each feed request was conditional."""
    conditional: list[bool] = []

    def feed(req):
        conditional.append(bool(req.headers.get("If-None-Match")
                                or req.headers.get("If-Modified-Since")))
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, feed_body(f"http://127.0.0.1:{req.server.server_address[1]}"),
                     {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    with LoopbackServer({"/rss": feed, "/story": Reply(200, ARTICLE, {
            "Content-Type": "text/html; charset=utf-8"})}) as srv:
        registry = tmp_path / "feeds.yaml"
        registry.write_text(f"feeds:\n  - id: wire\n    url: {srv.url('/rss')}\n"
                            "    publisher: Wire\n    country: GB\n")
        with env(NEWS_FEEDS=str(registry), NEWS_DATA_URL=str(tmp_path / "data"),
                 NEWS_ALLOW_PRIVATE_NETWORKS="1", NEWS_HOST_INTERVAL="0"):
            yield conditional


def task_states(dag_run) -> dict[str, tuple[str, int]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=dag_run.dag_id,
                                                    run_id=dag_run.run_id).all()
        return {ti.task_id: (str(ti.state), ti.try_number) for ti in tis}


def test_force_param_reaches_poll_and_skips_validators(news_dag, site) -> None:
    from newsingest.pipeline import RunContext, run_all

    run_all(RunContext("manual__seed", "2026-11-24"))      # stores the feed's ETag
    assert site == [False]
    run = news_dag.test(logical_date=None, run_conf={"force": True})
    assert run.state == "success"
    assert site == [False, False], "force must poll without If-None-Match / If-Modified-Since"


def test_unknown_feed_id_fails_at_once_without_retries(news_dag, site) -> None:
    t0 = time.monotonic()
    run = news_dag.test(logical_date=None, run_conf={"feed_ids": ["no-such-feed"]})
    elapsed = time.monotonic() - t0
    assert run.state == "failed"
    assert task_states(run)["plan"] == ("failed", 1)
    assert elapsed < 25, f"{elapsed:.0f} s: a configuration error must not wait for retries"
    assert site == []                                  # nothing was polled


def test_bad_setting_fails_the_run_at_plan(news_dag, site) -> None:
    with env(NEWS_TOTAL_TIMEOUT="nan"):
        run = news_dag.test(logical_date=None)
    assert run.state == "failed"
    assert task_states(run)["plan"] == ("failed", 1)
    assert site == []


@pytest.mark.parametrize("value", ["bogus"])
def test_bad_schedule_is_an_import_error_naming_the_variable(value: str) -> None:
    code = ("from airflow.dag_processing.dagbag import DagBag; import sys;"
            f"b = DagBag(dag_folder={str(REPO / 'dags')!r});"
            "print('\\n'.join(b.import_errors.values()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "NEWS_SCHEDULE": value})
    assert f"NEWS_SCHEDULE={value!r}: not a valid cron expression" in out.stdout, out.stdout
