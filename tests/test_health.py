"""Feed health: the library report and the Airflow plugin's endpoints over real Parquet."""

from __future__ import annotations

import importlib.util
import re
import secrets
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from conftest import REPO
from newsingest.health import feed_health
from newsingest.schema import FEED_POLLS, to_table
from newsingest.store import Store, run_key

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def write_polls(root: str) -> None:
    store = Store(root)
    for i in range(3):
        run = f"scheduled__run{i}"
        rows = [
            {"run_id": run, "feed_id": "good", "url": "https://a.example/rss", "publisher": "A",
             "polled_at": T0 + timedelta(minutes=30 * i), "status": "ok" if i != 1 else "not_modified",
             "http_status": 200 if i != 1 else 304, "new_entries": 2, "consecutive_failures": 0},
            {"run_id": run, "feed_id": "broken", "url": "https://b.example/rss", "publisher": "B",
             "polled_at": T0 + timedelta(minutes=30 * i), "status": "ok" if i == 0 else "error",
             "http_status": 200 if i == 0 else 500, "error_kind": None if i == 0 else "http_status",
             "error": None if i == 0 else "HTTP 500 from https://b.example/rss",
             "consecutive_failures": max(0, i)},
        ]
        store.publish("feed_polls", "2026-11-20", run_key(run), [("", to_table(FEED_POLLS, rows))])


def test_feed_health_report_ranks_failing_feeds_first(tmp_path):
    write_polls(str(tmp_path))
    report = feed_health(str(tmp_path))
    assert [r["feed_id"] for r in report] == ["broken", "good"]
    broken, good = report
    assert broken["consecutive_failures"] == 2 and broken["last_status"] == "error"
    assert broken["success_rate"] == round(1 / 3, 3) and broken["last_ok_at"] == T0
    assert "HTTP 500" in broken["last_error"]
    assert good["success_rate"] == 1.0 and good["new_entries"] == 6
    assert feed_health(str(tmp_path / "empty")) == []


def write_backoff(root: str, days: int = 3) -> None:
    """A feed fails with HTTP 500 on day 1 and backs off after; one poll file per day."""
    store = Store(root)
    for i in range(days):
        run = f"scheduled__day{i}"
        at = T0 + timedelta(days=i)
        failing = {"status": "error", "http_status": 500, "error_kind": "http_status",
                   "error": "HTTP 500 Internal Server Error from https://b.example/rss"} if i == 1 else \
            {"status": "skipped_backoff", "error": f"backing off until {at + timedelta(hours=6)}"} if i > 1 else \
            {"status": "ok", "http_status": 200, "entries": 5}
        rows = [
            {"run_id": run, "feed_id": "good", "url": "https://a.example/rss", "publisher": "A",
             "polled_at": at, "status": "ok", "http_status": 200, "entries": 10 + i, "new_entries": 2},
            {"run_id": run, "feed_id": "broken", "url": "https://b.example/rss", "publisher": "B",
             "polled_at": at, "consecutive_failures": 1 if i >= 1 else 0,
             "next_poll_at": at + timedelta(hours=6) if i >= 1 else None, **failing},
        ]
        store.publish("feed_polls", f"2026-11-{20 + i}", run_key(run), [("", to_table(FEED_POLLS, rows))])


def test_backoff_shows_the_error_that_caused_it(tmp_path):
    write_backoff(str(tmp_path))
    broken, good = feed_health(str(tmp_path))
    assert broken["last_status"] == "skipped_backoff" and broken["last_error"].startswith("backing off")
    assert broken["error_kind"] == "http_status" and "HTTP 500" in broken["error"]
    assert broken["error_at"] == T0 + timedelta(days=1) and broken["success_rate"] == 0.5
    assert [h["status"] for h in broken["history"]] == ["ok", "error", "skipped_backoff"]
    assert good["error"] is None and [h["entries"] for h in good["history"]] == [10, 11, 12]
    # the cause lies before the polls read: it is looked up further back
    only_last = feed_health(str(tmp_path), window=1)
    assert only_last[0]["polls"] == 1 and "HTTP 500" in only_last[0]["error"]


def test_reads_only_the_newest_partitions(tmp_path):
    write_backoff(str(tmp_path), days=3)
    old = tmp_path / "feed_polls" / "date=2026-11-01"
    old.mkdir()
    (old / "part-ancient.parquet").write_bytes(b"not parquet at all")  # reading it would raise
    report = feed_health(str(tmp_path), window=2)
    assert [r["feed_id"] for r in report] == ["broken", "good"] and report[1]["polls"] == 2
    try:
        feed_health(str(tmp_path), window=10)
    except Exception as exc:  # noqa: BLE001 - a window reaching the bad file does read it
        assert "parquet" in str(exc).lower() or "magic" in str(exc).lower()
    else:
        raise AssertionError("a window of 10 polls should have read the oldest file")


