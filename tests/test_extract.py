"""Tests of newsingest.extract on the project's own fixture pages (tests/fixtures/extract)."""

from __future__ import annotations

import codecs
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest.errors import ExtractionError
from newsingest.extract import (EXTRACTOR_VERSION, ExtractedArticle, PageInput, extract_article,
                                extract_batch)
from newsingest.templates import SiteTemplates
from newsingest.textdecode import decode_bytes, decode_html

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
LANG_PAGES = ["en", "de", "fr", "es", "pt", "it"]
# Boilerplate that must not survive, per language fixture.
LEFTOVERS = {
    "en": ["Leave a Reply", "Please enter your", "incorrect email", "Tags:", "READ MORE",
           "Share this", "newsletter", "cookies", "Related posts", "Fishermen protest",
           "By Mara Quill"],
    "de": ["Kommentar", "E-Mail-Adresse", "Schlagwörter", "Lesen Sie auch", "Teilen mit",
           "Newsletter", "Ähnliche Beiträge", "Neue Buslinie", "Veröffentlicht am"],
    "fr": ["commentaire", "adresse e-mail", "Mots-clés", "lire aussi", "Partager",
           "newsletter"],
    "es": ["respuesta", "correo electrónico", "Etiquetas", "Lee también", "Compartir",
           "boletín", "comentario"],
    "pt": ["resposta", "e-mail", "Tags:", "Leia também", "Compartilhar", "newsletter",
           "comentário"],
    "it": ["commento", "indirizzo email", "Tag:", "Leggi anche", "Condividi", "newsletter"],
}


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def extract(name: str, url: str | None = "https://news.example.org/story", **kw) -> ExtractedArticle:
    return extract_article(page(name), url, **kw)


# --------------------------------------------------------------------- rules, each language
@pytest.mark.parametrize("lang", LANG_PAGES)
def test_language_fixture_is_cleaned(lang: str) -> None:
    art = extract(f"{lang}_boilerplate.html", f"https://{lang}.example.org/article")
    for bad in LEFTOVERS[lang]:
        assert bad.casefold() not in art.text.casefold(), (lang, bad)
    assert art.removed["comment_form"] >= 3
    assert art.removed["tags_line"] == 1
    assert art.removed["headline_repeat"] >= 1
    assert art.removed["read_more"] == 1 and art.removed["share"] == 1
    assert art.removed["promo"] == 1
    assert art.language == lang and art.language_source == "html"
    assert len(art.text.split("\n\n")) == 4 + (lang == "en")  # every real paragraph is kept
    assert art.extractor == EXTRACTOR_VERSION


def test_english_fixture_metadata_from_json_ld() -> None:
    art = extract("en_boilerplate.html", "https://www.coastal.example/news/2024/harbour")
    assert art.title == "Harbour town approves new flood wall" and art.title_source == "json-ld"
    assert art.published_at == datetime(2024, 3, 1, 8, 30, tzinfo=timezone.utc)
    assert art.published_at_source == "json-ld"  # beats article:published_time
    assert art.authors == ["Mara Quill"]
    assert art.site_name == "The Coastal Ledger"
    assert art.canonical_url == "https://www.coastal.example/news/2024/harbour-flood-wall"
    assert art.tags[:2] == ["flood defence", "Harbour town"]
    assert {"flooding", "harbour", "town council"} <= set(art.tags)
    assert art.removed["cookie"] == 1 and art.removed["related"] >= 2
    assert art.removed["byline"] == 1
    assert "residents can also comment online" in art.text
    assert not art.truncated


def test_german_fixture_metadata_from_meta_tags() -> None:
    art = extract("de_boilerplate.html")
    assert art.title_source == "meta"
    assert art.published_at == datetime(2023, 6, 14, 8, 15, tzinfo=timezone.utc)
    assert art.published_at_source == "meta"
    assert art.authors == ["Jonas Feld"]
    assert art.site_name == "Ruhrtal Bote"
    assert art.tags == ["Radverkehr", "Ruhr", "Herdecke"]


