"""Syndicated-copy detection: each rule, each hard negative, stability of cluster ids."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsingest.dedup import Assignment, DedupDoc, DedupIndex, cluster_documents
from newsingest.shingles import (normalize_text, prepare_text, sketch_text, squeeze_bytes,
                                 strip_furniture, token_hashes)
from newsingest.text_equivalents import parse as parse_equivalents

_spec = importlib.util.spec_from_file_location(
    "dedup_stories", Path(__file__).parent / "fixtures" / "dedup" / "stories.py")
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)
_spec_w = importlib.util.spec_from_file_location(
    "dedup_short_wire", Path(__file__).parent / "fixtures" / "dedup" / "short_wire.py")
W = importlib.util.module_from_spec(_spec_w)
_spec_w.loader.exec_module(W)
_spec_r = importlib.util.spec_from_file_location(
    "dedup_rewrites", Path(__file__).parent / "fixtures" / "dedup" / "rewrites.py")
R = importlib.util.module_from_spec(_spec_r)
_spec_r.loader.exec_module(R)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
WIRE_URL = "https://www.reuters.com/world/europe/rotterdam-dock-workers-strike-2026-11-24/"
LOCAL = ("In Duisburg, the inland port authority said barge traffic on the Rhine would slow "
         "this week, and local hauliers warned that deliveries to Ruhr factories could slip.")


def doc(id_: str, text: str, *, hours: float = 0, source: str | None = None,
        title: str = "", **kw) -> DedupDoc:
    return DedupDoc(id=id_, title=title, text=text, source=source or id_,
                    published_at=T0 + timedelta(hours=hours), **kw)


def run(docs: list[DedupDoc], index: DedupIndex | None = None, run_id: str = "r1",
        hours: float = 12) -> dict[str, Assignment]:
    index = index if index is not None else DedupIndex()
    return {a.doc_id: a for a in index.assign(docs, run_id, now=T0 + timedelta(hours=hours))}


def wire(**kw) -> DedupDoc:
    return doc("wire", S.WIRE, title=S.WIRE_TITLE, source="reuters", url=WIRE_URL, **kw)


# --- normalisation ----------------------------------------------------------------------
def test_normalisation_folds_quotes_dashes_case():
    assert normalize_text("\u201cHe\u2019s \u2014 OK\u201d") == "\"he's - ok\""
    a = sketch_text("The \u201cBIG\u201d  dispute \u2013 it\u2019s over, said 6.84 people today again and again")
    b = sketch_text('the "big" dispute - it\'s over said 6.84 people today again and again')
    assert a.content_hash == b.content_hash != 0


def test_hash_is_stable_across_processes():
    code = ("from newsingest.shingles import sketch_text; s = sketch_text(%r); "
            "print(s.content_hash, s.keys.tolist())" % S.WIRE)
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
            for seed in ("1", "2")}
    assert len(outs) == 1
    here = sketch_text(S.WIRE)
    assert outs.pop().split()[0] == str(here.content_hash)


# --- rules ------------------------------------------------------------------------------
def test_url_rule_tracking_params_and_amp():
    other = "Completely different text of a reloaded page " * 5
    res = run([wire(), doc("amp", other, hours=1, url="http://amp.reuters.com/amp/world/europe/"
                           "rotterdam-dock-workers-strike-2026-11-24?utm_source=twitter")])
    assert res["amp"].rule == "url" and res["amp"].matched_id == "wire"
    assert res["amp"].cluster_id == res["wire"].cluster_id


def test_feed_url_and_rel_canonical():
    res = run([
        doc("copy", S.syndicate(S.WIRE_PARAS), hours=-1, url="https://news.example.com/a/123",
            canonical_url=WIRE_URL + "?utm_medium=rss"),
        wire(),
        doc("feed", "Some other page text about the harbour " * 4, hours=2,
            url="https://redirected.example.org/x", feed_url=WIRE_URL + "?utm_campaign=feed"),
    ])
    assert len({a.cluster_id for a in res.values()}) == 1
    # named as rel=canonical by another member: canonical although published later
    assert res["wire"].is_canonical and res["wire"].rule == "new"
    assert res["copy"].rule == "url" and res["feed"].rule == "url"


def test_home_page_rel_canonical_is_ignored():
    res = run([doc("a", S.COUNCIL, canonical_url="https://gazette.example/"),
               doc("b", S.RATES_1, canonical_url="https://gazette.example/")])
    assert res["a"].cluster_id != res["b"].cluster_id


def test_content_hash_rule():
    text = S.WIRE.replace("\u201c", '"').replace("\u201d", '"').upper().replace(" ", "  ")
    res = run([wire(), doc("shout", text, hours=1)])
    assert res["shout"].rule == "content_hash" and res["shout"].similarity == 1.0


@pytest.mark.parametrize("variant", [
    dict(),
    dict(local=LOCAL),
    dict(keep=6),
    dict(trim_lead=False, template=False, curly=False),
    dict(local=LOCAL, keep=7, credit=False),
])
def test_near_duplicate_copies(variant):
    copy = S.syndicate(S.WIRE_PARAS, **variant)
    res = run([wire(), doc("copy", copy, hours=3, title="Port strike strands ships")])
    assert res["copy"].cluster_id == res["wire"].cluster_id
    assert res["copy"].rule in ("near_duplicate", "content_hash")
    assert res["wire"].is_canonical and not res["copy"].is_canonical


def test_many_outlets_one_cluster():
    docs = [wire()] + [
        doc(f"o{i}", S.syndicate(S.WIRE_PARAS, local=LOCAL if i % 2 else None,
                                 keep=None if i % 3 else 8), hours=i)
        for i in range(1, 7)]
    res = run(docs)
    assert len({a.cluster_id for a in res.values()}) == 1
    assert sum(a.is_canonical for a in res.values()) == 1 and res["wire"].is_canonical


def test_title_alone_never_decides():
    res = run([doc("a", S.COUNCIL, title="Port strike"), doc("b", S.RATES_1, title="Port strike")])
    assert res["a"].cluster_id != res["b"].cluster_id


# --- hard negatives ---------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [
    ("WIRE", "FOLLOW_UP"),
    ("LIVE_1", "LIVE_2"),
    ("DIGEST_1", "DIGEST_2"),
    ("DIGEST_1", "WIRE"),
    ("RATES_1", "RATES_2"),
    ("COUNCIL", "WIRE"),
])
def test_hard_negatives_stay_apart(a, b):
    res = run([doc("a", getattr(S, a), source="s1"), doc("b", getattr(S, b), hours=20, source="s2")])
    assert res["a"].cluster_id != res["b"].cluster_id, (a, b)


def test_hard_negatives_in_one_batch_with_copies():
    docs = [wire(), doc("copy", S.syndicate(S.WIRE_PARAS), hours=1),
            doc("follow", S.FOLLOW_UP, hours=60, source="reuters"),
            doc("follow_copy", S.syndicate(S.FOLLOW_UP.split("\n")), hours=61),
            doc("live1", S.LIVE_1), doc("live2", S.LIVE_2, hours=4),
            doc("dig1", S.DIGEST_1, source="daily"), doc("dig2", S.DIGEST_2, hours=24, source="daily"),
            doc("rates1", S.RATES_1, source="daily"), doc("rates2", S.RATES_2, hours=24, source="daily")]
    res = run(docs, hours=70)
    c = {k: v.cluster_id for k, v in res.items()}
    assert c["wire"] == c["copy"] and c["follow"] == c["follow_copy"]
    assert len(set(c.values())) == len(c) - 2


def test_outlet_footer_does_not_link_short_stories():
    briefs = [
        "The library on Market Street will close for two weeks in December while the heating "
        "system is replaced, the council said on Monday.",
        "Police are looking for witnesses after a van hit a lamp post on the ring road early on "
        "Sunday morning; nobody was hurt.",
        "The annual Christmas market opens on Friday with 60 stalls, a skating rink and late "
        "opening until ten every evening.",
        "A new bus line will link the station with the hospital from January, running every "
        "quarter of an hour on weekdays.",
    ]
    docs = [doc(f"b{i}", t + "\n" + S.OUTLET_FOOTER, hours=i, source="gazette")
            for i, t in enumerate(briefs)]
    res = run(docs)
    assert len({a.cluster_id for a in res.values()}) == len(briefs)


# --- rewritten leads, short copies (one outlet or two: a site's host may be shared) ----
@pytest.mark.parametrize("same_source", [False, True])
def test_rewritten_lead_copy_joins_its_original(same_source):
    res = run([doc("orig", R.FLOOD, source="wire"),
               doc("copy", R.FLOOD_REWRITTEN, hours=2, source="wire" if same_source else "daily")])
    assert res["copy"].cluster_id == res["orig"].cluster_id
    assert res["copy"].rule == "near_duplicate" and res["orig"].is_canonical


@pytest.mark.parametrize("day", [6, 9, 12, 22])
@pytest.mark.parametrize("same_source", [False, True])
def test_short_trimmed_copy_with_credit_line_joins_its_original(same_source, day):
    # the original's dateline carries a date (figures) that the copy's lead lacks
    res = run([doc("orig", R.BRIDGE.replace("Nov 12", f"Nov {day}"), source="wire"),
               doc("copy", R.BRIDGE_SHORT, hours=1, source="wire" if same_source else "daily")])
    assert res["copy"].cluster_id == res["orig"].cluster_id
    assert res["copy"].rule == "near_duplicate"


def test_dateline_is_not_part_of_the_story():
    a = sketch_text("NIAMEY, Nov 13 (Harbour Wire) - " + R.BRIDGE_PARAS[1])
    b = sketch_text("Niamey: " + R.BRIDGE_PARAS[1])
    c = sketch_text(R.BRIDGE_PARAS[1])
    assert a.content_hash == b.content_hash == c.content_hash != 0
    # not a dateline: an abbreviation, or a short line such as a kicker
    assert sketch_text("U.S. " + R.BRIDGE_PARAS[1]).content_hash != c.content_hash
    assert sketch_text("Live: follow every update").n_tokens == 4


def test_first_sentence_of_the_lead():
    one = "Mr. Tamm, of the U.S. office, said the port at Paldiski would close on Monday. " * 2
    flood = sketch_text(R.FLOOD)
    assert 0 < flood.lead_rest < len(flood.lead) - 3     # the first sentence, then the rest
    # abbreviations do not end it: the same lead shingles fall before the sentence end
    assert sketch_text(one).lead_rest == sketch_text(one.replace(". ", ".\n", 1)).lead_rest
    # a line of fewer than 10 words (a kicker) runs on into the next sentence
    assert sketch_text("A short line.\n" + R.BRIDGE_PARAS[1]).lead_rest == 0
    assert sketch_text(R.BRIDGE_PARAS[1] + "\n" + R.BRIDGE_PARAS[2]).lead_rest > 0


@pytest.mark.parametrize("same_source", [False, True])
@pytest.mark.parametrize("a,b,hours", [
    ("FLOOD", "FLOOD_FOLLOW_UP", 24 * 3),          # one paragraph reused, another event
    ("FLOOD_REWRITTEN", "FLOOD_FOLLOW_UP", 24 * 3),
    ("FERRY_WEEK_1", "FERRY_WEEK_2", 24 * 3),      # one template, other figures and dates
])
def test_new_hard_negatives_stay_apart(a, b, hours, same_source):
    res = run([doc("a", getattr(R, a), source="s1"),
               doc("b", getattr(R, b), hours=hours, source="s1" if same_source else "s2")],
              hours=hours + 1)
    assert res["a"].cluster_id != res["b"].cluster_id, (a, b)


def test_rewritten_lead_copy_and_follow_up_in_one_batch_with_history():
    index = DedupIndex()
    first = run([doc("orig", R.FLOOD, source="wire"), doc("ferry1", R.FERRY_WEEK_1, source="ferry"),
                 doc("bridge", R.BRIDGE, source="wire")], index, "r1", hours=1)
    second = run([doc("copy", R.FLOOD_REWRITTEN, hours=3, source="daily"),
                  doc("short", R.BRIDGE_SHORT, hours=3, source="daily"),
                  doc("follow", R.FLOOD_FOLLOW_UP, hours=72, source="wire"),
                  doc("ferry2", R.FERRY_WEEK_2, hours=72, source="ferry")], index, "r2", hours=73)
    assert second["copy"].cluster_id == first["orig"].cluster_id and second["copy"].existing
    assert second["short"].cluster_id == first["bridge"].cluster_id and second["short"].existing
    assert not second["follow"].existing and second["follow"].is_canonical
    assert not second["ferry2"].existing and second["ferry2"].is_canonical


def test_index_without_newer_columns_still_loads():
    index = DedupIndex()
    run([doc("orig", R.FLOOD, source="wire")], index, "r1", hours=1)
    del index._store.cols["lead_rest"]        # as written before the column existed
    restored = DedupIndex.from_bytes(index.to_bytes())
    assert len(restored) == 1 and int(restored._store.cols["lead_rest"][0]) == 0
    res = run([doc("copy", R.FLOOD_REWRITTEN, hours=2, source="daily")], restored, "r2", hours=3)
    # without lead_rest the rewritten-lead rule cannot apply: the copy starts a cluster
    assert res["copy"].rule == "new" and not res["copy"].existing
    fresh = DedupIndex()
    run([doc("orig", R.FLOOD, source="wire")], fresh, "r1", hours=1)
    res = run([doc("copy", R.FLOOD_REWRITTEN, hours=2, source="daily")], fresh, "r2", hours=3)
    assert res["copy"].rule == "near_duplicate" and res["copy"].existing


# --- time window ------------------------------------------------------------------------
def test_time_window():
    copy = S.syndicate(S.WIRE_PARAS, local=LOCAL)
    inside = run([wire(), doc("late", copy, hours=24 * 5)], hours=24 * 5)
    assert inside["late"].cluster_id == inside["wire"].cluster_id   # default window: 5 days
    late = run([wire(), doc("late", copy, hours=24 * 5 + 6)], hours=24 * 6)
    assert late["late"].cluster_id != late["wire"].cluster_id
    wide = DedupIndex(window_days=6)
    res = run([wire(), doc("late", copy, hours=24 * 5 + 6)], index=wide, hours=24 * 6)
    assert res["late"].cluster_id == res["wire"].cluster_id


# --- history ----------------------------------------------------------------------------
def test_cluster_ids_stable_across_calls_and_round_trip():
    index = DedupIndex()
    first = run([wire(), doc("c1", S.syndicate(S.WIRE_PARAS), hours=1)], index, "r1", hours=2)
    cid = first["wire"].cluster_id
    assert first["c1"].cluster_id == cid and not first["c1"].existing
    second = run([doc("c2", S.syndicate(S.WIRE_PARAS, local=LOCAL), hours=3),
                  doc("council", S.COUNCIL, hours=3)], index, "r2", hours=4)
    assert second["c2"].cluster_id == cid and second["c2"].existing
    assert second["c2"].rule == "near_duplicate" and second["c2"].matched_id in ("wire", "c1")
    assert not second["council"].existing and second["council"].is_canonical
    restored = DedupIndex.from_bytes(index.to_bytes())
    assert len(restored) == len(index) == 4
    third = run([doc("c3", S.syndicate(S.WIRE_PARAS, keep=7), hours=5),
                 doc("c4", S.COUNCIL + "\nUpdated at 18:00.", hours=5)], restored, "r3", hours=6)
    assert third["c3"].cluster_id == cid and third["c3"].existing
    assert third["c4"].cluster_id == second["council"].cluster_id
    assert restored.to_bytes()[:8] == b"NSDEDUP1"


def test_rerun_of_same_run_id_does_not_match_itself():
    index = DedupIndex()
    docs = [wire(), doc("c1", S.syndicate(S.WIRE_PARAS), hours=1)]
    a = run(docs, index, "r1")
    b = run(docs, index, "r1")
    assert len(index) == 2
    assert b["wire"].rule == "new" and not b["wire"].existing
    assert b["wire"].cluster_id == a["wire"].cluster_id
    assert b["c1"].matched_id == "wire" and not b["c1"].existing


def test_history_is_pruned():
    index = DedupIndex(history_days=2)
    run([wire()], index, "r1", hours=1)
    run([doc("council", S.COUNCIL, hours=24 * 3)], index, "r2", hours=24 * 3)
    assert len(index) == 1


def test_old_story_first_seen_now_stays_for_a_full_history_window():
    """History is kept by when a copy was stored, not only when it was published."""
    index = DedupIndex(history_days=2)
    run([wire()], index, "r1", hours=24 * 10)          # published 10 days before it arrives
    assert len(index) == 1
    late = run([doc("late", S.syndicate(S.WIRE_PARAS), source="x")], index, "r2",
               hours=24 * 11)
    assert late["late"].existing and late["late"].matched_id == "wire"
    run([], index, "r3", hours=24 * 14)
    assert len(index) == 0


def test_from_bytes_rejects_garbage():
    with pytest.raises(ValueError):
        DedupIndex.from_bytes(b"not an index at all")


# --- batch form ---------------------------------------------------------------------------
def test_cluster_documents_dicts():
    out = cluster_documents([
        {"id": "w", "title": "t", "text": S.WIRE, "url": WIRE_URL,
         "published_at": "2026-11-24T09:00:00Z"},
        {"id": "c", "title": "other", "text": S.syndicate(S.WIRE_PARAS),
         "published_at": "2026-11-24T11:00:00+00:00", "source": "x"},
        {"id": "f", "title": "t", "text": S.FOLLOW_UP, "published_at": T0 + timedelta(days=3)},
        {"id": "e", "title": "", "text": ""},
        {"id": "e2", "title": "", "text": ""},
    ])
    assert out["w"] == out["c"] != out["f"]
    assert out["e"] != out["e2"]


# --- storage --------------------------------------------------------------------------
def test_in_place_merge_and_compress_match_plain_numpy():
    import numpy as np

    from newsingest.dedup_store import compress, merge

    rng = np.random.default_rng(0)
    keys = np.sort(rng.integers(0, 5000, 200_000).astype(np.uint32))
    docs = rng.integers(0, 10**6, len(keys)).astype(np.int32)
    nk = rng.integers(0, 5000, 3000).astype(np.uint32)
    nd = rng.integers(0, 10**6, len(nk)).astype(np.int32)
    allk, alld = np.concatenate([keys, nk]), np.concatenate([docs, nd])
    order = np.argsort(allk, kind="stable")
    got_k, got_d = merge(keys.copy(), docs.copy(), nk, nd)
    assert (got_k == allk[order]).all() and (got_d == alld[order]).all()
    mask = rng.random(len(docs)) < 0.6
    assert (compress(docs.copy(), mask, chunk=4096) == docs[mask]).all()


def test_unused_run_ids_are_forgotten():
    index = DedupIndex(history_days=2)
    run([wire()], index, "r1", hours=1)
    run([doc("council", S.COUNCIL, hours=24 * 3)], index, "r2", hours=24 * 3)
    assert DedupIndex.from_bytes(index.to_bytes())._runs == ["r2"]


# --- short, copy-edited wire copy ---------------------------------------------------------
def test_wire_abbreviations_numbers_and_initialisms_hash_alike():
    wire_style, edited = token_hashes(prepare_text(
        "U.S. sales rose 18 pct to 95,800 units, or 2.7 bln dlrs, up 64 cts, the company said.")), \
        token_hashes(prepare_text(
            "US sales rose 18 percent to 95800 units, or 2.7 billion dollars, up 64 cents, "
            "the company said."))
    assert wire_style[0].tolist() == edited[0].tolist()
    assert wire_style[1].tolist() == edited[1].tolist()   # the same tokens are numbers
    pct = token_hashes(prepare_text("inflation of 5% a year"))[0].tolist()
    assert pct == token_hashes(prepare_text("inflation of 5 per cent a year"))[0].tolist()
    # a comma that is not a thousands separator, and dotted words that are not initialisms
    assert squeeze_bytes(b"1,5 and 12,3456 and 1,250,000") == b"1,5 and 12,3456 and 1250000"
    assert squeeze_bytes(b"u.s. and e.g. but not end.a or ab.c.") == b"us. and eg. but not end.a or ab.c."


def test_ad_break_words_inside_a_paragraph_are_dropped():
    plain = token_hashes(prepare_text("the shares rose in early trading after the news"))[0]
    broken = token_hashes(prepare_text("the shares rose ADVERTISEMENT in early trading "
                                       "Story continues below advertisement after the news"))[0]
    assert plain.tolist() == broken.tolist()


def test_page_furniture_around_a_story_is_dropped_tables_stay():
    story = ("harlan freight systems said it agreed to buy the trucking unit of norden "
             "logistics for 412 mln dlrs in cash.\nthe deal is expected to close in the third quarter.")
    page = "business | transport\nby dana whitfield\n" + story + "\nrelated stories\n" + "\n".join(
        h.lower() for h in W.RELATED_HEADLINES)
    assert strip_furniture(page) == story
    table = "shr 82 cts vs 76 cts\nnet 4,200,000 vs 3,954,000\nsales 58.7 mln vs 60.6 mln"
    assert strip_furniture(table) == table
    one_tail = story + "\nmore to come"        # a single short last line is not a list
    assert strip_furniture(one_tail) == one_tail


def test_copy_edited_short_wire_copy_joins_its_original():
    """A 170-word wire story as a regional outlet prints it: spelled-out abbreviations, no
    thousands separators, a shortened dateline, a byline, an ad break, an inline
    "Related:" link, a list of related headlines, and the last paragraph cut."""
    res = run([doc("wire", W.BRIEF_WIRE, source="reuters"),
               doc("copy", W.copy_edited(), hours=30, source="gazette")])
    assert res["copy"].cluster_id == res["wire"].cluster_id
    assert res["copy"].rule == "near_duplicate" and res["copy"].matched_id == "wire"


def test_follow_up_reusing_the_wires_first_two_paragraphs_stays_apart():
    """Issue 16: a follow-up that puts a new top over the wire's first two paragraphs
    shares the wire's lead, so only containment keeps it apart (about 0.56 of it is the
    wire's: below ``min_containment``). Moving the threshold to 0.5 merges it."""
    res = run([doc("wire", W.BRIEF_WIRE, source="reuters"),
               doc("follow", W.FOLLOW_UP_FIRST_TWO, hours=48, source="gazette")], hours=50)
    assert res["follow"].cluster_id != res["wire"].cluster_id
    assert res["follow"].rule == "new" and res["wire"].rule == "new"


def test_equivalents_table_errors_name_the_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_equivalents("mln\tmillion\nbroken line without a tab\n")
    with pytest.raises(ValueError, match="listed twice"):
        parse_equivalents("mln\tmillion\nbln\tmillion\n")
    table = parse_equivalents("# comment\npct\tpercent per_cent\n-\tadvertisement\n")
    assert table.tokens == {"percent": "pct", "advertisement": "-"}
    assert table.phrases == {"per cent": "pct"}
    # a multi-word variant becomes one token; its words elsewhere keep their own hashes
    assert (token_hashes(prepare_text("rose 5 per cent, not per head"))[0].tolist()
            == token_hashes(prepare_text("rose 5 percent, not per head"))[0].tolist())

