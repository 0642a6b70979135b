"""The one place the digest and the feed-health page read published tables from.

Everything downstream of ``publish`` (the digest, the stories table, the feed-health
page) goes through :func:`published_files` and :func:`read_published`, so a change in
what counts as a committed file (e.g. a commit protocol over the Parquet files) is
adapted here and nowhere else.
"""

from __future__ import annotations

import posixpath
import re
from typing import Sequence

import pyarrow as pa
import pyarrow.dataset as ds

from newsingest.schema import PARTITION_KEY
from newsingest.store import Store
from newsingest.summary import read_table

_DATE = re.compile(rf"/{PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})/")


def partition_date(relpath: str) -> str | None:
    """The ``YYYY-MM-DD`` of a file's ``date=`` partition, or None."""
    found = _DATE.search("/" + relpath)
    return found.group(1) if found else None


def published_files(store: Store, table: str) -> list[str]:
    """Relative paths of a table's committed files, oldest partition first."""
    files = store.table_files(table)
    return sorted(files, key=lambda f: (partition_date(f) or "", f))


def read_published(store: Store, table: str, columns: Sequence[str] | None = None,
                   files: Sequence[str] | None = None) -> pa.Table | None:
    """A published table (or only ``files`` of it) with its ``date`` partition column; None if empty.

    ``columns`` may name ``date`` (the partition) too; only those columns are read.
    """
    cols = list(columns) if columns is not None else None
    if files is None:
        return read_table(store, table, cols)
    if not files:
        return None
    dataset = ds.dataset([store.path(f) for f in files], filesystem=store.fs, format="parquet",
                         partitioning="hive", partition_base_dir=store.path(table))
    return dataset.to_table(columns=cols)


def sibling_file(relpath: str, table: str) -> str:
    """The file of ``table`` written by the same run as ``relpath`` (same partition and name)."""
    parts = relpath.split("/")
    return posixpath.join(table, *parts[1:])
