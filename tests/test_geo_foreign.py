"""German, French and Spanish adjectives, inhabitant nouns and city names
(data/geo_aliases_foreign.tsv), and their language senses."""

from __future__ import annotations

import pytest

from newsingest.geo import tag_countries


def mentioned(text: str) -> set[str]:
    return set(tag_countries("", text).mentioned)


@pytest.mark.parametrize("text, expected", [
    ("Die russische Armee hat in der Nacht ukrainische Städte angegriffen.", {"RU", "UA"}),
    ("Der französische Präsident traf den deutschen Kanzler in Brüssel.", {"FR", "DE", "BE"}),
    ("Die Russen und die Briten verhandeln seit Montag in Wien.", {"RU", "GB", "AT"}),
    ("Mit dem Yaris Cross will der japanische Hersteller mitmischen.", {"JP"}),
    ("Le président français a rencontré le chancelier allemand à Berlin.", {"FR", "DE"}),
    ("Les Américains et les Chinois négocient à Genève.", {"US", "CN", "CH"}),
    ("La diplomatie russe a convoqué l'ambassadrice britannique.", {"RU", "GB"}),
    ("El gobierno estadounidense impuso aranceles a los productos mexicanos.", {"US", "MX"}),
    ("La canciller alemana se reunió con el presidente francés en Bruselas.",
     {"DE", "FR", "BE"}),
    ("Las tropas rusas avanzaron hacia Kiev, según fuentes ucranianas.", {"RU", "UA"}),
])
def test_foreign_adjectives_and_nouns(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text", [
    "Sie spricht fließend Deutsch und Englisch.",           # languages (nouns)
    "Il parle français et écrit en allemand.",              # languages
    "Habla español y estudia en ruso.",                     # languages
    "Nach dem Essen wurde über die Zukunft gesprochen.",    # no country at all
    "He wore chinos and a linen shirt to the meeting.",     # not Spanish "chinos"
    "The CD-ROM drive failed again.",                        # not German "Rom"
])
def test_language_and_word_senses(text: str) -> None:
    assert mentioned(text) == set()


@pytest.mark.parametrize("text, expected", [
    # German, Austrian and Swiss states and cantons
    ("In Thüringen und Bayern dürfen die Autohäuser wieder öffnen.", {"DE"}),
    ("Das Theater St.Gallen zeigt ein neues Stück; auch in Tirol wird getanzt.",
     {"CH", "AT"}),
    ("Der Zug nach Zürich hatte Verspätung.", {"CH"}),     # "Zug" is a train here
])
def test_states_and_cantons(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text, about", [
    # towns too small for the gazetteer are trusted in a dateline
    ("Montpellier (SID) – Alexander Zverev zog ins Viertelfinale ein.", ["FR"]),
    ("LAFAYETTE, La. (AP) — Floodwaters rose overnight.", ["US"]),
    # ... but not in running text
    ("He grew up near Montpellier before moving away.", []),
])
def test_dateline_towns(text: str, about: list[str]) -> None:
    assert tag_countries("", text).about == about