def test_date_from_url_and_from_htmldate_and_detected_language() -> None:
    art = extract("fr_boilerplate.html", "https://b.example/2022/11/05/mediatheque")
    assert art.published_at_source == "url"
    assert art.published_at == datetime(2022, 11, 5, tzinfo=timezone.utc)
    art = extract("meta_htmldate.html", "https://orchard.example/planting")
    assert art.published_at_source == "htmldate"
    assert art.published_at.date().isoformat() == "2021-04-17"
    assert art.published_at.tzinfo is not None
    try:
        import py3langid  # noqa: F401  (optional: trafilatura's language-detection extra)
    except ImportError:
        assert (art.language, art.language_source) == (None, "none")
    else:
        assert art.language == "en" and art.language_source == "detected"
    assert art.title_source == "html"


# ------------------------------------------------------------------------- must not fire
def test_prose_quoting_leave_a_reply_is_kept() -> None:
    art = extract("en_prose_leave_a_reply.html")
    assert "The minister declined to leave a reply to the letter" in art.text
    assert "would comment after the regional council meets" in art.text
    assert set(art.removed) <= {"headline_repeat"}
    assert len(art.text.split("\n\n")) == 5


def test_prose_sentences_starting_with_tags_are_kept() -> None:
    art = extract("en_prose_tags_sentence.html")
    assert "Tags fitted to the birds" in art.text
    assert "Tags: the small devices weigh less" in art.text
    assert art.tags == []
    assert set(art.removed) <= {"headline_repeat"}


# ------------------------------------------------------------------ template learning
def live_pages() -> list[PageInput]:
    return [PageInput(f"https://valleyherald.example/live/{i}", page(f"live_{i}.html"))
            for i in range(1, 5)]


def test_batch_learns_template_but_keeps_repeated_running_text() -> None:
    results = extract_batch(live_pages())
    assert len(results) == 4
    for art in results:
        assert isinstance(art, ExtractedArticle)
        assert "Support independent local reporting" not in art.text
        assert "The Met Office has issued an amber warning for wind." in art.text
        assert art.removed.get("template") == 1
        assert len(art.text.split("\n\n")) == 4


def test_templates_learned_across_runs_via_json() -> None:
    memory = SiteTemplates(min_pages=3)
    first = extract_batch(live_pages()[:2], templates=memory)
    assert all("Support independent local reporting" in a.text for a in first)  # 2 pages only
    restored = SiteTemplates.from_json(memory.to_json())
    second = extract_batch(live_pages()[2:], templates=restored)
    assert all("Support independent local reporting" not in a.text for a in second)
    # single-page extraction consults (but does not change) the memory
    before = restored.to_json()
    art = extract_article(page("live_1.html"), "https://valleyherald.example/live/9",
                          templates=restored)
    assert "Support independent local reporting" not in art.text
    assert restored.to_json() == before
    # another site is unaffected
    other = extract_article(page("live_1.html"), "https://other.example/a", templates=restored)
    assert "Support independent local reporting" in other.text


def test_batch_never_raises_for_one_bad_page() -> None:
    pages = [PageInput("https://a.example/1", page("en_boilerplate.html")),
             PageInput("https://a.example/2", b""),
             PageInput("https://a.example/3", page("nav_only.html")),
             PageInput(None, "<html><body><p>\x00\x01</p></body></html>")]
    results = extract_batch(pages)
    assert isinstance(results[0], ExtractedArticle)
    for res in results[1:]:
        assert isinstance(res, ExtractionError)
    assert "https://a.example/3" in str(results[2])


def test_nothing_usable_raises() -> None:
    with pytest.raises(ExtractionError, match="no article text found in https://x.example/404"):
        extract("nav_only.html", "https://x.example/404")
    with pytest.raises(ExtractionError):
        extract_article(b"", "https://x.example/empty")


