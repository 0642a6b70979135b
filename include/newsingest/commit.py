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

The log stays small: after a commit, once more than ``COMPACT_AT`` records exist, all
but the newest ``KEEP_RECORDS`` are folded into one *checkpoint*
(``_commits/checkpoint-<seq>.json``: per run key, its last commit's seq, run id, attempt,
time and summary), which is all that deciding "did this run commit, and was it
superseded?" needs; recovery needs only the newest record, which is never folded.
Compaction writes the new checkpoint first (atomically), then deletes the folded
records, then older checkpoints: a crash at any step leaves records and checkpoints
that say the same thing, and the next compaction finishes the job.
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
STATE = "state"
ATTEMPT = "attempt.json"
CHECKPOINT = "checkpoint-"
KEEP_RECORDS = 10   # newest commit records kept as they are (recovery needs only the last)
COMPACT_AT = 20     # fold the older ones into the checkpoint once this many records exist


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

    @property
    def folded(self) -> bool:
        """Read from the checkpoint: its file list is no longer known."""
        return bool(self.doc.get("folded"))


def staging_dir(key: str) -> str:
    return f"{STAGING}/{key}"


def _listing(store: Store) -> tuple[list[tuple[int, str]], list[int]]:
    """(records as (seq, key), checkpoint seqs), both oldest first: one listing of the log."""
    records, checkpoints = [], []
    for name in store.listdir(COMMITS):
        stem, dot, ext = name.partition(".")
        if ext != "json" or not dot:
            continue
        if stem.startswith(CHECKPOINT) and stem[len(CHECKPOINT):].isdigit():
            checkpoints.append(int(stem[len(CHECKPOINT):]))
            continue
        seq, _, key = stem.partition("-")
        if seq.isdigit() and key:
            records.append((int(seq), key))
    return sorted(records), sorted(checkpoints)


def _names(store: Store) -> list[tuple[int, str]]:
    return _listing(store)[0]


def _checkpoint_rel(seq: int) -> str:
    return f"{COMMITS}/{CHECKPOINT}{seq:012d}.json"


def _load_checkpoint(store: Store, checkpoints: list[int]) -> dict[str, Any]:
    """The newest checkpoint ({"seq", "runs": {key: entry}}), empty when there is none."""
    if not checkpoints:
        return {"seq": 0, "runs": {}}
    raw = store.read_bytes(_checkpoint_rel(checkpoints[-1]))
    if raw is None:
        raise StorageError(f"commit checkpoint {store.path(_checkpoint_rel(checkpoints[-1]))} "
                           "vanished while being read")
    return json.loads(raw)


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
    """The last commit of run ``key`` (from the checkpoint when its record was folded:
    then without its file list)."""
    records, checkpoints = _listing(store)
    mine = [n for n in records if n[1] == key]
    if mine:
        return _load(store, *mine[-1])
    entry = _load_checkpoint(store, checkpoints)["runs"].get(key)
    if entry is None:
        return None
    return Record(entry["seq"], key, {**entry, "key": key, "files": [], "remove": [], "folded": True})


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
    records, checkpoints = _listing(store)
    seq = max([records[-1][0] if records else 0, checkpoints[-1] if checkpoints else 0]) + 1
    doc = {"version": 1, "seq": seq, "run_id": run_id, "key": key, "attempt": attempt,
           "committed_at": datetime.now(timezone.utc).isoformat(),
           "files": [list(f) for f in files], "remove": remove, "summary": summary}
    record = Record(seq, key, doc)
    store.write_bytes(record.rel, json.dumps(doc, sort_keys=True, default=str).encode())
    faults.point("publish.committed")
    apply(store, record)
    try:
        compact(store)
    except OSError as exc:   # the run is committed; folding waits for the next commit
        log.warning("commit log compaction postponed: %s", exc)
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
        store.prune(posixpath.dirname(rel))   # a partition whose only file this was
    faults.point("publish.applied")
    if current_attempt(store, key) == record.attempt:
        store.remove_tree(staging_dir(key))
        store.prune(STAGING)


def recover(store: Store) -> Record | None:
    """Finish the last commit if it was interrupted (roll forward); returns it."""
    last = latest(store)
    if last is not None:
        apply(store, last)
    return last


def compact(store: Store, keep: int | None = None, at: int | None = None) -> int:
    """Fold all but the newest ``keep`` records into the checkpoint once more than ``at``
    records exist (see the module docstring); returns how many were folded. Call under
    the lease. Safe to interrupt anywhere and to repeat."""
    keep = KEEP_RECORDS if keep is None else keep
    at = COMPACT_AT if at is None else at
    if keep < 1:
        raise ValueError("compact: keep at least the newest record (recovery needs it)")
    records, checkpoints = _listing(store)
    if len(records) <= at:
        for old in checkpoints[:-1]:   # left by a compaction interrupted at its last step
            store.remove(_checkpoint_rel(old))
        return 0
    fold = records[:-keep]
    doc = _load_checkpoint(store, checkpoints)
    runs = dict(doc.get("runs") or {})
    for seq, key in fold:
        if seq <= doc.get("seq", 0) and key in runs and runs[key]["seq"] >= seq:
            continue   # folded before (a compaction interrupted after its checkpoint)
        record = _load(store, seq, key)
        if key not in runs or runs[key]["seq"] < seq:
            runs[key] = {"seq": seq, "run_id": record.doc.get("run_id"), "attempt": record.attempt,
                         "committed_at": record.doc.get("committed_at"), "summary": record.summary}
    upto = max(fold[-1][0], doc.get("seq", 0))
    if upto not in checkpoints:
        store.write_bytes(_checkpoint_rel(upto), json.dumps(
            {"version": 1, "seq": upto, "runs": runs}, sort_keys=True, default=str).encode())
    faults.point("compact.checkpointed")
    for seq, key in fold:
        store.remove(f"{COMMITS}/{seq:012d}-{key}.json")
        faults.point(f"compact.folded:{seq}")
    for old in checkpoints:
        if old < upto:
            store.remove(_checkpoint_rel(old))
    faults.point("compact.done")
    log.info("commit log: folded %d records (up to commit %d) into %s", len(fold), upto,
             store.path(_checkpoint_rel(upto)))
    return len(fold)


def sweep(store: Store) -> list[str]:
    """Remove every run's staging (nothing in it is committed once :func:`recover` ran:
    uncommitted runs are rolled back) and stray ``.tmp-*`` files of interrupted writes.
    Call under the lease.

    Lists only the directories a run writes into with temporary files: ``_staging/``,
    ``_commits/`` and ``state/`` (table files only ever arrive by a rename from the
    staging, never as temporary files; a tool writing tables directly with
    :meth:`Store.publish` removes its temporary file itself unless killed)."""
    removed = []
    for name in store.listdir(STAGING):
        removed.append(f"{STAGING}/{name}")
        store.remove_tree(f"{STAGING}/{name}")
    store.prune(STAGING)
    for directory in (COMMITS, STATE):
        for name in store.listdir(directory):
            if name.startswith(TMP_PREFIX):
                store.remove(f"{directory}/{name}")
                removed.append(f"{directory}/{name}")
    if removed:
        log.warning("swept %d leftovers of interrupted runs: %s", len(removed), ", ".join(removed[:10]))
    return removed
