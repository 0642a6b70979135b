"""Airflow plugin: the "Feed health" and "News digest" pages, behind Airflow's login.

Mounted by the api-server:

- ``/feed-health/`` (HTML) and ``/feed-health/feeds`` (JSON): every feed's latest status,
  the real error behind a failure streak or backoff, consecutive failures, last success,
  next poll, entries and pages over the last polls (``newsingest.health``);
- ``/news-digest/`` (the days) and ``/news-digest/<YYYY-MM-DD>`` (the day's page written
  by the ``news_digest`` DAG, ``newsingest.charts``).

In the UI they are one entry, *News ingest* (Plugins menu), framed at
``/plugin/newsingest/``. Airflow 3.3 mirrors the framed page's own path into the address
bar under the entry's route (``/plugin/<url_route><framed path>``, for deep links and
reloads), so the route names the plugin and the mounts name the pages:
``/plugin/newsingest/feed-health/`` and ``/plugin/newsingest/news-digest/2026-11-24``
(a route named after a page would read ``/plugin/feed-health/feed-health/``). Each page
links to the other in its header. Every route requires the same login as the UI: the
JWT the UI keeps in its ``_token`` cookie, or an ``Authorization: Bearer`` token from
``POST /auth/token``; a browser without one is sent to the login page. Data come from
``NEWS_DATA_URL``.
"""

from __future__ import annotations

