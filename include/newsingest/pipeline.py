"""The run's stages as plain functions over files: what each Airflow task calls.

One DAG run is one batch. Stages exchange data through Parquet files under
``<data root>/_staging/<run_key>/`` and return only small references (strings,
counts) that fit in XCom. A stage never fails the run for one bad feed, page or
record: the failure is recorded as data (``feed_polls``, ``copies``) instead.

    plan -> poll (per feed group) -> fetch (per group) -> extract (per group)
         -> dedup -> tag countries -> publish

``plan`` takes the data root's lease (:mod:`newsingest.lease`), finishes or rolls back
an interrupted earlier run and sweeps leftovers; ``publish`` makes everything the run
publishes visible with one commit (:mod:`newsingest.commit`) and gives the lease back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from newsingest import __version__, commit, faults, lease
from newsingest.config import FeedSpec, Settings, load_registry
from newsingest.errors import ConfigError
from newsingest.schema import ARTICLES, COPIES, FEED_POLLS, RAW_PAGES, SCHEMA_VERSION, TS, to_table
from newsingest.state import (DEDUP_INDEX, FEEDS_STATE, MAX_FETCH_ATTEMPTS, SITE_TEMPLATES, FeedStates,
                              drop_removed_feeds, registry_ids, save_registry_ids)
from newsingest.store import Store, run_key

log = logging.getLogger(__name__)
FETCH_CHUNK = 100  # pages downloaded (and held in memory) at a time by one fetch task

STRINGS = pa.list_(pa.string())
# Intermediate (staging) tables: internal, but typed so that stages agree.
ENTRIES = pa.schema([
    ("copy_id", pa.string()), ("feed_id", pa.string()), ("publisher", pa.string()),
    ("publisher_country", pa.string()), ("feed_language", pa.string()),
    ("entry_id", pa.string()), ("link", pa.string()), ("title", pa.string()),
    ("summary", pa.string()), ("published_at", TS), ("categories", STRINGS),
    ("authors", STRINGS),
])
# What fetch stages per page: its entry and the outcome (``pages-<ref>``); the bodies and
# headers of the pages that answered go to ``raw-<ref>`` as raw_pages rows (hashed there,
# in the mapped task), which publish commits as they are.
PAGES = pa.schema([
    *ENTRIES,
    ("final_url", pa.string()), ("http_status", pa.int32()), ("fetched_at", TS),
    ("error_kind", pa.string()), ("error", pa.string()),
])
# The country tags of one article: computed per article in extract (mapped), picked for
# the run's new stories by the geo stage.
COUNTRY_TAGS = [
    ("countries_mentioned", STRINGS), ("countries_about", STRINGS),
    ("country_counts", ARTICLES.field("country_counts").type),
    ("country_evidence", ARTICLES.field("country_evidence").type),
]
EXTRACTED = pa.schema([
    *PAGES,
    ("ok", pa.bool_()), ("text", pa.string()), ("page_title", pa.string()),
    ("page_authors", STRINGS), ("language", pa.string()), ("language_source", pa.string()),
    ("page_published_at", TS), ("published_at_source", pa.string()),
    ("canonical_url", pa.string()), ("tags", STRINGS), ("truncated", pa.bool_()),
    ("extractor", pa.string()), *COUNTRY_TAGS,
])
DEDUPED = pa.schema([
    ("copy_id", pa.string()), ("cluster_id", pa.string()), ("rule", pa.string()),
    ("similarity", pa.float32()), ("matched_id", pa.string()), ("is_canonical", pa.bool_()),
    ("existing", pa.bool_()),
])
TAGGED = pa.schema([("copy_id", pa.string()), *COUNTRY_TAGS])


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def copy_id_for(link: str) -> str:
    """Stable id of one copy: a hash of its canonicalised link."""
    from newsingest.urls import canonicalize_url

    try:
        key = canonicalize_url(link)
    except Exception:  # noqa: BLE001 - an odd link still needs an id
        key = link
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def domain_of(url: str | None) -> str | None:
    """The outlet's host without ``www.``; a non-default port is kept (another site)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != {"http": 80, "https": 443}.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host or None


@dataclass(frozen=True)
class RunContext:
    """Who is running: the Airflow run id, its UTC date and the settings."""

    run_id: str
    run_date: str
    settings: Settings = field(default_factory=Settings.from_env)

    @property
    def key(self) -> str:
        return run_key(self.run_id)

    @property
    def store(self) -> Store:
        return Store(self.settings.data_url, self.settings.storage_options)

    @property
    def staging(self) -> str:
        return f"_staging/{self.key}"


