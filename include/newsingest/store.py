"""Storage under ``NEWS_DATA_URL``: atomic file writes, table partitions, run state.

Layout under the root::

    articles/date=YYYY-MM-DD/part-<run_key>.parquet        published tables (hive partitions)
    copies/ feed_polls/ raw_pages/                          same layout (raw_pages: one file per group)
    state/                                                  feed state, dedup index, site templates
    _staging/<run_key>/                                     a run's intermediate files (removed at the end)
    _commits/                                               the commit log (newest records + one checkpoint)
    _lock/                                                  the writer's lease (only while a run works)

Every file is written to a hidden temporary name in its final directory and then
renamed, so readers never see a half-written file. Files are named after the run,
so re-running a run replaces its files and two runs never write the same file. What
makes a run's files visible all together, once, is :mod:`newsingest.commit`.

On a local filesystem, directories left empty (``_staging/``, ``_lock/``, a partition
whose only file a re-run replaced) are removed with :meth:`Store.prune`; object stores
have no directories. A writer whose directory is pruned between creating it and
creating its file creates it again (:meth:`Store._open_new`), so pruning never races a
concurrent writer.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import posixpath
import re
import uuid
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from newsingest import faults
from newsingest.schema import PARTITION_KEY

TMP_PREFIX = ".tmp-"
_DIR_RETRIES = 10  # a directory pruned under a writer is made again this many times


def run_key(run_id: str) -> str:
    """A file-name-safe, collision-free key for an Airflow run id."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", run_id).strip("-")[:60]
    digest = hashlib.sha1(run_id.encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


# Errors of the storage itself, raised by a write or close without a file name.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO})


@contextmanager
def _naming(final: str) -> Iterator[None]:
    """Re-raise a storage error (a full disk, a read-only root) of writing a file
    naming that file (its final name, not the hidden temporary one)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        raise OSError(exc.errno, exc.strerror, final) from exc


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


class Store:
    """A data root (local path or any fsspec URL) with atomic writes.

    ``storage_options`` go to the fsspec filesystem (``NEWS_STORAGE_OPTIONS``), e.g.
    ``{"endpoint_url": "http://127.0.0.1:9000", "key": ..., "secret": ...}`` for s3fs.
    """

    def __init__(self, root_url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        self.url = root_url
        self.fs, root = fsspec.core.url_to_fs(root_url, **dict(storage_options or {}))
        self.root = root.rstrip("/") or "/"

    def path(self, *parts: str) -> str:
        """Absolute path inside the root (parts are joined with '/')."""
        return posixpath.join(self.root, *parts)

    # -- raw files -----------------------------------------------------------------
    def _open_new(self, directory: str, name: str, mode: str = "wb") -> Any:
        """Open a new file ``name`` in ``directory``, making the directory first (again if
        a concurrent :meth:`prune` removed it in between)."""
        for attempt in range(_DIR_RETRIES):
            try:
                self.fs.makedirs(directory, exist_ok=True)
                return self.fs.open(posixpath.join(directory, name), mode)
            except (FileNotFoundError, FileExistsError):
                # makedirs saw the directory made and then pruned (EEXIST, then gone), or
                # it was pruned before the open: make it again
                if attempt == _DIR_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def write_bytes(self, relpath: str, data: bytes) -> str:
        """Write ``data`` atomically (temp file in the same directory, then rename)."""
        final = self.path(relpath)
        directory = posixpath.dirname(final)
        name = f"{TMP_PREFIX}{uuid.uuid4().hex}"
        tmp = posixpath.join(directory, name)
        try:
            with _naming(final), self._open_new(directory, name) as fh:
                half = len(data) // 2
                fh.write(data[:half])
                faults.point(f"write-mid:{relpath}")
                fh.write(data[half:])
            self.fs.mv(tmp, final)
        finally:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)
        faults.point(f"write-done:{relpath}")
        return final

    def read_bytes(self, relpath: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        try:
            with self.fs.open(self.path(relpath), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def exists(self, relpath: str) -> bool:
        return self.fs.exists(self.path(relpath))

    def move(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst`` (both relative), replacing ``dst``."""
        final = self.path(dst)
        for attempt in range(_DIR_RETRIES):
            try:
                self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
                self.fs.mv(self.path(src), final)
                return
            except (FileNotFoundError, FileExistsError):   # pruned meanwhile (see _open_new)
                if attempt == _DIR_RETRIES - 1 or not self.fs.exists(self.path(src)):
                    raise

    def remove(self, relpath: str) -> None:
        """Remove one file, if present."""
        try:
            self.fs.rm(self.path(relpath))
        except FileNotFoundError:
            pass

    def listdir(self, relpath: str) -> list[str]:
        """Names directly under a directory (empty when it does not exist), sorted."""
        try:
            entries = self.fs.ls(self.path(relpath), detail=False)
        except FileNotFoundError:
            return []
        return sorted(posixpath.basename(e.rstrip("/")) for e in entries)

    def find(self, relpath: str = "") -> list[str]:
        """Every file under a directory, relative to the root, sorted."""
        prefix = self.root.rstrip("/") + "/"
        try:
            found = self.fs.find(self.path(relpath) if relpath else self.root)
        except FileNotFoundError:
            return []
        return sorted(p[len(prefix):] if p.startswith(prefix) else p for p in found)

    def prune(self, relpath: str) -> list[str]:
        """Remove the directory ``relpath`` if it is empty, then each parent left empty,
        up to (not including) the root; returns what was removed. Local filesystems only
        (object stores have no directories). ``rmdir`` removes only an empty directory,
        atomically, so a file a concurrent writer put there is never lost; a writer
        that made the directory just before it went makes it again (:meth:`_open_new`)."""
        if not _is_local(self.fs):
            return []
        removed = []
        parts = [p for p in relpath.strip("/").split("/") if p]
        while parts:
            try:
                os.rmdir(self.path(*parts))
            except OSError:   # not empty (or already gone, or not ours to remove): stop here
                break
            removed.append("/".join(parts))
            parts.pop()
        return removed

    def remove_tree(self, relpath: str) -> None:
        """Remove a directory and everything under it, if present."""
        target = self.path(relpath)
        if self.fs.exists(target):
            self.fs.rm(target, recursive=True)

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching ``pattern`` (relative to the root), sorted."""
        prefix = self.root.rstrip("/") + "/"
        return sorted(p[len(prefix):] if p.startswith(prefix) else p
                      for p in self.fs.glob(self.path(pattern)))

    # -- parquet ----------------------------------------------------------------------
    def write_parquet(self, relpath: str, table: pa.Table) -> str:
        """Write one Parquet file atomically (zstd-compressed)."""
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        return self.write_bytes(relpath, buf.getvalue())

    @contextmanager
    def parquet_writer(self, relpath: str, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
        """Write a Parquet file in row groups (bounded memory), made visible atomically."""
        final = self.path(relpath)
        directory = posixpath.dirname(final)
        name = f"{TMP_PREFIX}{uuid.uuid4().hex}"
        tmp = posixpath.join(directory, name)
        try:
            with _naming(final), self._open_new(directory, name) as fh, \
                    pq.ParquetWriter(fh, schema, compression="zstd") as writer:
                yield writer
                faults.point(f"write-mid:{relpath}")   # rows written, footer not yet
            self.fs.mv(tmp, final)
        finally:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)

    def read_parquet(self, relpath: str, columns: Iterable[str] | None = None) -> pa.Table:
        """The file as a table; with ``columns``, only those of them the file has (a
        file written by an older version may lack a newer column)."""
        with self.fs.open(self.path(relpath), "rb") as fh:
            if columns is None:
                return pq.read_table(fh)
            pf = pq.ParquetFile(fh)
            present = set(pf.schema_arrow.names)
            return pf.read(columns=[c for c in columns if c in present])

    # -- published tables ---------------------------------------------------------
    def partition_dir(self, table: str, date: str) -> str:
        return f"{table}/{PARTITION_KEY}={date}"

    def publish(self, table: str, date: str, key: str, parts: Iterable[tuple[str, pa.Table]]) -> list[str]:
        """Write run ``key``'s files of ``table`` straight into the ``date`` partition,
        replacing its earlier ones (tools and tests; a pipeline run publishes through
        :mod:`newsingest.commit` instead, all tables and its state at once).

        ``parts`` are (suffix, table) pairs, suffix "" or "-g<N>"; files are named
        ``part-<key><suffix>.parquet``.
        """
        directory = self.partition_dir(table, date)
        written = []
        for suffix, tbl in parts:
            rel = f"{directory}/part-{key}{suffix}.parquet"
            self.write_parquet(rel, tbl)
            written.append(rel)
        own = re.compile(rf"part-{re.escape(key)}(-g\d+)?\.parquet$")
        for stale in self.glob(f"{directory}/part-{key}*.parquet"):
            if own.search(stale) and stale not in written:
                self.fs.rm(self.path(stale))
        return written

    def table_files(self, table: str) -> list[str]:
        return self.glob(f"{table}/{PARTITION_KEY}=*/*.parquet")
