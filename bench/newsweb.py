"""A large loopback news web for the end-to-end bench (``bench/pipeline.py``).

``LoadWeb(pages=2000, hosts=200, feeds=40)`` serves ``hosts`` publishers, each on its own
``127.0.0.1`` port: the fetcher's politeness key and the DAG's feed grouping are
(host, port), so every port is one publisher. Pages are rendered with the demo web's own
article templates (``include/demo/templates``: six house styles with navigation, related
links, cookie and newsletter boilerplate, JSON-LD), served by the demo web's handler
(ETag, Last-Modified, 304, gzip on the hosts cloned from a gzip publisher). Each page is
brought to ``page_kb`` (60 KB by default, about a real article page's HTML) with inline
CSS and JavaScript and a section mega-menu, the weight extraction has to cut through. Story text is
drawn from the demo stories' sentences, shuffled per story so that stories are distinct;
a share of stories is syndicated to another host with wire-style edits (new headline,
dropped closing paragraph, credit line, tracking query), as the demo's copies are.

Feeds are RSS 2.0 or Atom, written here: feed ``f`` is served by host ``f % hosts`` and
lists the pages of the hosts ``h`` with ``h % feeds == f`` (a media group's feed linking to
its sister sites), newest first. ``next_edition(n)`` adds ``n`` new pages and re-renders
the feeds, for a second run that sees only new entries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from html import escape
from pathlib import Path

import yaml

from newsingest_demo.server import _PublisherServer
from newsingest_demo.site import (
    HTML_TYPE,
    SENTENCE_SPLIT,
    Content,
    Copy,
    Publisher,
    Resource,
    Story,
    _make_copy,
    load_content,
    render_article,
    render_robots,
    slugify,
)

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
SUFFIXES = ("as talks resume", "after overnight session", "in second week", "amid new questions",
            "as deadline nears", "ahead of key vote", "after court ruling", "as markets react")
SYNDICATION_EDITS = (
    {"drop_last": 1, "credit": "Reporting by Lena Ortiz; Editing by Tom Hale"},
    {"headline_prefix": "UPDATE 1-", "track": "utm_source=rss&utm_medium=feed"},
    {"curly_quotes": True, "credit": "(Wire service copy)"},
)


@dataclasses.dataclass
class Page:
    """One served article URL (an original or a syndicated copy)."""

    host: int
    copy: Copy
    edition: int
    story_index: int


class LoadWeb:
    """Many publishers on loopback; ``with LoadWeb(...) as web:`` starts and stops them."""

    def __init__(self, pages: int, hosts: int, feeds: int, syndicated: float = 0.15,
                 page_kb: int = 60, seed: int = 7, now: dt.datetime | None = None,
                 base_port: int = 0) -> None:
        if pages < 1 or hosts < 1 or feeds < 1:
            raise ValueError("pages, hosts and feeds must be >= 1")
        self.hosts, self.feeds, self.syndicated, self.page_kb = hosts, feeds, syndicated, page_kb
        self.base_port = base_port  # 0: any free ports; else hosts on base_port, base_port + 1...
        self.rng = random.Random(seed)
        self.now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
        demo = load_content()
        self.sentences = [s for st in demo.stories for p in st.paragraphs
                          for s in SENTENCE_SPLIT.split(p) if len(s.split()) >= 5]
        self.headlines = [st.headline for st in demo.stories]
        bases = list(demo.publishers.values())
        self.publishers = [self._clone(bases[i % len(bases)], i) for i in range(hosts)]
        self.pages: list[Page] = []
        self.edition = 0
        self._stories = 0
        self._servers: list[_PublisherServer] = []
        self._threads: list[threading.Thread] = []
        self._add_pages(pages)

    # content ----------------------------------------------------------------
    @staticmethod
    def _clone(base: Publisher, i: int) -> Publisher:
        return dataclasses.replace(base, id=f"{base.id}-{i:03d}", name=f"{base.name} {i:03d}",
                                   feeds=(), robots_disallow=())

    def _story(self, host: int, published: dt.datetime) -> Story:
        n = self._stories
        self._stories += 1
        rng = self.rng
        paragraphs = [" ".join(rng.sample(self.sentences, rng.randint(2, 4)))
                      for _ in range(rng.randint(6, 11))]
        headline = f"{rng.choice(self.headlines)} {rng.choice(SUFFIXES)} ({n})"
        return Story(id=f"s{n:06d}", headline=headline, published=published,
                     author=rng.choice(("Ana Ruiz", "Ben Okafor", "Chloe Martin", "Dev Patel")),
                     section=rng.choice(("world", "business", "news")), dateline=None,
                     paragraphs=paragraphs, tags=[], about=[], mentioned=[],
                     copies=[{"publisher": self.publishers[host].id}])

    def _add_pages(self, count: int) -> None:
        """Add about ``count`` pages (originals plus their syndicated copies) as a new edition."""
        self.edition += 1
        added = 0
        while added < count:
            host = self.rng.randrange(self.hosts)
            # The first edition spans the last 36 hours; later ones the last 55 minutes.
            span = (60, 36 * 60) if self.edition == 1 else (1, 55)
            published = self.now - dt.timedelta(minutes=self.rng.randint(*span))
            story = self._story(host, published)
            specs: list[dict] = [{"publisher": self.publishers[host].id}]
            if added + 1 < count and self.hosts > 1 and self.rng.random() < self.syndicated:
                other = (host + self.rng.randrange(1, self.hosts)) % self.hosts
                edit = dict(self.rng.choice(SYNDICATION_EDITS))
                prefix = edit.pop("headline_prefix", None)
                if prefix:
                    edit["headline"] = prefix + story.headline
                specs.append({"publisher": self.publishers[other].id, **edit})
            for index, spec in enumerate(specs):
                # Slugs are cut at 80 characters: keep the story number so paths stay unique.
                spec["slug"] = f"{slugify(spec.get('headline', story.headline))[:60].strip('-')}-{story.id}"
                pub_index = int(spec["publisher"].rsplit("-", 1)[1])
                copy = _make_copy(story, spec, index, self.publishers[pub_index])
                self.pages.append(Page(pub_index, copy, self.edition, self._stories - 1))
                added += 1

    def next_edition(self, count: int) -> None:
        """Publish ``count`` more pages (and re-render the feeds) for the next run."""
        self._add_pages(count)
        if self._servers:
            self._render_all()

    def feed_of(self, page: Page) -> int:
        """Which feed lists a page."""
        return page.host % self.feeds if self.feeds <= self.hosts else \
            page.story_index % self.feeds

    def feed_host(self, feed: int) -> int:
        return feed % self.hosts

    # rendering ----------------------------------------------------------------
    def _render_all(self) -> None:
        by_host: dict[int, list[Page]] = {}
        for page in self.pages:
            by_host.setdefault(page.host, []).append(page)
        resources: list[dict[str, Resource]] = [{} for _ in range(self.hosts)]
        for host, pub in enumerate(self.publishers):
            pages = by_host.get(host, [])
            copies = [p.copy for p in pages]
            content = Content(publishers={pub.id: pub}, stories=[], copies=copies)
            base = self.base_url(host)
            for page in pages:
                body = self._pad(render_article(content, pub, page.copy, base), host).encode("utf-8")
                resources[host][page.copy.path] = Resource(200, HTML_TYPE, body, page.copy.published)
            newest = max((c.published for c in copies), default=self.now)
            resources[host]["/robots.txt"] = Resource(
                200, "text/plain; charset=utf-8", render_robots(pub).encode(), newest)
        by_feed: dict[int, list[Page]] = {}
        for page in self.pages:
            by_feed.setdefault(self.feed_of(page), []).append(page)
        for feed in range(self.feeds):
            items = sorted(by_feed.get(feed, []), key=lambda p: p.copy.published, reverse=True)
            body, ctype = self._feed(feed, items)
            newest = items[0].copy.published if items else self.now
            resources[self.feed_host(feed)][self.feed_path(feed)] = Resource(200, ctype, body, newest)
        for host, srv in enumerate(self._servers):
            srv.resources = resources[host]

    def _pad(self, html: str, host: int) -> str:
        """Bring a page to a real news page's weight: inline CSS and JS, a mega-menu, a footer."""
        if self.page_kb <= 0:
            return html
        rng = random.Random(host)
        sections = ("world", "business", "markets", "politics", "sport", "culture", "science",
                    "health", "opinion", "travel", "tech", "climate")
        menu = "".join(f'<li><a href="/{s}/{k}/">{s.title()} {k}</a></li>'
                       for s in sections for k in range(rng.randint(8, 12)))
        style = "".join(f".c{k}{{margin:{k % 7}px;padding:{k % 5}px;color:#{k * 2731 % 0xFFFFFF:06x}}}"
                        for k in range(400))
        budget = max(0, self.page_kb * 1024 - len(html) - len(menu) - len(style) - 400)
        script = "window.dataLayer=window.dataLayer||[];" + "".join(
            f"dataLayer.push({{'event':'v{k}','slot':'ad-{k % 17}','t':{rng.randint(0, 10**6)}}});"
            for k in range(budget // 60))
        head = f"<style>{style}</style><script>{script}</script></head>"
        nav = f'<nav class="mega-menu" aria-label="All sections"><ul>{menu}</ul></nav>'
        html = html.replace("</head>", head, 1)
        at = html.find(">", html.find("<body")) + 1
        return html[:at] + nav + html[at:] if at > 0 else html + nav

    def feed_path(self, feed: int) -> str:
        return f"/feeds/{feed:03d}.{'atom' if feed % 3 == 2 else 'rss'}"

    def _feed(self, feed: int, items: list[Page]) -> tuple[bytes, str]:
        title = f"Network feed {feed:03d}"
        base = self.base_url(self.feed_host(feed))
        if feed % 3 == 2:
            entries = "".join(
                f"<entry><title>{escape(p.copy.headline)}</title>"
                f"<link rel=\"alternate\" href=\"{escape(self.base_url(p.host) + p.copy.feed_link_path)}\"/>"
                f"<id>{escape(self.base_url(p.host) + p.copy.path)}</id>"
                f"<updated>{p.copy.published:%Y-%m-%dT%H:%M:%SZ}</updated>"
                f"<summary>{escape(p.copy.summary)}</summary>"
                f"<author><name>{escape(p.copy.author)}</name></author></entry>\n" for p in items)
            updated = items[0].copy.published if items else self.now
            text = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                    f"<title>{title}</title><id>{base}{self.feed_path(feed)}</id>"
                    f"<updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated>\n{entries}</feed>\n")
            return text.encode("utf-8"), ATOM_TYPE
        items_xml = "".join(
            f"<item><title>{escape(p.copy.headline)}</title>"
            f"<link>{escape(self.base_url(p.host) + p.copy.feed_link_path)}</link>"
            f"<guid isPermaLink=\"false\">{escape(p.copy.story_id)}@{p.host}</guid>"
            f"<pubDate>{p.copy.published:%a, %d %b %Y %H:%M:%S} GMT</pubDate>"
            f"<description>{escape(p.copy.summary)}</description></item>\n" for p in items)
        text = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
                f"<title>{title}</title><link>{base}/</link><description>{title}</description>\n"
                f"{items_xml}</channel></rss>\n")
        return text.encode("utf-8"), RSS_TYPE

    # serving -------------------------------------------------------------------
    def base_url(self, host: int) -> str:
        return self._servers[host].base_url

    def start(self) -> LoadWeb:
        try:
            for i, pub in enumerate(self.publishers):
                srv = _PublisherServer(pub, self.base_port + i if self.base_port else 0)
                srv.request_queue_size = 64
                self._servers.append(srv)
                thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.5},
                                          name=f"loadweb-{pub.id}", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._render_all()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # shutdown() waits up to one poll interval per server: ask them all at once.
        stoppers = [threading.Thread(target=srv.shutdown, daemon=True) for srv in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for srv in self._servers:
            srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> LoadWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # registry and expectations -----------------------------------------------
    def registry(self) -> list[dict[str, str]]:
        return [{"id": f"net-{feed:03d}", "url": self.base_url(self.feed_host(feed)) + self.feed_path(feed),
                 "publisher": self.publishers[self.feed_host(feed)].name,
                 "country": self.publishers[self.feed_host(feed)].country, "language": "en"}
                for feed in range(self.feeds)]

    def write_registry(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(yaml.safe_dump({"feeds": self.registry()}, sort_keys=False), "utf-8")
        return target

    def expected(self, edition: int) -> dict[str, int]:
        """Pages, stories and syndicated copies first published in one edition."""
        pages = [p for p in self.pages if p.edition == edition]
        return {"pages": len(pages), "stories": len({p.story_index for p in pages}),
                "syndicated_copies": sum(1 for p in pages if not p.copy.is_original)}

    def page_bytes(self) -> int:
        """Median size of an article page (bytes, uncompressed)."""
        sizes = sorted(len(r.body) for srv in self._servers for path, r in srv.resources.items()
                       if r.content_type == HTML_TYPE)
        return sizes[len(sizes) // 2] if sizes else 0

