"""DAG integrity: imports cleanly, parses cheaply, and has the promised shape."""

from __future__ import annotations

import json
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
    assert set(dag.task_ids) == {"plan", "poll", "fetch", "extract", "dedup", "publish"}
    # poll -> fetch -> extract: one task group mapped over the feed groups, so each
    # group's next task waits on its own previous one only.
    groups = [dag.get_task(tid).get_closest_mapped_task_group() for tid in ("poll", "fetch", "extract")]
    assert None not in groups and len({g.group_id for g in groups}) == 1, \
        "poll, fetch, extract: one mapped task group"
    assert dag.get_task("plan").get_closest_mapped_task_group() is None
    assert dag.get_task("dedup").get_closest_mapped_task_group() is None
    order = ["plan", "poll", "fetch", "extract", "dedup", "publish"]
    for up, down in zip(order, order[1:]):
        assert down in dag.get_task(up).downstream_task_ids
    poll = dag.get_task("dedup")
    assert poll.retries == 2 and poll.retry_exponential_backoff == 2.0
    assert set(dag.params.keys()) >= {"feed_ids", "force", "group_size"}
    outlets = dag.get_task("publish").outlets
    assert [a.name for a in outlets] == ["news_articles"]


HEAVY = ("newsingest.pipeline", "newsingest.store", "trafilatura", "pandas", "pyarrow", "feedparser",
         "lxml", "fsspec")
PARSE_CPU_SECONDS = 0.5


def test_dag_file_is_cheap_to_parse():
    """Parsing the DAG file must not import the library's stages or their heavy
    dependencies (beyond what ``airflow.sdk`` itself imports), and costs little CPU. CPU time (``time.process_time``), not wall time:
    on a loaded machine the wall clock also counts the time other processes ran, CPU
    time only this parse (about 0.1 s here, against 0.2-2 s of wall time under load)."""
    code = (
        "import json, sys, time; import airflow.sdk; before = set(sys.modules);"
        "t = time.process_time();"
        f"import runpy; runpy.run_path({str(REPO / 'dags' / 'news_ingest.py')!r});"
        "cpu = time.process_time() - t;"
        "new = sorted(set(sys.modules) - before);"
        f"heavy = [m for m in {HEAVY!r} if m in new];"
        "print(json.dumps({'cpu': cpu, 'heavy': heavy, 'new': new}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ})
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["heavy"] == [], f"heavy modules imported at parse time: {doc['heavy']}"
    assert [m for m in doc["new"] if m.startswith("newsingest.")] == [
        "newsingest.config", "newsingest.digest", "newsingest.errors"], doc["new"]
    assert doc["cpu"] < PARSE_CPU_SECONDS, f"parsing the DAG file took {doc['cpu']:.2f} s of CPU"
