"""DAG integrity: imports cleanly, parses cheaply, and has the promised shape."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "news_ingest" in dagbag.dags


def test_dag_shape(dagbag):
    dag = dagbag.dags["news_ingest"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert set(dag.task_ids) == {"plan", "poll", "fetch", "extract", "dedup", "tag_countries", "publish"}
    for tid in ("poll", "fetch", "extract"):
        assert dag.get_task(tid).is_mapped, f"{tid} must be mapped over feed groups"
    order = ["plan", "poll", "fetch", "extract", "dedup", "tag_countries", "publish"]
    for up, down in zip(order, order[1:]):
        assert down in dag.get_task(up).downstream_task_ids
    poll = dag.get_task("dedup")
    assert poll.retries == 2 and poll.retry_exponential_backoff == 2.0
    assert set(dag.params.keys()) >= {"feed_ids", "force", "group_size"}
    outlets = dag.get_task("publish").outlets
    assert [a.name for a in outlets] == ["news_articles"]


def test_dag_file_is_cheap_to_parse():
    """Parsing the DAG file must not import the library, pandas or trafilatura."""
    code = (
        "import sys, time; import airflow.sdk; t = time.perf_counter();"
        f"import runpy; runpy.run_path({str(REPO / 'dags' / 'news_ingest.py')!r});"
        "dt = time.perf_counter() - t;"
        "heavy = [m for m in ('newsingest.pipeline', 'trafilatura', 'pandas', 'feedparser') if m in sys.modules];"
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ})
    seconds, heavy = out.stdout.strip().split(" ", 1)
    assert heavy == "[]", f"heavy modules imported at parse time: {heavy}"
    assert float(seconds) < 0.5
