"""Settings from the environment and the validated feed registry.

Every setting has a default that suits a production deployment; the demo and the
tests override a few (private networks, politeness delays) through the environment.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pycountry
import yaml

from newsingest import __version__
from newsingest.errors import ConfigError

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "feeds.yaml"
FEED_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class FeedSpec:
    """One feed of the registry."""

    id: str
    url: str
    publisher: str
    country: str
    language: str | None = None


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _env_number(env: Mapping[str, str], name: str, default: float, kind: type = float,
                minimum: float = 0) -> Any:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a {kind.__name__}") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r}: must be >= {minimum}")
    return value


def _env_json_object(env: Mapping[str, str], name: str) -> dict[str, Any]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a JSON object such as "
                          f'{{"endpoint_url": "http://127.0.0.1:9000"}}, got {type(value).__name__}')
    return value


@dataclass(frozen=True)
class Settings:
    """Runtime settings; build with :meth:`from_env`. See the README's table."""

    feeds_path: Path = DEFAULT_REGISTRY
    data_url: str = "./data"
    allow_private_networks: bool = False
    user_agent: str = f"newsingest/{__version__} (news ingestion bot; +https://example.org/newsingest)"
    feed_group_size: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_feed_bytes: int = 10_000_000
    max_page_bytes: int = 5_000_000
    max_redirects: int = 5
    max_entries_per_feed: int = 200
    per_host_concurrency: int = 2
    host_interval: float = 1.0
    fetch_workers: int = 8
    fetch_retries: int = 2
    respect_robots: bool = True
    dedup_window_days: float = 4.0
    history_days: float = 7.0
    extra: dict[str, str] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)
    data_root_shared: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read every ``NEWS_*`` setting, with a clear error for a bad value."""
        env = os.environ if env is None else env
        d = cls()
        return cls(
            feeds_path=Path(env.get("NEWS_FEEDS") or d.feeds_path),
            data_url=env.get("NEWS_DATA_URL") or d.data_url,
            allow_private_networks=_env_bool(env, "NEWS_ALLOW_PRIVATE_NETWORKS", False),
            user_agent=env.get("NEWS_USER_AGENT") or d.user_agent,
            feed_group_size=_env_number(env, "NEWS_FEED_GROUP_SIZE", d.feed_group_size, int, 1),
            connect_timeout=_env_number(env, "NEWS_CONNECT_TIMEOUT", d.connect_timeout),
            read_timeout=_env_number(env, "NEWS_READ_TIMEOUT", d.read_timeout),
            total_timeout=_env_number(env, "NEWS_TOTAL_TIMEOUT", d.total_timeout),
            max_feed_bytes=_env_number(env, "NEWS_MAX_FEED_BYTES", d.max_feed_bytes, int, 1),
            max_page_bytes=_env_number(env, "NEWS_MAX_PAGE_BYTES", d.max_page_bytes, int, 1),
            max_redirects=_env_number(env, "NEWS_MAX_REDIRECTS", d.max_redirects, int),
            max_entries_per_feed=_env_number(
                env, "NEWS_MAX_ENTRIES_PER_FEED", d.max_entries_per_feed, int, 1),
            per_host_concurrency=_env_number(
                env, "NEWS_PER_HOST_CONCURRENCY", d.per_host_concurrency, int, 1),
            host_interval=_env_number(env, "NEWS_HOST_INTERVAL", d.host_interval),
            fetch_workers=_env_number(env, "NEWS_FETCH_WORKERS", d.fetch_workers, int, 1),
            fetch_retries=_env_number(env, "NEWS_FETCH_RETRIES", d.fetch_retries, int),
            respect_robots=_env_bool(env, "NEWS_RESPECT_ROBOTS", True),
            dedup_window_days=_env_number(env, "NEWS_DEDUP_WINDOW_DAYS", d.dedup_window_days),
            history_days=_env_number(env, "NEWS_HISTORY_DAYS", d.history_days),
            storage_options=_env_json_object(env, "NEWS_STORAGE_OPTIONS"),
            data_root_shared=_env_bool(env, "NEWS_DATA_ROOT_SHARED", False),
        )


def _validate_entry(index: int, raw: Any) -> FeedSpec:
    where = f"feed #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with id, url, publisher, country")
    if isinstance(raw.get("id"), str):
        where = f"feed #{index + 1} (id {raw['id']!r})"
    known = {"id", "url", "publisher", "country", "language"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name in ("id", "url", "publisher", "country"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ConfigError(f"{where}: field '{name}' is required and must be a non-empty string")
    feed_id = raw["id"].strip()
    if not FEED_ID_RE.match(feed_id):
        raise ConfigError(f"{where}: field 'id' must match [a-z0-9-] (1-64 chars, "
                          f"no leading/trailing dash), got {feed_id!r}")
    url = raw["url"].strip()
    if not re.match(r"^https?://[^/\s]+", url, re.I):
        raise ConfigError(f"{where}: field 'url' must be an absolute http(s) URL, got {url!r}")
    country = raw["country"].strip().upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise ConfigError(f"{where}: field 'country' must be an ISO 3166-1 alpha-2 code, "
                          f"got {raw['country']!r}")
    language = raw.get("language")
    if language is not None:
        if not isinstance(language, str) or not LANGUAGE_RE.match(language.strip()):
            raise ConfigError(f"{where}: field 'language' must be a language code such as "
                              f"'en' or 'pt-BR', got {language!r}")
        language = language.strip()
    return FeedSpec(feed_id, url, raw["publisher"].strip(), country, language)


def parse_registry(text: str, source: str = "<registry>") -> list[FeedSpec]:
    """Parse and validate registry YAML; the error names the entry and the field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("feeds"), list):
        raise ConfigError(f"{source}: expected a top-level 'feeds:' list")
    feeds: list[FeedSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["feeds"]):
        try:
            spec = _validate_entry(i, raw)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        if spec.id in seen:
            raise ConfigError(f"{source}: feed #{i + 1}: duplicate id {spec.id!r}")
        seen.add(spec.id)
        feeds.append(spec)
    return feeds


def load_registry(path: str | Path | None = None) -> list[FeedSpec]:
    """Load the feed registry from ``path`` (default: ``NEWS_FEEDS`` or include/feeds.yaml)."""
    path = Path(path) if path is not None else Settings.from_env().feeds_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"feed registry not found: {path} (set NEWS_FEEDS to its path)") from None
    return parse_registry(text, str(path))
