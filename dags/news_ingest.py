"""news_ingest: RSS/Atom feeds -> clean, deduplicated, country-tagged Parquet.

Reads top-down like the flow: plan -> poll -> fetch -> extract (mapped per feed
group) -> dedup -> tag countries -> publish. Every task is one call into the
``newsingest`` library; XCom carries only short references. Configuration comes
from ``NEWS_*`` environment variables (see the README) and the run's params.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task

# -- news_articles Asset (digest branch): a real URI under NEWS_DATA_URL ------------
from newsingest.digest import articles_asset_uri  # light: no pyarrow

ARTICLES_ASSET = Asset(name="news_articles", uri=articles_asset_uri())
# publish names it by reference: its URI follows NEWS_DATA_URL, and a concrete outlet
# whose URI differs from the registered one (a changed data root) would fail the task
# as "inactive"; the reference goes to the active asset of that name.
ARTICLES_OUTLET = Asset.ref(name=ARTICLES_ASSET.name)
# -- end of the digest branch's Asset block ------------------------------------------
SCHEDULE = os.environ.get("NEWS_SCHEDULE", "*/30 * * * *")
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=30),
           "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=10)}


def _ctx():
    """The library's run context for the current Airflow run (no heavy import at parse)."""
    from newsingest.pipeline import RunContext

    dag_run = get_current_context()["dag_run"]
    moment = dag_run.logical_date or dag_run.run_after  # logical_date is None on manual runs
    return RunContext(run_id=dag_run.run_id, run_date=moment.strftime("%Y-%m-%d"))


@dag(
    dag_id="news_ingest",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=RETRIES,
    tags=["news", "ingest"],
    params={
        "feed_ids": Param([], type="array", items={"type": "string"},
                          description="Only poll these feed ids (empty: every feed)."),
        "force": Param(False, type="boolean",
                       description="Ignore per-feed backoff and conditional-GET validators."),
        "group_size": Param(0, type="integer", minimum=0,
                            description="Feeds per mapped task (0: NEWS_FEED_GROUP_SIZE)."),
    },
    doc_md=__doc__,
)
def news_ingest():
    @task
    def plan() -> list[dict]:
        from newsingest.pipeline import plan as plan_groups

        params = get_current_context()["params"]
        return plan_groups(_ctx(), params.get("feed_ids") or None, params.get("group_size") or None)

    @task
    def poll(group: dict) -> str:
        from newsingest.pipeline import poll_group

        return poll_group(_ctx(), group, force=bool(get_current_context()["params"].get("force")))

    @task
    def fetch(ref: str) -> str:
        from newsingest.pipeline import fetch_group

        return fetch_group(_ctx(), ref)

    @task
    def extract(ref: str) -> str:
        from newsingest.pipeline import extract_group

        return extract_group(_ctx(), ref)

    @task
    def dedup(refs: list[str]) -> list[str]:
        from newsingest.pipeline import dedup_stage

        refs = list(refs)
        dedup_stage(_ctx(), refs)
        return refs

    @task
    def tag_countries(refs: list[str]) -> list[str]:
        from newsingest.pipeline import geo_stage

        geo_stage(_ctx(), refs)
        return refs

    @task(outlets=[ARTICLES_OUTLET])
    def publish(refs: list[str]) -> dict:
        from newsingest.pipeline import publish as publish_run

        counts = publish_run(_ctx(), refs)
        # digest branch: no Asset event when the run published nothing (a skipped task
        # emits none); otherwise the event carries the day for news_digest.
        from airflow.sdk.exceptions import AirflowSkipException
        from newsingest.digest import published_anything

        if not published_anything(counts):
            raise AirflowSkipException(f"nothing published, no news_articles event: {counts}")
        get_current_context()["outlet_events"][ARTICLES_ASSET].extra = {
            "date": counts["date"], "run_id": counts["run_id"], "stories": counts["stories"]}
        return counts

    groups = plan()
    extracted = extract.expand(ref=fetch.expand(ref=poll.expand(group=groups)))
    publish(tag_countries(dedup(extracted)))


news_ingest()
