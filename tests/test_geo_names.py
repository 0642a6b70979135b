"""Words that name a place in one sense and something else in another, found on real pages:
people, programming languages, file formats, German nouns. Both directions each time."""

from __future__ import annotations

import pytest

from newsingest.geo import tag_countries


def mentioned(text: str, title: str = "") -> set[str]:
    return set(tag_countries(title, text).mentioned)


@pytest.mark.parametrize("text, expected", [
    # Java: the island counts only when named as a region of it; bare Java is the language
    ("The team rewrote the billing service in Java and Kotlin last year.", set()),
    ("Floods in East Java forced 20,000 people from their homes.", {"ID"}),
    ("A volcano erupted in Central Java on Sunday, officials said.", {"ID"}),
    # people named like cities
    ("Memphis Depay scored twice as Barcelona beat Sevilla.", {"ES"}),
    ("Police in Memphis said the suspect fled on foot.", {"US"}),
    ("Rep. Alexandria Ocasio-Cortez said the bill would fail.", set()),
    ("Cotton exports from Alexandria fell as the Nile flooded.", {"EG"}),
    ("Kobe Bryant scored 81 points against Toronto. Kobe was 27.", {"CA"}),
    ("KOBE - Masks were stolen from a hospital in Kobe, officials said.", {"JP"}),
    # Dutch particles: "Van der Maaten" is a surname, Van is also a Turkish city
    ("As Van der Maaten and Hinton showed, the embedding keeps neighbours.", set()),
    ("The earthquake in Van killed hundreds of people.", {"TR"}),
    # file formats
    ("Upload JPEG or PNG files smaller than 5 MB.", set()),
    ("Papua New Guinea declared a state of emergency.", {"PG"}),
])
def test_names_in_both_senses(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text, expected", [
    # German: "das Essen" (the meal) is not the city of Essen
    ("Beim Essen wurde über die Wahl gesprochen.", set()),
    ("Nach dem Essen gingen alle nach Hause.", set()),
    ("Der Konzern verlegt seine Zentrale von Düsseldorf nach Essen.", {"DE"}),
    ("In Essen demonstrierten am Samstag 3000 Menschen.", {"DE"}),
])
def test_german_essen(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text", [
    "Salé is a city.",           # the accent-stripped form collides with English "sale"
    "Sale West voted on Thursday.",
    "She was elected in East Surrey.",
])
def test_dropped_city_names(text: str) -> None:
    assert mentioned(text) == set()


@pytest.mark.parametrize("text, expected", [
    # territories with their own codes, named without their country
    ("BVI Governor John Rankin called for calm after the premier's arrest.", {"VG"}),
    ("Flights to the British Virgin Islands and the U.S. Virgin Islands resumed.",
     {"VG", "VI"}),
    ("Curacao and Bonaire were removed from the travel list.", {"CW", "BQ"}),
    ("Wildfires spread across French Polynesia and French Guiana.", {"PF", "GF"}),
    ("The fire near Osoyoos, British Columbia, forced evacuations.", {"CA"}),
    ("A hunter was found dead in the Essequibo region.", {"GY"}),
    ("The ferry runs between Antigua and Redonda.", {"AG"}),
    # treaties and streets named after a place are not the place
    ("The plan meets the Paris Agreement and the Kyoto Protocol targets.", set()),
    ("The pub on Washington St stays open; the bakery on London Road closes.", set()),
    ("A gas leak closed shops on Dresden Drive near Peachtree Road.", set()),
    ("Washington said on Monday that London would be consulted.", {"US", "GB"}),
    # Native American tribes are not India
    ("The Nooksack Indian Tribe and the Quinault Indian Nation sang at the ceremony.",
     set()),
])
def test_territories_treaties_streets(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text, expected", [
    # US agencies by acronym: the US in a story that names no other country
    ("NASA launched its streaming service; the FDA approved the drug.", {"US"}),
    ("Die NASA startet einen Streamingdienst.", {"US"}),
    ("The FBI said the suspect had fled to Mexico.", {"MX"}),
    # ... only as acronyms, and not the photo agency
    ("Photo: EPA. The nasa logo and the Fbi-style jacket.", set()),
    # German federal institutions that only Germany has
    ("Das Bundesverfassungsgericht kippte das Gesetz.", {"DE"}),
])
def test_agencies(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


def test_cue_count_takes_the_doc_lists_only() -> None:
    from newsingest.gazetteer import get_gazetteer
    from newsingest.geo_match import _Doc

    g = get_gazetteer()
    doc = _Doc(g, "Turkey prices", "The turkey farm sold 300 birds before Thanksgiving.")
    assert doc.cue_count(g.words("sense:turkey:neg_doc")) == 2    # "thanksgiving", "birds"
    assert doc.cue_count(g.words("sense:nowhere:neg_doc")) == 0   # an absent list
    with pytest.raises(ValueError, match="_doc word list"):
        doc.cue_count(frozenset({"thanksgiving"}))
