"""The embedded demo news web: servers, feeds, pages, HTTP semantics and the manifest.

Fast (a few seconds): every publisher runs on its own loopback port for the module.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml
from markupsafe import escape

from newsingest_demo import build_manifest
from newsingest_demo.server import DemoWeb
from newsingest_demo.site import HERE, load_content, visible_text

FEED_ID = re.compile(r"^[a-z0-9-]+$")
CUTOFF = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without raising on HTTP errors: (status, headers, raw body)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with DemoWeb() as running:
        yield running


@pytest.fixture(scope="module")
def manifest(web: DemoWeb) -> dict:
    return web.manifest


@pytest.fixture(scope="module")
def failing(manifest: dict) -> dict[str, dict]:
    return {f["feed_id"]: f for f in manifest["failing_feeds"]}


# ------------------------------------------------------------------ servers


def test_publishers_on_distinct_loopback_ports(web: DemoWeb) -> None:
    urls = web.publishers
    assert len(urls) >= 6
    ports = set()
    for base in urls.values():
        parts = urlsplit(base)
        assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
        ports.add(parts.port)
    assert len(ports) == len(urls)
    assert web.url("northgate", "/robots.txt") == urls["northgate"] + "/robots.txt"


def test_stop_releases_ports() -> None:
    with DemoWeb() as other:
        port = urlsplit(other.publishers["piedmont"]).port
        assert fetch(other.url("piedmont", "/"))[0] == 200
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))


def test_robots_txt_allows_crawling(web: DemoWeb) -> None:
    for pid in web.publishers:
        status, headers, body = fetch(web.url(pid, "/robots.txt"))
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain")
        assert "User-agent: *" in body.decode()


def test_unknown_path_is_404_html(web: DemoWeb) -> None:
    status, headers, _ = fetch(web.url("daily-ledger", "/no/such/page.html"))
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"


# ------------------------------------------------------------------ registry and feeds


def test_registry_format(web: DemoWeb, tmp_path: Path) -> None:
    feeds = web.registry()
    ids = [f["id"] for f in feeds]
    assert len(ids) == len(set(ids))
    for feed in feeds:
        assert FEED_ID.match(feed["id"])
        assert set(feed) >= {"id", "url", "publisher", "country"}
        assert re.fullmatch(r"[A-Z]{2}", feed["country"])
        assert feed["url"].startswith("http://127.0.0.1:")
    path = web.write_registry(tmp_path / "feeds.yaml")
    assert yaml.safe_load(path.read_text())["feeds"] == feeds


def test_working_feeds_parse_and_cover_every_copy(
    web: DemoWeb, manifest: dict, failing: dict
) -> None:
    versions = set()
    linked: set[tuple[str, str]] = set()
    by_url = {f["url"]: f for f in web.registry()}
    bases = {base: pid for pid, base in web.publishers.items()}
    for url, feed in by_url.items():
        if feed["id"] in failing:
            continue
        status, headers, body = fetch(url)
        assert status == 200, feed["id"]
        assert "charset=utf-8" in headers["Content-Type"]
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (feed["id"], parsed.get("bozo_exception"))
        assert parsed.entries, feed["id"]
        versions.add(parsed.version)
        for entry in parsed.entries:
            parts = urlsplit(entry.link)
            pid = bases[f"{parts.scheme}://{parts.netloc}"]
            linked.add((pid, parts.path + (f"?{parts.query}" if parts.query else "")))
    assert {"rss20", "atom10", "rss10"} <= versions
    for story in manifest["stories"]:
        for copy in story["copies"]:
            assert (copy["publisher_id"], copy["feed_link_path"]) in linked, copy


def test_feed_links_carry_tracking_parameters(manifest: dict) -> None:
    links = [c["feed_link_path"] for s in manifest["stories"] for c in s["copies"]]
    assert any("utm_source=rss" in link for link in links)
    assert any("fbclid=" in link for link in links)


def test_http_500_feed(web: DemoWeb, failing: dict) -> None:
    spec = next(f for f in failing.values() if f["failure"] == "http-500")
    status, _, _ = fetch(web.url(spec["publisher_id"], spec["path"]))
    assert status == 500


def test_malformed_feeds_fail_to_parse(web: DemoWeb, failing: dict) -> None:
    kinds = {f["failure"] for f in failing.values()}
    assert {"http-500", "html-instead-of-feed", "truncated-xml"} <= kinds
    for spec in failing.values():
        if spec["failure"] == "http-500":
            continue
        status, headers, body = fetch(web.url(spec["publisher_id"], spec["path"]))
        assert status == 200
        parsed = feedparser.parse(body)
        assert parsed.bozo and not parsed.entries, spec["feed_id"]
        if spec["failure"] == "html-instead-of-feed":
            assert headers["Content-Type"].startswith("text/html")
            assert body.lstrip().lower().startswith(b"<!doctype html")


def test_failing_feeds_are_in_registry(web: DemoWeb, failing: dict) -> None:
    assert set(failing) <= {f["id"] for f in web.registry()}


def test_broken_link_listed_in_feed_answers_404(web: DemoWeb, manifest: dict) -> None:
    assert manifest["broken_links"]
    registry = {f["id"]: f["url"] for f in web.registry()}
    for broken in manifest["broken_links"]:
        url = web.url(broken["publisher_id"], broken["path"])
        parsed = feedparser.parse(fetch(registry[broken["feed_id"]])[2])
        assert url in {e.link for e in parsed.entries}
        assert fetch(url)[0] == 404


# ------------------------------------------------------------------ HTTP semantics


def test_conditional_get_answers_304(web: DemoWeb) -> None:
    for feed in web.registry():
        if feed["id"] != "daily-ledger-news":
            continue
        status, headers, _ = fetch(feed["url"])
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert fetch(feed["url"], {"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(feed["url"], {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(feed["url"], {"If-None-Match": '"stale"'})[0] == 200
        assert fetch(feed["url"], {"If-Modified-Since": "Sat, 01 Nov 2025 00:00:00 GMT"})[0] == 200


def test_feeds_are_stable_between_requests(web: DemoWeb) -> None:
    for feed in web.registry()[:3]:
        assert fetch(feed["url"])[2] == fetch(feed["url"])[2]


def test_gzip_when_asked(web: DemoWeb) -> None:
    """Exactly the publishers whose manifest quirks say ``gzip`` compress when asked."""
    gz_hosts = {p["publisher_id"] for p in web.manifest["publishers"] if "gzip" in p["quirks"]}
    assert gz_hosts == {"northgate"}
    for pub in web.manifest["publishers"]:
        url = web.url(pub["publisher_id"], pub["feeds"][0]["path"])
        plain = fetch(url)[2]
        status, headers, body = fetch(url, {"Accept-Encoding": "gzip"})
        if pub["publisher_id"] not in gz_hosts:
            assert "Content-Encoding" not in headers and body == plain, pub["publisher_id"]
            continue
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(body) == plain
        assert fetch(url, {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})[0] == 304


# ------------------------------------------------------------------ pages


def test_every_copy_serves_a_full_html_page(web: DemoWeb, manifest: dict) -> None:
    pubs = {p["publisher_id"]: p for p in manifest["publishers"]}
    canonical = jsonld = 0
    for story in manifest["stories"]:
        for copy in story["copies"]:
            url = web.url(copy["publisher_id"], copy["feed_link_path"])
            status, headers, body = fetch(url)
            assert status == 200, url
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            page = body.decode("utf-8")
            text = visible_text(page)
            pub = pubs[copy["publisher_id"]]
            assert re.search(r'<html lang="[a-z]{2}-[A-Z]{2}">', page)
            assert visible_text(f"<title>{copy['headline']} | {pub['name']}</title>") in text
            assert '<meta name="description"' in page and 'property="og:title"' in page
            has_canonical = 'rel="canonical"' in page
            has_jsonld = '"@type": "NewsArticle"' in page
            assert has_canonical == ("canonical" in pub["quirks"]), copy["path"]
            assert has_jsonld == ("json-ld" in pub["quirks"]), copy["path"]
            canonical += has_canonical
            jsonld += has_jsonld
            body_html = page[page.index("<body") :]
            repeats = body_html.count(str(escape(copy["headline"])))
            assert (repeats >= 2) == pub["headline_repeated_in_body"], copy["path"]
            for sentence in story["must_contain"]:
                assert sentence in text, (copy["path"], sentence)
            for phrase in pub["boilerplate"]:
                assert phrase in text, (copy["publisher_id"], phrase)
    total = sum(len(s["copies"]) for s in manifest["stories"])
    assert total / 2 < canonical < total
    assert 0 < jsonld < total


def test_templates_are_distinct(web: DemoWeb, manifest: dict) -> None:
    skeletons = set()
    for pid in web.publishers:
        story = next(s for s in manifest["stories"] if s["copies"][0]["publisher_id"] == pid)
        page = fetch(web.url(pid, story["copies"][0]["path"]))[2].decode()
        skeletons.add(tuple(re.findall(r'class="([^"]+)"', page)[:8]))
    assert len(skeletons) == len(web.publishers)


def test_wordpress_comment_form_inside_article(web: DemoWeb, manifest: dict) -> None:
    story = next(s for s in manifest["stories"] if s["copies"][0]["publisher_id"] == "border-notes")
    page = fetch(web.url("border-notes", story["copies"][0]["path"]))[2].decode()
    article = page[page.index("<article") : page.index("</article>")]
    for phrase in ("Leave a Reply", "Please enter your comment!", "Tags:"):
        assert phrase in article


# ------------------------------------------------------------------ manifest


def test_manifest_counts(manifest: dict, web: DemoWeb) -> None:
    counts = manifest["counts"]
    assert counts["distinct_stories"] == len(manifest["stories"]) >= 60
    assert len({c for s in manifest["stories"] for c in s["countries_about"]}) >= 20
    sizes = [len(s["copies"]) for s in manifest["stories"]]
    assert counts["duplicate_groups"] == sum(n > 1 for n in sizes) >= 10
    assert max(sizes) >= 4 and sum(n >= 3 for n in sizes) >= 3
    assert counts["publishers"] == len(manifest["publishers"]) == len(web.publishers) >= 6


def test_manifest_is_up_to_date_and_consistent() -> None:
    built = build_manifest.build()
    assert build_manifest.render(built) == (HERE / "manifest.json").read_text("utf-8")
    assert build_manifest.validate(built) == []


def test_stories_dated_in_the_past(manifest: dict) -> None:
    for story in manifest["stories"]:
        for copy in story["copies"]:
            stamp = dt.datetime.fromisoformat(copy["published_at"].replace("Z", "+00:00"))
            assert dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc) < stamp < CUTOFF


def test_must_not_contain_absent_from_story_text(manifest: dict) -> None:
    content = load_content()
    for story in manifest["stories"]:
        copies = [c for c in content.copies if c.story_id == story["story_id"]]
        for copy in copies:
            body = " ".join(copy.paragraphs)
            for phrase in story["must_not_contain"]:
                assert phrase not in body, (story["story_id"], phrase)


def test_hard_negatives(manifest: dict) -> None:
    content = load_content()
    paras = {s.id: s.paragraphs for s in content.stories}
    assert len(manifest["hard_negatives"]) >= 2
    for neg in manifest["hard_negatives"]:
        a, b = neg["stories"]
        shared = set(paras[a]) & set(paras[b])
        assert shared, "a hard negative should share text with its look-alike"
        assert len(shared) < min(len(paras[a]), len(paras[b]))


def test_syndicated_copies_are_edited(manifest: dict) -> None:
    content = load_content()
    groups = [s for s in manifest["stories"] if len(s["copies"]) > 1]
    retitled = sum(len({c["headline"] for c in s["copies"]}) == len(s["copies"]) for s in groups)
    assert retitled == len(groups)
    texts = {(c.story_id, c.publisher_id): " ".join(c.paragraphs) for c in content.copies}
    assert any("\u201c" in t for t in texts.values()), "some copy should use curly quotes"
    assert sum("Reporting by" in t for t in texts.values()) >= 5


def test_ambiguous_names_are_covered(manifest: dict) -> None:
    content = load_content()
    text = {s.id: s.headline + " " + " ".join(s.paragraphs) for s in content.stories}
    about = {s.id: set(s.about) for s in content.stories}

    def both(word: str, code: str) -> None:
        yes = [i for i, t in text.items() if word in t and code in about[i]]
        no = [i for i, t in text.items() if word in t and code not in about[i]]
        assert len(yes) >= 2 and len(no) >= 2, (word, yes, no)

    both("Georgia", "GE")
    both("Jordan", "JO")
    both("Chad", "TD")
    both("Niger", "NE")
    assert any("Türkiye" in t for t in text.values())
    assert any("turkey" in t for t in text.values())
    assert any("guinea pig" in t for t in text.values())
    assert any("U.S. dollars" in t for t in text.values())
    assert any("New Jersey" in t for t in text.values()) and "JE" in {
        c for a in about.values() for c in a
    }
    assert {"CG", "CD"} <= {c for a in about.values() for c in a}


# ------------------------------------------------------------------ fixtures and CLI


def test_fixture_files_explain_themselves() -> None:
    for path in sorted((HERE / "content").glob("*.yaml")):
        assert path.read_text("utf-8").startswith("#"), path.name
    for path in sorted((HERE / "templates").glob("*.j2")):
        head = path.read_text("utf-8").split("\n", 2)
        assert any(line.startswith("{#") for line in head[:2]), path.name


def test_demo_stands_alone() -> None:
    for path in HERE.glob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"^\s*(from|import)\s+(newsingest|airflow)\b", source, re.M), path


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    registry, ready = tmp_path / "feeds.yaml", tmp_path / "ready.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsingest_demo",
            "serve",
            "--registry",
            str(registry),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "demo web did not become ready"
            time.sleep(0.05)
        feeds = yaml.safe_load(registry.read_text())["feeds"]
        assert fetch(feeds[0]["url"])[0] == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not ready.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
