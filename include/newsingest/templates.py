"""Per-site memory of template lines (lines that recur across many pages of one site).

Design:

* A site is the URL's host without ``www.``. A *candidate* line is short (at most
  ``max_words`` words, 200 characters); longer paragraphs are never remembered.
* Lines are stored as 64-bit BLAKE2b hashes of their normalised text (no article text is
  persisted), each with the run it was last seen in and up to ``max_page_ids`` short
  hashes of the distinct pages it was seen on; re-observing the same page never counts
  twice.
* A line is template when seen on at least ``min_pages`` distinct pages (``extract_batch``
  also skips a page whose extracted body it has already observed in the batch, so copies
  of one article under several URLs are not evidence). Whether a template line is actually
  dropped is decided by :mod:`newsingest.clean`: only short lines (<= 15 words), only in
  the leading/trailing run of template lines or, inside the running text, only when
  unpunctuated and <= 6 words; and if that would remove more than 40 % of the body's
  characters, nothing is removed. So a short sentence repeated in every live-blog post of
  an outlet survives wherever it sits between real paragraphs.
* Memory is bounded: per site at most ``max_lines_per_site`` lines (confirmed templates
  and recently seen lines are kept first), at most ``max_sites`` sites (least recently
  seen evicted), and lines not seen for ``max_idle_runs`` runs decay away.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urlsplit

from newsingest.clean import normalize_line

FORMAT = "newsingest-site-templates"
FORMAT_VERSION = 1
_MAX_CHARS = 200


def site_key(url: str | None) -> str | None:
    """The site a page belongs to: lower-case host without a leading ``www.``."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    if host.startswith("www."):
        host = host[4:]
    return host or None


def _hash(text: str, size: int = 8) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


@dataclass
class _Site:
    last_run: int = 0
    lines: dict[str, list] = field(default_factory=dict)  # hash -> [last_run, [page ids]]


