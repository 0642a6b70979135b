"""robots.txt matching follows RFC 9309: its own examples, wildcards, longest match.

``urllib.robotparser`` (used before) ignores ``*`` and ``$`` and takes the first
matching rule; each case below that it gets wrong is marked.
"""

from __future__ import annotations

import pytest
from support_http import LoopbackServer, Reply, guard_connections

from newsingest.fetch import Fetcher, FetchPolicy
from newsingest.robots import rules_from_response

SITE = "https://www.example.com"

# RFC 9309 section 5.1, verbatim (its "EOF" line is part of the example).
RFC_EXAMPLE = b"""User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
"""


def allowed(robots: bytes, agent: str, path: str) -> bool:
    return rules_from_response(200, robots, None, agent).allows(agent, SITE + path)


@pytest.mark.parametrize("agent, path, expected", [
    # foobot: only the two allowed pages ("Allow" is longer than "Disallow: /")
    ("foobot", "/example/page.html", True),
    ("foobot", "/example/allowed.gif", True),
    ("foobot", "/example/other.html", False),
    ("foobot", "/publications/", False),
    ("FooBot", "/example/page.html", True),           # product tokens match case-insensitively
    # barbot and bazbot share one group
    ("barbot", "/example/page.html", False),
    ("bazbot", "/example/page.html", False),
    ("bazbot", "/example/other.html", True),
    ("barbot", "/cat.gif", True),                     # the * group does not apply to them
    # quxbot's group is empty: everything allowed
    ("quxbot", "/example/page.html", True),
    ("quxbot", "/cat.gif", True),
    # everyone else gets the * group
    ("otherbot", "/cat.gif", False),                  # "*.gif$"  (urllib: allowed)
    ("otherbot", "/cat.gif?size=2", True),            # "$" anchors the end
    ("otherbot", "/example/", False),
    ("otherbot", "/publications/2026.html", True),
    ("otherbot", "/robots.txt", True),                # implicitly allowed (section 2.2.2)
])
def test_rfc9309_example(agent: str, path: str, expected: bool) -> None:
    assert allowed(RFC_EXAMPLE, agent, path) is expected


@pytest.mark.parametrize("robots, path, expected", [
    # section 2.2.2: the most specific (longest) match wins, in any order
    (b"User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
     "/example/page/disallowed.gif", False),
    (b"User-agent: *\nDisallow: /news/\nAllow: /news/public/\n",
     "/news/public/story.html", True),                # urllib: blocked (first match)
    (b"User-agent: *\nDisallow: /news/\nAllow: /news/public/\n", "/news/secret.html", False),
    # section 2.2.2: an Allow and a Disallow that are equivalent: Allow wins
    (b"User-agent: *\nDisallow: /folder\nAllow: /folder\n", "/folder/page", True),
    # section 2.2.3: "*" matches any sequence, "$" the end of the path
    (b"User-agent: *\nDisallow: /*?print=\n", "/news/story?print=1", False),  # urllib: allowed
    (b"User-agent: *\nDisallow: /*?print=\n", "/news/story?page=2", True),
    (b"User-agent: *\nDisallow: /*.pdf$\n", "/reports/annual.pdf", False),    # urllib: allowed
    (b"User-agent: *\nDisallow: /*.pdf$\n", "/reports/annual.pdf.html", True),
    # section 2.2.2: percent-encoding; UTF-8 characters match their encoded form
    (b"User-agent: *\nDisallow: /foo/bar/\xe3\x83\x84\n", "/foo/bar/%E3%83%84", False),
    (b"User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/baz", False),
    (b"User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/qux", True),
])
def test_longest_match_wildcards_and_encoding(robots: bytes, path: str, expected: bool) -> None:
    assert allowed(robots, "newsingest", path) is expected


def test_groups_for_one_agent_are_merged_and_crawl_delay_read() -> None:
    robots = (b"User-agent: newsingest\nDisallow: /a/\n\nUser-agent: *\nDisallow: /\n\n"
              b"User-agent: newsingest\nDisallow: /b/\nCrawl-delay: 2.5\n")
    rules = rules_from_response(200, robots, None, "newsingest")
    assert not rules.allows("newsingest", SITE + "/a/x")
    assert not rules.allows("newsingest", SITE + "/b/x")
    assert rules.allows("newsingest", SITE + "/c/x")
    assert rules.crawl_delay == 2.5
    assert rules_from_response(200, b"User-agent: *\nCrawl-delay: nan\n", None, "x").crawl_delay is None


def test_fetcher_applies_wildcard_rules_to_real_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_connections(monkeypatch)
    robots = (b"User-agent: *\nDisallow: /*?print=\nDisallow: /*.pdf$\n"
              b"Disallow: /news/\nAllow: /news/public/\n")
    routes = {"/robots.txt": Reply(200, robots), "/story": Reply(200, b"story"),
              "/report.pdf": Reply(200, b"%PDF"), "/news/public/a": Reply(200, b"a"),
              "/news/b": Reply(200, b"b")}
    policy = FetchPolicy(allow_private=True, host_interval=0.0, connect_timeout=1.0,
                         read_timeout=2.0, total_timeout=5.0,
                         user_agent="newsingest/0.1 (+https://example.org/bot)")
    with LoopbackServer(routes) as srv, Fetcher(policy) as f:
        urls = [srv.url(p) for p in ("/story?print=1", "/story", "/report.pdf",
                                     "/news/public/a", "/news/b")]
        results = f.fetch_many(urls)
        kinds = [r.error_kind for r in results]
        assert kinds == ["robots_disallowed", None, "robots_disallowed", None,
                         "robots_disallowed"], [r.error for r in results]
        assert srv.hits("/report.pdf") == 0 and srv.hits("/news/b") == 0
        assert srv.hits("/robots.txt") == 1
