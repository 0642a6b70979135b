"""Charts of the daily digest (matplotlib, PNG) and one self-contained HTML page per day.

``digest/date=D/`` holds ``countries_by_day.png`` (stories per country per day, the
busiest countries of the last days), ``countries.png`` (stories about each country on D,
new vs continuing), ``syndicated.png`` (D's most-syndicated stories by outlets) and
``index.html`` (the charts inlined as data URIs, plus the tables behind them).
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from collections import Counter, defaultdict
from typing import Mapping

from newsingest.schema import PARTITION_KEY
from newsingest.store import Store

DAYS_SHOWN = 14
COUNTRIES_SHOWN = 12
STORIES_SHOWN = 10
NEW, CONTINUING = "#2b6cb0", "#a0aec0"
EXTRA_NAMES = {"XK": "Kosovo"}  # user-assigned codes the tagger emits that pycountry lacks


def country_label(code: str) -> str:
    """``DE Germany``; the bare code when pycountry does not know it."""
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    name = (getattr(found, "common_name", None) or getattr(found, "name", None)) if found else None
    if name and ", " in name:  # "Congo, The Democratic Republic of the" -> "The Democratic ... Congo"
        head, tail = name.split(", ", 1)
        name = f"{tail} {head}"
    name = name or EXTRA_NAMES.get(code)
    return f"{code} {name}" if name else code


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def _short(text: str | None, n: int = 60) -> str:
    text = text or "(untitled)"
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def chart_countries(day: str, rows: list[dict]) -> bytes:
    """Horizontal stacked bars: stories about each country on ``day``, new vs continuing."""
    import matplotlib.pyplot as plt

    about = [r for r in rows if r["role"] == "about"][:COUNTRIES_SHOWN][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(about), 3) + 1.2))
    labels = [country_label(r["country"]) for r in about]
    new = [r["new_stories"] for r in about]
    cont = [r["continuing_stories"] for r in about]
    ax.barh(labels, new, color=NEW, label="new")
    ax.barh(labels, cont, left=new, color=CONTINUING, label="continuing")
    ax.set_xlabel("stories")
    ax.set_title(f"Stories by country they are about, {day}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    data = _png(fig)
    plt.close(fig)
    return data


def per_day_counts(stories: list[dict], day: str) -> dict[str, Counter]:
    """Country -> {date: stories about it with a copy that date}, dates up to ``day``."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in stories:
        for d in s["copy_dates"]:
            if d <= day:
                for code in dict.fromkeys(s["countries_about"] or []):
                    counts[code][d] += 1
    return counts


def chart_countries_by_day(day: str, stories: list[dict]) -> bytes:
    """Lines: stories per country per day over the last days, for the busiest countries."""
    import matplotlib.pyplot as plt

    counts = per_day_counts(stories, day)
    dates = sorted({d for c in counts.values() for d in c})[-DAYS_SHOWN:] or [day]
    top = sorted(counts, key=lambda c: (-sum(counts[c][d] for d in dates), c))[:8]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    xs = [date.fromisoformat(d) for d in dates]
    for code in top:
        ax.plot(xs, [counts[code][d] for d in dates], marker="o", label=country_label(code))
    ax.set_xticks(xs, [d[5:] for d in dates])
    ax.set_ylabel("stories")
    ax.set_title(f"Stories per country per day (about), up to {day}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", rotation=30)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    data = _png(fig)
    plt.close(fig)
    return data


def top_syndicated(stories: list[dict], on_day: Mapping[str, list]) -> list[dict]:
    """The stories with a copy on the day, most outlets first."""
    active = [s for s in stories if s["article_id"] in on_day]
    active.sort(key=lambda s: (-s["outlet_count"], -s["copy_count"], s["title"] or ""))
    return active[:STORIES_SHOWN]


