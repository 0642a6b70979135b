"""In a real browser, inside the Airflow UI: the plugin's entry frames the feed-health
page at a clean address, links to the digest in the same frame, and a reload or a
bookmark of that address opens the same page (the api-server and Chromium of
``tests/test_browser.py``)."""

from __future__ import annotations

import pytest
from test_browser import airflow_ui, browser, login  # noqa: F401 - the same fixtures

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_the_plugin_entry_opens_feed_health_at_a_clean_address(airflow_ui, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    login(page, airflow_ui)
    base = airflow_ui["base"]

    page.goto(base + "/plugin/newsingest")          # where the UI's "News ingest" entry leads
    frame = page.frame_locator("iframe[title='News ingest']")
    frame.locator('tr[data-feed="daily-ledger-sport"]').wait_for()
    page.wait_for_url(base + "/plugin/newsingest/feed-health/")

    frame.get_by_role("link", name="News digest").click()     # the page's own header link
    frame.locator("#days").wait_for()
    page.wait_for_url(base + "/plugin/newsingest/news-digest/")

    page.goto(base + "/plugin/newsingest/feed-health/")       # a bookmark, or a reload
    frame.locator('tr[data-feed="daily-ledger-sport"]').wait_for()
    assert page.url == base + "/plugin/newsingest/feed-health/"
    context.close()
