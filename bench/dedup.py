"""Benchmark of syndicated-copy detection (newsingest.dedup) against MinHash LSH.

Builds a syndication set with gold clusters from real article texts (trafilatura 2.3.1
extractions of shared/data/extraction-dev, cached under /tmp), feeds it to
``DedupIndex.assign`` in chronological runs as the pipeline does, and reports pairwise
precision/recall/F1, documents per CPU-second, peak memory and index bytes per document
(with the projection to 3.5 million documents), side by side with datasketch's MinHash
LSH on the same documents.

The set:
* stories: the real articles (at least 120 words, 3 paragraphs) first; when more are
  needed, synthetic stories of 4-12 paragraphs recombined from real sentences, each
  word replaced with probability 0.2 (so that two stories reusing a sentence do not
  share all of its shingles: reused sentences remain as common phrases);
* copies (same gold cluster) at other outlets: another headline, the outlet's header
  and footer lines, the dateline or first sentence trimmed, curly or straight quotes,
  a credit line, a local paragraph, a trimmed end, some with rel=canonical to the
  original or a second fetch of the same URL with tracking parameters; a share
  (``--rewritten-leads``, 0.1) with the first sentence rewritten (drawn from a separate
  random stream: with 0 the set is exactly the earlier one);
* hard negatives (their own gold clusters): follow-ups 1-3 days later reusing 30-50%
  of the original's paragraphs under a new top; live-blog snapshot series (new entries
  on top); daily digests quoting the leads of current stories; recurring templated
  reports that differ only in figures and dates.

A second set, ``--dedup-dev DIR`` (default ``../shared/data/dedup-dev`` relative to the
project root, scored when present): short wire copy republished with copy-editing, made
elsewhere (see its README). It runs through ``cluster_documents`` as one batch, side by
side with the same MinHash LSH, and prints the recall of original<->copy pairs by edit
and the false-positive pairs by kind of document (follow-ups, live blogs, digests and
recurring templated items are hard negatives).

Usage: .venv/bin/python bench/dedup.py [--sizes 10000,100000] [--data DIR] [--dedup-dev DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit


from newsingest.dedup import DedupDoc, DedupIndex, cluster_documents

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction-dev"
DEFAULT_DEDUP_DEV = ROOT.parent / "shared" / "data" / "dedup-dev"
DEFAULT_CACHE = Path("/tmp/newsingest_dedup_texts.json")
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SPAN_DAYS = 6.0
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\u00c4\u00d6\u00dc\"\u201e\u201c])")
NAMES = ["Anna Weber", "David Shepardson", "Marta Nowak", "Luis Garcia", "Yuki Tanaka",
         "Sarah Miller", "Tom Hals", "Ines Duarte", "Karin Strohecker", "Paul Sandle"]


# --- corpus ----------------------------------------------------------------------------
def load_texts(data: Path, cache: Path) -> list[dict]:
    """Real article texts, extracted once with trafilatura and cached."""
    if cache.exists():
        return json.loads(cache.read_text())
    import trafilatura

    meta = json.loads((data / "evaldata.json").read_text())
    out = []
    for url, info in meta.items():
        path = next((p for p in (data / "cache" / f"{info['file']}.gz",
                                 data / "eval" / f"{info['file']}.gz") if p.exists()), None)
        if path is None:
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        text = trafilatura.extract(html, include_comments=False)
        if text:
            out.append({"url": url, "title": "", "text": text})
    cache.write_text(json.dumps(out))
    return out


@dataclass
class Pool:
    stories: list[list[str]]      # real articles as paragraph lists
    sentences: list[str]
    vocab: list[str]


def build_pool(texts: list[dict]) -> Pool:
    stories, sentences = [], []
    vocab: Counter[str] = Counter()
    for t in texts:
        paras = [p.strip() for p in t["text"].split("\n") if len(p.split()) >= 8]
        if sum(len(p.split()) for p in paras) >= 120 and len(paras) >= 3:
            stories.append(paras)
        for p in paras:
            for s in _SENT_RE.split(p):
                n = len(s.split())
                if 5 <= n <= 60:
                    sentences.append(s)
                    vocab.update(s.split())
    return Pool(stories, sentences, [w for w, c in vocab.items() if c >= 2])


class Gen:
    """Generates the documents and their gold clusters."""

    def __init__(self, pool: Pool, seed: int, rewritten_leads: float = 0.0) -> None:
        self.pool = pool
        self.rng = random.Random(seed)
        self.rewrite_rng = random.Random(seed + 1)
        self.rewritten_leads = rewritten_leads
        self.docs: list[DedupDoc] = []
        self.gold: list[int] = []
        self.n_gold = 0
        self.real_used = 0
        self.outlets = [self._outlet(i) for i in range(400)]
        self.story_log: list[tuple[list[str], datetime, int]] = []

    # building blocks
    def _perturb(self, sentence: str) -> str:
        rng, vocab = self.rng, self.pool.vocab
        words = [vocab[rng.randrange(len(vocab))] if rng.random() < 0.2 else w
                 for w in sentence.split()]
        return " ".join(words)

    def _para(self, n_sent: int | None = None) -> str:
        n = n_sent or self.rng.randint(1, 4)
        return " ".join(self._perturb(self.rng.choice(self.pool.sentences)) for _ in range(n))

    def _outlet(self, i: int) -> dict:
        rng = self.rng
        header = [f"Outlet{i} News | {rng.choice(['World', 'Business', 'Politics', 'Local'])}"]
        if rng.random() < 0.5:
            header.append("Advertisement")
        footer = [self._para(2) for _ in range(rng.randint(1, 3))] if rng.random() < 0.6 else []
        return {"id": f"outlet{i}", "host": f"outlet{i}.example", "header": header,
                "footer": footer, "curly": rng.random() < 0.5}

    def _new_gold(self) -> int:
        self.n_gold += 1
        return self.n_gold - 1

    def _emit(self, outlet: dict, paras: list[str], when: datetime, gold: int, *,
              slug: str, title: str = "", canonical: str | None = None,
              template: bool = True) -> DedupDoc:
        body = list(paras)
        if template:
            body = outlet["header"] + body + outlet["footer"]
        text = "\n".join(body)
        text = (text.replace("'", "\u2019").replace('"', "\u201c") if outlet["curly"]
                else text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"'))
        doc = DedupDoc(id=f"d{len(self.docs)}", title=title or self._para(1)[:80], text=text,
                       url=f"https://{outlet['host']}/{slug}/{len(self.docs)}",
                       canonical_url=canonical, published_at=when, source=outlet["id"])
        self.docs.append(doc)
        self.gold.append(gold)
        return doc

    def _time(self) -> datetime:
        return T0 + timedelta(days=self.rng.uniform(0, SPAN_DAYS))

    def _story_paras(self) -> list[str]:
        if self.real_used < len(self.pool.stories):
            self.real_used += 1
            return list(self.pool.stories[self.real_used - 1])
        return [self._para() for _ in range(self.rng.randint(4, 12))]

    def _copy_edits(self, paras: list[str]) -> list[str]:
        rng = self.rng
        out = list(paras)
        rw = self.rewrite_rng
        if rw.random() < self.rewritten_leads:   # rewritten lead: another first sentence
            words = [self.pool.vocab[rw.randrange(len(self.pool.vocab))] if rw.random() < 0.2
                     else w for w in rw.choice(self.pool.sentences).split()]
            out[0] = " ".join([" ".join(words)] + _SENT_RE.split(out[0])[1:])
        if rng.random() < 0.5:   # trimmed lead: dateline or first sentence dropped
            parts = _SENT_RE.split(out[0])
            out[0] = " ".join(parts[1:]) if len(parts) > 1 else " ".join(out[0].split()[4:])
        if rng.random() < 0.4:   # trimmed end
            out = out[:max(3, math.ceil(len(out) * rng.uniform(0.4, 1.0)))]
        if rng.random() < 0.4:   # local paragraph
            out.insert(rng.randint(2, max(2, len(out))), self._para(rng.randint(2, 3)))
        if rng.random() < 0.5:   # credit line
            a, b = rng.sample(NAMES, 2)
            out.append(f"(Reporting by {a}; Editing by {b})")
        return out

    # the kinds of documents
    def story(self) -> None:
        rng = self.rng
        gold = self._new_gold()
        paras = self._story_paras()
        when = self._time()
        paras[0] = f"CITY, Nov {when.day} (Wire) - " + paras[0]
        outlets = rng.sample(self.outlets, k=min(len(self.outlets), self._n_copies()))
        orig = self._emit(outlets[0], paras, when, gold, slug="story")
        self.story_log.append((paras, when, gold))
        for o in outlets[1:]:
            t = when + timedelta(hours=min(48.0, rng.expovariate(1 / 5)))
            canonical = orig.url if rng.random() < 0.1 else None
            self._emit(o, self._copy_edits(paras), t, gold, slug="wire", canonical=canonical)
        if rng.random() < 0.04:  # the same page again through a feed link with trackers
            again = self.docs[-1]
            self.docs.append(DedupDoc(id=f"d{len(self.docs)}", title=again.title,
                                      text=again.text + "\nUpdated.",
                                      url=again.url + "?utm_source=rss&utm_medium=feed",
                                      published_at=again.published_at, source=again.source))
            self.gold.append(gold)

    def _n_copies(self) -> int:
        rng = self.rng
        if rng.random() < 0.45:
            return 1
        return min(60, 2 + int(rng.expovariate(1 / 4)))

    def follow_up(self) -> None:
        if not self.story_log:
            return
        rng = self.rng
        paras, when, _ = rng.choice(self.story_log)
        if len(paras) < 4:
            return
        gold = self._new_gold()
        reuse = rng.sample(paras[1:], k=max(1, round(len(paras) * rng.uniform(0.3, 0.5))))
        body = [self._para(2) for _ in range(rng.randint(2, 3))] + reuse + [self._para(2)]
        t = when + timedelta(days=rng.uniform(1, 3))
        outlets = rng.sample(self.outlets, k=rng.randint(1, 3))
        self._emit(outlets[0], body, t, gold, slug="followup")
        for o in outlets[1:]:
            self._emit(o, self._copy_edits(body), t + timedelta(hours=rng.uniform(0, 6)), gold,
                       slug="wire")

    def live_blog(self) -> None:
        rng = self.rng
        outlet = rng.choice(self.outlets)
        when = self._time()
        entries = [f"{9 + i}:{rng.randint(10, 59)} - " + self._para(2) for i in range(3)]
        for snap in range(rng.randint(3, 5)):
            body = ["Live: follow every update"] + list(reversed(entries))
            self._emit(outlet, body, when + timedelta(hours=snap * 2), self._new_gold(),
                       slug=f"live-snapshot-{snap}")
            entries += [f"{12 + snap}:{rng.randint(10, 59)} - " + self._para(2)
                        for _ in range(rng.randint(1, 3))]

    def digest(self) -> None:
        rng = self.rng
        if len(self.story_log) < 8:
            return
        outlet = rng.choice(self.outlets[:40])
        items = [p[0] for p, _, _ in rng.sample(self.story_log[-200:], k=rng.randint(5, 8))]
        body = ([f"Good morning from {outlet['id']}. Here is what you need to know today."]
                + items + ["That's all for today. Reply to tell us what you think."])
        self._emit(outlet, body, self._time(), self._new_gold(), slug="digest")

    def templated(self, template: list[str], outlet: dict, day: int) -> None:
        rng = self.rng
        text = [re.sub(r"\{n\}", lambda _: f"{rng.uniform(0, 100):.2f}", p)
                .replace("{date}", f"November {day + 1}") for p in template]
        when = T0 + timedelta(days=day, hours=rng.uniform(6, 9))
        self._emit(outlet, text, when, self._new_gold(), slug=f"report-{day}")

    def make_template(self) -> list[str]:
        paras = []
        for i in range(self.rng.randint(3, 5)):
            words = self._para(2).split()
            for _ in range(self.rng.randint(1, 3)):
                words.insert(self.rng.randrange(len(words) + 1), "{n}")
            paras.append(("Report for {date}: " if i == 0 else "") + " ".join(words))
        return paras


def generate(pool: Pool, n: int, seed: int,
             rewritten_leads: float = 0.0) -> tuple[list[DedupDoc], list[int]]:
    g = Gen(pool, seed, rewritten_leads)
    n_templates = max(1, int(n * 0.04 / SPAN_DAYS))
    templates = [(g.make_template(), g.rng.choice(g.outlets)) for _ in range(n_templates)]
    for tpl, outlet in templates:
        for day in range(int(SPAN_DAYS)):
            g.templated(tpl, outlet, day)
    while len(g.docs) < n:
        r = g.rng.random()
        if r < 0.82:
            g.story()
        elif r < 0.9:
            g.follow_up()
        elif r < 0.94:
            g.live_blog()
        else:
            g.digest()
    order = sorted(range(len(g.docs)), key=lambda i: g.docs[i].published_at)[:n]
    return [g.docs[i] for i in order], [g.gold[i] for i in order]


# --- scoring ---------------------------------------------------------------------------
def pairwise(pred: list, gold: list[int]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering against gold clusters."""
    def pairs(counts) -> int:
        return sum(c * (c - 1) // 2 for c in counts)
    tp = pairs(Counter(zip(pred, gold)).values())
    pp, gp = pairs(Counter(pred).values()), pairs(Counter(gold).values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_newsingest(docs: list[DedupDoc], runs: int) -> dict:
    index = DedupIndex()
    rss0 = peak_rss_mb()
    cpu0 = time.process_time()
    pred: dict[str, str] = {}
    size = math.ceil(len(docs) / runs)
    for r in range(runs):
        chunk = docs[r * size:(r + 1) * size]
        if not chunk:
            continue
        now = max(d.published_at for d in chunk)
        for a in index.assign(chunk, run_id=f"run{r}", now=now):
            pred[a.doc_id] = a.cluster_id
    cpu = time.process_time() - cpu0
    blob = index.to_bytes()
    return {"pred": [pred[d.id] for d in docs], "cpu": cpu, "rss_delta": peak_rss_mb() - rss0,
            "bytes_per_doc": len(blob) / max(len(index), 1),
            "mem_per_doc": index.nbytes / max(len(index), 1), "index_docs": len(index)}


def run_minhash(docs: list[DedupDoc], threshold: float, num_perm: int) -> dict:
    from datasketch import MinHash, MinHashLSH

    rss0 = peak_rss_mb()
    cpu0 = time.process_time()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = []
    for i, d in enumerate(docs):
        words = d.text.lower().split()
        sh = {" ".join(words[j:j + 5]).encode() for j in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=num_perm)
        m.update_batch(list(sh))
        hashes.append(m)
        lsh.insert(str(i), m)
    parent = list(range(len(docs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(hashes):
        for key in lsh.query(m):
            a, b = find(i), find(int(key))
            if a != b:
                parent[b] = a
    cpu = time.process_time() - cpu0
    return {"pred": [find(i) for i in range(len(docs))], "cpu": cpu,
            "rss_delta": peak_rss_mb() - rss0}


# --- the outside set (dedup-dev) ------------------------------------------------------------
def load_dedup_dev(folder: Path) -> list[dict]:
    """The records of ``synd_dev.jsonl.gz`` (id, cluster_id, title, text, published,
    outlet, kind, transforms)."""
    with gzip.open(folder / "synd_dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def recall_by_edit(records: list[dict], pred: dict[str, object]) -> dict[str, tuple[float, int]]:
    """Recall of each original<->copy pair, by the edits applied to the copy."""
    by_cluster: dict[str, list[dict]] = {}
    for r in records:
        by_cluster.setdefault(r["cluster_id"], []).append(r)
    hits: dict[str, list[int]] = {}
    for members in by_cluster.values():
        orig = next((r for r in members if r.get("kind") == "original"), None)
        if orig is None:
            continue
        for r in members:
            if r is orig:
                continue
            hit = int(pred[r["id"]] == pred[orig["id"]])
            for edit in {re.sub(r"\d+$", "", t) for t in r.get("transforms", [])} | {"ALL"}:
                h = hits.setdefault(edit, [0, 0])
                h[0] += hit
                h[1] += 1
    return {k: (v[0] / v[1], v[1]) for k, v in sorted(hits.items())}


def false_positives_by_kind(records: list[dict], pred: dict[str, object]) -> Counter:
    """Predicted pairs of different stories, counted once per kind of document they touch."""
    members: dict[object, list[dict]] = {}
    for r in records:
        members.setdefault(pred[r["id"]], []).append(r)
    out: Counter = Counter()
    for group in members.values():
        if len(group) > 2000:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a["cluster_id"] != b["cluster_id"]:
                    for kind in {a.get("family") or a.get("kind", "?"),
                                 b.get("family") or b.get("kind", "?")}:
                        out[kind] += 1
    return out


def score_dedup_dev(folder: Path, args: argparse.Namespace) -> None:
    """Score newsingest and MinHash LSH on the outside set, with the breakdowns."""
    records = load_dedup_dev(folder)
    gold = [r["cluster_id"] for r in records]
    n = len(records)
    print(f"\n== dedup-dev ({folder}): {n} documents, {len(set(gold))} stories")
    inputs = [{"id": r["id"], "title": r.get("title") or "", "text": r.get("text") or "",
               "published_at": r.get("published") or None, "source": r.get("outlet") or None}
              for r in records]
    cpu0 = time.process_time()
    pred = cluster_documents(inputs)
    cpu = time.process_time() - cpu0
    p, r, f = pairwise([pred[x["id"]] for x in records], gold)
    print(f"{'method':<28}{'P':>7}{'R':>7}{'F1':>7}{'docs/cpu-s':>12}")
    print(f"{'newsingest.dedup':<28}{p:7.4f}{r:7.4f}{f:7.4f}{n / cpu:12.0f}")
    docs = [DedupDoc(id=x["id"], title=x["title"], text=x["text"]) for x in inputs]
    for th in [float(x) for x in args.lsh_thresholds.split(",") if x]:
        b = run_minhash(docs, th, args.num_perm)
        bp, br, bf = pairwise(b["pred"], gold)
        name = f"MinHashLSH t={th} p={args.num_perm}"
        print(f"{name:<28}{bp:7.4f}{br:7.4f}{bf:7.4f}{n / b['cpu']:12.0f}")
    rec = recall_by_edit(records, pred)
    print("recall (original<->copy) by edit: "
          + ", ".join(f"{k}={v:.2f}/{c}" for k, (v, c) in rec.items()))
    print(f"false-positive pairs by kind: {dict(false_positives_by_kind(records, pred))}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000", help="comma-separated document counts")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="extraction-dev pages the own set is built from")
    ap.add_argument("--dedup-dev", type=Path, default=DEFAULT_DEDUP_DEV,
                    help="the outside syndication set, scored when it exists ('' to skip)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--runs", type=int, default=10, help="assign() calls per size")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rewritten-leads", type=float, default=0.1,
                    help="share of copies whose first sentence is rewritten (0: the earlier set)")
    ap.add_argument("--lsh-thresholds", default="0.5,0.3")
    ap.add_argument("--num-perm", type=int, default=64)
    ap.add_argument("--baseline-max", type=int, default=100000,
                    help="skip the MinHash baseline above this size")
    ap.add_argument("--low-threshold-max", type=int, default=20000,
                    help="run LSH thresholds below 0.5 only up to this size (they merge "
                         "nearly everything, and their candidate lists grow quadratically)")
    args = ap.parse_args(argv)
    dev = args.dedup_dev
    if str(dev) not in ("", ".") and (dev / "synd_dev.jsonl.gz").exists():
        score_dedup_dev(dev, args)
    elif str(dev) not in ("", "."):
        print(f"dedup-dev: {dev / 'synd_dev.jsonl.gz'} not found, skipped")
    pool = build_pool(load_texts(args.data, args.cache))
    print(f"pool: {len(pool.stories)} real articles, {len(pool.sentences)} sentences")
    for n in [int(s) for s in args.sizes.split(",") if s and int(s) > 0]:
        docs, gold = generate(pool, n, args.seed, args.rewritten_leads)
        kinds = Counter(urlsplit(d.url).path.split("/")[1].split("-")[0] for d in docs)
        sizes = Counter(Counter(gold).values())
        print(f"\n== {n} documents, {len(set(gold))} gold clusters, "
              f"{sum(c for s, c in sizes.items() if s == 1)} singletons, "
              f"largest {max(Counter(gold).values())}; kinds {dict(kinds)}; "
              f"rewritten leads {args.rewritten_leads}")
        res = run_newsingest(docs, args.runs)
        p, r, f = pairwise(res["pred"], gold)
        proj = res["mem_per_doc"] * 3.5e6 / 2**30
        print(f"{'method':<28}{'P':>7}{'R':>7}{'F1':>7}{'docs/cpu-s':>12}{'peak MB+':>10}")
        print(f"{'newsingest.dedup':<28}{p:7.4f}{r:7.4f}{f:7.4f}{n / res['cpu']:12.0f}"
              f"{res['rss_delta']:10.0f}")
        if n <= args.baseline_max:
            for th in [float(x) for x in args.lsh_thresholds.split(",") if x]:
                if th < 0.5 and n > args.low_threshold_max:
                    continue
                b = run_minhash(docs, th, args.num_perm)
                bp, br, bf = pairwise(b["pred"], gold)
                name = f"MinHashLSH t={th} p={args.num_perm}"
                print(f"{name:<28}{bp:7.4f}{br:7.4f}{bf:7.4f}{n / b['cpu']:12.0f}"
                      f"{b['rss_delta']:10.0f}")
        print(f"index: {res['index_docs']} docs, {res['mem_per_doc']:.0f} B/doc in memory, "
              f"{res['bytes_per_doc']:.0f} B/doc serialised; 3.5M docs -> {proj:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
