"""plan parses the registry once per run and hands each group its feeds."""

from __future__ import annotations

from pathlib import Path

from support_http import LoopbackServer, Reply

from newsingest.config import Settings
from newsingest.pipeline import RunContext, plan, poll_group

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        b"<item><title>Port strike ends</title><link>https://wire.example.org/strike</link>"
        b"<guid>wire-1</guid></item></channel></rss>")


def registry_text(n: int, url: str = "https://news{h}.example.org/rss/{i}.xml") -> str:
    return "feeds:\n" + "".join(
        f"  - id: feed-{i}\n    url: {url.format(h=i // 3, i=i)}\n"
        f"    publisher: Outlet {i // 3}\n    country: GB\n" for i in range(n))


def ctx_for(registry: Path, data: Path, **extra) -> RunContext:
    return RunContext("manual__plan", "2026-11-24",
                      Settings(feeds_path=registry, data_url=str(data), host_interval=0.0,
                               allow_private_networks=True, **extra))


def test_groups_carry_their_feeds_and_polling_does_not_read_the_registry(tmp_path: Path) -> None:
    with LoopbackServer({"/rss": Reply(200, FEED)}) as srv:
        registry = tmp_path / "feeds.yaml"
        registry.write_text(registry_text(1, srv.url("/rss")).replace("GB", "KE")
                            + "    language: sw\n")
        ctx = ctx_for(registry, tmp_path / "data")
        groups = plan(ctx)
        assert groups == [{"index": 0, "feeds": ["feed-0"], "specs": [{
            "id": "feed-0", "url": srv.url("/rss"), "publisher": "Outlet 0", "country": "KE",
            "language": "sw"}]}]
        registry.unlink()                           # the mapped task must not need it
        ref = poll_group(ctx, groups[0])
    polls = ctx.store.read_parquet(f"{ctx.staging}/polls-{ref}.parquet").to_pylist()
    assert ref == "g0" and [(p["feed_id"], p["status"], p["entries"]) for p in polls] == [
        ("feed-0", "ok", 1)]


def test_groups_grow_to_fit_the_mapped_task_limit(tmp_path: Path) -> None:
    registry = tmp_path / "feeds.yaml"
    registry.write_text(registry_text(3_000))       # 1,000 hosts of 3 feeds
    ctx = ctx_for(registry, tmp_path / "data", feed_group_size=5)
    plain = plan(ctx)
    assert len(plain) == 1_000                       # hosts stay together: 3 feeds a group
    capped = plan(ctx, max_groups=64)
    assert len(capped) <= 64
    assert sorted(f for g in capped for f in g["feeds"]) == sorted(f"feed-{i}" for i in range(3_000))
    for g in capped:                                 # a host's feeds are still in one group
        hosts = [s["url"].split("/")[2] for s in g["specs"]]
        assert all(hosts.count(h) % 3 == 0 for h in set(hosts))
