"""Shared by the digest and browser tests: real DAG runs over the demo web, done once per session.

``demo_data()`` runs ``news_ingest`` twice with ``dag.test()`` (the second run finds the
feeds unchanged and the failing feed in backoff), then ``news_digest`` for the day, and
returns where the data are. The result is cached in this module, so both test modules
share one set of runs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import REPO
from support_env import news_env

_RUNS: dict = {}


def dags() -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags


def run_record(run_id: str) -> dict:
    """The publish task's state and the news_articles events of one news_ingest run."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        publish = session.scalar(select(TaskInstance.state).where(
            TaskInstance.dag_id == "news_ingest", TaskInstance.run_id == run_id,
            TaskInstance.task_id == "publish"))
        events = session.execute(
            select(AssetModel.uri, AssetEvent.extra).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == "news_articles", AssetEvent.source_run_id == run_id)).all()
    return {"publish": publish, "events": [{"uri": uri, "extra": extra} for uri, extra in events]}


def release_asset_name() -> None:
    """Let this session's data root own the name ``news_articles``: test modules run the DAGs
    over different data roots in one metadata DB, and only one asset of a name is active
    (a scheduler would orphan the stale one; ``dag.test()`` runs none)."""
    from airflow.models.asset import AssetActive
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetActive).where(AssetActive.name == "news_articles"))


def demo_data() -> dict:
    """{'data': Path, 'day': 'YYYY-MM-DD', 'ingest': [dag runs], 'digest': dag run, 'dags': {...}}."""
    if _RUNS:
        return _RUNS
    from newsingest_demo.server import DemoWeb

    root = Path(tempfile.mkdtemp(prefix="newsingest-digest-"))
    data = root / "data"
    with DemoWeb() as web:
        registry = web.write_registry(root / "feeds.yaml")
        with news_env(registry, data):
            bag = dags()  # parsed with NEWS_DATA_URL set: the Asset URI depends on it
            release_asset_name()
            ingest, observed = [], []
            for _ in range(2):  # dag.test() drops the previous run without a logical date: look now
                ingest.append(bag["news_ingest"].test(logical_date=None))
                observed.append(run_record(ingest[-1].run_id))
            day = ingest[0].run_after.strftime("%Y-%m-%d")
            digest = bag["news_digest"].test(logical_date=None, run_conf={"date": day})
    _RUNS.update(data=data, day=day, ingest=ingest, observed=observed, digest=digest, dags=bag, web_manifest=web.manifest)
    return _RUNS
