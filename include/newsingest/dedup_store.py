"""Compact column store behind :class:`newsingest.dedup.DedupIndex`.

Per document: fixed-width numpy columns (time, run, source, cluster, sketch sizes,
lead and number sketches, content hash) and the id as UTF-8 bytes in one buffer.
Look-up tables are sorted numpy arrays: ``post_key``/``post_doc`` (sampled shingle
keys) and ``url_key``/``url_doc`` (canonical URL hashes). Serialised as a small JSON
header followed by the raw arrays; nothing is unpickled.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

from newsingest.shingles import LEAD_CAP

MAGIC = b"NSDEDUP1"
FORMAT_VERSION = 1

DOC_COLUMNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "t": ("<i4", ()),            # minutes since the epoch (published, else added)
    "added": ("<i4", ()),        # minutes since the epoch when stored (0: not known)
    "run": ("<i4", ()),          # index into runs
    "src": ("<i4", ()),          # index into sources, -1 unknown
    "cluster": ("<u8", ()),      # cluster key; cluster_id is its 16-digit hex
    "tau": ("<u4", ()),          # sample threshold
    "n": ("<u2", ()),            # sample size
    "nclean": ("<u2", ()),       # sample size without boilerplate keys (when added)
    "ntok": ("<u4", ()),         # token count
    "chash": ("<u8", ()),        # content hash, 0 none
    "lead": ("<u2", (LEAD_CAP,)),
    "lead_n": ("u1", ()),
    "lead_head": ("u1", ()),
    "lead_rest": ("u1", ()),     # lead shingles in the first sentence (0: not known)
    "nnum": ("u1", ()),          # sample keys that hold a number
    "nnum_clean": ("u1", ()),    # ... without boilerplate keys (when added)
}
TABLES: dict[str, str] = {
    "post_key": "<u4", "post_doc": "<i4", "url_key": "<u8", "url_doc": "<i4",
    "id_buf": "u1", "id_off": "<i8",
}


def empty_columns(n: int = 0) -> dict[str, np.ndarray]:
    """Zeroed document columns for ``n`` documents."""
    return {name: np.zeros((n, *shape), np.dtype(dt)) for name, (dt, shape) in DOC_COLUMNS.items()}


def encode_ids(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Ids as one UTF-8 buffer and offsets."""
    raw = [s.encode("utf-8") for s in ids]
    off = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(r) for r in raw], out=off[1:])
    return np.frombuffer(b"".join(raw), np.uint8).copy(), off


@dataclass
class Store:
    """All arrays of an index; rows of ``cols`` are documents."""

    cols: dict[str, np.ndarray] = field(default_factory=empty_columns)
    post_key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    post_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    url_key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    url_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    id_buf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    id_off: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    chash_order: np.ndarray | None = None   # argsort of cols["chash"], built lazily

    def __len__(self) -> int:
        return len(self.cols["t"])

    def doc_id(self, i: int) -> str:
        """The id of document row ``i``."""
        return bytes(self.id_buf[self.id_off[i]:self.id_off[i + 1]]).decode("utf-8")

    def nbytes(self) -> int:
        """Bytes held in numpy arrays."""
        return (sum(a.nbytes for a in self.cols.values())
                + sum(getattr(self, t).nbytes for t in TABLES))

    def lookup_chash(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query index, doc row) for every stored doc whose content hash is in keys."""
        if self.chash_order is None:
            self.chash_order = np.argsort(self.cols["chash"], kind="stable")
        sorted_keys = self.cols["chash"][self.chash_order]
        return lookup(sorted_keys, self.chash_order.astype(np.int32), keys)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the document rows where ``mask`` is True."""
        if mask.all():
            return
        new_index = np.cumsum(mask, dtype=np.int64) - 1
        self.cols = {k: v[mask] for k, v in self.cols.items()}
        for key_name, doc_name in (("post_key", "post_doc"), ("url_key", "url_doc")):
            docs = getattr(self, doc_name)
            sel = mask[docs]
            setattr(self, key_name, compress(getattr(self, key_name), sel))
            docs = compress(docs, sel)
            for start in range(0, len(docs), 1 << 20):
                docs[start:start + (1 << 20)] = new_index[docs[start:start + (1 << 20)]]
            setattr(self, doc_name, docs)
        lengths = np.diff(self.id_off)
        self.id_buf = self.id_buf[np.repeat(mask, lengths)]
        self.id_off = np.zeros(int(mask.sum()) + 1, np.int64)
        np.cumsum(lengths[mask], out=self.id_off[1:])
        self.chash_order = None

    def append(self, cols: dict[str, np.ndarray], ids: list[str],
               post_key: np.ndarray, post_doc: np.ndarray,
               url_key: np.ndarray, url_doc: np.ndarray) -> None:
        """Append documents (their ``*_doc`` values count from 0 within the batch)."""
        base = len(self)
        self.cols = {k: np.concatenate([v, cols[k].astype(v.dtype)]) for k, v in self.cols.items()}
        self.post_key, self.post_doc = merge(self.post_key, self.post_doc, post_key,
                                             post_doc.astype(np.int32) + base)
        self.url_key, self.url_doc = merge(self.url_key, self.url_doc, url_key,
                                           url_doc.astype(np.int32) + base)
        buf, off = encode_ids(ids)
        self.id_buf = np.concatenate([self.id_buf, buf])
        self.id_off = np.concatenate([self.id_off, off[1:] + self.id_off[-1]])
        self.chash_order = None

    def to_bytes(self, meta: dict) -> bytes:
        """Header (JSON) plus raw little-endian arrays."""
        arrays = {f"col.{k}": v for k, v in self.cols.items()}
        arrays.update({t: getattr(self, t) for t in TABLES})
        entries, chunks, offset = [], [], 0
        for name, arr in arrays.items():
            data = np.ascontiguousarray(arr).tobytes()
            entries.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape),
                            "offset": offset, "nbytes": len(data)})
            chunks.append(data)
            offset += len(data)
        header = json.dumps({"version": FORMAT_VERSION, "meta": meta, "arrays": entries},
                            separators=(",", ":")).encode("utf-8")
        return MAGIC + struct.pack("<Q", len(header)) + header + b"".join(chunks)

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple["Store", dict]:
        """Inverse of :meth:`to_bytes`; returns the store and the header's meta."""
        if data[:8] != MAGIC:
            raise ValueError("not a newsingest dedup index")
        (hlen,) = struct.unpack("<Q", data[8:16])
        header = json.loads(data[16:16 + hlen].decode("utf-8"))
        if header.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported dedup index version {header.get('version')}")
        base = 16 + hlen
        store = cls()
        for e in header["arrays"]:
            name, dtype = e["name"], np.dtype(e["dtype"])
            start = base + e["offset"]
            arr = np.frombuffer(data, dtype, count=e["nbytes"] // dtype.itemsize,
                                offset=start).reshape(e["shape"]).copy()
            if name.startswith("col."):
                col = name[4:]
                if col not in DOC_COLUMNS:
                    raise ValueError(f"unknown column {col}")
                store.cols[col] = arr.astype(np.dtype(DOC_COLUMNS[col][0]), copy=False)
            elif name in TABLES:
                setattr(store, name, arr.astype(np.dtype(TABLES[name]), copy=False))
            else:
                raise ValueError(f"unknown array {name}")
        n = len(store.id_off) - 1
        written = {e["name"][4:] for e in header["arrays"] if e["name"].startswith("col.")}
        for col, (dt, shape) in DOC_COLUMNS.items():   # a column added later: zeros
            if col not in written:
                store.cols[col] = np.zeros((n, *shape), np.dtype(dt))
        if any(len(v) != n for v in store.cols.values()) or n < 0:
            raise ValueError("inconsistent dedup index")
        return store, header["meta"]