def _write(ctx: RunContext, name: str, schema: pa.Schema, rows: list[dict]) -> str:
    rel = f"{ctx.staging}/{name}"
    ctx.store.write_parquet(rel, pa.Table.from_pylist(rows, schema=schema))
    return rel


def _read(ctx: RunContext, rel: str, columns: Sequence[str] | None = None) -> list[dict]:
    """A staged table's rows; with ``columns``, only those of them the file has (a stage
    that needs a few columns skips turning the others, e.g. country evidence, into dicts)."""
    return ctx.store.read_parquet(rel, columns).to_pylist()


# -- plan -------------------------------------------------------------------------------
def plan(ctx: RunContext, feed_ids: Sequence[str] | None = None,
         group_size: int | None = None, max_groups: int | None = None) -> list[dict[str, Any]]:
    """Validate the settings and the registry, clear this run's staging area, group the feeds.

    The registry is parsed here once per run; each group carries its feeds' specs
    (``specs``) so the mapped tasks never parse it again. Feeds of one publisher stay
    in one group where possible, so per-host politeness and per-site template learning
    see all of a site's pages together. With ``max_groups`` (Airflow's
    ``max_map_length``), the group size grows until the groups fit.
    """
    from newsingest.placement import check_data_root

    check_data_root(ctx.settings)  # a worker-local data root under Celery fails here, not later
    feeds = load_registry(ctx.settings.feeds_path)
    registered = [f.id for f in feeds]
    if feed_ids:
        known = {f.id for f in feeds}
        unknown = sorted(set(feed_ids) - known)
        if unknown:
            shown = sorted(known)
            raise ConfigError(f"unknown feed id(s) in params: {', '.join(unknown)}; "
                              f"known: {', '.join(shown[:50])}"
                              + (f" and {len(shown) - 50} more" if len(shown) > 50 else ""))
        wanted = set(feed_ids)
        feeds = [f for f in feeds if f.id in wanted]
    if not prepare_root(ctx):
        return []  # an older run, already committed and superseded: nothing to redo
    save_registry_ids(ctx.store, ctx.staging, registered)  # publish drops removed feeds' pending
    size = group_size or ctx.settings.feed_group_size
    groups = _group_by_host(feeds, size)
    if max_groups and len(groups) > max_groups:
        wanted_size = size
        while len(groups) > max_groups:
            wanted_size = max(wanted_size + max(1, wanted_size // 20), -(-len(feeds) // max_groups))
            groups = _group_by_host(feeds, wanted_size)
        log.warning("%d feeds in groups of %d make more than %d mapped tasks "
                    "(Airflow's core.max_map_length): groups of %d this run",
                    len(feeds), size, max_groups, wanted_size)
    return [{"index": i, "feeds": [f.id for f in g], "specs": [f.to_dict() for f in g]}
            for i, g in enumerate(groups)]


def _group_by_host(feeds: Sequence[FeedSpec], size: int) -> list[list[FeedSpec]]:
    by_host: dict[str, list[FeedSpec]] = {}
    for f in feeds:
        by_host.setdefault(urlsplit(f.url).netloc, []).append(f)
    groups: list[list[FeedSpec]] = []
    current: list[FeedSpec] = []
    for host_feeds in by_host.values():
        if current and len(current) + len(host_feeds) > size:
            groups.append(current)
            current = []
        current.extend(host_feeds)
    if current:
        groups.append(current)
    return groups


def _group_specs(ctx: RunContext, group: dict[str, Any]) -> dict[str, FeedSpec]:
    """The group's feed specs: handed on by ``plan`` (older groups: from the registry)."""
    if group.get("specs"):
        return {d["id"]: FeedSpec.from_dict(d) for d in group["specs"]}
    wanted = set(group["feeds"])
    return {f.id: f for f in load_registry(ctx.settings.feeds_path) if f.id in wanted}


def prepare_root(ctx: RunContext) -> bool:
    """Take the lease, roll an interrupted earlier run forward or back, sweep leftovers
    and open this run's staging. False when this run was committed before and a later
    run has committed since: re-running it would undo that, so it keeps its output.

    Fails here, before any feed is polled, when the data root cannot be written."""
    store = ctx.store
    try:
        held = lease.acquire(store, ctx.run_id)
    except OSError as exc:
        raise commit.StorageError(f"data root {store.url} cannot be written: "
                                  f"{store.path(lease.LOCK_DIR)}: {exc}") from exc
    try:
        last = commit.recover(store)
        mine = commit.latest_for(store, ctx.key)
        if mine is not None and last is not None and last.key != ctx.key:
            log.warning("run %s was committed as commit %d and %d later commit(s) followed: "
                        "its output is kept as it is, nothing is redone", ctx.run_id, mine.seq,
                        last.seq - mine.seq)
            held.release()
            return False
        commit.sweep(store)
        commit.start_attempt(store, ctx.key, ctx.run_id, uuid.uuid4().hex)
    except BaseException as exc:
        held.release()
        if isinstance(exc, OSError):
            raise commit.StorageError(f"data root {store.url} cannot be written: {exc}") from exc
        raise
    return True


# -- poll -------------------------------------------------------------------------------
def poll_group(ctx: RunContext, group: dict[str, Any], force: bool = False) -> str:
    """Poll each feed of the group; write its feed_polls rows and its new entries."""
    from newsingest.feeds import FeedState, poll_feed
    from newsingest.fetch import Fetcher, FetchPolicy

    s = ctx.settings
    specs = _group_specs(ctx, group)
    states = FeedStates.load(ctx.store, ctx.run_id)
    polls: list[dict] = []
    entries: list[dict] = []
    new_states: dict[str, dict] = {}
    with Fetcher(FetchPolicy.from_settings(s, max_bytes=s.max_feed_bytes)) as fetcher:
        for fid in group["feeds"]:
            spec = specs[fid]
            now = utcnow()
            try:
                prev = states.poll_state(fid)
                outcome = poll_feed(spec, FeedState.from_dict(prev) if prev else None, fetcher,
                                    now=now, max_entries=s.max_entries_per_feed, force=force)
            except Exception as exc:  # noqa: BLE001 - a bug on one feed must not sink the group
                log.error("feed %s: unexpected error\n%s", fid, traceback.format_exc())
                polls.append({"feed_id": fid, "url": spec.url, "polled_at": now, "status": "error",
                              "error_kind": "internal", "error": f"{type(exc).__name__}: {exc}"})
                continue
            new_states[fid] = outcome.state.to_dict()
            fresh, seen_ids = [], set()
            for e in outcome.entries:
                if e.entry_id in seen_ids or not states.is_new(fid, e.entry_id):
                    continue
                seen_ids.add(e.entry_id)
                fresh.append(e)
            row = dict(outcome.row)
            row.update(new_entries=len(fresh))
            polls.append(row)
            for e in fresh:
                entries.append({
                    "copy_id": copy_id_for(e.link), "feed_id": fid, "publisher": spec.publisher,
                    "publisher_country": spec.country, "feed_language": spec.language,
                    "entry_id": e.entry_id, "link": e.link, "title": e.title,
                    "summary": e.summary, "published_at": e.published_at,
                    "categories": list(e.categories), "authors": list(e.authors),
                })
    for row in polls:
        row["run_id"] = ctx.run_id
        row.setdefault("publisher", specs[row["feed_id"]].publisher)
    i = group["index"]
    _write(ctx, f"polls-g{i}.parquet", FEED_POLLS, [_conform(FEED_POLLS, r) for r in polls])
    _write(ctx, f"entries-g{i}.parquet", ENTRIES, entries)
    ctx.store.write_bytes(f"{ctx.staging}/feedstates-g{i}.json", json.dumps(new_states).encode())
    return f"g{i}"


def _conform(schema: pa.Schema, row: dict) -> dict:
    out = {f.name: row.get(f.name) for f in schema}
    out["schema_version"] = SCHEMA_VERSION
    return out


# -- fetch ------------------------------------------------------------------------------
def fetch_group(ctx: RunContext, ref: str) -> str:
    """Download the group's new article pages, politely; keep bodies and errors."""
    from newsingest.fetch import Fetcher, FetchPolicy

    s = ctx.settings
    entries = _read(ctx, f"{ctx.staging}/entries-{ref}.parquet")
    unique: dict[str, dict] = {}
    for e in entries + _pending_entries(ctx, ref):
        unique.setdefault(e["copy_id"], e)
    todo = list(unique.values())
    # Pages are fetched and written in chunks, so memory holds one chunk of bodies at most.
    with Fetcher(FetchPolicy.from_settings(s, max_bytes=s.max_page_bytes)) as fetcher, \
            ctx.store.parquet_writer(f"{ctx.staging}/pages-{ref}.parquet", PAGES) as pages_out, \
            ctx.store.parquet_writer(_raw_path(ctx, ref), RAW_PAGES) as raw_out:
        for start in range(0, max(len(todo), 1), FETCH_CHUNK):
            chunk = todo[start:start + FETCH_CHUNK]
            results = fetcher.fetch_many([e["link"] for e in chunk])
            pages_out.write_table(pa.Table.from_pylist([{
                **e, "final_url": r.final_url, "http_status": r.status, "fetched_at": r.fetched_at,
                "error_kind": r.error_kind, "error": r.error,
            } for e, r in zip(chunk, results)], schema=PAGES))
            answered = [_raw_row(ctx, e["copy_id"], e["link"], r.final_url, r.status, r.headers,
                                 r.fetched_at, r.body)
                        for e, r in zip(chunk, results) if r.status is not None]
            if answered:
                raw_out.write_table(to_table(RAW_PAGES, answered))
    return ref


def _raw_row(ctx: RunContext, copy_id: str, url: str, final_url: str | None, status: int,
             headers: Any, fetched_at: datetime, body: bytes | None) -> dict:
    """One raw_pages row: the page as it answered, with the hash of its body."""
    return {"copy_id": copy_id, "url": url, "final_url": final_url, "http_status": status,
            "headers": dict(headers or []), "fetched_at": fetched_at, "body": body,
            "body_sha256": hashlib.sha256(body or b"").hexdigest(), "run_id": ctx.run_id}


def _raw_path(ctx: RunContext, ref: str) -> str:
    return f"{ctx.staging}/raw-{ref}.parquet"


def _fetched_bodies(ctx: RunContext, ref: str) -> dict[str, tuple[bytes | None, dict]]:
    """copy_id -> (body, headers) of the group's pages that answered."""
    rel = _raw_path(ctx, ref)
    if not ctx.store.exists(rel):   # staged by a version that kept bodies in pages-<ref>
        rel = f"{ctx.staging}/pages-{ref}.parquet"
    return {r["copy_id"]: (r["body"], dict(r["headers"] or [])) for r in _read(
        ctx, rel, ("copy_id", "body", "headers"))}


def _pending_entries(ctx: RunContext, ref: str) -> list[dict]:
    """Entries of the group's feeds whose page failed transiently in an earlier run."""
    feeds = {r["feed_id"] for r in _read(ctx, f"{ctx.staging}/polls-{ref}.parquet")}
    out = []
    for copy_id, item in FeedStates.load(ctx.store, ctx.run_id).pending.items():
        entry = dict(item["entry"])
        if entry.get("feed_id") not in feeds:
            continue
        if entry.get("published_at"):
            entry["published_at"] = datetime.fromisoformat(entry["published_at"])
        out.append({**{f.name: entry.get(f.name) for f in ENTRIES}, "copy_id": copy_id})
    return out


# -- extract ----------------------------------------------------------------------------
def _load_templates(ctx: RunContext):
    from newsingest.templates import SiteTemplates

    raw = ctx.store.read_bytes(SITE_TEMPLATES)
    return SiteTemplates.from_json(raw) if raw else SiteTemplates()


def extract_group(ctx: RunContext, ref: str) -> str:
    """Extract clean text and metadata from the group's fetched pages."""
    from newsingest.errors import ExtractionError
    from newsingest.extract import PageInput, extract_batch

    pages = _read(ctx, f"{ctx.staging}/pages-{ref}.parquet", PAGES.names)
    bodies = _fetched_bodies(ctx, ref)
    templates = _load_templates(ctx)
    fetched = [p for p in pages if p["error_kind"] is None and bodies.get(p["copy_id"], (None,))[0]]
    inputs = [PageInput(p["final_url"] or p["link"], bodies[p["copy_id"]][0],
                        bodies[p["copy_id"]][1].get("content-type")) for p in fetched]
    del bodies   # the inputs hold what extraction needs
    results = dict(zip((p["copy_id"] for p in fetched), extract_batch(inputs, templates)))
    rows = []
    for p in pages:
        row = dict(p)
        res = results.get(p["copy_id"])
        row["ok"] = False
        if res is None:
            pass  # fetch failed: error fields already set
        elif isinstance(res, ExtractionError):
            row.update(error_kind="no_text", error=str(res))
        else:
            row.update(
                ok=True, text=res.text, page_title=res.title, page_authors=res.authors,
                language=res.language or p["feed_language"],
                language_source=res.language_source if res.language else
                ("feed" if p["feed_language"] else "none"),
                page_published_at=res.published_at,
                published_at_source=res.published_at_source if res.published_at else
                ("feed" if p["published_at"] else "none"),
                canonical_url=res.canonical_url, tags=list(res.tags), truncated=res.truncated,
                extractor=res.extractor,
            )
            row.update(_country_tags(row))
        rows.append(row)
    _write(ctx, f"extracted-{ref}.parquet", EXTRACTED, rows)
    ctx.store.write_bytes(f"{ctx.staging}/templates-{ref}.json", templates.to_json())
    return ref


# -- dedup ------------------------------------------------------------------------------
def _published(row: dict) -> datetime | None:
    return row.get("page_published_at") or row.get("published_at")


def _title(row: dict) -> str:
    return row.get("page_title") or row.get("title") or ""


def _unique_copies(rows) -> Any:
    """One row per copy: a URL listed by two feeds (two groups) is one copy."""
    seen: set[str] = set()
    for r in rows:
        if r["copy_id"] not in seen:
            seen.add(r["copy_id"])
            yield r


# What the dedup and geo stages read of the extracted rows.
DEDUP_COLUMNS = ("copy_id", "ok", "page_title", "title", "text", "final_url", "link",
                 "canonical_url", "page_published_at", "published_at")
GEO_COLUMNS = ("copy_id", "page_title", "title", "text", *(name for name, _ in COUNTRY_TAGS))


def dedup_stage(ctx: RunContext, refs: Sequence[str]) -> str:
    """Cluster the run's copies against each other and the history window."""
    from newsingest.dedup import DedupDoc, DedupIndex

    s = ctx.settings
    rows = list(_unique_copies(r for ref in refs
                               for r in _read(ctx, f"{ctx.staging}/extracted-{ref}.parquet", DEDUP_COLUMNS)
                               if r["ok"]))
    raw = ctx.store.read_bytes(DEDUP_INDEX)
    index = DedupIndex.from_bytes(raw) if raw else DedupIndex(
        window_days=s.dedup_window_days, history_days=s.history_days)
    del raw  # the loaded index copies the arrays: do not hold the bytes as well
    index.window_days, index.history_days = s.dedup_window_days, s.history_days  # settings win
    docs = [DedupDoc(id=r["copy_id"], title=_title(r), text=r["text"] or "",
                     url=r["final_url"] or r["link"], canonical_url=r["canonical_url"],
                     feed_url=r["link"], published_at=_published(r),
                     source=domain_of(r["final_url"] or r["link"])) for r in rows]
    assignments = index.assign(docs, ctx.run_id, now=utcnow())
    out = [{"copy_id": a.doc_id, "cluster_id": a.cluster_id, "rule": a.rule,
            "similarity": a.similarity, "matched_id": a.matched_id,
            "is_canonical": a.is_canonical, "existing": a.existing} for a in assignments]
    ctx.store.write_bytes(f"{ctx.staging}/dedup_index.bin", index.to_bytes())
    return _write(ctx, "dedup.parquet", DEDUPED, out)


# -- geo ----------------------------------------------------------------------------------
def _country_tags(row: dict) -> dict:
    """The countries an extracted article mentions and is about, as the TAGGED columns.

    A function of the article's title and text alone, so each extract task tags its own
    articles (in parallel) and the geo stage only picks the run's new stories."""
    from newsingest.geo import tag_countries

    tags = tag_countries(_title(row), row["text"] or "")
    return {
        "countries_mentioned": tags.mentioned, "countries_about": tags.about,
        "country_counts": [{"code": c, "count": n} for c, n in tags.counts.items()],
        "country_evidence": [{"code": e.code, "surface": e.surface, "field": e.field,
                              "start": e.start, "end": e.end} for e in tags.evidence],
    }


def geo_stage(ctx: RunContext, refs: Sequence[str]) -> str:
    """The country tags of the run's new stories (tagged in extract; an article staged
    without them, by an older version of this module, is tagged here)."""
    canon = {r["copy_id"] for r in _read(ctx, f"{ctx.staging}/dedup.parquet")
             if r["is_canonical"] and not r["existing"]}
    out = []
    for ref in refs:
        for r in _read(ctx, f"{ctx.staging}/extracted-{ref}.parquet", GEO_COLUMNS):
            if r["copy_id"] not in canon:
                continue
            tags = r if r.get("countries_mentioned") is not None else _country_tags(r)
            out.append({"copy_id": r["copy_id"], **{name: tags[name] for name, _ in COUNTRY_TAGS}})
    return _write(ctx, "geo.parquet", TAGGED, out)


# -- publish ------------------------------------------------------------------------------
def _outcome(row: dict, d: dict | None) -> str:
    if d is None:
        return "no_text" if row.get("error_kind") == "no_text" else "fetch_error"
    if d["existing"]:
        return "joined_existing"
    return "story" if d["is_canonical"] else "duplicate"


def _refetched(d: dict | None, copy_id: str) -> bool:
    """The copy itself is already in the history (an earlier run published it)."""
    return bool(d and d["existing"] and d["matched_id"] == copy_id)


def _settled(c: dict) -> bool:
    """Fetched (with or without text) or failed for good: not to be fetched again."""
    return (c["outcome"] != "fetch_error" or (c["http_status"] or 0) in (404, 410)
            or c["error_kind"] in ("robots_disallowed", "unsafe_url"))


def _json_entry(r: dict) -> dict:
    entry = {f.name: r.get(f.name) for f in ENTRIES if f.name != "copy_id"}
    if entry["published_at"] is not None:
        entry["published_at"] = entry["published_at"].isoformat()
    return entry


def publish(ctx: RunContext, refs: Sequence[str]) -> dict[str, Any]:
    """Stage the four tables and the new run state, commit them as one, give the lease
    back; returns the run's counts. A retry after a crash finishes the same commit."""
    store, key = ctx.store, ctx.key
    held = lease.resume(store, ctx.run_id)
    commit.recover(store)   # a crash after an earlier attempt's commit: finish it first
    attempt = commit.current_attempt(store, key)
    done = commit.latest_for(store, key)
    if done is not None and (attempt is None or done.attempt == attempt):
        held.release()
        return done.summary   # already committed (a retry of a finished publish)
    if attempt is None:
        raise commit.StorageError(
            f"run {ctx.run_id}: its staging {store.path(ctx.staging)} is gone (rolled back "
            "when another run found it interrupted): clear the whole run to redo it")
    files, summary = _stage_outputs(ctx, refs)
    faults.point("publish.staged")
    held.renew()
    commit.commit(store, ctx.run_id, key, attempt, files, summary)
    held.release()
    return summary


# publish takes the country tags from the geo stage, not from the extracted rows.
PUBLISH_COLUMNS = tuple(f.name for f in EXTRACTED if f.name not in {name for name, _ in COUNTRY_TAGS})


def _stage_outputs(ctx: RunContext, refs: Sequence[str]) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Write the run's table files and new state under its staging directory; returns
    (staged, final) path pairs and the run's summary."""
    from newsingest.feeds import circuit_open
    from newsingest.templates import SiteTemplates

    store, key, date = ctx.store, ctx.key, ctx.run_date
    extracted = list(_unique_copies(r for ref in refs for r in _read(
        ctx, f"{ctx.staging}/extracted-{ref}.parquet", PUBLISH_COLUMNS)))
    dedup = {r["copy_id"]: r for r in _read(ctx, f"{ctx.staging}/dedup.parquet")}
    geo = {r["copy_id"]: r for r in _read(ctx, f"{ctx.staging}/geo.parquet")}
    members = Counter(d["cluster_id"] for d in dedup.values())

    articles, copies, refetched = [], [], set()
    for r in extracted:
        d = dedup.get(r["copy_id"]) if r["ok"] else None
        if _refetched(d, r["copy_id"]):
            refetched.add(r["copy_id"])   # listed again: its story and copy rows exist
            continue
        text = r.get("text") or ""
        words = len(text.split()) if r["ok"] else None
        copies.append({
            "copy_id": r["copy_id"], "cluster_id": d and d["cluster_id"],
            "outcome": _outcome(r, d), "is_canonical": bool(d and d["is_canonical"]),
            "match_rule": d and d["rule"], "similarity": d and d["similarity"],
            "matched_copy_id": d and d["matched_id"], "feed_id": r["feed_id"],
            "publisher": r["publisher"], "source_domain": domain_of(r["final_url"] or r["link"]),
            "entry_id": r["entry_id"], "feed_url": r["link"], "final_url": r["final_url"],
            "canonical_url": r.get("canonical_url"), "title": _title(r), "word_count": words,
            "published_at": _published(r), "fetched_at": r["fetched_at"],
            "http_status": r["http_status"], "error_kind": r["error_kind"], "error": r["error"],
            "run_id": ctx.run_id,
        })
        g = geo.get(r["copy_id"])
        if d and g:
            articles.append({
                "article_id": d["cluster_id"], "url": r["final_url"] or r["link"],
                "canonical_url": r.get("canonical_url"),
                "source_domain": domain_of(r["final_url"] or r["link"]), "feed_id": r["feed_id"],
                "publisher": r["publisher"], "publisher_country": r["publisher_country"],
                "title": _title(r), "text": text, "word_count": words,
                "authors": r.get("page_authors") or r.get("authors") or [],
                "language": r["language"], "language_source": r["language_source"],
                "published_at": _published(r), "published_at_source": r["published_at_source"],
                "fetched_at": r["fetched_at"], **{k: g[k] for k in (
                    "countries_mentioned", "countries_about", "country_counts", "country_evidence")},
                "tags": sorted(set(r.get("tags") or []) | set(r.get("categories") or [])),
                "copies_seen": members[d["cluster_id"]], "truncated": r.get("truncated"),
                "run_id": ctx.run_id,
                "extractor_version": f"newsingest-{__version__}/{r.get('extractor') or ''}",
            })

    poll_rows = [r for ref in refs for r in _read(ctx, f"{ctx.staging}/polls-{ref}.parquet")]
    out = f"{ctx.staging}/out"
    files: list[tuple[str, str]] = []

    def stage(table: str, suffix: str, tbl: pa.Table) -> None:
        if tbl.num_rows == 0:
            return  # an empty run writes no empty files
        final = f"{store.partition_dir(table, date)}/part-{key}{suffix}.parquet"
        store.write_parquet(f"{out}/{final}", tbl)
        files.append((f"{out}/{final}", final))

    stage("articles", "", to_table(ARTICLES, articles))
    stage("copies", "", to_table(COPIES, copies))
    stage("feed_polls", "", to_table(FEED_POLLS, poll_rows))
    for ref in refs:
        _stage_raw_pages(ctx, ref, refetched, files)

    # The run state, staged too: it is committed together with the tables.
    before = FeedStates.load(store, ctx.run_id)
    poll_states: dict[str, dict] = {}
    for ref in refs:
        poll_states.update(json.loads(store.read_bytes(f"{ctx.staging}/feedstates-{ref}.json") or b"{}"))
    failed = sum(1 for r in poll_rows if r["status"] == "error")
    outage = circuit_open(poll_rows)
    if outage:  # circuit breaker: a network outage must not push every feed into backoff
        log.warning("%d of %d feeds failed: keeping previous feed states", failed, len(poll_rows))
        poll_states = {}
    pending, gone = drop_removed_feeds(before.pending, registry_ids(store, ctx.staging))
    if gone:
        log.warning("dropped %d pending pages of feeds no longer in the registry: %s",
                    sum(gone.values()), ", ".join(f"{f} ({n})" for f, n in sorted(gone.items())))
    settled = set(refetched)
    by_copy = {r["copy_id"]: r for r in extracted}
    for c in copies:
        cid = c["copy_id"]
        if _settled(c):
            settled.add(cid)
            pending.pop(cid, None)
            continue
        attempts = (pending.get(cid) or {}).get("attempts", 0) + (0 if outage else 1)
        if attempts >= MAX_FETCH_ATTEMPTS:
            log.warning("giving up on %s after %d runs: %s", c["feed_url"], attempts, c["error"])
            settled.add(cid)
            pending.pop(cid, None)
        else:
            pending[cid] = {"entry": _json_entry(by_copy[cid]), "attempts": attempts}
    seen: dict[str, list[str]] = {}
    listings = [(r["feed_id"], r["entry_id"], r["copy_id"]) for r in extracted]
    listings += [(e["feed_id"], e["entry_id"], e["copy_id"]) for ref in refs
                 for e in _read(ctx, f"{ctx.staging}/entries-{ref}.parquet")]
    for fid, eid, cid in listings:
        if cid in settled and eid not in seen.get(fid, ()):
            seen.setdefault(fid, []).append(eid)
    after = before.updated(poll_states, seen, ctx.run_id, pending)
    store.write_bytes(f"{ctx.staging}/feeds.json", after.to_bytes(ctx.run_id, before))
    files.append((f"{ctx.staging}/feeds.json", FEEDS_STATE))
    if store.exists(f"{ctx.staging}/dedup_index.bin"):
        files.append((f"{ctx.staging}/dedup_index.bin", DEDUP_INDEX))
    templates = _load_templates(ctx)
    for ref in refs:
        raw = store.read_bytes(f"{ctx.staging}/templates-{ref}.json")
        if raw:
            templates.merge(SiteTemplates.from_json(raw))
    store.write_bytes(f"{ctx.staging}/site_templates.json", templates.to_json())
    files.append((f"{ctx.staging}/site_templates.json", SITE_TEMPLATES))

    outcomes = Counter(c["outcome"] for c in copies)
    summary = {
        "run_id": ctx.run_id, "date": date, "feeds_polled": len(poll_rows), "feeds_failed": failed,
        "circuit_open": outage, "pages_fetched": sum(1 for c in copies if c["http_status"] == 200),
        "stories": len(articles), "copies": len(copies), "copies_refetched": len(refetched),
        "pages_pending": len(pending), "pages_pending_dropped": sum(gone.values()),
        **{f"copies_{k}": v for k, v in outcomes.items()},
    }
    return files, summary


def _stage_raw_pages(ctx: RunContext, ref: str, refetched: set[str],
                     files: list[tuple[str, str]]) -> None:
    """The group's raw_pages file, as fetch staged it (committed without a rewrite)
    unless it holds pages listed again (refetched: their rows exist), which are left out."""
    final = f"{ctx.store.partition_dir('raw_pages', ctx.run_date)}/part-{ctx.key}-{ref}.parquet"
    rel = _raw_path(ctx, ref)
    if not ctx.store.exists(rel):
        _stage_old_raw_pages(ctx, ref, refetched, files, final)
        return
    ids = ctx.store.read_parquet(rel, ["copy_id"]).column("copy_id")
    drop = pc.is_in(ids, value_set=pa.array(sorted(refetched), pa.string()))
    if len(ids) and not pc.any(drop).as_py():
        files.append((rel, final))
        return
    kept = ctx.store.read_parquet(rel).filter(pc.invert(drop))
    if kept.num_rows:
        ctx.store.write_parquet(f"{ctx.staging}/out/{final}", kept)
        files.append((f"{ctx.staging}/out/{final}", final))


def _stage_old_raw_pages(ctx: RunContext, ref: str, refetched: set[str],
                         files: list[tuple[str, str]], final: str) -> None:
    """raw_pages rows from a pages-<ref> file staged by a version that kept bodies there."""
    pages = [p for p in _read(ctx, f"{ctx.staging}/pages-{ref}.parquet")
             if p["http_status"] is not None and p["copy_id"] not in refetched]
    if pages:
        ctx.store.write_parquet(f"{ctx.staging}/out/{final}", to_table(RAW_PAGES, [
            _raw_row(ctx, p["copy_id"], p["link"], p["final_url"], p["http_status"], p["headers"],
                     p["fetched_at"], p["body"]) for p in pages]))
        files.append((f"{ctx.staging}/out/{final}", final))


def run_all(ctx: RunContext, feed_ids: Sequence[str] | None = None, force: bool = False,
            group_size: int | None = None) -> dict[str, Any]:
    """Every stage in order, in this process: the DAG's work without Airflow (notebooks, tests).

    A stage that fails gives the data root's lease back (the run is over); a killed
    process leaves it to be taken over (see :mod:`newsingest.lease`)."""
    store = ctx.store
    with lease.stage(store, ctx.run_id, "plan", hold=False):
        groups = plan(ctx, feed_ids, group_size)
    if not groups:
        done = commit.latest_for(store, ctx.key)
        if done is not None:
            return done.summary
    try:
        refs = []
        for g in groups:
            with lease.stage(store, ctx.run_id, "poll"):
                ref = poll_group(ctx, g, force=force)
            with lease.stage(store, ctx.run_id, "fetch"):
                fetch_group(ctx, ref)
            with lease.stage(store, ctx.run_id, "extract"):
                refs.append(extract_group(ctx, ref))
        with lease.stage(store, ctx.run_id, "dedup"):
            dedup_stage(ctx, refs)
        with lease.stage(store, ctx.run_id, "geo"):
            geo_stage(ctx, refs)
        with lease.stage(store, ctx.run_id, "publish"):
            return publish(ctx, refs)
    except Exception:
        lease.release_run(store, ctx.run_id)
        raise
