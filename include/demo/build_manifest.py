"""Generate ``manifest.json`` (expected pipeline results) from the demo content.

Run ``python -m newsingest_demo.build_manifest`` after editing ``content/``;
``--check`` exits non-zero when the committed manifest is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from newsingest_demo.site import (
    FEED_FAILURES,
    MANIFEST_PATH,
    Content,
    feeds_for_copy,
    load_content,
    must_contain_for,
)

ISO2 = re.compile(r"^[A-Z]{2}$")

RULES = {
    "countries": "ISO 3166-1 alpha-2 codes (Jersey is JE; Congo-Brazzaville CG, DRC CD).",
    "countries_about": (
        "What the story is about, by human judgement: the dateline country and the "
        "countries the headline and lead are about (where the event happens, its main "
        "actors). Countries cited only for context or comparison are mentioned, not about. "
        "A story may be about several."
    ),
    "countries_mentioned": (
        "Every country the text refers to as a place or an actor: by name (Turkey, Türkiye), "
        "alias (U.S., UK, Britain, DRC, Congo-Brazzaville), demonym (Kenyan, Dutch), capital "
        "or seat of power used as metonym (the Kremlin, Downing Street, Washington for the US "
        "government), or a place inside it (Atlanta, Georgia and Paris, Texas count as US). "
        "Always a superset of countries_about. Ordered by salience in the text."
    ),
    "not_countries": (
        "Not counted: currency names ('priced in U.S. dollars', 'the euro'), people named "
        "Jordan or Chad, the US states Georgia, New Jersey and New Mexico as countries, "
        "turkey the bird, guinea pigs, the Niger River / Niger Delta / Niger State inside "
        "Nigeria, and boilerplate (cookie banners, sidebars, promos are never article text)."
    ),
    "copies": (
        "Every URL that serves the story: path relative to the publisher's base URL "
        "(ports are dynamic), without tracking parameters; feed_link_path shows the link "
        "as the feed gives it. Exactly one copy per story has is_original=true."
    ),
    "must_contain": "Sentences present verbatim in every copy; must survive extraction.",
    "must_not_contain": (
        "Boilerplate printed by the templates of the story's publishers; must not appear "
        "in the extracted text of any copy."
    ),
    "hard_negatives": "Pairs of distinct stories that a deduplicator must NOT group.",
}


def build(content: Content | None = None) -> dict[str, Any]:
    """The manifest as a dict (deterministic, no ports)."""
    content = content or load_content()
    pubs = content.publishers
    stories_out = []
    for story in content.stories:
        copies = [c for c in content.copies if c.story_id == story.id]
        boiler: list[str] = []
        for c in copies:
            boiler += [b for b in pubs[c.publisher_id].boilerplate if b not in boiler]
        stories_out.append(
            {
                "story_id": story.id,
                "headline": story.headline,
                "published_at": story.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "section": story.section,
                "countries_about": story.about,
                "countries_mentioned": story.mentioned,
                "copies": [
                    {
                        "publisher_id": c.publisher_id,
                        "path": c.path,
                        "feed_link_path": c.feed_link_path,
                        "feed_ids": [f.id for f in feeds_for_copy(pubs[c.publisher_id], c)],
                        "headline": c.headline,
                        "published_at": c.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "is_original": c.is_original,
                    }
                    for c in copies
                ],
                "must_contain": must_contain_for(story, copies),
                "must_not_contain": boiler,
                "traps": story.traps,
                "note": story.note,
                "source": f"content/{story.source_file}",
            }
        )
    failing = [
        {
            "feed_id": f.id,
            "publisher_id": p.id,
            "path": f.path,
            "failure": f.status,
            "reason": f.reason,
        }
        for p in pubs.values()
        for f in p.feeds
        if f.status in FEED_FAILURES
    ]
    broken = [
        {
            "feed_id": f.id,
            "publisher_id": p.id,
            "path": b["path"],
            "expected_status": 404,
            "reason": b["reason"],
        }
        for p in pubs.values()
        for f in p.feeds
        for b in f.broken_links
    ]
    groups = [s for s in stories_out if len(s["copies"]) > 1]
    about = sorted({c for s in stories_out for c in s["countries_about"]})
    negatives = [
        {"stories": [s.id, other], "reason": s.note}
        for s in content.stories
        for other in s.hard_negative_of
    ]
    feeds = [f for p in pubs.values() for f in p.feeds]
    return {
        "schema_version": 1,
        "description": "Expected results of the pipeline over the demo news web.",
        "generated_by": "python -m newsingest_demo.build_manifest",
        "rules": RULES,
        "counts": {
            "publishers": len(pubs),
            "feeds": len(feeds),
            "feeds_ok": sum(f.status == "ok" for f in feeds),
            "feeds_failing": len(failing),
            "distinct_stories": len(stories_out),
            "copies": sum(len(s["copies"]) for s in stories_out),
            "duplicate_groups": len(groups),
            "duplicate_copies": sum(len(s["copies"]) - 1 for s in groups),
            "countries_about": len(about),
            "broken_links": len(broken),
        },
        "countries_about": about,
        "publishers": [
            {
                "publisher_id": p.id,
                "name": p.name,
                "kind": p.kind,
                "country": p.country,
                "language": p.language,
                "boilerplate": list(p.boilerplate),
                "quirks": list(p.quirks),
                "headline_repeated_in_body": "headline-repeated-in-body" in p.quirks,
                "feeds": [
                    {"feed_id": f.id, "path": f.path, "format": f.format, "status": f.status}
                    for f in p.feeds
                ],
            }
            for p in pubs.values()
        ],
        "failing_feeds": failing,
        "broken_links": broken,
        "hard_negatives": negatives,
        "stories": stories_out,
    }


def validate(manifest: dict[str, Any]) -> list[str]:
    """Consistency problems in a manifest (empty list when fine)."""
    problems = []
    seen_paths: set[tuple[str, str]] = set()
    ids = {s["story_id"] for s in manifest["stories"]}
    if len(ids) != len(manifest["stories"]):
        problems.append("duplicate story_id")
    for s in manifest["stories"]:
        sid = s["story_id"]
        codes = s["countries_about"] + s["countries_mentioned"]
        if not all(ISO2.match(c) for c in codes):
            problems.append(f"{sid}: bad country code in {codes}")
        if not set(s["countries_about"]) <= set(s["countries_mentioned"]):
            problems.append(f"{sid}: countries_about not within countries_mentioned")
        if not s["countries_about"]:
            problems.append(f"{sid}: no countries_about")
        if len(s["must_contain"]) < 2:
            problems.append(f"{sid}: fewer than 2 must_contain sentences")
        if sum(c["is_original"] for c in s["copies"]) != 1:
            problems.append(f"{sid}: needs exactly one original copy")
        for c in s["copies"]:
            key = (c["publisher_id"], c["path"])
            if key in seen_paths:
                problems.append(f"{sid}: path {key} served twice")
            seen_paths.add(key)
            if not c["feed_ids"]:
                problems.append(f"{sid}: copy {key} is in no working feed")
    for neg in manifest["hard_negatives"]:
        if not set(neg["stories"]) <= ids:
            problems.append(f"hard negative refers to unknown story: {neg['stories']}")
    return problems


def render(manifest: dict[str, Any]) -> str:
    """Stable JSON text of the manifest."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) ``manifest.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if manifest.json is stale")
    args = parser.parse_args(argv)
    manifest = build()
    problems = validate(manifest)
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    text = render(manifest)
    if args.check:
        current = MANIFEST_PATH.read_text("utf-8") if MANIFEST_PATH.exists() else ""
        if current != text:
            print("manifest.json is stale: run python -m newsingest_demo.build_manifest")
            return 1
        return 1 if problems else 0
    MANIFEST_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST_PATH} ({manifest['counts']})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
