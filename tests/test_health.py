"""Feed health: the library report and the Airflow plugin's endpoints over real Parquet."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta, timezone

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


def test_plugin_serves_json_and_html(tmp_path):
    from fastapi.testclient import TestClient

    write_polls(str(tmp_path))
    spec = importlib.util.spec_from_file_location("feed_health_plugin", REPO / "plugins" / "feed_health.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.FeedHealthPlugin.fastapi_apps[0]["url_prefix"] == "/feed-health"
    client = TestClient(module.create_app(str(tmp_path)))
    feeds = client.get("/feeds").json()
    assert [f["feed_id"] for f in feeds] == ["broken", "good"]
    page = client.get("/")
    assert page.status_code == 200 and "<td>broken</td>" in page.text and "HTTP 500" in page.text
