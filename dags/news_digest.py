"""news_digest: the daily country digest, the stories table and the charts.

Scheduled on the ``news_articles`` Asset, which ``news_ingest`` updates only when a run
published story data. Each run rebuilds ``stories`` and writes, for every day the
triggering runs published (or the ``date`` param, or the run's own date),
``digest_country_daily`` and ``digest/date=D/`` (PNG charts and ``index.html``), see
``newsingest.digest``. Outputs are written atomically under fixed names: a re-run for a
day replaces its files.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task

from newsingest.digest import articles_asset_uri

# The same Asset as news_ingest's (whose publish task refers to it by name); declared
# here with its URI, which registers it.
ARTICLES_ASSET = Asset(name="news_articles", uri=articles_asset_uri())


def _days(context) -> list[str]:
    """The day(s) to digest: the param, else the triggering runs' dates, else the run's date."""
    if context["params"].get("date"):
        return [context["params"]["date"]]
    days = set()
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            if (event.extra or {}).get("date"):
                days.add(event.extra["date"])
    if days:
        return sorted(days)
    dag_run = context["dag_run"]
    return [(dag_run.logical_date or dag_run.run_after).strftime("%Y-%m-%d")]


@dag(
    dag_id="news_digest",
    schedule=[ARTICLES_ASSET],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["news", "digest"],
    params={"date": Param("", type="string",
                          description="Digest this UTC day (YYYY-MM-DD); empty: the triggering runs' days.")},
    doc_md=__doc__,
)
def news_digest():
    @task
    def digest() -> list[dict]:
        from newsingest.config import Settings
        from newsingest.digest import run_digest

        context = get_current_context()
        data_url = Settings.from_env().data_url
        return [{k: v for k, v in run_digest(data_url, day).items() if k != "files"}
                for day in _days(context)]

    digest()


news_digest()
