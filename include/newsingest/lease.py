"""One writer per data root: a lease under ``<root>/_lock/``, renewed while a run works.

A run takes the lease in ``plan`` and gives it back at the end of ``publish``; every
stage in between renews it (and a heartbeat thread keeps renewing while the stage
runs). The protocol needs only put, list, read and delete, so it works the same on a
local path and on object storage with read-after-write consistency (S3, GCS, Azure):

1. put a candidate ``_lock/<run_key>.<random>.json`` (run id, host, pid, expiry);
2. list ``_lock/``: every other candidate of the same run is an earlier attempt of
   this run and is replaced; a stale one is removed (taken over); any other live
   candidate means another run holds the root, so the new candidate is withdrawn and
   :class:`LockHeld` names the holder.

Two runs racing both see each other's candidate and both back off (neither wins),
never both win. A candidate is stale when its lease expired (no renewal for
``NEWS_LOCK_TTL`` seconds, default 600) or when it was written on this host by a
process, still marked as working, that no longer exists (a killed worker): such a lock
is taken over at once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from newsingest.errors import NewsIngestError
from newsingest.store import Store, run_key

log = logging.getLogger(__name__)
LOCK_DIR = "_lock"
TTL_ENV = "NEWS_LOCK_TTL"
WAIT_ENV = "NEWS_LOCK_WAIT"   # seconds a new run waits for a held root (default 0: fail fast)
_released: set[str] = set()   # candidates given back by this process: never renewed again
_guard = threading.Lock()


class LockHeld(NewsIngestError):
    """Another live run holds the data root's lease."""


class LeaseLost(NewsIngestError):
    """This run's lease was taken over (it expired or looked dead) by another run."""


def _seconds(attr: str) -> float:
    """A lease setting (``NEWS_LOCK_TTL``/``NEWS_LOCK_WAIT``), checked like every setting."""
    from newsingest.config import Settings, _env_number

    return float(_env_number(os.environ, attr, getattr(Settings, attr)))


def ttl_seconds() -> float:
    return _seconds("lock_ttl")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_reason(doc: dict, now: datetime | None = None) -> str | None:
    """Why a candidate no longer holds the lease, or None while it is live."""
    now = now or _now()
    try:
        expires = datetime.fromisoformat(doc["expires_at"])
    except (KeyError, TypeError, ValueError):
        return "unreadable lease"
    if expires < now:
        return f"its lease expired at {doc['expires_at']}"
    if doc.get("active") and doc.get("host") == socket.gethostname() and doc.get("pid") \
            and not _pid_alive(int(doc["pid"])):
        return f"its process {doc['pid']} on {doc['host']} is gone"
    return None


def describe(doc: dict) -> str:
    return (f"run {doc.get('run_id')!r} (host {doc.get('host')}, pid {doc.get('pid')}, "
            f"since {doc.get('acquired_at')}, lease until {doc.get('expires_at')})")


@dataclass
class Lease:
    """This run's candidate file under ``_lock/``."""

    store: Store
    run_id: str
    name: str
    acquired_at: str

    @property
    def rel(self) -> str:
        return f"{LOCK_DIR}/{self.name}"

    def _doc(self, active: bool) -> dict:
        now = _now()
        return {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(),
                "active": active, "acquired_at": self.acquired_at, "renewed_at": now.isoformat(),
                "expires_at": (now + timedelta(seconds=ttl_seconds())).isoformat()}

    def renew(self, active: bool = True) -> None:
        """Extend the lease; :class:`LeaseLost` when another run took it over."""
        with _guard:
            if self.name in _released:
                return   # given back (a heartbeat must not bring it back)
            self._renew(active)

    def _renew(self, active: bool) -> None:
        if not self.store.exists(self.rel):
            holder = _live_holder(self.store, self.run_id)
            raise LeaseLost(f"run {self.run_id!r} lost its lease on {self.store.url}"
                            + (f" to {describe(holder)}" if holder else "")
                            + "; its unpublished work was rolled back: clear the whole run to redo it")
        self.store.write_bytes(self.rel, json.dumps(self._doc(active)).encode())

    def release(self) -> None:
        """Give the lease back; ``_lock/`` goes too when no other candidate is in it."""
        with _guard:
            _released.add(self.name)
            self.store.remove(self.rel)
            self.store.prune(LOCK_DIR)