def merge(keys: np.ndarray, docs: np.ndarray, new_keys: np.ndarray,
          new_docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge a sorted (keys, docs) table with unsorted new rows, growing the arrays in
    place (no second copy of a large table) when they own their memory."""
    order = np.argsort(new_keys, kind="stable")
    nk = new_keys[order].astype(keys.dtype)
    nd = new_docs[order].astype(docs.dtype)
    n_old, n_new = len(keys), len(nk)
    if n_new == 0:
        return keys, docs
    if n_old < (1 << 16) or not (keys.flags.owndata and docs.flags.owndata):
        k = np.concatenate([keys, nk])
        d = np.concatenate([docs, nd])
        o = np.argsort(k, kind="stable")
        return k[o], d[o]
    pos = np.searchsorted(keys, nk, "right")   # new row j goes after old rows < pos[j]
    keys.resize(n_old + n_new, refcheck=False)
    docs.resize(n_old + n_new, refcheck=False)
    chunk = 1 << 20
    for start in range(((n_old - 1) // chunk) * chunk, -1, -chunk):   # from the back
        stop = min(start + chunk, n_old)
        idx = np.arange(start, stop)
        dest = idx + np.searchsorted(pos, idx, "right")
        keys[dest] = keys[start:stop].copy()
        docs[dest] = docs[start:stop].copy()
    slots = pos + np.arange(n_new)
    keys[slots] = nk
    docs[slots] = nd
    return keys, docs


def compress(arr: np.ndarray, mask: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """``arr[mask]``, compacting in place chunk by chunk when ``arr`` owns its memory."""
    if len(arr) <= chunk or not arr.flags.owndata:
        return arr[mask]
    out = 0
    for start in range(0, len(arr), chunk):
        part = arr[start:start + chunk][mask[start:start + chunk]]
        arr[out:out + len(part)] = part
        out += len(part)
    arr.resize(out, refcheck=False)
    return arr


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each (s, c)."""
    counts = counts.astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    shift = starts.astype(np.int64) - (np.cumsum(counts) - counts)
    return np.repeat(shift, counts) + np.arange(total, dtype=np.int64)


def lookup(sorted_keys: np.ndarray, docs: np.ndarray,
           keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (query index, doc) with ``sorted_keys[row] == keys[query index]``."""
    lo = np.searchsorted(sorted_keys, keys, "left")
    hi = np.searchsorted(sorted_keys, keys, "right")
    cnt = hi - lo
    rows = expand_ranges(lo, cnt)
    return np.repeat(np.arange(len(keys)), cnt), docs[rows]