def load_plugin():
    spec = importlib.util.spec_from_file_location("feed_health_plugin", REPO / "plugins" / "feed_health.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def jwt_secret(monkeypatch):
    """A deployment's signing secret of a proper length (64 random bytes, as
    ``scripts/make-env.sh`` makes): without one, Airflow generates a 16-byte key and PyJWT
    warns that it is too short for HS512. Signer and validator are cached per process:
    rebuilt with this secret, and again afterwards."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import BaseAuthManager

    def clear() -> None:
        BaseAuthManager._get_token_signer.__func__.cache_clear()
        BaseAuthManager._get_token_validator.__func__.cache_clear()

    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(64))
    clear()
    with warnings.catch_warnings():
        from jwt.warnings import InsecureKeyLengthWarning

        warnings.simplefilter("error", InsecureKeyLengthWarning)   # a short key fails the test
        yield
    clear()


def airflow_token() -> str:
    """A UI token signed by the deployment's auth manager (Simple auth manager here)."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    manager = create_auth_manager()
    manager.init()
    return manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))


def test_plugin_requires_airflow_login_and_shows_the_real_error(tmp_path, airflow_db, jwt_secret):
    from fastapi.testclient import TestClient

    write_backoff(str(tmp_path))
    module = load_plugin()
    client = TestClient(module.create_app(str(tmp_path)))
    assert client.get("/feeds").status_code == 401
    token = airflow_token()
    page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login?next=")
    client.cookies.set("_token", token + "x")
    assert client.get("/feeds").status_code == 403
    client.cookies.set("_token", token)  # what the UI's login sets
    feeds = client.get("/feeds").json()
    assert [f["feed_id"] for f in feeds] == ["broken", "good"]
    page = client.get("/")
    assert page.status_code == 200 and 'data-feed="broken"' in page.text
    assert "HTTP 500 Internal Server Error" in page.text and "backing off" in page.text
    bearer = TestClient(module.create_app(str(tmp_path)))  # API clients: Authorization header
    assert bearer.get("/feeds", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def ui_address(url_route: str, framed_path: str) -> str:
    """The address bar of Airflow 3.3's UI while it frames ``framed_path`` for a nav entry:
    ``/plugin/<url_route>`` followed by the framed page's own path (its iframe URL sync,
    ``useIframeUrlSync``: ``basePath + pathname``; the reverse on a reload)."""
    return f"/plugin/{url_route}{framed_path}"


def test_plugin_pages_have_clean_addresses_inside_the_ui(tmp_path, airflow_db, jwt_secret, monkeypatch):
    """The api-server mounts each FastAPI app at its ``url_prefix``; the UI frames the nav
    entry's ``href``. No address repeats a path segment (the old entry read
    ``/plugin/feed-health/feed-health/``), each page links to the other, a deep link
    loads the same page, and everything still needs the login."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    write_backoff(str(tmp_path))
    monkeypatch.setenv("NEWS_DATA_URL", str(tmp_path))
    module = load_plugin()
    plugin = module.FeedHealthPlugin
    api_server = FastAPI()
    for sub in plugin.fastapi_apps:       # what airflow.api_fastapi.app.init_plugins does
        api_server.mount(sub["url_prefix"], sub["app"])
    client = TestClient(api_server)
    routes = [v["url_route"] for v in plugin.external_views]
    assert len(set(routes)) == len(routes) and all(v["destination"] == "nav" for v in plugin.external_views)

    assert client.get(plugin.external_views[0]["href"], headers={"accept": "text/html"},
                      follow_redirects=False).status_code == 303          # to the login page
    client.cookies.set("_token", airflow_token())
    addresses = {}
    for view in plugin.external_views:
        page = client.get(view["href"])
        assert page.status_code == 200, page.text
        addresses[view["url_route"]] = ui_address(view["url_route"], page.url.path)
        links = re.findall(r'<nav class="pages">(.*?)</nav>', page.text)[0]
        for href in re.findall(r'href="([^"]+)"', links):       # the other page, in the same frame
            other = client.get(href)
            assert other.status_code == 200 and '<nav class="pages">' in other.text
            addresses[href] = ui_address(view["url_route"], other.url.path)
    assert addresses == {"newsingest": "/plugin/newsingest/feed-health/",
                         "/news-digest/": "/plugin/newsingest/news-digest/"}
    for address in addresses.values():
        segments = [s for s in address.split("/") if s]
        assert len(segments) == len(set(segments)), f"{address}: a segment repeats"
        # a reload: the UI frames the path after /plugin/<route>
        framed = address[len("/plugin/newsingest"):]
        assert client.get(framed).status_code == 200
    assert 'data-feed="broken"' in client.get("/feed-health/").text
