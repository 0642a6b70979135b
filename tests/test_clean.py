"""Tests of the line-cleaning rules (newsingest.clean) and the template memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsingest.clean import (RULESET, classify, clean_lines, load_rules, normalize_line,
                              title_variants)
from newsingest.templates import SiteTemplates, site_key

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
PROSE = ("The committee met for four hours on Tuesday and agreed on a budget that keeps every "
         "branch library open while cutting the opening hours of two swimming pools.")


def rule_of(line: str) -> str | None:
    rule = classify(normalize_line(line))
    return rule.name if rule else None


# ---------------------------------------------------------------- phrase rules by language
@pytest.mark.parametrize("line,expected", [
    # English
    ("Leave a Reply Cancel reply", "comment_form"),
    ("Please enter your comment!", "comment_form"),
    ("Please enter your name here", "comment_form"),
    ("You have entered an incorrect email address!", "comment_form"),
    ("Please enter your comment!Please enter your name here", "comment_form"),
    ("Tags: flooding, harbour, council", "tags_line"),
    ("Share this:", "share"),
    ("Facebook Twitter WhatsApp Email", "share"),
    ("READ MORE: Council budget gap widens", "read_more"),
    ("Sign up for our newsletter to get the news first.", "promo"),
    ("We use cookies to give you the best experience on our website.", "cookie"),
    ("Related posts", "related"),
    ("Subscribe to read the full story.", "paywall"),
    ("Advertisement", "ui_line"),
    ("Published: 12 March 2024", "dateline"),
    ("Photo credit: Jane Roe / Agency", "credit"),
    ("4 min read", "reading_time"),
    ("Market data delayed by at least 15 minutes.", "disclaimer"),
    ("Skip to main content", "ui_line"),
    ("Categories: Politics, Local", "tags_line"),
    # German
    ("Schreibe einen Kommentar Antworten abbrechen", "comment_form"),
    ("Deine E-Mail-Adresse wird nicht veröffentlicht.", "comment_form"),
    ("Schlagwörter: Radverkehr, Ruhr", "tags_line"),
    ("Teilen mit:", "share"),
    ("Lesen Sie auch: Neue Buslinie geplant", "read_more"),
    ("Jetzt Newsletter abonnieren!", "promo"),
    ("Ähnliche Beiträge", "related"),
    ("Dieser Artikel ist nur für Abonnenten verfügbar.", "paywall"),
    ("Anzeige", "ui_line"),
    ("Foto: dpa", "credit"),
    ("Lesezeit: 3 Minuten", "reading_time"),
    ("Kategorie: News", "tags_line"),
    ("Stand: 12.03.2024, 10:00 Uhr", "dateline"),
    # French
    ("Laisser un commentaire Annuler la réponse", "comment_form"),
    ("Mots-clés : culture, Brive", "tags_line"),
    ("Partager sur Facebook", "share"),
    ("À lire aussi : Le budget culturel", "read_more"),
    ("Abonnez-vous à notre newsletter", "promo"),
    ("La suite est réservée aux abonnés.", "paywall"),
    # Spanish
    ("Deja una respuesta Cancelar respuesta", "comment_form"),
    ("¡Por favor ingrese su comentario!", "comment_form"),
    ("Etiquetas: puerto, Vigo", "tags_line"),
    ("Compartir en Twitter", "share"),
    ("Lee también: Récord de cruceristas", "read_more"),
    ("Suscríbete a nuestro boletín", "promo"),
    # Portuguese
    ("Deixe uma resposta Cancelar resposta", "comment_form"),
    ("Por favor digite seu comentário!", "comment_form"),
    ("Palavras-chave: cultura, turismo", "tags_line"),
    ("Leia também: Turismo em Minas cresce", "read_more"),
    ("Assine nossa newsletter", "promo"),
    # Italian
    ("Lascia un commento Annulla risposta", "comment_form"),
    ("Per favore inserisci il tuo commento!", "comment_form"),
    ("Tag: cultura, Lucca", "tags_line"),
    ("Condividi su Facebook", "share"),
    ("Leggi anche: Le mura di Lucca", "read_more"),
    ("Iscriviti alla nostra newsletter", "promo"),
])
def test_phrase_rules_fire_on_boilerplate_lines(line: str, expected: str) -> None:
    assert rule_of(line) == expected


@pytest.mark.parametrize("line", [
    "The minister declined to leave a reply to the letter.",
    "Tags fitted to the birds showed that most of them crossed the strait in one afternoon.",
    "Kommentar des Tages",
    "The name of the new bridge will be chosen by a public vote next month.",
    "Share prices fell sharply after the announcement.",
    "Stand: Die Regierung hat heute beschlossen, dass alles anders wird.",
    "He posted on Facebook that the road would stay closed.",
    "I like this town.",
    PROSE,
])
def test_phrase_rules_do_not_fire_on_prose(line: str) -> None:
    assert rule_of(line) is None


def test_tags_line_with_prose_after_colon_is_kept() -> None:
    line = "Tags: the small devices weigh less than a chocolate bar and fall off after two years."
    result = clean_lines([PROSE, line, PROSE + " Again."])
    assert line in result.lines
    assert result.tags == []


def test_tags_line_items_are_returned() -> None:
    result = clean_lines([PROSE, "Tags: north sea, Ports | Shipping"])
    assert result.lines == [PROSE]
    assert result.tags == ["north sea", "Ports", "Shipping"]
    assert result.removed["tags_line"] == 1


def test_rules_are_data_and_extendable() -> None:
    text = """