def _candidates(store: Store) -> list[tuple[str, dict]]:
    out = []
    for name in store.listdir(LOCK_DIR):
        if not name.endswith(".json"):
            continue
        raw = store.read_bytes(f"{LOCK_DIR}/{name}")
        if raw is None:
            continue  # withdrawn meanwhile
        try:
            out.append((name, json.loads(raw)))
        except ValueError:
            out.append((name, {}))
    return out


def _live_holder(store: Store, run_id: str) -> dict | None:
    for _, doc in _candidates(store):
        if doc.get("run_id") != run_id and stale_reason(doc) is None:
            return doc
    return None


def acquire(store: Store, run_id: str) -> Lease:
    """Take the data root's lease for ``run_id`` (see the module docstring), waiting
    up to ``NEWS_LOCK_WAIT`` seconds for a live holder to finish."""
    deadline = time.monotonic() + _seconds("lock_wait")
    while True:
        try:
            return _try_acquire(store, run_id)
        except LockHeld:
            if time.monotonic() >= deadline:
                raise
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))


def _try_acquire(store: Store, run_id: str) -> Lease:
    now = _now().isoformat()
    lease = Lease(store, run_id, f"{run_key(run_id)}.{uuid.uuid4().hex[:12]}.json", now)
    store.write_bytes(lease.rel, json.dumps(lease._doc(True)).encode())
    for name, doc in _candidates(store):
        if name == lease.name:
            continue
        if doc.get("run_id") == run_id:
            store.remove(f"{LOCK_DIR}/{name}")   # an earlier attempt of this run
            continue
        reason = stale_reason(doc)
        if reason:
            log.warning("taking over the data root %s from %s: %s", store.url, describe(doc), reason)
            store.remove(f"{LOCK_DIR}/{name}")
            continue
        lease.release()
        raise LockHeld(f"data root {store.url} is being written by {describe(doc)}; "
                       f"run {run_id!r} did not start. Wait for that run to finish (or its "
                       f"lease to expire); if it is surely dead, delete "
                       f"{store.path(LOCK_DIR, name)}")
    return lease


def resume(store: Store, run_id: str) -> Lease:
    """This run's lease for a later stage: renewed, or taken again if it had lapsed."""
    prefix = run_key(run_id) + "."
    mine = [(n, d) for n, d in _candidates(store) if n.startswith(prefix) and d.get("run_id") == run_id]
    if mine:
        name, doc = mine[-1]
        lease = Lease(store, run_id, name, doc.get("acquired_at") or _now().isoformat())
        lease.renew()
        return lease
    holder = _live_holder(store, run_id)
    if holder:
        raise LeaseLost(f"run {run_id!r} has no lease on {store.url}: it is held by "
                        f"{describe(holder)}; clear the whole run to redo it")
    return acquire(store, run_id)


@contextmanager
def held(store: Store, run_id: str, lease: Lease | None = None) -> Iterator[Lease]:
    """Hold (renew) the lease while the body runs; a heartbeat thread keeps it fresh."""
    lease = lease or resume(store, run_id)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(ttl_seconds() / 4):
            try:
                lease.renew()
            except Exception as exc:  # noqa: BLE001 - the stage itself finds out at commit
                log.warning("lease renewal failed: %s", exc)
                return

    thread = threading.Thread(target=beat, name="newsingest-lease", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            if lease.name not in _released and lease.store.exists(lease.rel):
                lease.renew(active=False)
        except Exception as exc:  # noqa: BLE001 - never hide the stage's own outcome
            log.warning("lease update failed: %s", exc)


def release_run(store: Store, run_id: str) -> None:
    """Give back every candidate of ``run_id`` (the run is over)."""
    prefix = run_key(run_id) + "."
    for name, doc in _candidates(store):
        if name.startswith(prefix) and doc.get("run_id") == run_id:
            Lease(store, run_id, name, "").release()


@contextmanager
def stage(store: Store, run_id: str, name: str, hold: bool = True) -> Iterator[None]:
    """One stage of a run: fault points at its start and end, the lease held meanwhile
    (``hold=False`` for ``plan``, which takes the lease itself)."""
    from newsingest import faults

    faults.point(f"stage.{name}.start")
    if hold:
        with held(store, run_id):
            yield
    else:
        yield
    faults.point(f"stage.{name}.end")
