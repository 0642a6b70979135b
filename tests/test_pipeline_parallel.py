"""Work moved out of the serial stages and out of each task's start-up keeps the output.

Country tags are made per article in the (mapped) extract tasks; the geo stage only
picks the run's new stories. ``newsingest.preload`` imports the library once in the
Airflow process that forks task processes, hooked in by ``config/airflow_local_settings.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from newsingest.config import Settings
from newsingest.geo import tag_countries
from newsingest.pipeline import (COUNTRY_TAGS, EXTRACTED, RunContext, dedup_stage, extract_group,
                                 fetch_group, geo_stage, plan, poll_group)
from newsingest.preload import MODULES, forks_tasks, preload

TAG_NAMES = [name for name, _ in COUNTRY_TAGS]


@pytest.fixture(scope="module")
def web():
    from newsingest_demo.server import DemoWeb

    with DemoWeb() as w:
        yield w


def settings(registry: Path, data: Path, **extra: str) -> Settings:
    return Settings.from_env({"NEWS_FEEDS": str(registry), "NEWS_DATA_URL": str(data),
                              "NEWS_ALLOW_PRIVATE_NETWORKS": "1", "NEWS_HOST_INTERVAL": "0.02",
                              "NEWS_CONNECT_TIMEOUT": "2", "NEWS_TOTAL_TIMEOUT": "5", **extra})


def staged_run(web, tmp_path: Path) -> tuple[RunContext, list[str]]:
    """A run of the demo web through extract and dedup (what geo reads)."""
    registry = web.write_registry(tmp_path / "feeds.yaml")
    ctx = RunContext("manual__geo-moved", "2026-11-24", settings(registry, tmp_path / "data",
                                                                   NEWS_FEED_GROUP_SIZE="2"))
    groups = plan(ctx)
    assert len(groups) > 1  # several extract tasks, each tagging its own articles
    refs = [extract_group(ctx, fetch_group(ctx, poll_group(ctx, g))) for g in groups]
    dedup_stage(ctx, refs)
    return ctx, refs


def test_country_tags_made_in_extract_are_those_the_geo_stage_made(web, tmp_path):
    ctx, refs = staged_run(web, tmp_path)
    store = ctx.store
    extracted = [r for ref in refs for r in store.read_parquet(f"{ctx.staging}/extracted-{ref}.parquet")
                 .to_pylist()]
    assert store.read_parquet(f"{ctx.staging}/extracted-{refs[0]}.parquet").schema.names == EXTRACTED.names
    ok = [r for r in extracted if r["ok"]]
    assert ok and all(r["countries_mentioned"] is not None for r in ok)
    assert all(r["countries_mentioned"] is None for r in extracted if not r["ok"])
    # Each article's tags are what the stable entry point says for its title and text.
    for r in ok:
        tags = tag_countries(r["page_title"] or r["title"] or "", r["text"] or "")
        assert (r["countries_mentioned"], r["countries_about"]) == (tags.mentioned, tags.about)
        assert {c["code"]: c["count"] for c in r["country_counts"]} == dict(tags.counts)
    assert any(r["countries_about"] for r in ok)

    made_in_extract = store.read_parquet(geo_stage(ctx, refs)).to_pylist()
    # Staging written without the tags (by the previous version of the pipeline, a run
    # interrupted across an upgrade): the geo stage tags the stories itself, identically.
    for ref in refs:
        rel = f"{ctx.staging}/extracted-{ref}.parquet"
        store.write_parquet(rel, store.read_parquet(rel).drop_columns(TAG_NAMES))
    made_in_geo = store.read_parquet(geo_stage(ctx, refs)).to_pylist()
    assert made_in_geo == made_in_extract
    canonical = [r for r in store.read_parquet(f"{ctx.staging}/dedup.parquet").to_pylist()
                 if r["is_canonical"] and not r["existing"]]
    assert len(made_in_extract) == len(canonical) > 0


@pytest.mark.parametrize(("argv", "forks"), [
    (["/opt/venv/bin/airflow", "scheduler"], True),
    (["/opt/venv/bin/airflow", "dags", "test", "news_ingest", "--use-executor"], True),
    (["airflow", "celery", "worker", "--concurrency", "4"], True),
    (["/usr/lib/python3/site-packages/airflow/__main__.py", "scheduler"], True),
    (["/opt/venv/bin/airflow", "api-server"], False),
    (["/opt/venv/bin/airflow", "dag-processor"], False),
    (["/opt/venv/bin/airflow", "triggerer"], False),
    (["/opt/venv/bin/airflow", "dags", "list"], False),
    (["/opt/venv/bin/airflow", "db", "migrate"], False),
    (["/usr/bin/python", "-m", "pytest"], False),
    ([], False),
])
def test_only_commands_that_fork_tasks_preload(argv, forks):
    assert forks_tasks(argv) is forks


def test_a_module_that_cannot_be_imported_is_logged_not_raised(caplog):
    spent = preload(modules=("newsingest.pipeline", "newsingest.no_such_module"),
                    warm_ups=(lambda: 1 / 0,))
    assert spent >= 0
    assert "cannot import newsingest.no_such_module" in caplog.text
    assert "failed" in caplog.text


PROBE = """
import json, sys
sys.argv = [sys.argv[1]] + sys.argv[2:]
import airflow  # imports $AIRFLOW_HOME/config/airflow_local_settings.py
loaded = sorted(m for m in sys.modules if m.startswith(("newsingest", "pyarrow", "trafilatura")))
extract, gazetteer = sys.modules.get("newsingest.extract"), sys.modules.get("newsingest.gazetteer")
print(json.dumps({"modules": loaded,
                  "language_model": bool(extract) and extract._LANGID not in (None, False),
                  "gazetteer": gazetteer.get_gazetteer.cache_info().currsize if gazetteer else 0}))
"""


def airflow_start_up(tmp_path: Path, *command: str) -> dict:
    """What a fresh Python that starts like ``airflow <command>`` has loaded after ``import airflow``,
    with the project's local settings in its AIRFLOW_HOME."""
    home = tmp_path / "airflow"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "airflow_local_settings.py").write_text(
        (REPO / "config" / "airflow_local_settings.py").read_text("utf-8"), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"))
    out = subprocess.run([sys.executable, "-c", PROBE, str(REPO / ".venv" / "bin" / "airflow"),
                          *command], env=env, capture_output=True, text=True, check=True, timeout=180)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_local_settings_preload_the_library_in_the_scheduler_only(tmp_path):
    scheduler = airflow_start_up(tmp_path, "scheduler")
    assert set(MODULES) <= set(scheduler["modules"])
    assert "trafilatura" in scheduler["modules"]
    assert scheduler["language_model"] and scheduler["gazetteer"] == 1

    api = airflow_start_up(tmp_path, "api-server")
    assert "newsingest.extract" not in api["modules"] and "trafilatura" not in api["modules"]
    assert not api["language_model"] and api["gazetteer"] == 0


def test_the_image_installs_the_local_settings():
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    assert ("COPY --chown=airflow:0 config/airflow_local_settings.py "
            "/opt/airflow/config/airflow_local_settings.py") in dockerfile