def chart_syndicated(day: str, top: list[dict]) -> bytes:
    """Horizontal bars: the day's most-syndicated stories by number of outlets."""
    import matplotlib.pyplot as plt

    shown = top[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(shown), 3) + 1.2))
    ax.barh([_short(s["title"]) for s in shown], [s["outlet_count"] for s in shown], color=NEW)
    for i, s in enumerate(shown):
        ax.text(s["outlet_count"], i, f" {s['copy_count']} copies", va="center", fontsize=8)
    ax.set_xlabel("outlets carrying the story")
    ax.set_title(f"Most-syndicated stories, {day}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    data = _png(fig)
    plt.close(fig)
    return data


def _img(name: str, data: bytes, alt: str) -> str:
    src = "data:image/png;base64," + base64.b64encode(data).decode()
    return f'<figure><img src="{src}" alt="{html.escape(alt)}" data-chart="{name}"></figure>'


def page_html(day: str, rows: list[dict], top: list[dict], charts: dict[str, bytes]) -> str:
    """One self-contained page: the charts inlined, the country table, the top stories."""
    esc = html.escape
    about = [r for r in rows if r["role"] == "about"]
    country_rows = "".join(
        f"<tr><td>{esc(country_label(r['country']))}</td><td>{r['stories']}</td>"
        f"<td>{r['new_stories']}</td><td>{r['continuing_stories']}</td><td>{r['copies']}</td>"
        f"<td>{r['outlets']}</td><td>{esc(_short(r['top_stories'][0]['title'], 80)) if r['top_stories'] else ''}</td></tr>"
        for r in about)
    story_rows = "".join(
        f"<tr><td>{esc(s['title'] or '')}</td><td>{s['outlet_count']}</td><td>{s['copy_count']}</td>"
        f"<td>{esc(', '.join(s['outlets']))}</td><td>{esc(' '.join(s['countries_about']))}</td>"
        f"<td>{esc(s['first_seen_date'])}</td></tr>" for s in top)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News digest {esc(day)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#1a202c;padding:0 1rem}}
h1{{margin-bottom:.2rem}} .sub{{color:#4a5568;margin-top:0}}
figure{{margin:1.5rem 0}} img{{max-width:100%;border:1px solid #e2e8f0}}
table{{border-collapse:collapse;width:100%;font-size:.9rem;margin:1rem 0}}
th,td{{border-bottom:1px solid #e2e8f0;padding:.35rem .5rem;text-align:left;vertical-align:top}}
th{{background:#f7fafc}}
</style></head><body>
<h1>News digest {esc(day)}</h1>
<p class="sub">{len(about)} countries, {sum(1 for _ in top)} most-syndicated stories shown.
Stories are counted on a day when one of their copies was fetched that day.</p>
{_img("countries", charts["countries"], "Stories by country, new vs continuing")}
{_img("countries_by_day", charts["countries_by_day"], "Stories per country per day")}
<h2>Countries the stories are about</h2>
<table id="countries"><tr><th>country</th><th>stories</th><th>new</th><th>continuing</th>
<th>copies</th><th>outlets</th><th>top story</th></tr>{country_rows}</table>
{_img("syndicated", charts["syndicated"], "Most-syndicated stories")}
<h2>Most-syndicated stories</h2>
<table id="stories"><tr><th>story</th><th>outlets</th><th>copies</th><th>outlet names</th>
<th>about</th><th>first seen</th></tr>{story_rows}</table>
</body></html>
"""


def render_day(store: Store, day: str, stories: list[dict], rows: list[dict],
               on_day: Mapping[str, list]) -> list[str]:
    """Write ``digest/date=D/``: the three PNGs and ``index.html`` (atomic, fixed names)."""
    import matplotlib

    matplotlib.use("Agg")
    top = top_syndicated(stories, on_day)
    charts = {
        "countries_by_day": chart_countries_by_day(day, stories),
        "countries": chart_countries(day, rows),
        "syndicated": chart_syndicated(day, top),
    }
    directory = f"digest/{PARTITION_KEY}={day}"
    written = [store.write_bytes(f"{directory}/{name}.png", data) for name, data in charts.items()]
    written.append(store.write_bytes(f"{directory}/index.html",
                                     page_html(day, rows, top, charts).encode("utf-8")))
    return written


def digest_days(store: Store) -> list[str]:
    """Days that have a digest page, newest first."""
    pages = store.glob(f"digest/{PARTITION_KEY}=*/index.html")
    return sorted((p.split("=", 1)[1].split("/", 1)[0] for p in pages), reverse=True)
