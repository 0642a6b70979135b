"""Airflow plugin: a "Feed health" page and JSON endpoint in the Airflow UI.

Mounted by the api-server at ``/feed-health/`` (HTML) and ``/feed-health/feeds`` (JSON),
with a link in the UI's navigation. The figures come from the ``feed_polls`` table under
``NEWS_DATA_URL`` (see ``newsingest.health``).
"""

from __future__ import annotations

import html
import os

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI
from fastapi.responses import HTMLResponse


def create_app(data_url: str | None = None) -> FastAPI:
    """The feed-health sub-application (``data_url`` defaults to NEWS_DATA_URL)."""
    app = FastAPI(title="newsingest feed health")

    def report() -> list[dict]:
        from newsingest.health import feed_health

        return feed_health(data_url or os.environ.get("NEWS_DATA_URL", "./data"))

    @app.get("/feeds")
    def feeds() -> list[dict]:
        return report()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        cols = ["feed_id", "publisher", "last_status", "last_http_status", "consecutive_failures",
                "success_rate", "last_ok_at", "next_poll_at", "last_error"]
        head = "".join(f"<th>{c}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(r[c] if r[c] is not None else ''))}</td>"
                             for c in cols) + "</tr>" for r in report())
        return (f"<!doctype html><title>Feed health</title><h1>Feed health</h1>"
                f"<table border=1 cellpadding=4><tr>{head}</tr>{body}</table>")

    return app


class FeedHealthPlugin(AirflowPlugin):
    name = "newsingest_feed_health"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/feed-health", "name": "Feed health"}]
    external_views = [{"name": "Feed health", "href": "/feed-health/", "destination": "nav",
                       "url_route": "feed-health"}]
