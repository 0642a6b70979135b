"""Candidate pairs of the near-duplicate rule (``newsingest.dedup._shared_keys``) against a
plain join of key occurrences, on batches where a few keys are common to most documents
(shared boilerplate: the case that made the join quadratic)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from newsingest.dedup import _doc_extent, _shared_keys


def _join(occ_key, occ_doc, live, numeric, nh, nb, min_shared):
    """Every (batch doc, other doc) pair of occurrences of one live key, counted."""
    by_key: dict[int, list[int]] = {}
    for k, d in zip(occ_key.tolist(), occ_doc.tolist()):
        if live[k]:
            by_key.setdefault(k, []).append(d)
    shared, shared_num = Counter(), Counter()
    for k, docs in by_key.items():
        for a in docs:
            if a < nh:
                continue
            for b in docs:
                if b < nh or b > a:
                    shared[(a - nh, b)] += 1
                    shared_num[(a - nh, b)] += int(numeric[k])
    pairs = sorted(p for p, n in shared.items() if n >= min_shared)
    return ([p[0] for p in pairs], [p[1] for p in pairs], [shared[p] for p in pairs],
            [shared_num[p] for p in pairs])


def _occurrences(rng, nh, nb, nkeys, common):
    """Each doc draws 10-40 keys, a ``common`` few of them from a small boilerplate set
    (most docs share them), some twice (two shingles, one 32-bit key)."""
    keys, docs = [], []
    for d in range(nh + nb):
        n = int(rng.integers(10, 41))
        own = rng.integers(common, nkeys, n)
        boiler = rng.integers(0, common, int(rng.integers(0, 6)))
        ks = np.concatenate([own, boiler, own[:int(rng.integers(0, 2))]])
        keys.append(ks)
        docs.append(np.full(len(ks), d))
    return np.concatenate(keys).astype(np.int64), np.concatenate(docs).astype(np.int64)


@pytest.mark.parametrize("nh,nb,block", [(0, 120, 512), (80, 150, 16), (40, 1, 7), (30, 0, 4)])
def test_shared_keys_equal_a_join_of_occurrences(nh, nb, block):
    rng = np.random.default_rng(nh * 1000 + nb)
    nkeys = 300
    occ_key, occ_doc = _occurrences(rng, nh, nb, nkeys, common=8)
    live = rng.random(nkeys) > 0.1
    numeric = rng.random(nkeys) < 0.3
    for min_shared in (1, 2):
        q, o, ov, num = _shared_keys(occ_key, occ_doc, live, numeric, nh, nb, min_shared,
                                     block_rows=block)
        eq, eo, eov, enum = _join(occ_key, occ_doc, live, numeric, nh, nb, min_shared)
        assert q.tolist() == eq and o.tolist() == eo
        assert ov.tolist() == eov and num.tolist() == enum
        if nb and min_shared == 1:
            assert len(q) > nb   # the boilerplate keys pair most documents


def test_doc_extent_counts_and_top_order():
    codes = np.array([(0 << 32) | 5, (0 << 32) | 9, (2 << 32) | 1], np.uint64)
    full, top = _doc_extent(np.sort(codes), 4)
    assert full.tolist() == [2, 0, 1, 0]
    assert top.tolist() == [10, 0, 2, 0]
    full, top = _doc_extent(np.zeros(0, np.uint64), 2)
    assert full.tolist() == [0, 0] and top.tolist() == [0, 0]


def test_shared_keys_keep_selects_the_same_pairs_in_every_block_size():
    rng = np.random.default_rng(5)
    nh, nb, nkeys = 50, 90, 200
    occ_key, occ_doc = _occurrences(rng, nh, nb, nkeys, common=6)
    live = np.ones(nkeys, bool)
    numeric = rng.random(nkeys) < 0.3

    def keep(q, o, shared):   # a size test's shape: depends on the pair and its count
        return (shared >= 3) | ((q + o) % 4 == 0)

    eq, eo, eov, enum = _join(occ_key, occ_doc, live, numeric, nh, nb, 2)
    want = [(a, b, c, d) for a, b, c, d in zip(eq, eo, eov, enum) if c >= 3 or (a + b) % 4 == 0]
    assert 0 < len(want) < len(eq)
    for block in (1, 13, 512):
        q, o, ov, num = _shared_keys(occ_key, occ_doc, live, numeric, nh, nb, 2, keep=keep,
                                     block_rows=block)
        assert list(zip(q.tolist(), o.tolist(), ov.tolist(), num.tolist())) == want