class SiteTemplates:
    """Learns and answers "is this line a template line of this site?"."""

    def __init__(self, *, min_pages: int = 3, max_words: int = 15, max_lines_per_site: int = 500,
                 max_sites: int = 5000, max_idle_runs: int = 60, max_page_ids: int = 8) -> None:
        self.min_pages = min_pages
        self.max_words = max_words
        self.max_lines_per_site = max_lines_per_site
        self.max_sites = max_sites
        self.max_idle_runs = max_idle_runs
        self.max_page_ids = max(max_page_ids, min_pages)
        self.run = 0
        self._sites: dict[str, _Site] = {}

    # -- learning -------------------------------------------------------------------
    def begin_run(self) -> None:
        """Start a new run (one batch): advance the clock and let old lines decay."""
        self.run += 1
        horizon = self.run - self.max_idle_runs
        for key in list(self._sites):
            site = self._sites[key]
            site.lines = {h: v for h, v in site.lines.items() if v[0] >= horizon}
            if not site.lines:
                del self._sites[key]

    def candidate(self, line: str) -> str | None:
        """The normalised form of ``line`` if it may be a template line, else None."""
        if len(line) > _MAX_CHARS * 2 or line.count(" ") > self.max_words * 2:
            return None
        norm = normalize_line(line)
        if not norm or len(norm) > _MAX_CHARS or len(norm.split()) > self.max_words:
            return None
        return norm

    def observe(self, url: str | None, lines: Iterable[str], page_id: str | None = None) -> None:
        """Record the candidate lines of one page of ``url``'s site."""
        key = site_key(url)
        if key is None:
            return
        pid = _hash(page_id or url or "", 4)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = _Site()
        site.last_run = self.run
        seen: set[str] = set()
        for line in lines:
            norm = self.candidate(line)
            if norm is None:
                continue
            h = _hash(norm)
            if h in seen:
                continue
            seen.add(h)
            entry = site.lines.get(h)
            if entry is None:
                site.lines[h] = [self.run, [pid]]
                continue
            entry[0] = self.run
            if pid not in entry[1]:
                entry[1].append(pid)
                del entry[1][:-self.max_page_ids]
        if len(site.lines) > self.max_lines_per_site * 1.25:
            self._trim(site)
        if len(self._sites) > self.max_sites:
            for old in sorted(self._sites, key=lambda k: self._sites[k].last_run)[
                    : len(self._sites) - self.max_sites]:
                del self._sites[old]

    def _trim(self, site: _Site) -> None:
        ranked = sorted(site.lines.items(),
                        key=lambda kv: (min(len(kv[1][1]), self.min_pages), kv[1][0]), reverse=True)
        site.lines = dict(ranked[: self.max_lines_per_site])

    def merge(self, other: "SiteTemplates") -> None:
        """Fold ``other`` (e.g. a parallel group's copy of the same memory) into this one.

        Page ids are united (so a page seen by both counts once), the run clock and
        ``last_run`` marks take the maximum, and the caps are enforced afterwards.
        """
        self.run = max(self.run, other.run)
        for key, theirs in other._sites.items():
            mine = self._sites.get(key)
            if mine is None:
                mine = self._sites[key] = _Site()
            mine.last_run = max(mine.last_run, theirs.last_run)
            for h, (last, pids) in theirs.lines.items():
                entry = mine.lines.get(h)
                if entry is None:
                    mine.lines[h] = [last, list(pids)]
                    continue
                entry[0] = max(entry[0], last)
                for pid in pids:
                    if pid not in entry[1]:
                        entry[1].append(pid)
                del entry[1][:-self.max_page_ids]
            if len(mine.lines) > self.max_lines_per_site:
                self._trim(mine)
        if len(self._sites) > self.max_sites:
            for old in sorted(self._sites, key=lambda k: self._sites[k].last_run)[
                    : len(self._sites) - self.max_sites]:
                del self._sites[old]

    # -- lookup ---------------------------------------------------------------------
    def pages_seen(self, url: str | None, line: str) -> int:
        """On how many distinct pages of the site this line was seen (capped)."""
        site = self._sites.get(site_key(url) or "")
        norm = self.candidate(line)
        if site is None or norm is None:
            return 0
        entry = site.lines.get(_hash(norm))
        return len(entry[1]) if entry else 0

    def is_template(self, url: str | None, line: str) -> bool:
        """True when ``line`` was seen on at least ``min_pages`` pages of the site."""
        return self.pages_seen(url, line) >= self.min_pages

    def checker(self, url: str | None) -> Callable[[str], bool] | None:
        """A one-argument predicate for :func:`newsingest.clean.clean_lines`, or None."""
        site = self._sites.get(site_key(url) or "")
        if site is None:
            return None
        lines, need = site.lines, self.min_pages

        def is_template(line: str) -> bool:
            norm = self.candidate(line)
            if norm is None:
                return False
            entry = lines.get(_hash(norm))
            return entry is not None and len(entry[1]) >= need

        return is_template

    def sites(self) -> list[str]:
        return sorted(self._sites)

    def __len__(self) -> int:
        return sum(len(s.lines) for s in self._sites.values())

    # -- persistence ----------------------------------------------------------------
    def to_json(self) -> bytes:
        """Serialise (compact, deterministic) for storage between runs."""
        doc = {
            "format": FORMAT, "version": FORMAT_VERSION, "run": self.run,
            "params": {"min_pages": self.min_pages, "max_words": self.max_words,
                       "max_lines_per_site": self.max_lines_per_site, "max_sites": self.max_sites,
                       "max_idle_runs": self.max_idle_runs, "max_page_ids": self.max_page_ids},
            "sites": {k: {"last_run": s.last_run, "lines": s.lines}
                      for k, s in sorted(self._sites.items())},
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> "SiteTemplates":
        """Load what :meth:`to_json` wrote; raises ValueError on a foreign document."""
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a newsingest site-templates document")
        if doc.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported site-templates version {doc.get('version')!r}")
        obj = cls(**doc.get("params", {}))
        obj.run = int(doc.get("run", 0))
        for key, s in doc.get("sites", {}).items():
            obj._sites[key] = _Site(
                last_run=int(s.get("last_run", 0)),
                lines={h: [int(v[0]), [str(p) for p in v[1]]] for h, v in s.get("lines", {}).items()})
        return obj
