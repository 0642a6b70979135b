"""Storage under ``NEWS_DATA_URL``: atomic file writes, table partitions, run state.

Layout under the root::

    articles/date=YYYY-MM-DD/part-<run_key>.parquet        published tables (hive partitions)
    copies/ feed_polls/ raw_pages/                          same layout (raw_pages: one file per group)
    state/                                                  feed state, dedup index, site templates
    _staging/<run_key>/                                     a run's intermediate files (removed at the end)
    _commits/ _lock/                                        the commit log and the writer's lease

Every file is written to a hidden temporary name in its final directory and then
renamed, so readers never see a half-written file. Files are named after the run,
so re-running a run replaces its files and two runs never write the same file. What
makes a run's files visible all together, once, is :mod:`newsingest.commit`.
"""

from __future__ import annotations

import errno
import hashlib
import io
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
    def write_bytes(self, relpath: str, data: bytes) -> str:
        """Write ``data`` atomically (temp file in the same directory, then rename)."""
        final = self.path(relpath)
        directory = posixpath.dirname(final)
        self.fs.makedirs(directory, exist_ok=True)
        tmp = posixpath.join(directory, f"{TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            with _naming(final), self.fs.open(tmp, "wb") as fh:
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
        self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
        self.fs.mv(self.path(src), final)

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
        self.fs.makedirs(directory, exist_ok=True)
        tmp = posixpath.join(directory, f"{TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            with _naming(final), self.fs.open(tmp, "wb") as fh, \
                    pq.ParquetWriter(fh, schema, compression="zstd") as writer:
                yield writer
            self.fs.mv(tmp, final)
        finally:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)

    def read_parquet(self, relpath: str) -> pa.Table:
        with self.fs.open(self.path(relpath), "rb") as fh:
            return pq.read_table(fh)

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
