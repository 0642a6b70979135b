"""Storage under ``NEWS_DATA_URL``: atomic file writes, table partitions, run state.

Layout under the root::

    articles/date=YYYY-MM-DD/part-<run_key>.parquet        published tables (hive partitions)
    copies/ feed_polls/ raw_pages/                          same layout (raw_pages: one file per group)
    state/                                                  feed state, dedup index, site templates
    _staging/<run_key>/                                     a run's intermediate files (removed at the end)

Every file is written to a hidden temporary name in its final directory and then
renamed, so readers never see a half-written file. Files are named after the run,
so re-running a run replaces its files and two runs never write the same file.
"""

from __future__ import annotations

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

from newsingest.schema import PARTITION_KEY


def run_key(run_id: str) -> str:
    """A file-name-safe, collision-free key for an Airflow run id."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", run_id).strip("-")[:60]
    digest = hashlib.sha1(run_id.encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


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
        tmp = posixpath.join(directory, f".tmp-{uuid.uuid4().hex}")
        try:
            with self.fs.open(tmp, "wb") as fh:
                fh.write(data)
            self.fs.mv(tmp, final)
        finally:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)
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
        tmp = posixpath.join(directory, f".tmp-{uuid.uuid4().hex}")
        try:
            with self.fs.open(tmp, "wb") as fh, pq.ParquetWriter(fh, schema, compression="zstd") as writer:
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
        """Replace run ``key``'s files of ``table`` in the ``date`` partition.

        ``parts`` are (suffix, table) pairs, suffix "" or "-g<N>"; files are named
        ``part-<key><suffix>.parquet``.
        New files are written first, then this run's stale files (from an earlier
        attempt) are removed, so the table is never without the run's rows.
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