# ----------------------------------------------------------------------------- truncation
def test_paywall_flag() -> None:
    art = extract("paywall_subscribe.html")
    assert art.truncated and "paywall" in art.truncated_reason
    assert "Subscribe to read" not in art.text
    assert art.removed["paywall"] == 1


def test_teaser_flag() -> None:
    art = extract("teaser_ellipsis.html")
    assert art.truncated and "ellipsis" in art.truncated_reason


def test_json_ld_says_not_free() -> None:
    html = page("paywall_subscribe.html").replace(b"Subscribe to read the full story", b"Thanks")
    art = extract_article(html, "https://a.example/p")
    assert art.truncated and art.truncated_reason == "json-ld isAccessibleForFree=false"


# -------------------------------------------------------------------------------- charset
UMLAUTS = "Der FC Grünwald hat am Samstag das Derby gegen den TSV Großhausen"


def test_latin1_http_header_beats_wrong_meta() -> None:
    art = extract("charset_latin1_wrong_meta.html", content_type="text/html; charset=ISO-8859-1")
    assert UMLAUTS in art.text and art.title == "Grünwald gewinnt das Derby"
    # without the header, the invalid "utf-8" meta is not trusted either
    assert UMLAUTS in extract("charset_latin1_wrong_meta.html").text


def test_latin1_meta_only() -> None:
    text, codec, source = decode_bytes(page("charset_latin1_meta.html"))
    assert source == "meta" and codec == "cp1252"
    assert UMLAUTS in extract("charset_latin1_meta.html").text


def test_valid_utf8_beats_latin1_http_label() -> None:
    _, codec, source = decode_bytes(page("charset_utf8_http_latin1.html"),
                                    "text/html; charset=ISO-8859-1")
    assert (codec, source) == ("utf-8", "utf8-valid")
    art = extract("charset_utf8_http_latin1.html", content_type="text/html; charset=ISO-8859-1")
    assert UMLAUTS in art.text and "Ã" not in art.text


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_bom_wins(bom: bytes, codec: str) -> None:
    raw = page("charset_utf8_http_latin1.html").decode("utf-8")
    data = bom + raw.encode(codec)
    text, used, source = decode_bytes(data, "text/html; charset=ISO-8859-1")
    assert source == "bom" and not text.startswith("\ufeff")
    art = extract_article(data, "https://a.example/bom", content_type="text/html; charset=ISO-8859-1")
    assert UMLAUTS in art.text


def test_mojibake_repaired() -> None:
    raw = page("charset_mojibake.html")
    assert "GrÃ¼nwald".encode() in raw
    art = extract("charset_mojibake.html")
    assert UMLAUTS in art.text and art.title == "Grünwald gewinnt das Derby"
    whole = ("<html><body><p>" + "Grünwald schlägt Großhausen, Bürgermeisterin jubelt" +
             "</p></body></html>").encode("utf-8").decode("cp1252").encode("utf-8")
    text, how = decode_html(whole)
    assert how.endswith("+mojibake-repaired") and "Grünwald schlägt Großhausen" in text


def test_str_input_is_accepted() -> None:
    art = extract_article(page("it_boilerplate.html").decode("utf-8"), "https://it.example/a")
    assert "museo civico di Lucca" in art.text


def test_mostly_utf8_with_a_broken_byte_stays_utf8() -> None:
    data = page("charset_utf8_http_latin1.html").replace("Samstag".encode(), b"Sams\xfftag")
    text, codec, source = decode_bytes(data)
    assert codec == "utf-8" and source.endswith("+replaced")
    assert "Grünwald" in text


def test_fragment_and_binary_input() -> None:
    fragment = "<p>" + "The river authority confirmed the new weir will open in spring. " * 3 + "</p>"
    assert "river authority" in extract_article(fragment, "https://f.example/a").text
    with pytest.raises(ExtractionError, match="binary"):
        extract_article(bytes(range(256)) * 50, "https://f.example/b")


