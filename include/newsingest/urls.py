"""URL canonicalisation for duplicate detection.

``canonicalize_url`` maps the many spellings of one page to one string: scheme and
host lower-cased, default port, fragment and ``www.``-less AMP host dropped, tracker
parameters removed (the list is data: ``data/url_trackers.txt``), AMP variants
(``/amp/``, ``/amp``, ``.amp.html``, ``?amp=1``, ``amp.`` subdomain) folded to the
plain page, remaining query parameters sorted, and a trailing slash removed from
non-root paths. The result is a key for comparison, not necessarily a fetchable URL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_PATH_RES = (
    re.compile(r"/amp/?$"),                 # /story/amp  /story/amp/
    re.compile(r"^/amp(?=/)"),              # /amp/story
    re.compile(r"/amp(?=/)"),               # /section/amp/story
)
_AMP_SUFFIX_RE = re.compile(r"\.amp(?=\.html?$)|\.amp$")   # story.amp.html  story.amp
_MULTI_SLASH_RE = re.compile(r"/{2,}")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def _load_trackers() -> tuple[frozenset[str], tuple[str, ...]]:
    text = resources.files("newsingest").joinpath("data/url_trackers.txt").read_text("utf-8")
    exact: set[str] = set()
    prefixes: list[str] = []
    for line in text.splitlines():
        name = line.strip().lower()
        if not name or name.startswith("#"):
            continue
        if name.endswith("*"):
            prefixes.append(name[:-1])
        else:
            exact.add(name)
    return frozenset(exact), tuple(prefixes)


TRACKER_PARAMS, TRACKER_PREFIXES = _load_trackers()


def is_tracker_param(name: str) -> bool:
    """True for a query parameter that only tracks the click (``utm_source``...)."""
    low = name.lower()
    return low in TRACKER_PARAMS or low.startswith(TRACKER_PREFIXES)


def _clean_path(path: str) -> str:
    return _tidy_path(quote(unquote(path), safe=_SAFE_PATH) or "/")


def _tidy_path(path: str) -> str:
    """Collapse slashes, fold AMP variants, drop a trailing slash and index pages."""
    if "//" in path:
        path = _MULTI_SLASH_RE.sub("/", path)
    if "amp" in path:
        for amp_re in _AMP_PATH_RES:
            path = amp_re.sub("", path) or "/"
        path = _AMP_SUFFIX_RE.sub("", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    if path.endswith(("/index.html", "/index.htm", "/index.php")):
        path = path.rsplit("/", 1)[0] or "/"
    return path or "/"


def _clean_host(host: str) -> str:
    """Lower case, no trailing dot, no ``amp.`` or ``www.`` prefix."""
    host = host.lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    if host.startswith("www."):
        host = host[4:]
    return host


# a URL whose path needs no escaping and that has no user, port, query or fragment
_PLAIN_URL_RE = re.compile(r"https?://([A-Za-z0-9.-]+)(/[A-Za-z0-9._~/-]*)?")


@lru_cache(maxsize=65536)
def canonicalize_url(url: str) -> str:
    """Return the comparison key of ``url`` (see the module docstring)."""
    raw = (url or "").strip()
    if not raw:
        return ""
    plain = _PLAIN_URL_RE.fullmatch(raw)
    if plain:   # the common case, without urllib (the same result)
        return "https://" + _clean_host(plain[1]) + _tidy_path(plain[2] or "/")
    if raw.startswith("//"):
        raw = "https:" + raw
    parts = urlsplit(raw)
    scheme = (parts.scheme or "http").lower()
    if scheme == "http":
        scheme = "https"  # one page served over both schemes is one page
    host = _clean_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port and port not in DEFAULT_PORTS.values():
        netloc = f"{host}:{port}"
    path = _clean_path(parts.path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not is_tracker_param(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote), ""))
