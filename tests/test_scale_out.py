"""Scale-out for real: the DAG on CeleryExecutor, PostgreSQL, Redis and S3-compatible storage.

The test set-up starts, on loopback: PostgreSQL and Redis (Debian's packages), moto's S3
server, the demo news web, and Airflow's api-server, scheduler, dag-processor and two
Celery workers, each worker in its own working directory and Airflow home (no shared
local data root). A run triggered through the REST API must succeed with its mapped
tasks spread over both workers, and the Parquet read back from the bucket must equal a
local run of the same demo web. Everything started is stopped, also on failure.

The fast tests at the end check the settings this needs: ``NEWS_STORAGE_OPTIONS`` and the
refusal of a worker-local data root under a distributed executor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from newsingest.config import Settings
from newsingest.errors import ConfigError
from newsingest.pipeline import RunContext, plan, run_all
from newsingest.store import Store
from support_airflow import start_cluster
from support_services import Services, start_postgres, start_redis, start_s3

BUCKET = "news-scale-out"
DATA_URL = f"s3://{BUCKET}/news"
GROUP_SIZE = 5  # the demo web's 10 feeds on 6 hosts: 2 groups, one per worker at a time
RUN_COLUMNS = {  # differ between any two runs of the same input
    "articles": {"run_id", "fetched_at"},
    "copies": {"run_id", "fetched_at"},
    "feed_polls": {"run_id", "polled_at", "elapsed_ms", "next_poll_at"},
    "raw_pages": {"run_id", "fetched_at", "headers"},
}
KEYS = {"articles": "article_id", "copies": "copy_id", "feed_polls": "feed_id", "raw_pages": "copy_id"}


def demo_settings(registry: Path) -> dict[str, str]:
    return {"NEWS_FEEDS": str(registry), "NEWS_ALLOW_PRIVATE_NETWORKS": "1",
            "NEWS_HOST_INTERVAL": "0.02"}


def rows(store: Store, table: str) -> dict[str, dict]:
    """A published table keyed by its id, without the columns that differ between runs."""
    from newsingest.summary import read_table

    t = read_table(store, table)
    assert t is not None, f"{table}: nothing published under {store.url}"
    out = {}
    for r in t.to_pylist():
        out[r[KEYS[table]]] = {k: v for k, v in r.items() if k not in RUN_COLUMNS[table]}
    assert len(out) == t.num_rows, f"{table}: duplicate {KEYS[table]}"
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from newsingest_demo.server import DemoWeb

    with DemoWeb() as web:
        yield web.write_registry(tmp_path_factory.mktemp("demo") / "feeds.yaml")


@pytest.fixture(scope="module")
def scaled_run(demo, tmp_path_factory):
    """One REST-triggered run on the Celery cluster, writing to the local S3 server."""
    work = tmp_path_factory.mktemp("scale-out")
    with Services(work) as svc:
        try:
            pg = start_postgres(svc)
            redis = start_redis(svc)
            s3 = start_s3(svc, BUCKET)
            news = {**demo_settings(demo), "NEWS_DATA_URL": DATA_URL,
                    "NEWS_STORAGE_OPTIONS": json.dumps(s3.storage_options)}
            cluster = start_cluster(svc, pg, redis, news, workers=2)
            run_id = cluster.trigger("news_ingest", {"group_size": GROUP_SIZE})
            run = cluster.wait_for_run("news_ingest", run_id, timeout=420)
            tis = cluster.task_instances("news_ingest", run_id)
            report = cluster.task_report("news_ingest", run_id)
            yield {"run": run, "tis": tis, "report": report, "s3": s3, "cluster": cluster,
                   "store": Store(DATA_URL, s3.storage_options), "news": news}
        except Exception as exc:
            raise AssertionError(f"{exc}\n\nlogs:\n{svc.report()}") from exc


def test_rest_triggered_run_succeeds_on_two_celery_workers(scaled_run):
    run, tis, report = scaled_run["run"], scaled_run["tis"], scaled_run["report"]
    assert run["state"] == "success", report
    assert all(ti["state"] == "success" for ti in tis), report
    mapped = [ti for ti in tis if ti["map_index"] >= 0]
    assert {ti["task_id"] for ti in mapped} == {"poll", "fetch", "extract"}
    per_stage = {t: sum(ti["task_id"] == t for ti in mapped) for t in ("poll", "fetch", "extract")}
    assert len(set(per_stage.values())) == 1 and per_stage["poll"] >= 2, per_stage
    assert {ti["hostname"] for ti in mapped} == set(scaled_run["cluster"].workers), report


def test_workers_share_no_local_data_root(scaled_run):
    store = scaled_run["store"]
    assert store.glob("_staging/*") == [], "staging must be cleaned up"
    for wdir in scaled_run["cluster"].worker_dirs:
        written = [p for p in wdir.rglob("*") if p.suffix in (".parquet", ".json", ".bin")]
        assert written == [], f"a worker wrote data to its own disk: {written[:5]}"


def test_parquet_in_the_bucket_equals_a_local_run(scaled_run, demo, tmp_path):
    local = tmp_path / "local-data"
    settings = Settings.from_env({**demo_settings(demo), "NEWS_DATA_URL": str(local)})
    run_all(RunContext(run_id="manual__local-reference", run_date="2026-01-01", settings=settings),
            group_size=GROUP_SIZE)
    remote, reference = scaled_run["store"], Store(str(local))
    for table in ("articles", "copies", "feed_polls", "raw_pages"):
        got, want = rows(remote, table), rows(reference, table)
        for r in (*got.values(), *want.values()):
            r.pop("date")  # the partition: the run's date
        assert got.keys() == want.keys(), table
        for key in want:
            assert got[key] == want[key], f"{table} {key}"
    assert len(got) > 0 and len(rows(remote, "articles")) >= 50


def test_analysts_read_the_bucket_with_duckdb_pandas_and_polars(scaled_run):
    """The summary's printed DuckDB one-liner, pandas and Polars, as the README shows them."""
    import pandas as pd
    import polars as pl

    s3, news = scaled_run["s3"], scaled_run["news"]
    articles = rows(scaled_run["store"], "articles")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
           "NEWS_STORAGE_OPTIONS": news["NEWS_STORAGE_OPTIONS"]}
    summary = subprocess.run([sys.executable, "-m", "newsingest.summary", DATA_URL], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert f"stories           {len(articles)}" in summary, summary
    one_liner = summary.strip().splitlines()[-1].strip().replace(".venv/bin/python", sys.executable)
    assert "register_filesystem" in one_liner and s3.secret not in summary
    shown = subprocess.run(["bash", "-c", one_liner], env=env, capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    assert shown.returncode == 0, shown.stderr
    top = max(articles.values(), key=lambda a: a["copies_seen"])
    assert top["title"][:20] in shown.stdout

    frame = pd.read_parquet(f"{DATA_URL}/articles", storage_options=s3.storage_options)
    assert sorted(frame.article_id) == sorted(articles)
    polars_options = {"aws_endpoint_url": s3.endpoint, "aws_access_key_id": s3.key,
                      "aws_secret_access_key": s3.secret, "aws_region": s3.region,
                      "aws_allow_http": "true"}
    lazy = pl.scan_parquet(f"{DATA_URL}/articles/**/*.parquet", hive_partitioning=True,
                           storage_options=polars_options)
    assert sorted(lazy.select("article_id").collect()["article_id"].to_list()) == sorted(articles)


# -- the settings the deployment needs (fast) ------------------------------------------
def test_storage_options_are_json_and_errors_name_the_variable():
    opts = {"endpoint_url": "http://127.0.0.1:9000", "key": "k", "secret": "s"}
    assert Settings.from_env({"NEWS_STORAGE_OPTIONS": json.dumps(opts)}).storage_options == opts
    assert Settings.from_env({}).storage_options == {}
    with pytest.raises(ConfigError, match=r"NEWS_STORAGE_OPTIONS: not valid JSON"):
        Settings.from_env({"NEWS_STORAGE_OPTIONS": "{endpoint_url: x}"})
    with pytest.raises(ConfigError, match=r"NEWS_STORAGE_OPTIONS: expected a JSON object"):
        Settings.from_env({"NEWS_STORAGE_OPTIONS": '["x"]'})


def test_store_passes_storage_options_to_the_filesystem():
    store = Store("memory://newsingest-opts/root", {"skip_instance_cache": True})
    store.write_bytes("a/b.txt", b"x")
    assert store.read_bytes("a/b.txt") == b"x"


@pytest.mark.parametrize("executor, data_url, shared, refused", [
    ("CeleryExecutor", "/srv/news", None, True),
    ("airflow.providers.celery.executors.celery_executor.CeleryExecutor", "file:///srv/news", "0", True),
    ("LocalExecutor,KubernetesExecutor", "./data", None, True),
    ("CeleryExecutor", "/srv/news", "1", False),  # declared: one filesystem mounted everywhere
    ("CeleryExecutor", "s3://bucket/news", None, False),
    ("LocalExecutor", "/srv/news", None, False),
    ("", "/srv/news", None, False),
])
def test_local_data_root_fails_fast_under_a_distributed_executor(
        monkeypatch, demo, executor, data_url, shared, refused):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    env = {**demo_settings(demo), "NEWS_DATA_URL": data_url}
    if shared is not None:  # unset means the default (not shared); an empty value is an error
        env["NEWS_DATA_ROOT_SHARED"] = shared
    settings = Settings.from_env(env)
    ctx = RunContext(run_id="manual__placement", run_date="2026-01-01", settings=settings)
    if refused:
        with pytest.raises(ConfigError, match=r"NEWS_DATA_URL=.* is a local path, but the executor "
                                              r"\w+ runs a run's tasks on several workers"):
            plan(ctx)
    else:
        from newsingest.placement import check_data_root

        check_data_root(settings)  # plan itself would clear staging under data_url
