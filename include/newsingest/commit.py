"""One commit per run: a commit log over the Parquet files and the run state.

A run writes everything it publishes (its table files and the new run state) under
its own staging directory first. Then one small put of ``_commits/<seq>-<run_key>.json``
(the *commit record*: which staged file becomes which final file, which of the run's
older files go, the run's summary) is the commit point. Applying a record moves the
staged files into place (``articles/date=.../part-<run>.parquet``, ``state/...``);
it is idempotent, so whoever comes next (a retry of ``publish``, or the next run's
``plan``) finishes an interrupted apply:

- no record: the run never happened; the next run sweeps its staging (roll back);
- a record: the run happened; its files are moved into place if they are not yet
  (roll forward), then its staging is removed.

Tables only ever receive committed files, under names of their run, so a plain
``read_parquet('<root>/articles/**/*.parquet')`` never sees a row twice or an
uncommitted row. The log is written only by the lease holder (:mod:`newsingest.lease`).
"""

from __future__ import annotations

import json
import logging
import posixpath
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from newsingest import faults
from newsingest.errors import NewsIngestError
from newsingest.store import TMP_PREFIX, Store

log = logging.getLogger(__name__)
COMMITS = "_commits"
STAGING = "_staging"
ATTEMPT = "attempt.json"


class StorageError(NewsIngestError):
    """The data root cannot be written, or a run's staged files are missing."""


@dataclass(frozen=True)
class Record:
    """One commit record (see the module docstring)."""

    seq: int
    key: str
    doc: dict[str, Any]

    @property
    def rel(self) -> str:
        return f"{COMMITS}/{self.seq:012d}-{self.key}.json"

    @property
    def attempt(self) -> str:
        return self.doc["attempt"]

    @property
    def summary(self) -> dict[str, Any]:
        return self.doc.get("summary") or {}


def staging_dir(key: str) -> str:
    return f"{STAGING}/{key}"


def _names(store: Store) -> list[tuple[int, str]]:
    out = []
    for name in store.listdir(COMMITS):
        stem, dot, ext = name.partition(".")
        seq, _, key = stem.partition("-")
        if ext == "json" and dot and seq.isdigit() and key:
            out.append((int(seq), key))
    return sorted(out)


def _load(store: Store, seq: int, key: str) -> Record:
    rel = f"{COMMITS}/{seq:012d}-{key}.json"
    raw = store.read_bytes(rel)
    if raw is None:
        raise StorageError(f"commit record {store.path(rel)} vanished while being read")
    return Record(seq, key, json.loads(raw))


def latest(store: Store) -> Record | None:
    """The last commit of the data root."""
    names = _names(store)
    return _load(store, *names[-1]) if names else None


def latest_for(store: Store, key: str) -> Record | None:
    """The last commit of run ``key``."""
    mine = [n for n in _names(store) if n[1] == key]
    return _load(store, *mine[-1]) if mine else None


def current_attempt(store: Store, key: str) -> str | None:
    raw = store.read_bytes(f"{staging_dir(key)}/{ATTEMPT}")
    return json.loads(raw)["attempt"] if raw else None


def start_attempt(store: Store, key: str, run_id: str, attempt: str) -> None:
    """Mark the run's (fresh) staging directory as belonging to ``attempt``."""
    doc = {"run_id": run_id, "attempt": attempt, "started_at": datetime.now(timezone.utc).isoformat()}
    store.write_bytes(f"{staging_dir(key)}/{ATTEMPT}", json.dumps(doc).encode())


def commit(store: Store, run_id: str, key: str, attempt: str,
           files: list[tuple[str, str]], summary: dict[str, Any]) -> Record:
    """Write the commit record of this attempt: the commit point. Then apply it."""
    prior = latest_for(store, key)
    finals = {dst for _, dst in files}
    remove = sorted({dst for _, dst in (prior.doc["files"] if prior else [])} - finals)
    names = _names(store)
    seq = names[-1][0] + 1 if names else 1
    doc = {"version": 1, "seq": seq, "run_id": run_id, "key": key, "attempt": attempt,
           "committed_at": datetime.now(timezone.utc).isoformat(),
           "files": [list(f) for f in files], "remove": remove, "summary": summary}
    record = Record(seq, key, doc)
    store.write_bytes(record.rel, json.dumps(doc, sort_keys=True, default=str).encode())
    faults.point("publish.committed")
    apply(store, record)
    return record


def apply(store: Store, record: Record) -> None:
    """Move the record's staged files into place, drop its run's replaced files, then
    remove its staging. Safe to repeat, and a no-op once done."""
    key = record.key
    if current_attempt(store, key) == record.attempt:
        for src, dst in record.doc["files"]:
            if store.exists(src):
                store.move(src, dst)
                faults.point(f"apply.moved:{dst}")
            elif not store.exists(dst):
                raise StorageError(f"commit {store.path(record.rel)}: neither the staged file "
                                   f"{store.path(src)} nor its target {store.path(dst)} exists")
    for rel in record.doc.get("remove", []):
        store.remove(rel)
    faults.point("publish.applied")
    if current_attempt(store, key) == record.attempt:
        store.remove_tree(staging_dir(key))


def recover(store: Store) -> Record | None:
    """Finish the last commit if it was interrupted (roll forward); returns it."""
    last = latest(store)
    if last is not None:
        apply(store, last)
    return last


def sweep(store: Store) -> list[str]:
    """Remove every run's staging (nothing in it is committed once :func:`recover` ran:
    uncommitted runs are rolled back) and stray ``.tmp-*`` files. Call under the lease."""
    removed = []
    for name in store.listdir(STAGING):
        removed.append(f"{STAGING}/{name}")
        store.remove_tree(f"{STAGING}/{name}")
    for rel in store.find():
        if posixpath.basename(rel).startswith(TMP_PREFIX) and not rel.startswith("_lock/"):
            store.remove(rel)
            removed.append(rel)
    if removed:
        log.warning("swept %d leftovers of interrupted runs: %s", len(removed), ", ".join(removed[:10]))
    return removed
