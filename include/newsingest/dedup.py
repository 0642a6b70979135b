"""Syndicated copies: group the copies of one story across outlets.

Entry points: :func:`cluster_documents` (batch, dicts in, ``{id: cluster_id}`` out) and
:class:`DedupIndex` (``assign`` once per run against a persisted rolling history).

Rules, strongest first (``Assignment.rule``):

* ``url``: the canonical form (:func:`newsingest.urls.canonicalize_url`: trackers,
  AMP variants, case, port, fragment, slash) of a copy's final URL, feed link or
  rel=canonical equals one of another copy's. A rel=canonical pointing at a site's home
  page is ignored. A URL match is taken as is (a re-fetch of one page is one story).
* ``content_hash``: the same body after normalisation (NFKC, case-folded, punctuation,
  quote and dash styles and whitespace ignored, credit and promo paragraphs of
  ``data/dedup_boilerplate.txt`` dropped), at least 12 words.
* ``near_duplicate``: consistent samples of word 3-gram shingles (after word equivalences,
  page furniture and boilerplate are removed)
  (:mod:`newsingest.shingles`), all of (thresholds in :class:`MatchRules`):
  - publication times at most ``window_days`` apart;
  - boilerplate keys do not count: a key seen in ``corpus_clusters`` (5) or more
    clusters, in ``outlet_clusters`` (3) or more clusters of one outlet, or with more
    than ``max_postings`` postings;
  - at least ``min_overlap`` (3) shared keys, containment (shared / smaller sample)
    >= ``min_containment`` (0.6) and coverage (shared / larger sample) >=
    ``min_coverage`` (0.15): a trimmed copy is contained in its original;
  - the leads agree: >= ``min_lead`` (0.5) of the head of one copy's lead lies in the
    other's lead (either way across outlets, both ways within one outlet), unless the
    texts are near-identical (containment >= 0.9 and coverage >= 0.8; 0.95 both within
    an outlet) or too short for a lead; follow-ups and live-blog snapshots with a new
    top fail here. Datelines are not part of the text (:func:`newsingest.shingles.
    strip_dateline`), so a copy that trims or reformats one keeps its lead;
  - or the lead was rewritten: the words of neither head are in the other's lead
    (< ``min_lead``: the top was replaced, not pushed down by new entries as in a live
    blog or an update, and not the same template with other figures) and, both ways,
    >= ``min_rest`` (0.6) of the lead shingles after one copy's first sentence (its
    *rest head*, at least ``min_lead_head`` of them) lie in the other's lead. A
    follow-up under a new top of more than one sentence fails here;
  - the figures agree: when the smaller copy has >= ``min_numeric`` (3) sampled
    shingles holding numbers, their containment is at least ``numeric_ratio`` (0.7)
    times that of the other shingles, and a lead whose numeric shingles mostly differ
    does not agree. Recurring templated reports (same words, other figures and dates)
    stay apart.
  The title is not used. ``similarity`` is the containment.

Clusters: edges are joined strongest first (single link); a cluster never absorbs a
second existing cluster, so existing clusters are never merged or renamed. A copy that
matches an existing cluster joins it (``existing=True``) and keeps its ``cluster_id``;
``matched_id`` is its best match inside the cluster. A new cluster's canonical copy
(``is_canonical``, rule ``new``) is a member that another member names as
rel=canonical, else the earliest published, then the longest text, then the smallest
id; the ``cluster_id`` is 16 hex digits of a stable hash of that copy's id.

Boilerplate needs clusters, clusters need boilerplate: pass 1 counts clusters per key
in the history only and clusters with a stricter containment (0.85); pass 2 counts
them with pass 1's clusters of the batch and re-scores the same candidate pairs.

The history (:class:`DedupIndex`) keeps per copy at most 40 four-byte sampled keys
(24 at least: short copies are sampled densely, all their shingles up to 24) and about
80 bytes of fixed columns (:mod:`newsingest.dedup_store`), and serialises to raw numpy
arrays behind a JSON header (no pickle). An index written before a column existed
loads with that column zeroed (``lead_rest`` 0: the rewritten-lead rule does not
apply to those copies; ``added`` 0: pruned by publication time alone). A copy is
forgotten once both its publication time and the time it was stored are more than
``history_days`` old, so a late-arriving old story still catches its later copies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from newsingest.dedup_store import Store, empty_columns, expand_ranges, lookup
from newsingest.shingles import LEAD_CAP, LEAD_HEAD, sketch_batch, stable_hash64
from newsingest.urls import canonicalize_url

__all__ = ["Assignment", "DedupDoc", "DedupIndex", "MatchRules", "cluster_documents"]

RULE_PRIORITY = {"url": 3, "content_hash": 2, "near_duplicate": 1}
_PRIORITY_RULE = {v: k for k, v in RULE_PRIORITY.items()}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SHIFT = np.uint64(1 << 32)


@dataclass(frozen=True)
class MatchRules:
    """Thresholds of the near-duplicate rule (see the module docstring); chosen on
    ``../shared/data/dedup-dev`` (short copy-edited wire copy), checked on ``bench/dedup.py``
    and the fixtures of ``tests/test_dedup.py`` (docs/decisions.md)."""

    min_overlap: int = 3
    min_containment: float = 0.6
    min_coverage: float = 0.15
    min_lead: float = 0.5
    min_rest: float = 0.6
    identical_containment: float = 0.9
    identical_coverage: float = 0.8
    same_source_identical: float = 0.95
    min_lead_head: int = 3
    min_numeric: int = 3
    numeric_ratio: float = 0.7
    corpus_clusters: int = 5
    outlet_clusters: int = 3
    max_postings: int = 1000
    pass1_containment: float = 0.85


RULES = MatchRules()


@dataclass
class DedupDoc:
    """One fetched copy."""

    id: str
    title: str
    text: str
    url: str | None = None
    canonical_url: str | None = None
    feed_url: str | None = None
    published_at: datetime | None = None
    source: str | None = None


@dataclass
class Assignment:
    """Where one copy went, and why."""

    doc_id: str
    cluster_id: str
    rule: str
    similarity: float
    matched_id: str | None
    is_canonical: bool
    existing: bool


def _parse_time(ts: datetime | str | None) -> datetime | None:
    if isinstance(ts, str):
        return datetime.fromisoformat(ts.strip().replace("Z", "+00:00")) if ts.strip() else None
    return ts


def _minutes(ts: datetime | str | None, default: int) -> int:
    ts = _parse_time(ts)
    if ts is None:
        return default
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return int((ts - _EPOCH).total_seconds() // 60)


def _url_hash(url: str) -> int:
    return stable_hash64("u:" + url)


def _is_home(url: str) -> bool:
    return urlsplit(url).path in ("", "/")


@dataclass
class _Batch:
    """The features of one call's copies."""

    docs: Sequence[DedupDoc]
    cols: dict[str, np.ndarray]
    t: np.ndarray
    src: np.ndarray
    own_urls: list[set[int]]
    canon_url: list[int | None]
    e_key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    e_ord: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    e_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    tau: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    occ: tuple | None = None
    cand_stop: np.ndarray | None = None
    nclean: tuple[np.ndarray, np.ndarray] | None = None