import html
import os
import re
from datetime import datetime, timezone
from typing import Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URL_ROUTE = "newsingest"   # the UI entry's route: /plugin/newsingest/<page path>
# (mount prefix, title): the pages, each a FastAPI app mounted by the api-server
PAGES = (("/feed-health", "Feed health"), ("/news-digest", "News digest"))
STATUS_LABEL = {"ok": ("ok", "ok"), "not_modified": ("not modified", "ok"),
                "error": ("error", "bad"), "skipped_backoff": ("backing off", "warn")}
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;color:#1a202c;padding:0 1rem}
h1{margin-bottom:.2rem} .sub{color:#4a5568;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e2e8f0;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#f7fafc;position:sticky;top:0}
.badge{display:inline-block;border-radius:.6rem;padding:.05rem .55rem;font-size:.8rem;font-weight:600}
.ok{background:#c6f6d5;color:#22543d} .warn{background:#feebc8;color:#7b341e} .bad{background:#fed7d7;color:#822727}
.err{color:#822727;font-size:.85rem;max-width:28rem;word-break:break-word} .kind{font-family:monospace;font-weight:600}
.muted{color:#718096;font-size:.8rem} svg{display:block}
.pages{font-size:.9rem;margin-bottom:.6rem} .pages a{margin-right:1rem} .pages b{margin-right:1rem}
"""


def pages_header(current: str) -> str:
    """Links between the plugin's pages (absolute: the same inside the UI's frame and alone)."""
    links = "".join(f"<b>{html.escape(title)}</b>" if prefix == current
                    else f'<a href="{prefix}/">{html.escape(title)}</a>' for prefix, title in PAGES)
    return f'<nav class="pages">{links}</nav>'



def _data_url(data_url: str | None) -> str:
    return data_url or os.environ.get("NEWS_DATA_URL", "./data")


async def _authenticated(request: Request) -> Any:
    """The logged-in Airflow user (UI cookie or bearer token); raises 401/403 otherwise."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.security import HTTPBearer

    credentials = await HTTPBearer(auto_error=False)(request)
    return await get_user(request, None, credentials)


def _login_redirect(request: Request) -> Response:
    """Send a browser to Airflow's login page, back here afterwards."""
    from airflow.api_fastapi.app import get_auth_manager

    try:
        login = get_auth_manager().get_url_login(next_url=str(request.url))
    except Exception:  # noqa: BLE001 - no auth manager (not in the api-server): plain 401
        return HTMLResponse("<h1>401 Not authenticated</h1>", status_code=401)
    return RedirectResponse(login, status_code=303)


def _guard(app: FastAPI) -> None:
    """Require Airflow's login on every route of ``app``."""

    @app.middleware("http")
    async def require_login(request: Request, call_next):
        try:
            request.state.newsingest_user = await _authenticated(request)
        except HTTPException as exc:
            wants_html = "text/html" in request.headers.get("accept", "")
            if wants_html and exc.status_code == 401:
                return _login_redirect(request)
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return await call_next(request)


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    delta = (value - now).total_seconds()
    span = abs(delta)
    text = (f"{int(span)} s" if span < 120 else f"{int(span // 60)} min" if span < 7200
            else f"{span / 3600:.1f} h" if span < 172800 else f"{span / 86400:.0f} d")
    rel = f"in {text}" if delta > 0 else f"{text} ago"
    return f'<span title="{value.isoformat()}">{value.strftime("%Y-%m-%d %H:%M")} UTC</span><br><span class="muted">{rel}</span>'


def sparkline(values: list[int], color: str, label: str) -> str:
    """A small inline SVG bar chart of ``values`` (oldest first)."""
    width, height = 150, 26
    top = max(values or [0]) or 1
    step = width / max(len(values), 1)
    bars = "".join(
        f'<rect x="{i * step:.1f}" y="{height - max(v / top * height, 1):.1f}" width="{max(step - 1, 1):.1f}" '
        f'height="{max(v / top * height, 1):.1f}" fill="{color}"><title>{v}</title></rect>'
        for i, v in enumerate(values))
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(label)}">{bars}</svg>'
            f'<span class="muted">{html.escape(label)}: last {values[-1] if values else 0}, max {max(values or [0])}</span>')


def feed_row(r: dict[str, Any], now: datetime) -> str:
    esc = html.escape
    label, tone = STATUS_LABEL.get(r["last_status"], (r["last_status"], "warn"))
    if r["error_kind"]:
        error = (f'<div class="err"><span class="kind">{esc(r["error_kind"])}</span>: {esc(r["error"] or "")}'
                 f'<br><span class="muted">failed at {r["error_at"]:%Y-%m-%d %H:%M} UTC</span></div>')
    else:
        error = ""
    history = r["history"]
    rate = "-" if r["success_rate"] is None else f"{r['success_rate']:.0%}"
    http = f'<br><span class="muted">HTTP {r["last_http_status"]}</span>' if r["last_http_status"] else ""
    return (
        f'<tr data-feed="{esc(r["feed_id"])}"><td><b>{esc(r["feed_id"])}</b><br>'
        f'<span class="muted">{esc(r["publisher"] or "")}</span><br><span class="muted">{esc(r["url"] or "")}</span></td>'
        f'<td><span class="badge {tone}">{esc(label)}</span>'
        f'{http}'
        f'{error}</td>'
        f'<td>{r["consecutive_failures"]}</td>'
        f'<td>{rate}</td>'
        f'<td>{_when(r["last_ok_at"], now)}</td><td>{_when(r["next_poll_at"], now)}</td>'
        f'<td>{sparkline([h["entries"] or 0 for h in history], "#2b6cb0", "entries")}'
        f'{sparkline([h["pages"] for h in history], "#38a169", "pages")}</td></tr>')


def health_page(report: list[dict[str, Any]], now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    failing = sum(r["consecutive_failures"] > 0 for r in report)
    rows = "".join(feed_row(r, now) for r in report) or '<tr><td colspan="7">No polls published yet.</td></tr>'
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Feed health</title>'
            f'<style>{STYLE}</style></head><body>{pages_header("/feed-health")}<h1>Feed health</h1>'
            f'<p class="sub">{len(report)} feeds, {failing} failing. Worst first; the last '
            f'{max((r["polls"] for r in report), default=0)} polls per feed. '
            f'<a href="feeds">JSON</a></p>'
            f'<table id="feeds"><tr><th>feed</th><th>status and error</th><th>failures in a row</th>'
            f'<th>success rate</th><th>last success</th><th>next poll</th><th>entries and pages per poll</th></tr>'
            f'{rows}</table></body></html>')


def create_app(data_url: str | None = None) -> FastAPI:
    """The feed-health sub-application (``data_url`` defaults to NEWS_DATA_URL)."""
    app = FastAPI(title="newsingest feed health")
    _guard(app)

    def report() -> list[dict]:
        from newsingest.health import feed_health

        return feed_health(_data_url(data_url))

    @app.get("/feeds")
    def feeds() -> list[dict]:
        return report()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return health_page(report())

    return app


def create_digest_app(data_url: str | None = None) -> FastAPI:
    """The digest pages: the list of days and each day's self-contained page."""
    app = FastAPI(title="newsingest digest")
    _guard(app)

    def store():
        from newsingest.store import Store

        from newsingest.config import storage_options_from_env

        return Store(_data_url(data_url), storage_options_from_env())

    @app.get("/", response_class=HTMLResponse)
    def days() -> str:
        from newsingest.charts import digest_days

        items = "".join(f'<li><a href="{d}">{d}</a></li>' for d in digest_days(store()))
        return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>News digest</title>"
                f"<style>{STYLE}</style></head><body>{pages_header('/news-digest')}<h1>News digest</h1>"
                f"<ul id=days>{items or '<li>No digest yet: news_digest runs after news_ingest publishes.</li>'}"
                f"</ul></body></html>")

    @app.get("/{day}", response_class=HTMLResponse)
    def day_page(day: str) -> Response:
        if not DAY.match(day):
            raise HTTPException(404, f"not a day: {day!r} (YYYY-MM-DD)")
        body = store().read_bytes(f"digest/date={day}/index.html")
        if body is None:
            raise HTTPException(404, f"no digest for {day}")
        return HTMLResponse(body)

    return app


class FeedHealthPlugin(AirflowPlugin):
    name = "newsingest_feed_health"
    fastapi_apps = [
        {"app": create_app(), "url_prefix": PAGES[0][0], "name": PAGES[0][1]},
        {"app": create_digest_app(), "url_prefix": PAGES[1][0], "name": PAGES[1][1]},
    ]
    external_views = [
        {"name": "News ingest", "href": f"{PAGES[0][0]}/", "destination": "nav", "url_route": URL_ROUTE},
    ]