def test_copies_of_one_page_are_not_template_evidence() -> None:
    same = page("en_prose_leave_a_reply.html").replace(
        b"</article>", b"<p>Additional reporting by Ana Ruiz</p></article>")
    pages = [PageInput(f"https://copies.example/story?ref={i}", same) for i in range(4)]
    for art in extract_batch(pages):
        assert "template" not in art.removed
        assert art.text.endswith("Additional reporting by Ana Ruiz")


def test_implausible_declared_language_is_replaced_by_detection() -> None:
    pytest.importorskip("py3langid")
    art = extract("lang_wrong_declared.html")
    assert (art.language, art.language_source) == ("de", "detected")
    # a plausible declaration is kept as is
    assert extract("de_boilerplate.html").language_source == "html"


# ------------------------------------------------- issue 14: pages plain trafilatura gets wrong
def test_body_split_into_sibling_containers_is_kept_whole() -> None:
    art = extract("en_split_body.html", "https://valleyherald.example/news/water-bills")
    for section in ("Household water bills across the valley", "Leaks and spills",
                    "lost nearly a fifth of the water", "Help for low-income households",
                    "payment plans were easier to arrange early"):
        assert section in art.text, section
    assert "Compare energy tariffs" not in art.text  # the advert between the blocks


def test_headline_from_h1_standfirst_and_microdata_lines_are_removed() -> None:
    art = extract("en_split_body.html", "https://valleyherald.example/news/water-bills")
    assert art.title == "Water bills to rise by 8%"  # og:title; the <h1> says it differently
    assert not art.text.startswith("Household water bills in the valley")
    assert "The regulator says the money must go" not in art.text
    assert "2024-02-14T06:30" not in art.text and "reservoir-1200.jpg" not in art.text
    assert art.removed["headline_repeat"] == 1 and art.removed["standfirst"] == 1
    assert art.removed["microdata"] == 2
    assert art.text.startswith("Household water bills across the valley will rise")


def test_promos_bio_and_copyright_removed_but_list_in_story_kept() -> None:
    art = extract("en_related_promos.html", "https://sport.northgate.example/football/rovers")
    for bad in ("GET THE NORTHGATE SPORT APP", "Football Newsletter", "YouTube Channel",
                "Follow him on Twitter", "All rights reserved", "Harlow come from behind",
                "[VIDEO]", "TRANSFER LATEST"):
        assert bad not in art.text, bad
    for good in ("- a 4-0 loss at home to Eastwick", "- a cup exit to a team two divisions below",
                 "The run of defeats included:", "take their share of responsibility"):
        assert good in art.text, good
    assert art.removed["promo_pattern"] == 4 and art.removed["copyright"] == 1


def test_balanced_fallback_when_precision_mode_finds_nothing() -> None:
    import trafilatura

    html = page("en_precision_fallback.html")
    assert trafilatura.extract(html, include_comments=False, favor_precision=True) is None
    art = extract_article(html, "https://courier.example/roundup")
    assert "The lake ferry will run every ninety minutes" in art.text
    assert "and the valley road may close again" in art.text


def test_layout_table_is_read_as_blocks_not_one_row() -> None:
    art = extract("en_layout_table.html", "https://oldtown.example/news/bridge.html")
    paragraphs = art.text.split("\n\n")
    assert "The old stone bridge over the Wey will close for repairs" in paragraphs[0]
    assert any(p.startswith("Engineers found cracks") for p in paragraphs)
    assert not any(" | " in p and "Engineers found cracks" in p for p in paragraphs)
    assert "| Weekday | Diversion |" in art.text  # the data table inside the story stays a table
    assert "Site map" not in art.text and "Weather for Oldtown" not in art.text


def test_body_rendered_three_times_is_kept_once() -> None:
    art = extract("en_layout_table.html", "https://oldtown.example/news/bridge.html")
    assert art.text.count("Engineers found cracks in two of the arches") == 1
    assert art.removed["repeat"] >= 3


def test_language_model_is_loaded_before_the_first_page() -> None:
    import newsingest.extract as ex

    ex._LANGID = None
    extract_batch([])
    assert ex._LANGID not in (None, False)