def _edges_empty() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8),
            np.zeros(0, np.float64))


class DedupIndex:
    """Rolling history of copies; :meth:`assign` clusters a run's copies against it."""

    def __init__(self, window_days: float = 5.0, history_days: float = 7.0,
                 rules: MatchRules = RULES) -> None:
        self.window_days = float(window_days)
        self.history_days = float(history_days)
        self.rules = rules
        self._store = Store()
        self._runs: list[str] = []
        self._sources: list[str] = []
        self._run_codes: dict[str, int] = {}
        self._source_codes: dict[str, int] = {}
        self.debug: list[dict] | None = None   # a list: pair features are appended (tuning)

    def __len__(self) -> int:
        return len(self._store)

    @property
    def nbytes(self) -> int:
        """Bytes held in the index's arrays."""
        return self._store.nbytes()

    # --- persistence -------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Serialise (numpy arrays and a JSON header; no pickle)."""
        meta = {"window_days": self.window_days, "history_days": self.history_days,
                "runs": self._runs, "sources": self._sources}
        return self._store.to_bytes(meta)

    @classmethod
    def from_bytes(cls, data: bytes) -> "DedupIndex":
        """Read an index written by :meth:`to_bytes`."""
        store, meta = Store.from_bytes(data)
        index = cls(meta["window_days"], meta["history_days"])
        index._store = store
        index._runs = list(meta["runs"])
        index._sources = list(meta["sources"])
        return index

    # --- codes ---------------------------------------------------------------------
    def _code(self, table: list[str], value: str) -> int:
        codes = self._run_codes if table is self._runs else self._source_codes
        if len(codes) != len(table):
            codes.clear()
            codes.update((v, i) for i, v in enumerate(table))
        if value not in codes:
            codes[value] = len(table)
            table.append(value)
        return codes[value]

    def _compact_runs(self) -> None:
        """Forget run ids that no stored copy refers to any more."""
        runs = self._store.cols["run"]
        used = np.unique(runs)
        if len(used) == len(self._runs):
            return
        remap = np.full(len(self._runs), -1, np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        self._store.cols["run"] = remap[runs]
        self._runs = [self._runs[i] for i in used.tolist()]
        self._run_codes.clear()

    # --- the call --------------------------------------------------------------------
    def assign(self, docs: Sequence[DedupDoc], run_id: str,
               now: datetime | None = None) -> list[Assignment]:
        """Cluster ``docs`` against the history and each other, then store them under
        ``run_id`` (replacing that run's earlier entries) and prune old entries."""
        now_min = _minutes(now or datetime.now(timezone.utc), 0)
        store = self._store
        run_code = self._code(self._runs, run_id)
        store.keep(store.cols["run"] != run_code)
        batch = self._featurize(docs, now_min)
        nb = len(docs)
        if nb == 0:
            self._prune(now_min)
            self._compact_runs()
            return []
        # exact rules
        ea = [self._url_edges(batch), self._content_edges(batch)]
        exact = tuple(np.concatenate([e[i] for e in ea]) for i in range(4))
        # pass 1: boilerplate from the history's clusters only, stricter containment
        labels = self._cluster(batch, exact, labels_only=True)
        near1 = self._near_edges(batch, labels, corpus=False)
        labels = self._cluster(batch, _cat(exact, near1), labels_only=True)
        # pass 2: boilerplate from every cluster
        near2 = self._near_edges(batch, labels, corpus=True)
        edges = _cat(exact, near2)
        out, cluster_keys = self._cluster(batch, edges, labels_only=False)
        self._insert(batch, run_code, cluster_keys, now_min)
        self._prune(now_min)
        self._compact_runs()
        return out

    # --- features ----------------------------------------------------------------------
    def _featurize(self, docs: Sequence[DedupDoc], now_min: int) -> _Batch:
        sk = sketch_batch([d.text or "" for d in docs])
        t = np.array([_minutes(d.published_at, now_min) for d in docs], np.int64)
        src = np.array([self._code(self._sources, d.source) if d.source else -1 for d in docs],
                       np.int64)
        own_urls: list[set[int]] = []
        canon: list[int | None] = []
        for d in docs:
            own = {_url_hash(c) for c in (canonicalize_url(d.url or ""),
                                          canonicalize_url(d.feed_url or "")) if c}
            cu = canonicalize_url(d.canonical_url or "")
            ok = bool(cu) and (not _is_home(cu) or (d.url and _is_home(d.url)))
            own_urls.append(own)
            canon.append(_url_hash(cu) if ok else None)
        batch = _Batch(docs, sk.cols, t, src, own_urls, canon)
        batch.e_doc, batch.e_key, batch.e_ord = sk.e_doc, sk.e_key, sk.e_ord
        batch.tau = sk.cols["tau"].astype(np.int64)
        return batch

    def _all_urls(self, batch: _Batch) -> tuple[np.ndarray, np.ndarray]:
        keys, qs = [], []
        for q, (own, canon) in enumerate(zip(batch.own_urls, batch.canon_url)):
            for k in own | ({canon} if canon is not None else set()):
                keys.append(k)
                qs.append(q)
        return np.array(keys, np.uint64), np.array(qs, np.int64)

    # --- exact rules --------------------------------------------------------------
    def _url_edges(self, batch: _Batch):
        keys, qs = self._all_urls(batch)
        return self._exact_edges(keys, qs, RULE_PRIORITY["url"],
                                 lambda k: lookup(self._store.url_key, self._store.url_doc, k))

    def _content_edges(self, batch: _Batch):
        ch = batch.cols["chash"].astype(np.uint64)
        qs = np.flatnonzero(ch != 0)
        return self._exact_edges(ch[qs], qs, RULE_PRIORITY["content_hash"],
                                 self._store.lookup_chash)

    def _exact_edges(self, keys: np.ndarray, qs: np.ndarray, prio: int, hist_lookup):
        nh = len(self._store)
        if not len(keys):
            return _edges_empty()
        qi, h = hist_lookup(keys)
        a_hist, b_hist = qs[qi], h.astype(np.int64)
        order = np.argsort(keys, kind="stable")
        ks, qsorted = keys[order], qs[order]
        first = np.r_[True, ks[1:] != ks[:-1]]
        head = qsorted[np.maximum.accumulate(np.where(first, np.arange(len(ks)), 0))]
        sel = head != qsorted
        a = np.concatenate([a_hist, qsorted[sel]])
        b = np.concatenate([b_hist, nh + head[sel]])
        return (a, b, np.full(len(a), prio, np.int8), np.ones(len(a)))

    # --- near duplicates --------------------------------------------------------------
    def _near_edges(self, batch: _Batch, labels: np.ndarray, corpus: bool):
        """Near-duplicate edges; ``labels`` are the batch docs' provisional cluster keys."""
        store = self._store
        nh, nb = len(store), len(batch.docs)
        if not len(batch.e_key):
            return _edges_empty()
        window = int(self.window_days * 1440)
        if batch.occ is None:
            batch.occ = self._occurrences(batch, window)
        ukeys, inv, hard, occ_key, occ_doc, hd = batch.occ
        # only keys seen at least twice can pair two documents or be boilerplate
        multi = np.bincount(occ_key, minlength=len(ukeys)) >= 2
        m = multi[occ_key]
        m_hist = m[:len(hd)]
        hist_only = np.r_[np.ones(int(m_hist.sum()), bool), np.zeros(int(m[len(hd):].sum()), bool)]
        occ_key, occ_doc = occ_key[m], occ_doc[m]
        occ_label = np.concatenate([store.cols["cluster"][hd[m_hist]],
                                    labels[batch.e_doc[m[len(hd):]]]])
        occ_src = np.concatenate([store.cols["src"][hd[m_hist]].astype(np.int64),
                                  batch.src[batch.e_doc[m[len(hd):]]]])
        sel = np.ones(len(occ_key), bool) if corpus else hist_only
        stop = hard | self._stop_keys(occ_key[sel], occ_label[sel], occ_src[sel], len(ukeys))
        if batch.cand_stop is None:
            batch.cand_stop = stop   # pass 1's: pass 2 scores only pass 1's candidate keys
        live = ~stop & ~batch.cand_stop
        # the batch docs' clean samples, for exact denominators
        clean = ~stop[inv]
        is_num = (batch.e_key & 1) == 1
        base = batch.e_doc.astype(np.uint64) * _SHIFT + batch.e_ord.astype(np.uint64)
        ccode, ncode = np.sort(base[clean]), np.sort(base[clean & is_num])
        if corpus:
            batch.nclean = (np.bincount(batch.e_doc[clean], minlength=nb),
                            np.bincount(batch.e_doc[clean & is_num], minlength=nb))
        rules = self.rules
        min_c = rules.min_containment if corpus else rules.pass1_containment

        def sized(q: np.ndarray, o: np.ndarray, overlap: np.ndarray) -> np.ndarray:
            n_q, n_o = self._pair_sizes(batch, q, o, ccode)[5:]
            return _size_ok(n_q, n_o, overlap, min_c, rules)

        q, o, overlap, num_overlap = _shared_keys(
            occ_key, occ_doc, live, (ukeys & 1) == 1, nh, nb, max(1, min(rules.min_overlap, 2)),
            keep=None if self.debug is not None and corpus else sized)
        return self._score(batch, q, o, overlap, num_overlap, ccode, ncode, window, corpus)

    def _occurrences(self, batch: _Batch, window: int):
        """The batch's distinct keys and every occurrence of them (history postings
        within the time window, then the batch's own entries)."""
        store, rules = self._store, self.rules
        nh = len(store)
        ukeys, inv = np.unique(batch.e_key, return_inverse=True)
        lo = np.searchsorted(store.post_key, ukeys, "left")
        cnt = np.searchsorted(store.post_key, ukeys, "right") - lo
        hard = cnt > rules.max_postings
        take = (cnt > 0) & ~hard
        rows = expand_ranges(lo[take], cnt[take])
        hk = np.repeat(np.flatnonzero(take), cnt[take])
        hd = store.post_doc[rows].astype(np.int64)
        ht = store.cols["t"][hd]
        near = (ht >= batch.t.min() - window) & (ht <= batch.t.max() + window)
        hk, hd = hk[near], hd[near]
        occ_key = np.concatenate([hk, inv.astype(np.int64)])
        occ_doc = np.concatenate([hd, nh + batch.e_doc])
        return ukeys, inv, hard, occ_key, occ_doc, hd

    def _stop_keys(self, key: np.ndarray, label: np.ndarray, src: np.ndarray,
                   nkeys: int) -> np.ndarray:
        """Keys seen in too many clusters overall or within one outlet."""
        rules = self.rules
        stop = np.zeros(nkeys, bool)
        need = min(rules.corpus_clusters, rules.outlet_clusters)
        if len(key):
            m = (np.bincount(key, minlength=nkeys) >= need)[key]
            key, label, src = key[m], label[m], src[m]
        if not len(key):
            return stop
        lab32 = (label & np.uint64(0xFFFFFFFF)).astype(np.int64)   # low bits suffice here
        code = _sorted_unique((key << 32) | lab32)
        stop |= np.bincount(code >> 32, minlength=nkeys) >= rules.corpus_clusters
        has = src >= 0
        if has.any():
            kb = max(int(nkeys).bit_length(), 1)
            sb = max(int(src[has].max()).bit_length(), 1)
            lb = max(63 - kb - sb, 8)
            ks = (key[has] << sb) | src[has]
            code = _sorted_unique((ks << lb) | (lab32[has] & ((1 << lb) - 1))) >> lb
            first = np.r_[True, code[1:] != code[:-1]]
            starts = np.flatnonzero(first)
            per = np.diff(np.r_[starts, len(code)])
            stop[code[starts][per >= rules.outlet_clusters] >> sb] = True
        return stop

    def _pair_sizes(self, batch: _Batch, q: np.ndarray, o: np.ndarray, ccode: np.ndarray):
        """Of candidate pairs: whether o is in the batch, its batch and history rows, the
        pair's tau, the history's sample scale, and both clean sample sizes under tau."""
        store = self._store
        nh, nb = len(store), len(batch.docs)
        is_b = o >= nh
        ob = np.where(is_b, o - nh, 0)
        oh = np.where(is_b, 0, o)
        tau_q = batch.tau[q]
        tau_o = np.where(is_b, batch.tau[ob], _take(store.cols["tau"], oh).astype(np.int64))
        tau = np.minimum(tau_q, tau_o)
        scale = np.minimum(1.0, tau / np.maximum(_take(store.cols["tau"], oh).astype(np.float64), 1.0))
        n_q = _clean_count(ccode, q, tau, nb)
        n_o = np.where(is_b, _clean_count(ccode, ob, tau, nb),
                       np.round(_take(store.cols["nclean"], oh) * scale))
        return is_b, ob, oh, tau, scale, n_q, n_o

    def _score(self, batch: _Batch, q: np.ndarray, o: np.ndarray, overlap: np.ndarray,
               num_overlap: np.ndarray, ccode: np.ndarray, ncode: np.ndarray, window: int,
               final: bool):
        rules, store = self.rules, self._store
        nb = len(batch.docs)
        cand = overlap >= min(rules.min_overlap, 2)
        q, o, overlap, num_overlap = q[cand], o[cand], overlap[cand], num_overlap[cand]
        is_b, ob, oh, tau, scale, n_q, n_o = self._pair_sizes(batch, q, o, ccode)
        min_c = rules.min_containment if final else rules.pass1_containment
        if self.debug is None or not final:
            # drop the candidates the size tests below reject (the same expressions)
            # before the figures and leads
            pre = np.flatnonzero(_size_ok(n_q, n_o, overlap, min_c, rules))
            q, o, overlap, num_overlap = q[pre], o[pre], overlap[pre], num_overlap[pre]
            is_b, ob, oh, tau, scale = is_b[pre], ob[pre], oh[pre], tau[pre], scale[pre]
            n_q, n_o = n_q[pre], n_o[pre]
        nn_q = _clean_count(ncode, q, tau, nb)
        nn_o = np.where(is_b, _clean_count(ncode, ob, tau, nb),
                        np.round(_take(store.cols["nnum_clean"], oh) * scale))
        q_small = n_q <= n_o
        small = np.maximum(np.where(q_small, n_q, n_o), 1.0)
        large = np.maximum(np.where(q_small, n_o, n_q), 1.0)
        num_small = np.minimum(np.where(q_small, nn_q, nn_o), small)
        overlap = np.minimum(overlap, small)
        num_overlap = np.minimum(num_overlap, num_small)
        contain = overlap / small
        cover = overlap / large
        # templated reports: the words agree, the numeric shingles do not
        num_c = num_overlap / np.maximum(num_small, 1.0)
        word_c = (overlap - num_overlap) / np.maximum(small - num_small, 1.0)
        figures_differ = (num_small >= rules.min_numeric) & (num_c < rules.numeric_ratio * word_c)
        t_o = np.where(is_b, batch.t[ob], _take(store.cols["t"], oh).astype(np.int64))
        if self.debug is not None and final:
            self.debug.append(dict(q=q, o=o, pre_contain=contain, pre_cover=cover,
                                   overlap=overlap, n_q=n_q, n_o=n_o, num_c=num_c,
                                   word_c=word_c, num_small=num_small, final=False))
        ok = ((overlap >= np.minimum(rules.min_overlap, small)) & (contain >= min_c)
              & (cover >= rules.min_coverage) & (np.abs(batch.t[q] - t_o) <= window)
              & ~figures_differ)
        q, o, is_b, ob, oh = q[ok], o[ok], is_b[ok], ob[ok], oh[ok]
        contain, cover = contain[ok], cover[ok]
        lead_q, lead_n_q, head_q, rest_q = self._batch_sketch_cols(batch, q)
        lead_b, lead_n_b, head_b, rest_b = self._batch_sketch_cols(batch, ob)
        c = store.cols
        lead_o = np.where(is_b[:, None], lead_b, _take(c["lead"], oh))
        lead_n_o = np.where(is_b, lead_n_b, _take(c["lead_n"], oh))
        head_o = np.where(is_b, head_b, _take(c["lead_head"], oh))
        rest_o = np.where(is_b, rest_b, _take(c["lead_rest"], oh)).astype(np.int64)
        zero = np.zeros(len(q), np.int64)
        hit_q, hit_o = _lead_hits(lead_q, lead_n_q, lead_o, lead_n_o)
        la, wa, fig_a = _lead_in(lead_q, hit_q, zero, head_q)
        lb, wb, fig_b = _lead_in(lead_o, hit_o, zero, head_o)
        src_o = np.where(is_b, batch.src[ob], _take(c["src"], oh).astype(np.int64))
        same_src = (src_o == batch.src[q]) & (src_o >= 0)
        # one outlet: the tops must agree both ways (live blogs, updates with a new top)
        lead = np.where(same_src, np.minimum(la, lb), np.maximum(la, lb))
        unreliable = np.minimum(head_q, head_o) < rules.min_lead_head
        across = (contain >= rules.identical_containment) & (cover >= rules.identical_coverage)
        within = (contain >= rules.same_source_identical) & (cover >= rules.same_source_identical)
        identical = np.where(same_src, within, across)
        ok = (lead >= rules.min_lead) | identical | unreliable
        # a rewritten lead: the words of neither top are in the other's lead (replaced,
        # not pushed down by new entries, not the same template with other figures), and
        # what follows each first sentence is in the other's lead
        rest = np.zeros(len(q))
        try_rest = np.flatnonzero(~ok & (np.maximum(wa, wb) < rules.min_lead)
                                  & (np.maximum(la, lb) < rules.min_lead)
                                  & (rest_q > 0) & (rest_o > 0))
        if len(try_rest):
            i = try_rest
            rq, ro = rest_q[i].astype(np.int64), rest_o[i]
            nq = np.minimum(lead_n_q[i].astype(np.int64) - rq, LEAD_HEAD)
            no = np.minimum(lead_n_o[i].astype(np.int64) - ro, LEAD_HEAD)
            ra, _, fra = _lead_in(lead_q[i], hit_q[i], rq, nq)
            rb, _, frb = _lead_in(lead_o[i], hit_o[i], ro, no)
            r = np.where(fra | frb, 0.0, np.minimum(ra, rb))
            rest[i] = np.where(np.minimum(nq, no) >= rules.min_lead_head, r, 0.0)
        if self.debug is not None:
            self.debug.append(dict(q=q, o=o, contain=contain, cover=cover, la=la, lb=lb,
                                   rest=rest, same=same_src, identical=identical,
                                   unreliable=unreliable, final=final))
        ok |= rest >= rules.min_rest
        q, o, sim = q[ok], o[ok], contain[ok]
        return (q, o, np.full(len(q), RULE_PRIORITY["near_duplicate"], np.int8), sim)

    @staticmethod
    def _batch_sketch_cols(batch: _Batch, idx: np.ndarray):
        c = batch.cols
        return c["lead"][idx], c["lead_n"][idx], c["lead_head"][idx], c["lead_rest"][idx]

    # --- clustering ---------------------------------------------------------------------
    def _cluster(self, batch: _Batch, edges, labels_only: bool):
        """Constrained single link. Returns provisional labels, or (assignments, keys)."""
        store = self._store
        nh, nb = len(store), len(batch.docs)
        a, b, prio, sim = edges
        order = np.lexsort((-sim, -prio.astype(np.int64)))
        a, b, prio, sim = a[order], b[order], prio[order], sim[order]
        parent = list(range(nb))
        existing: dict[int, int] = {}

        def find(x: int) -> int:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:
                parent[x], x = root, parent[x]
            return root

        clusters = store.cols["cluster"]
        for x, y in zip(a.tolist(), b.tolist()):
            rx = find(x)
            if y < nh:
                key = int(clusters[y])
                cur = existing.get(rx)
                if cur is None:
                    existing[rx] = key
                continue
            ry = find(y - nh)
            if rx == ry:
                continue
            ex, ey = existing.get(rx), existing.get(ry)
            if ex is not None and ey is not None and ex != ey:
                continue
            parent[ry] = rx
            if ex is None and ey is not None:
                existing[rx] = ey
        roots = [find(i) for i in range(nb)]
        if labels_only:
            # provisional labels: the existing cluster key, else a per-root key
            return np.array([existing.get(r, (1 << 63) | r) for r in roots], np.uint64)
        return self._finish(batch, roots, existing, a, b, prio, sim)

    def _finish(self, batch: _Batch, roots: list[int], existing: dict[int, int],
                a, b, prio, sim) -> tuple[list[Assignment], np.ndarray]:
        store = self._store
        nh = len(store)
        docs = batch.docs
        root = np.array(roots, np.int64)
        keys, canonical = self._cluster_keys(batch, roots, root, existing)
        best_edge = _best_edges(root, keys, store.cols["cluster"], nh, a, b, prio, sim)
        out = []
        for i, (d, r, key) in enumerate(zip(docs, roots, keys.tolist())):
            cid = f"{key:016x}"
            if canonical.get(r) == i:
                out.append(Assignment(d.id, cid, "new", 1.0, None, True, False))
                continue
            p, s, v = best_edge.get(i, (RULE_PRIORITY["url"], 1.0, -1))
            matched = store.doc_id(v) if 0 <= v < nh else (docs[v - nh].id if v >= nh else None)
            out.append(Assignment(d.id, cid, _PRIORITY_RULE[p], round(float(s), 4), matched,
                                  False, r in existing))
        return out, keys

    def _cluster_keys(self, batch: _Batch, roots: list[int], root: np.ndarray,
                      existing: dict[int, int]) -> tuple[np.ndarray, dict[int, int]]:
        """Each copy's cluster key, and the canonical copy of each new cluster (by root)."""
        docs = batch.docs
        best_of = _canonical_members(batch, root)
        used = set(np.unique(self._store.cols["cluster"]).tolist())
        canonical: dict[int, int] = {}
        root_key = np.zeros(len(docs), np.uint64)
        for r in dict.fromkeys(roots):   # clusters in the order of their first copy
            if r in existing:
                root_key[r] = existing[r]
                continue
            best = canonical[r] = int(best_of[r])
            key = stable_hash64("cluster:" + docs[best].id)
            salt = 0
            while key in used:
                salt += 1
                key = stable_hash64(f"cluster:{docs[best].id}#{salt}")
            used.add(key)
            root_key[r] = key
        return root_key[root], canonical

    # --- storage ------------------------------------------------------------------------
    def _insert(self, batch: _Batch, run_code: int, keys: np.ndarray, now_min: int) -> None:
        nb = len(batch.docs)
        cols = empty_columns(nb)
        cols["t"][:] = batch.t
        cols["added"][:] = now_min
        cols["run"][:] = run_code
        cols["src"][:] = batch.src
        cols["cluster"][:] = keys
        for name in ("tau", "n", "ntok", "chash", "lead", "lead_n", "lead_head", "lead_rest",
                     "nnum"):
            cols[name][:] = batch.cols[name]
        if batch.nclean is not None:
            cols["nclean"][:], cols["nnum_clean"][:] = batch.nclean
        else:
            cols["nclean"][:], cols["nnum_clean"][:] = cols["n"], cols["nnum"]
        ukeys, uq = self._all_urls(batch)
        self._store.append(cols, [d.id for d in batch.docs], batch.e_key, batch.e_doc,
                           ukeys, uq)

    def _prune(self, now_min: int) -> None:
        """Forget documents both published and stored more than ``history_days`` ago.

        A story published long ago but first seen now stays for a full history window,
        so its later copies still find it.
        """
        cutoff = now_min - int(self.history_days * 1440)
        last = np.maximum(self._store.cols["t"], self._store.cols["added"])
        if len(last) and last.min() < cutoff:
            self._store.keep(last >= cutoff)


def _named(batch: _Batch, root: np.ndarray) -> np.ndarray:
    """Whether another member of its cluster names a copy as rel=canonical."""
    named = np.zeros(len(root), bool)
    for r in {int(root[i]) for i, c in enumerate(batch.canon_url) if c is not None}:
        mem = np.flatnonzero(root == r).tolist()
        count = Counter(batch.canon_url[i] for i in mem if batch.canon_url[i] is not None)
        for i in mem:
            named[i] = any(count[u] - (batch.canon_url[i] == u) > 0 for u in batch.own_urls[i])
    return named


def _canonical_members(batch: _Batch, root: np.ndarray) -> np.ndarray:
    """Per root, the cluster's canonical copy: a named one, else the earliest published,
    then the longest text, then the smallest id (then the first)."""
    nb = len(root)
    ids = [d.id for d in batch.docs]
    id_rank = np.empty(nb, np.int64)
    id_rank[sorted(range(nb), key=ids.__getitem__)] = np.arange(nb)
    ntok = batch.cols["ntok"].astype(np.int64)
    order = np.lexsort((id_rank, -ntok, batch.t, ~_named(batch, root), root))
    first = order[np.r_[True, root[order][1:] != root[order][:-1]]] if nb else order
    best_of = np.zeros(nb, np.int64)
    best_of[root[first]] = first
    return best_of


def _best_edges(root: np.ndarray, keys: np.ndarray, hist_cluster: np.ndarray, nh: int,
                a: np.ndarray, b: np.ndarray, prio: np.ndarray,
                sim: np.ndarray) -> dict[int, tuple[int, float, int]]:
    """Per copy, its first edge (they are sorted strongest first) into its own cluster:
    (priority, similarity, other row). An edge inside the batch serves both ends."""
    inside = b >= nh
    u = np.stack([a, np.where(inside, b - nh, -1)], axis=1).ravel()
    v = np.stack([b, a + nh], axis=1).ravel()
    hist = v < nh
    same = np.zeros(len(u), bool)
    same[hist] = hist_cluster[v[hist]] == keys[u[hist]]
    bat = ~hist & (u >= 0)
    same[bat] = root[v[bat] - nh] == root[u[bat]]
    idx = np.flatnonzero(same)
    first_u, first = np.unique(u[idx], return_index=True)
    e = idx[first] // 2
    return dict(zip(first_u.tolist(), zip(prio[e].tolist(), sim[e].tolist(), v[idx[first]].tolist())))


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array."""
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _take(col: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``col[idx]``, or zeros when the column is empty."""
    if len(col):
        return col[idx]
    return np.zeros((len(idx), *col.shape[1:]), col.dtype)


def _clean_count(codes: np.ndarray, docs: np.ndarray, tau: np.ndarray, nb: int) -> np.ndarray:
    """Clean entries of each doc with an order below the pair's ``tau``: all of them when
    ``tau`` is above the doc's largest order (most pairs), else searched."""
    full, top = _doc_extent(codes, nb)
    out = full[docs].astype(np.float64)
    part = np.flatnonzero(tau < top[docs])
    if len(part):
        base = docs[part].astype(np.uint64) * _SHIFT
        out[part] = (np.searchsorted(codes, base + tau[part].astype(np.uint64), "left")
                     - np.searchsorted(codes, base, "left"))
    return out


def _size_ok(n_q: np.ndarray, n_o: np.ndarray, overlap: np.ndarray, min_c: float,
             rules: MatchRules) -> np.ndarray:
    """The near-duplicate rule's size tests (overlap, containment, coverage) of pairs."""
    sm = np.maximum(np.where(n_q <= n_o, n_q, n_o), 1.0)
    lg = np.maximum(np.where(n_q <= n_o, n_o, n_q), 1.0)
    ov = np.minimum(overlap, sm)
    return (ov >= np.minimum(rules.min_overlap, sm)) & (ov / sm >= min_c) & (ov / lg >= rules.min_coverage)


def _doc_extent(codes: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Of sorted ``doc << 32 | order`` codes: per doc, how many, and 1 + its largest
    order (0: none)."""
    docs = np.arange(nb + 1, dtype=np.uint64) * _SHIFT
    bounds = np.searchsorted(codes, docs, "left")
    full = np.diff(bounds)
    last = codes[np.maximum(bounds[1:] - 1, 0)] & np.uint64(0xFFFFFFFF) if len(codes) else \
        np.zeros(nb, np.uint64)
    top = np.where(full > 0, last.astype(np.int64) + 1, 0)
    return full, top


def _shared_keys(occ_key: np.ndarray, occ_doc: np.ndarray, live: np.ndarray,
                 numeric: np.ndarray, nh: int, nb: int, min_shared: int,
                 keep: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None,
                 block_rows: int = 512) -> tuple[np.ndarray, ...]:
    """Every (batch doc q, other doc o) sharing at least ``min_shared`` key occurrences
    among the ``live`` keys: history docs (o < nh) and later batch docs (o > q + nh),
    sorted by (q, o), with the shared count and the shared count of ``numeric`` keys.

    A sparse product of the batch's key incidence rows by every doc's, in blocks of
    ``block_rows`` batch docs: the cost is the co-occurrences, done in C, and only the
    pairs kept are held (a key common to many docs makes many pairs; most share one key).
    An occurrence pairs with every occurrence of its key in the other doc (a key twice in
    a doc counts twice), as a join of occurrences would. ``keep(q, o, shared)``, when
    given, selects among each block's pairs (the size tests: fewer and smaller arrays)."""
    on = live[occ_key]
    k, d = occ_key[on], occ_doc[on]
    nk, nd = len(live), nh + nb
    # weight 1 per shared occurrence, plus 1 << 20 when the key holds a number
    w = 1 + (numeric.astype(np.int64) << 20)
    docs_keys = sparse.csr_matrix((np.ones(len(k), np.int64), (d, k)), shape=(nd, nk))
    isb = d >= nh
    left = sparse.csr_matrix((w[k[isb]], (d[isb] - nh, k[isb])), shape=(nb, nk))
    qs, os_, vs = [], [], []
    for start in range(0, nb, block_rows):
        # the other side: the history, then the batch from this block on (the pairs
        # with earlier batch docs were made by their blocks)
        others = docs_keys[np.r_[0:nh, nh + start:nd]]
        prod = left[start:start + block_rows] @ others.T.tocsc()
        prod = prod.tocsr()
        prod.sort_indices()   # row-major, columns ascending: (q, o) order
        v = prod.data
        idx = np.flatnonzero((v & ((1 << 20) - 1)) >= min_shared)
        r = np.repeat(np.arange(start, start + prod.shape[0], dtype=np.int64),
                      np.diff(prod.indptr))[idx]
        c = prod.indices[idx].astype(np.int64)
        c[c >= nh] += start
        ok = np.flatnonzero((c < nh) | (c > r + nh))
        r, c, v = r[ok], c[ok], v[idx][ok]
        if keep is not None and len(r):
            ok = np.flatnonzero(keep(r, c, (v & ((1 << 20) - 1)).astype(np.float64)))
            r, c, v = r[ok], c[ok], v[ok]
        qs.append(r)
        os_.append(c)
        vs.append(v)
    if not qs:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0), np.zeros(0)
    v = np.concatenate(vs)
    return (np.concatenate(qs), np.concatenate(os_), (v & ((1 << 20) - 1)).astype(np.float64),
            (v >> 20).astype(np.float64))


def _cat(e1, e2):
    return tuple(np.concatenate([x, y]) for x, y in zip(e1, e2))


def _lead_hits(lead_x: np.ndarray, n_x: np.ndarray, lead_y: np.ndarray,
               n_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which lead shingles of x are in y's lead, and which of y's are in x's."""
    if not len(lead_x):
        return np.zeros((0, LEAD_CAP), bool), np.zeros((0, LEAD_CAP), bool)
    pos = np.arange(LEAD_CAP)
    # past its count, a lead holds -1 (x) or -2 (y): they match nothing
    x = np.where(pos < n_x[:, None], lead_x.astype(np.int32), -1)
    y = np.where(pos < n_y[:, None], lead_y.astype(np.int32), -2)
    same = x[:, :, None] == y[:, None, :]
    return _any_last(same), np.logical_or.reduce(same, axis=1)


def _any_last(m: np.ndarray) -> np.ndarray:
    """``m.any(axis=-1)`` of a C-contiguous boolean array, eight flags at a time."""
    if m.shape[-1] % 8:
        return m.any(axis=-1)
    words = m.view(np.uint64)
    acc = words[..., 0].copy()
    for j in range(1, words.shape[-1]):
        acc |= words[..., j]
    return acc != 0


def _lead_in(lead_x: np.ndarray, hit: np.ndarray, start_x: np.ndarray, count_x: np.ndarray,
             min_numeric: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of the ``count_x`` lead shingles of x from ``start_x`` on (its head: from 0), with
    ``hit`` marking those found in the other copy's lead: the share found (0 when there
    are none, or when most of their numeric shingles, at least ``min_numeric``, are
    missing: other figures), the share of those without a number found (0 when none),
    and whether there are other figures."""
    if not len(lead_x):
        return np.zeros(0), np.zeros(0), np.zeros(0, bool)
    pos = np.arange(LEAD_CAP)
    in_head = (pos[None, :] >= start_x[:, None]) & (pos[None, :] < (start_x + count_x)[:, None])
    found = (hit & in_head).sum(axis=1)
    numeric = in_head & ((lead_x & 1) == 1)
    n_num = numeric.sum(axis=1)
    num_found = (hit & numeric).sum(axis=1)
    other_figures = (n_num >= min_numeric) & (2 * num_found < n_num)
    share = np.where(count_x > 0, found / np.maximum(count_x, 1), 0.0)
    n_word = in_head.sum(axis=1) - n_num
    words = np.where(n_word > 0, (found - num_found) / np.maximum(n_word, 1), 0.0)
    return np.where(other_figures, 0.0, share), words, other_figures


def _to_doc(d: Mapping) -> DedupDoc:
    ts = _parse_time(d.get("published_at"))
    return DedupDoc(id=str(d["id"]), title=d.get("title") or "", text=d.get("text") or "",
                    url=d.get("url"), canonical_url=d.get("canonical_url"),
                    feed_url=d.get("feed_url"), published_at=ts, source=d.get("source"))


def cluster_documents(docs: Iterable[Mapping]) -> dict[str, str]:
    """Batch form: ``{id: cluster_id}`` for dicts with id, title, text and optionally
    url, canonical_url, feed_url, published_at (datetime or ISO string), source."""
    items = [_to_doc(d) for d in docs]
    times = [_minutes(d.published_at, 0) for d in items if d.published_at is not None]
    now = (datetime.fromtimestamp(max(times) * 60, timezone.utc) if times
           else datetime.now(timezone.utc))
    index = DedupIndex()
    return {a.doc_id: a.cluster_id for a in index.assign(items, run_id="batch", now=now)}