promo:
  mode: contains
  max_words: 10
  phrases:
    en: ["join the club"]
"""
    rs = load_rules(text)
    assert classify(normalize_line("Join the club today!"), ruleset=rs).name == "promo"
    assert classify(normalize_line("Join the club today!")) is None  # not in packaged data
    assert len(RULESET.owners) > 300


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        load_rules("x:\n  mode: fuzzy\n  phrases: {en: [a]}\n")


# ----------------------------------------------------------------------- headline, byline
def test_headline_repeat_and_site_suffix_variants_removed() -> None:
    title = "Harbour town approves new flood wall"
    lines = [title + " | The Coastal Ledger", "\u201cHarbour town approves new flood wall\u201d",
             PROSE]
    result = clean_lines(lines, title=title, site_name="The Coastal Ledger")
    assert result.lines == [PROSE]
    assert result.removed["headline_repeat"] == 2
    assert "harbour town approves new flood wall - the coastal ledger" in title_variants(
        title, "The Coastal Ledger")


def test_headline_only_removed_at_top() -> None:
    title = "Flood wall approved"
    lines = [PROSE, "More context follows.", "Another paragraph.", "And more.", "Flood wall approved"]
    assert clean_lines(lines, title=title).lines == lines


def test_byline_line_and_glued_byline() -> None:
    lines = ["By Mara Quill", PROSE]
    assert clean_lines(lines, authors=["Mara Quill"]).lines == [PROSE]
    glued = ["By Mara Quill" + "Moscow. " + PROSE]
    result = clean_lines(glued, authors=["Mara Quill"])
    assert result.lines == ["Moscow. " + PROSE]
    assert result.removed["byline"] == 1
    de = clean_lines(["Von Jonas Feld, dpa", PROSE])
    assert de.lines == [PROSE] and de.removed["byline"] == 1


@pytest.mark.parametrize("first", ["By Monday, officials hope to finish the bridge.",
                                   "Di Maio ha detto no alla proposta.", "Por fin llegó la lluvia."])
def test_byline_rule_does_not_eat_prose_starting_with_a_preposition(first: str) -> None:
    assert clean_lines([first, PROSE]).lines == [first, PROSE]


def test_related_heading_drops_following_list_only_in_second_half() -> None:
    lines = [PROSE, PROSE + " Two.", "Related posts", "Storm floods the square", "Ferry returns",
             "Council approves budget"]
    result = clean_lines(lines)
    assert result.lines == [PROSE, PROSE + " Two."]
    assert result.removed["related"] == 4


# ------------------------------------------------------------------------------ truncation
def test_teaser_ending_and_paywall_flag() -> None:
    assert clean_lines([PROSE, "The harbour authority said that\u2026"]).truncated_reason
    result = clean_lines([PROSE, "Subscribe to read the full story."])
    assert result.truncated_reason and "paywall" in result.truncated_reason
    assert clean_lines([PROSE]).truncated_reason is None


# ------------------------------------------------------------------- template safeguards
def test_template_lines_dropped_only_at_edges_or_when_not_prose() -> None:
    templ = {"support the valley herald", "the met office has issued an amber warning.", "menu"}
    lines = ["Menu", PROSE, "The Met Office has issued an amber warning.", PROSE + " B.",
             "Support the Valley Herald"]
    result = clean_lines(lines, is_template=lambda ln: normalize_line(ln) in templ)
    assert result.lines == [PROSE, "The Met Office has issued an amber warning.", PROSE + " B."]
    assert result.removed["template"] == 2


def test_template_removal_capped_by_share_of_body() -> None:
    lines = ["Short line one", "Short line two", "Tiny body."]
    result = clean_lines(lines, is_template=lambda ln: ln != "Tiny body.")
    assert result.lines == lines  # would remove > 40 % of the characters: nothing removed
    assert "template" not in result.removed


# ------------------------------------------------------------------------- SiteTemplates
def test_site_key() -> None:
    assert site_key("https://www.Example.org/a/b") == "example.org"
    assert site_key(None) is None and site_key("not a url") is None


def test_templates_need_min_distinct_pages() -> None:
    st = SiteTemplates(min_pages=3)
    st.begin_run()
    for i in range(2):
        st.observe(f"https://e.org/{i}", ["Support the Herald", PROSE])
    st.observe("https://e.org/1", ["Support the Herald"])  # same page again: no new count
    assert not st.is_template("https://e.org/x", "Support the Herald")
    st.observe("https://www.e.org/2", ["support  the herald"])
    assert st.is_template("https://e.org/x", "Support the Herald")
    assert not st.is_template("https://other.org/x", "Support the Herald")
    assert st.pages_seen("https://e.org/x", PROSE) == 0  # long lines are never remembered


def test_templates_round_trip_decay_and_cap() -> None:
    st = SiteTemplates(min_pages=2, max_lines_per_site=10, max_idle_runs=2)
    st.begin_run()
    for i in range(3):
        st.observe(f"https://e.org/{i}", ["Footer line"] + [f"unique {i} {j}" for j in range(20)])
    assert len(st) <= 13  # trimmed back to the per-site cap (with slack)
    assert st.is_template("https://e.org/", "Footer line")  # confirmed lines survive trimming
    data = st.to_json()
    assert b"Footer" not in data  # only hashes are stored
    again = SiteTemplates.from_json(data)
    assert again.is_template("https://e.org/", "Footer line")
    assert again.to_json() == data
    for _ in range(3):
        again.begin_run()
    assert not again.is_template("https://e.org/", "Footer line")  # decayed
    with pytest.raises(ValueError):
        SiteTemplates.from_json(json.dumps({"format": "other"}).encode())


def test_fixture_pages_start_with_case_comment() -> None:
    pages = sorted(FIXTURES.glob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        assert page.read_bytes().lstrip().startswith(b"<!-- Case:"), page.name


# ------------------------------------------------------------- issue 14 mechanisms
@pytest.mark.parametrize("line,expected", [
    ("CLICK HERE TO GET THE DAILY LEDGER APP", "promo_pattern"),
    ("Click here to subscribe to the Morning Briefing Newsletter", "promo_pattern"),
    ("Subscribe to the Valley Herald YouTube Channel", "promo_pattern"),
    ("Subscribe to Coastal Living magazine and save 40% on the cover price", "promo_pattern"),
    ("Mara Quill covers the harbour for the Ledger. Follow her on Twitter @maraquill.",
     "promo_pattern"),
    ("This article appeared in the March 2024 issue of Harbour Life magazine.", "promo_pattern"),
    ("Copyright 2024 The Coastal Ledger. All rights reserved.", "copyright"),
    ("© 2023 Valley Media Group", "credit"),
    ("This material may not be published, broadcast, rewritten or redistributed.", "copyright"),
    ("ATENÇÃO: Comentários ofensivos ou que violem a lei serão removidos pela moderação.",
     "moderation"),
    ("Comments are moderated and will appear once approved.", "moderation"),
])
def test_promo_copyright_and_moderation_lines(line: str, expected: str) -> None:
    assert rule_of(line) == expected


@pytest.mark.parametrize("line", [
    "He said he would follow her on the campaign trail whatever the polls said.",
    "Subscribers to the magazine fell by a third after the price rise, the publisher said.",
    "The app, which the council launched in March, has been downloaded 40,000 times.",
    "Copyright lawyers said the ruling would change how newspapers license photographs.",
])
def test_new_pattern_rules_do_not_fire_on_prose(line: str) -> None:
    assert rule_of(line) is None


def test_pattern_rules_are_data_and_bad_patterns_are_rejected() -> None:
    rs = load_rules('promo:\n  mode: pattern\n  max_words: 8\n  phrases:\n    en: ["^join the .{0,20} club$"]\n')
    assert classify(normalize_line("Join the Ledger readers club"), ruleset=rs).name == "promo"
    assert classify(normalize_line("Join the Ledger readers club " + "and more " * 5), ruleset=rs) is None
    with pytest.raises(ValueError, match="bad pattern"):
        load_rules('promo:\n  mode: pattern\n  phrases:\n    en: ["(unclosed"]\n')


def test_related_heading_in_first_half_keeps_following_lines() -> None:
    # "Related" as a section label near the top (first half of the body): the label goes,
    # the short subheading and the article after it stay; only in the second half (or
    # when the list runs to the end) does the heading take the short lines after it.
    lines = ["Related", "What the council decided", PROSE, "Who pays for it", PROSE + " Two.",
             PROSE + " Three."]
    result = clean_lines(lines)
    assert result.lines == lines[1:]
    assert result.removed["related"] == 1


def test_h1_and_og_titles_match_a_headline_line() -> None:
    lines = ["Household water bills in the valley to rise by eight per cent", PROSE]
    result = clean_lines(lines, title="Water bills to rise by 8%",
                         headlines=["Household water bills in the valley to rise by eight per cent"])
    assert result.lines == [PROSE] and result.removed["headline_repeat"] == 1


def test_standfirst_only_at_top_short_and_with_body_after_it() -> None:
    stand = "The regulator says the money must go on fixing leaks and cutting sewage spills."
    assert clean_lines([stand, PROSE], standfirsts=[stand]).lines == [PROSE]
    assert clean_lines([PROSE, "x " * 3, PROSE + " B.", stand], standfirsts=[stand]).lines[-1] == stand
    assert clean_lines([stand], standfirsts=[stand]).lines == [stand]  # nothing else: keep it
    lead = PROSE + " " + PROSE  # a long lead paragraph copied into the description stays
    assert clean_lines([lead, PROSE], standfirsts=[lead]).lines == [lead, PROSE]


def test_repeated_body_and_microdata_lines() -> None:
    second = "Engineers found cracks in two of the arches and water in the stonework."
    lines = ["2024-02-14T06:30:00+00:00", "https://cdn.example.org/images/2024/02/bridge.jpg", PROSE,
             second, PROSE, second, "Yes.", "Yes."]
    result = clean_lines(lines)
    assert result.lines == [PROSE, second, "Yes.", "Yes."]  # short repeats are not evidence
    assert result.removed["microdata"] == 2 and result.removed["repeat"] == 2
    dated = "On 2024-02-14 the bridge closed."
    assert clean_lines([PROSE, dated]).lines == [PROSE, dated]


RELATED_FRAGMENT = """<div class="article-body">
<p>Chelsea sacked their head coach on Sunday after a run of five defeats in seven games.</p>
<ul><li><a href="/f/1">Pochettino fired by Chelsea after two seasons in charge</a></li>
<li><a href="/f/2">Who could replace him at Stamford Bridge this summer</a></li></ul>
<p><a href="/f/3">Inside the dressing room on the day the news broke</a> [INSIGHT]</p>
<p><a href="/f/4">BOARD SPLIT OVER CHOICE OF NEXT MANAGER</a></p>
</div>"""


def test_related_link_block_at_the_foot_is_removed() -> None:
    from lxml.html import fromstring

    from newsingest.pagetree import link_texts

    links = link_texts(fromstring(RELATED_FRAGMENT))
    lines = [PROSE, "Chelsea sacked their head coach on Sunday after a run of five defeats.",
             "- Pochettino fired by Chelsea after two seasons in charge",
             "- Who could replace him at Stamford Bridge this summer",
             "Inside the dressing room on the day the news broke [INSIGHT]",
             "BOARD SPLIT OVER CHOICE OF NEXT MANAGER", "Club statement ends [VIDEO]"]
    result = clean_lines(lines, link_texts=links)
    assert result.lines == lines[:2]
    assert result.removed["related_links"] == 5


def test_link_lines_inside_the_body_need_a_run_of_two() -> None:
    links = {"pochettino fired by chelsea after two seasons in charge",
             "who could replace him at stamford bridge this summer"}
    single = [PROSE, "Pochettino fired by Chelsea after two seasons in charge", PROSE + " B."]
    assert clean_lines(single, link_texts=links).lines == single
    run = [PROSE, "- Pochettino fired by Chelsea after two seasons in charge",
           "- Who could replace him at Stamford Bridge this summer", PROSE + " B."]
    assert clean_lines(run, link_texts=links).lines == [PROSE, PROSE + " B."]
    caps_inside = [PROSE, "THE BACKGROUND TO THE DECISION", PROSE + " B."]
    assert clean_lines(caps_inside).lines == caps_inside  # an all-caps subheading mid-story stays
    agency = [PROSE, "The talks resume at the agency's Vienna headquarters on Monday (IAEA)"]
    assert clean_lines(agency).lines == agency  # only a bracketed "[VIDEO]"-style tag marks a teaser
