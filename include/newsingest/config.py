"""Settings from the environment and the validated feed registry.

Every setting has a default that suits a production deployment; the demo and the
tests override a few (private networks, politeness delays) through the environment.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import yaml

from newsingest import __version__
from newsingest.errors import ConfigError

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "feeds.yaml"
DEFAULT_SCHEDULE = "*/30 * * * *"
FEED_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]+$")     # printable ASCII: safe in an HTTP header
SCHEDULE_PRESETS = frozenset({"@once", "@continuous", "@hourly", "@daily", "@weekly",
                              "@monthly", "@quarterly", "@yearly", "@annually", "@midnight"})
# libyaml's loader parses a large registry about 10x faster than the pure-Python one
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FeedSpec:
    """One feed of the registry."""

    id: str
    url: str
    publisher: str
    country: str
    language: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "url": self.url, "publisher": self.publisher,
                "country": self.country, "language": self.language}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "FeedSpec":
        return cls(d["id"], d["url"], d["publisher"], d["country"], d.get("language"))


@dataclass(frozen=True)
class Bound:
    """The valid range of one numeric setting (as data: the README table says the same)."""

    env: str
    kind: type
    low: float
    high: float
    low_open: bool = False      # True: the value must be > low (not >=)

    def text(self) -> str:
        lo = f"> {_fmt(self.low)}" if self.low_open else f">= {_fmt(self.low)}"
        return f"{lo} and <= {_fmt(self.high)}"


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


# attribute -> valid range; every numeric setting is finite and inside its range
BOUNDS: dict[str, Bound] = {
    "feed_group_size": Bound("NEWS_FEED_GROUP_SIZE", int, 1, 10_000),
    "connect_timeout": Bound("NEWS_CONNECT_TIMEOUT", float, 0, 300, low_open=True),
    "read_timeout": Bound("NEWS_READ_TIMEOUT", float, 0, 600, low_open=True),
    "total_timeout": Bound("NEWS_TOTAL_TIMEOUT", float, 0, 3600, low_open=True),
    "max_feed_bytes": Bound("NEWS_MAX_FEED_BYTES", int, 1024, 1_000_000_000),
    "max_page_bytes": Bound("NEWS_MAX_PAGE_BYTES", int, 1024, 1_000_000_000),
    "max_redirects": Bound("NEWS_MAX_REDIRECTS", int, 0, 20),
    "max_entries_per_feed": Bound("NEWS_MAX_ENTRIES_PER_FEED", int, 1, 100_000),
    "per_host_concurrency": Bound("NEWS_PER_HOST_CONCURRENCY", int, 1, 64),
    "host_interval": Bound("NEWS_HOST_INTERVAL", float, 0, 3600),
    "fetch_workers": Bound("NEWS_FETCH_WORKERS", int, 1, 256),
    "fetch_retries": Bound("NEWS_FETCH_RETRIES", int, 0, 10),
    "dedup_window_days": Bound("NEWS_DEDUP_WINDOW_DAYS", float, 0, 365, low_open=True),
    "history_days": Bound("NEWS_HISTORY_DAYS", float, 0, 3650, low_open=True),
    "lock_ttl": Bound("NEWS_LOCK_TTL", float, 0.5, 86_400),
    "lock_wait": Bound("NEWS_LOCK_WAIT", float, 0, 86_400),
}
BOOLS = {"allow_private_networks": "NEWS_ALLOW_PRIVATE_NETWORKS",
         "respect_robots": "NEWS_RESPECT_ROBOTS",
         "data_root_shared": "NEWS_DATA_ROOT_SHARED"}


def _raw(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value, None when unset; an empty value is an error, not the default."""
    raw = env.get(name)
    if raw is not None and not raw.strip():
        raise ConfigError(f"{name}={raw!r}: empty; unset the variable to use the default")
    return raw


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _raw(env, name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def check_number(bound: Bound, value: Any, shown: Any = None) -> Any:
    """``value`` as ``bound.kind`` if finite and in range; else ConfigError naming the variable."""
    shown = value if shown is None else shown
    try:
        number = bound.kind(value)
    except (TypeError, ValueError, OverflowError):
        what = "an integer" if bound.kind is int else "a number"
        raise ConfigError(f"{bound.env}={shown!r}: expected {what} "
                          f"({bound.text()})") from None
    if bound.kind is float and not math.isfinite(number):
        raise ConfigError(f"{bound.env}={shown!r}: must be a finite number ({bound.text()})")
    too_low = number <= bound.low if bound.low_open else number < bound.low
    if too_low:
        op = ">" if bound.low_open else ">="
        raise ConfigError(f"{bound.env}={shown!r}: must be {op} {_fmt(bound.low)} "
                          f"(valid: {bound.text()})")
    if number > bound.high:
        raise ConfigError(f"{bound.env}={shown!r}: must be <= {_fmt(bound.high)} "
                          f"(valid: {bound.text()})")
    return number


def _env_number(env: Mapping[str, str], attr: str, default: Any) -> Any:
    bound = BOUNDS[attr]
    raw = _raw(env, bound.env)
    if raw is None:
        return default
    return check_number(bound, raw.strip(), raw)


def check_user_agent(value: str, name: str = "NEWS_USER_AGENT") -> str:
    """A User-Agent that is safe in an HTTP header: printable ASCII, 1-512 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > 512 \
            or not _HEADER_SAFE.fullmatch(value):
        raise ConfigError(f"{name}={value!r}: must be 1-512 printable ASCII characters "
                          "(no CR, LF or other control characters)")
    return value.strip()


def check_data_url(value: str, name: str = "NEWS_DATA_URL") -> str:
    """A local path or an fsspec URL whose protocol is known (its backend may still need installing)."""
    if not isinstance(value, str) or not value.strip() or any(ord(c) < 32 for c in value):
        raise ConfigError(f"{name}={value!r}: must be a non-empty local path or URL "
                          "without control characters")
    return value.strip()


def check_schedule(value: str | None, name: str = "NEWS_SCHEDULE") -> str | None:
    """A cron expression or an Airflow preset (``@daily``...); ``none`` for manual runs only.

    Light on purpose: the DAG file calls it at parse time (croniter, no Airflow import).
    """
    if value is None:
        return DEFAULT_SCHEDULE
    raw = value
    value = value.strip()
    if not value:
        raise ConfigError(f"{name}={raw!r}: empty; unset the variable to use the default "
                          f"{DEFAULT_SCHEDULE!r}")
    if value.lower() == "none":
        return None
    if value.startswith("@"):
        if value.lower() in SCHEDULE_PRESETS:
            return value.lower()
        raise ConfigError(f"{name}={raw!r}: unknown preset; use a cron expression such as "
                          f"'*/30 * * * *' or one of {', '.join(sorted(SCHEDULE_PRESETS))}, "
                          "or 'none'")
    from croniter import croniter

    if len(value.split()) not in (5, 6) or not croniter.is_valid(value):
        raise ConfigError(f"{name}={raw!r}: not a valid cron expression (five fields: minute "
                          "hour day-of-month month day-of-week, e.g. '*/30 * * * *'), "
                          "preset ('@daily') or 'none'")
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


def storage_options_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``NEWS_STORAGE_OPTIONS`` alone (for readers such as the digest and feed health)."""
    return _env_json_object(os.environ if env is None else env, "NEWS_STORAGE_OPTIONS")


@dataclass(frozen=True)
class Settings:
    """Runtime settings; build with :meth:`from_env`. See the README's table.

    Constructing one checks every value (finite, in range); an invalid value raises
    ConfigError naming the variable.
    """

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
    dedup_window_days: float = 5.0
    history_days: float = 7.0
    lock_ttl: float = 600.0
    lock_wait: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)
    data_root_shared: bool = False

    def __post_init__(self) -> None:
        for attr, bound in BOUNDS.items():
            value = getattr(self, attr)
            if isinstance(value, bool) or (bound.kind is int and not isinstance(value, int)):
                raise ConfigError(f"{bound.env}={value!r}: expected an integer ({bound.text()})")
            object.__setattr__(self, attr, check_number(bound, value))
        check_user_agent(self.user_agent)
        check_data_url(self.data_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read every ``NEWS_*`` setting, with a clear error for a bad value."""
        env = os.environ if env is None else env
        d = cls()
        feeds = _raw(env, "NEWS_FEEDS")
        data_url = _raw(env, "NEWS_DATA_URL")
        user_agent = _raw(env, "NEWS_USER_AGENT")
        if user_agent is not None:
            check_user_agent(user_agent)
        if data_url is not None:
            check_data_url(data_url)
        numbers = {attr: _env_number(env, attr, getattr(d, attr)) for attr in BOUNDS}
        bools = {attr: _env_bool(env, name, getattr(d, attr)) for attr, name in BOOLS.items()}
        return cls(feeds_path=Path(feeds) if feeds is not None else d.feeds_path,
                   data_url=data_url.strip() if data_url is not None else d.data_url,
                   user_agent=user_agent.strip() if user_agent is not None else d.user_agent,
                   storage_options=_env_json_object(env, "NEWS_STORAGE_OPTIONS"),
                   **numbers, **bools)


REQUIRED_FIELDS = ("id", "url", "publisher", "country")
KNOWN_FIELDS = frozenset({*REQUIRED_FIELDS, "language"})


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def _yaml_type_hint(name: str, value: Any) -> str:
    """Why a non-string value is not accepted, and how to write it instead."""
    if isinstance(value, bool):
        return (f"field '{name}' must be a string, got the YAML boolean {str(value).lower()} "
                f"(YAML reads unquoted yes/no/on/off/true/false/y/n as booleans): quote the "
                f"value, e.g. {name}: \"NO\"")
    if isinstance(value, (int, float)):
        return (f"field '{name}' must be a string, got the YAML number {value!r}: quote the "
                f"value, e.g. {name}: \"{value}\"")
    return f"field '{name}' must be a string, got {type(value).__name__} {value!r}"


def _check_url(url: str) -> str | None:
    """Why ``url`` is not a usable feed address, or None."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "contains a space or control character (percent-encode a space as %20)"
    if not re.match(r"^https?://", url, re.I):
        return "must be an absolute http(s) URL"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed ({exc})"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "port 0 is not a valid port"
    return None


def _validate_entry(index: int, raw: Any) -> FeedSpec:
    where = f"feed #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with id, url, publisher, country")
    if isinstance(raw.get("id"), (str, int)) and not isinstance(raw.get("id"), bool):
        where = f"feed #{index + 1} (id {raw['id']!r})"
    unknown = sorted(str(k) for k in raw if k not in KNOWN_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name in REQUIRED_FIELDS:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{where}: field '{name}' is required and must be a non-empty string")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {_yaml_type_hint(name, value)}")
    feed_id = raw["id"].strip()
    if not FEED_ID_RE.match(feed_id):
        raise ConfigError(f"{where}: field 'id' must match [a-z0-9-] (1-64 chars, "
                          f"no leading/trailing dash), got {feed_id!r}")
    url = raw["url"].strip()
    problem = _check_url(url)
    if problem:
        raise ConfigError(f"{where}: field 'url' {problem}, got {url!r}")
    country = raw["country"].strip().upper()
    if country not in _country_codes():
        raise ConfigError(f"{where}: field 'country' must be an ISO 3166-1 alpha-2 code, "
                          f"got {raw['country']!r}")
    language = raw.get("language")
    if language is not None:
        if not isinstance(language, str):
            raise ConfigError(f"{where}: {_yaml_type_hint('language', language)}")
        if not LANGUAGE_RE.match(language.strip()):
            raise ConfigError(f"{where}: field 'language' must be a language code such as "
                              f"'en' or 'pt-BR', got {language!r}")
        language = language.strip()
    return FeedSpec(feed_id, url, raw["publisher"].strip(), country, language)


def parse_registry(text: str, source: str = "<registry>") -> list[FeedSpec]:
    """Parse and validate registry YAML; the error names the entry and the field."""
    try:
        doc = yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("feeds"), list):
        raise ConfigError(f"{source}: expected a top-level 'feeds:' list")
    if not doc["feeds"]:
        raise ConfigError(f"{source}: the 'feeds:' list is empty; add at least one feed "
                          "(id, url, publisher, country)")
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
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"feed registry not found: {path} (set NEWS_FEEDS to its path)") from None
    except IsADirectoryError:
        raise ConfigError(f"feed registry {path} is a directory; set NEWS_FEEDS to the "
                          "feeds.yaml file itself") from None
    except OSError as exc:
        raise ConfigError(f"feed registry {path} cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                          f"{line}); save the file as UTF-8") from None
    return parse_registry(text.removeprefix("\ufeff"), str(path))
