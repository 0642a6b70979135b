"""news_ingest: RSS/Atom feeds -> clean, deduplicated, country-tagged Parquet.

Reads top-down like the flow: plan -> poll -> fetch -> extract (a task group mapped
per feed group) -> dedup (which also picks the new stories' country tags) -> publish. Every task is one call into the
``newsingest`` library; XCom carries only short references. Configuration comes
from ``NEWS_*`` environment variables (see the README) and the run's params.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowFailException

from newsingest.config import check_schedule
from newsingest.errors import ConfigError

from newsingest.digest import articles_asset_uri  # light: no pyarrow

# The news_articles Asset has a real URI under NEWS_DATA_URL (news_digest is scheduled on it).

ARTICLES_ASSET = Asset(name="news_articles", uri=articles_asset_uri())
# publish names it by reference: its URI follows NEWS_DATA_URL, and a concrete outlet
# whose URI differs from the registered one (a changed data root) would fail the task
# as "inactive"; the reference goes to the active asset of that name.
ARTICLES_OUTLET = Asset.ref(name=ARTICLES_ASSET.name)
# Checked when the file is parsed: a bad value is an import error naming NEWS_SCHEDULE.
SCHEDULE = check_schedule(os.environ.get("NEWS_SCHEDULE"))
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=30),
           "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=10)}


def _ctx():
    """The library's run context for the current Airflow run (no heavy import at parse)."""
    from newsingest.pipeline import RunContext

    dag_run = get_current_context()["dag_run"]
    moment = dag_run.logical_date or dag_run.run_after  # logical_date is None on manual runs
    return RunContext(run_id=dag_run.run_id, run_date=moment.strftime("%Y-%m-%d"))


def _run(stage: str, step: str, *args, hold: bool = True, **kwargs):
    """Call ``newsingest.pipeline.<step>(ctx, *args)`` as one stage of the run.

    The data root's lease is held (renewed) meanwhile (see newsingest.lease; ``plan``
    takes it itself), and a configuration error fails the task at once: a retry cannot
    fix a bad setting.
    """
    from newsingest import pipeline
    from newsingest.lease import stage as lease_stage

    try:
        ctx = _ctx()
        with lease_stage(ctx.store, ctx.run_id, stage, hold=hold):
            return getattr(pipeline, step)(ctx, *args, **kwargs)
    except ConfigError as exc:
        raise AirflowFailException(f"configuration error (not retried): {exc}") from exc


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
        """Check every setting and the registry once; hand each group its feeds."""
        from airflow.sdk.configuration import conf

        params = get_current_context()["params"]
        return _run("plan", "plan", params.get("feed_ids") or None, params.get("group_size") or None,
                    max_groups=conf.getint("core", "max_map_length", fallback=1024), hold=False)

    @task
    def poll(group: dict) -> str:
        return _run("poll", "poll_group", group,
                    force=bool(get_current_context()["params"].get("force")))

    @task
    def fetch(ref: str) -> str:
        return _run("fetch", "fetch_group", ref)

    @task
    def extract(ref: str) -> str:
        return _run("extract", "extract_group", ref)

    @task
    def dedup(refs: list[str]) -> list[str]:
        """Cluster the run's copies, then pick its new stories' country tags.

        The tags are made per article in extract; the geo stage only selects the new
        stories, too little work for a task of its own (a task instance less on the
        run's serial path: about 1 s of hand-over).
        """
        # The Task SDK of Airflow 3.2-3.3 hands a mapped task group's single expansion
        # over as the bare value, not a one-element list (apache/airflow#69036).
        refs = [refs] if isinstance(refs, str) else list(refs or [])
        _run("dedup", "dedup_stage", refs)
        _run("geo", "geo_stage", refs)
        return refs

    @task(outlets=[ARTICLES_OUTLET])
    def publish(refs: list[str]) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from newsingest.digest import published_anything

        counts = _run("publish", "publish", refs)
        # No Asset event when the run published nothing (a skipped task emits none);
        # otherwise the event carries the day for news_digest.
        if not published_anything(counts):
            raise AirflowSkipException(f"nothing published, no news_articles event: {counts}")
        get_current_context()["outlet_events"][ARTICLES_ASSET].extra = {
            "date": counts["date"], "run_id": counts["run_id"], "stories": counts["stories"]}
        return counts

    @task_group(prefix_group_id=False)
    def feed_group(group: dict):
        """One group's poll -> fetch -> extract. Mapped as a group, each group's next
        task starts when its own previous one ends: a slow publisher holds back its own
        group, not every group's next stage (task ids stay poll, fetch, extract)."""
        return extract(fetch(poll(group)))

    publish(dedup(feed_group.expand(group=plan())))


news_ingest()
