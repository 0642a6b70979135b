"""In a real browser: log in to Airflow, open the DAG, the feed-health page and a digest page.

Headless Chromium from Debian's ``chromium-headless-shell`` package, driven by Playwright
with ``executable_path`` (Playwright's own browser download is not used). The Airflow
api-server runs on a free loopback port over the data of real ``news_ingest`` and
``news_digest`` runs (``newsrun.demo_data``), with the Simple auth manager and a generated
password; it is stopped at the end. Screenshots are checked to be real pictures; with
``NEWS_UPDATE_SCREENSHOTS=1`` they are also copied to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from conftest import REPO
from newsrun import demo_data

pytestmark = pytest.mark.usefixtures("airflow_db")

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium-headless-shell",
                       "/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "docs" / "screenshots"


def chromium() -> str:
    """Debian's headless Chromium; installed with apt-get when missing and we are root."""
    override = os.environ.get("NEWS_CHROMIUM")
    found = [p for p in ((override,) if override else CHROMIUM_CANDIDATES) if p and os.access(p, os.X_OK)]
    if not found and not override and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium-headless-shell"], check=True,
                       env=env, timeout=900)
        found = [p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)]
    assert found, ("no headless Chromium: install Debian's chromium-headless-shell "
                   "(apt-get install chromium-headless-shell) or set NEWS_CHROMIUM")
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def airflow_ui(tmp_path_factory):
    """A running api-server (loopback, free port) over the demo runs; stopped afterwards."""
    runs = demo_data()
    home = Path(os.environ["AIRFLOW_HOME"])
    work = tmp_path_factory.mktemp("ui")
    port = free_port()
    env = {**os.environ,
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
           "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
           "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
           "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "analyst:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(work / "passwords.json"),
           "NEWS_DATA_URL": str(runs["data"])}
    log = open(work / "api-server.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), "api-server", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, cwd=str(home), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (work / "api-server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "api-server not healthy: " + (work / "api-server.log").read_text()[-3000:]
            time.sleep(1)
        password = json.loads((work / "passwords.json").read_text())["analyst"]
        yield {"base": base, "user": "analyst", "password": password, **runs}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """Save a screenshot, check it is a real picture, copy it to docs/ on request."""
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    image = Image.open(io.BytesIO(target.read_bytes())).convert("L")
    assert image.size == (1280, 800)
    assert ImageStat.Stat(image).stddev[0] > 8, f"{name}: blank screenshot"
    assert len(image.getcolors(1 << 16)) > 30, f"{name}: too few colours for a rendered page"
    if os.environ.get("NEWS_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        small = Image.open(target).convert("RGB").resize((960, 600), Image.LANCZOS)
        small.quantize(colors=256).save(SCREENSHOTS / f"{name}.png", optimize=True)
    return target


def login(page, ui) -> None:
    page.goto(ui["base"] + "/")
    page.wait_for_url("**/auth/login**", timeout=60_000)
    page.locator("input[name=username]").fill(ui["user"])
    page.locator("input[name=password]").fill(ui["password"])
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)


def test_pages_without_login_go_to_the_login_page(airflow_ui, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(airflow_ui["base"] + "/feed-health/")
    assert "/auth/login" in page.url
    assert page.locator("input[name=password]").is_visible()
    response = context.request.get(airflow_ui["base"] + "/feed-health/feeds")
    assert response.status == 401
    context.close()


def test_analyst_sees_dag_feed_health_and_digest(airflow_ui, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    login(page, airflow_ui)
    base = airflow_ui["base"]

    page.goto(base + "/dags/news_ingest")
    page.get_by_text("news_ingest").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("publish").first.is_visible() or page.get_by_text("Runs").first.is_visible()
    screenshot(page, "dag", tmp_path)

    page.goto(base + "/feed-health/")
    row = page.locator('tr[data-feed="daily-ledger-sport"]')
    row.wait_for()
    text = row.inner_text()
    assert "HTTP 500 Internal Server Error" in text and "http_status" in text
    assert "backing off" in text  # the second run skipped it; the cause is still shown
    assert page.locator('tr[data-feed="northgate-world"]').get_by_text("not modified").is_visible()
    assert page.locator("tr[data-feed] svg").count() >= 2 * page.locator("tr[data-feed]").count()
    screenshot(page, "feed-health", tmp_path)

    page.goto(base + "/news-digest/")
    page.get_by_role("link", name=airflow_ui["day"]).click()
    page.wait_for_url(f"**/news-digest/{airflow_ui['day']}")
    chart = page.locator('img[data-chart="countries"]')
    chart.wait_for()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 300")
    assert page.locator("table#countries tr").count() > 10
    assert "News digest " + airflow_ui["day"] in page.title()
    screenshot(page, "digest", tmp_path)
    context.close()
