"""URL canonicalisation: trackers, AMP variants, case, ports, fragments, slashes."""

import pytest

from newsingest.urls import canonicalize_url, is_tracker_param

BASE = "https://example.com/news/2026/11/24/port-strike"


@pytest.mark.parametrize("url", [
    BASE,
    BASE + "/",
    "HTTPS://Example.COM/news/2026/11/24/port-strike",
    "https://www.example.com/news/2026/11/24/port-strike",
    "http://example.com/news/2026/11/24/port-strike",
    "https://example.com:443/news/2026/11/24/port-strike",
    BASE + "#comments",
    BASE + "?utm_source=twitter&utm_medium=social&utm_campaign=x",
    BASE + "?fbclid=IwAR0abc&gclid=xyz&mc_cid=1&mc_eid=2",
    BASE + "/amp",
    BASE + "/amp/",
    "https://example.com/amp/news/2026/11/24/port-strike",
    "https://amp.example.com/news/2026/11/24/port-strike",
    BASE + "?amp=1",
    BASE + ".amp",
    "https://example.com/news/2026/11/24//port-strike",
])
def test_variants_fold_to_one_key(url):
    assert canonicalize_url(url) == BASE


def test_amp_html_suffix():
    assert canonicalize_url("https://example.com/a/story.amp.html") == "https://example.com/a/story.html"


def test_remaining_params_sorted_and_kept():
    got = canonicalize_url(BASE + "?page=2&id=7&utm_term=x")
    assert got == BASE + "?id=7&page=2"


def test_non_default_port_kept():
    assert canonicalize_url("http://example.com:8080/x/") == "https://example.com:8080/x"


def test_root_path_and_empty():
    assert canonicalize_url("https://Example.com") == "https://example.com/"
    assert canonicalize_url("") == ""


def test_tracker_list_is_data():
    assert is_tracker_param("utm_anything") and is_tracker_param("FBCLID")
    assert not is_tracker_param("id") and not is_tracker_param("page")


def test_unicode_path_percent_encoded_once():
    assert canonicalize_url("https://example.com/a%20b/caf\u00e9") == canonicalize_url(
        "https://example.com/a b/caf%C3%A9")
