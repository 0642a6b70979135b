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
    ("Montauban (SID) – Der Bürgermeister trat am Montag zurück.", ["FR"]),
    ("LAFAYETTE, La. (AP) — Floodwaters rose overnight.", ["US"]),
    # ... but not in running text
    ("He grew up near Montauban before moving away.", []),
])
def test_dateline_towns(text: str, about: list[str]) -> None:
    assert tag_countries("", text).about == about


@pytest.mark.parametrize("text, expected", [
    # European towns of 100,000 people or more with a name no other town shares
    ("Die Duesenfeld GmbH aus Wendeburg bei Braunschweig recycelt Batterien.", {"DE"}),
    ("Philips opened a lab in Eindhoven.", {"NL"}),
    ("Gdańsk otworzył nowy terminal.", {"PL"}),
    ("Er zog nach Montpellier.", {"FR"}),
    # ... not where the name is a word, a surname, a brand or the PISA study
    ("Das Leiden der Patienten in der Mitte des Jahres.", set()),
    ("Darin steht eine mobile schmale Liege.", set()),
    ("Deutschland hat bei den ersten Pisa-Studien schlecht abgeschnitten.", {"DE"}),
    ("Santander raised its mortgage rates.", set()),
    ("Marco Reus scored twice; Jim Messina advised the campaign.", set()),
    ("Munster beat Leinster in the final.", {"IE"}),
    ("Er studiert in Münster.", {"DE"}),
    ("Simmering tensions and Tours of the old town.", set()),
    # regions: native, English and German names
    ("Incendi in Sicilia e Toscana.", {"IT"}),
    ("Wildfires spread across Sicily and Tuscany.", {"IT"}),
    ("Urlaub auf Mallorca und Teneriffa.", {"ES"}),
    ("Bauern in Südtirol klagen über Trockenheit.", {"IT"}),
    ("Floods in Flanders and Wallonia.", {"BE"}),
])
def test_european_towns_and_regions(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text, expected", [
    # German genitives and inflected names
    ("Russlands Präsident sprach mit Chinas Staatschef.", {"RU", "CN"}),
    ("Die Regierung Frankreichs und Deutschlands einigte sich.", {"FR", "DE"}),
    ("Amerikas Präsident reiste in den Vereinigten Staaten umher.", {"US"}),
    ("Die Vereinigten Arabischen Emirate und das Vereinigte Königreich", {"AE", "GB"}),
    # ... not English words that look alike
    ("Islands of the Pacific and Jerseys for sale.", set()),
    # Polish declension
    ("Rosja grozi Polsce; do Niemiec i w Stanach Zjednoczonych.", {"RU", "PL", "DE", "US"}),
    ("Dziś w Finlandii istnieje 25 winiarni.", {"FI"}),
    ("Spotkanie w Wielkiej Brytanii i Nowej Zelandii.", {"GB", "NZ"}),
    ("Sygnał dla Chin i Rosji.", {"CN", "RU"}),
    # Polish adjectives and inhabitant nouns
    ("Rosyjskie media piszą, że Rosjanie odetną gaz polskiej firmie.", {"RU", "PL"}),
    ("Brytyjczycy i amerykańskich żołnierzy.", {"GB", "US"}),
    # Italian adjectives
    ("Il governo tedesco e i turisti cinesi e statunitensi.", {"DE", "CN", "US"}),
    ("Le truppe russe e le aziende francesi.", {"RU", "FR"}),
    # ... not surnames, coffee or music
    ("Domenico Tedesco ordered an americano; an Americana singer joined.", set()),
    # ... not the dance, a surname or Myanmar's Chin State
    ("Polka dancing was led by Rebecca Chin.", set()),
    ("Fighting spread across Chin State.", set()),
])
def test_inflected_country_names(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


def test_evidence_offsets_in_non_ascii_text() -> None:
    """The automaton reads UTF-8; evidence offsets are character offsets into the text."""
    title = "Ärger in Zürich: „Russlands“ Gas für Österreich"
    text = ("Größere Mengen – über 20 % – gingen nach Österreich 🇦🇹 und in die Schweiz. "
            "In Łódź und Gdańsk, in Москва und in Zürich 日本 wurde geprüft; Frankreichs "
            "Minister sprach in Paris.")
    r = tag_countries(title, text)
    assert {"AT", "CH", "RU", "PL", "FR"} <= set(r.mentioned)
    assert len(r.evidence) >= 8
    for e in r.evidence:
        field = title if e.field == "title" else text
        assert field[e.start:e.end] == e.surface, e


@pytest.mark.parametrize("text, expected", [
    # more German inhabitant nouns, adjectives and short names
    ("Der Konzern sucht Arbeitskräfte in Serbien, Bosnien und der Türkei.", {"RS", "BA", "TR"}),
    ("Im Halbfinale schlug er den Letten Daniel Nikivorofs.", {"LV"}),
    ("Die albanische Regierung und die mazedonischen Behörden einigten sich.", {"AL", "MK"}),
    ("Die Anlage entsteht in NRW, der Rohstoff kommt aus dem Schwarzwald.", {"DE"}),
    # French and Spanish adjectives; joined adjectives
    ("Il a dirigé les finances de l'armateur italo-suisse MSC.", {"IT", "CH"}),
    ("Le gouvernement tchèque et la diplomatie suisse ont réagi.", {"CZ", "CH"}),
    ("El conflicto germano-polaco y la prensa húngara.", {"DE", "PL", "HU"}),
    ("Una ciclista guatemalteca viaja con dos compañeras neozelandesas.", {"GT", "NZ"}),
    # "St." for "Saint"; Latin American provinces and towns
    ("We don't get four seasons here in St. Vincent and the Grenadines.", {"VC"}),
    ("Las escuelas de Mendoza tendrán tres evaluaciones este año.", {"AR"}),
    ("El presidente inicia una gira por Magallanes y Punta Arenas.", {"CL"}),
    ("visitará la parte más septentrional de la Antártida chilena.", {"CL"}),
])
def test_more_foreign_forms(text: str, expected: set[str]) -> None:
    assert mentioned(text) == expected


@pytest.mark.parametrize("text", [
    "Der Komiker benannte sich nach dem französischen Wort für den Pirol.",  # the language
    "Das Land liegt im Indischen Ozean vor der Küste.",                      # an ocean
    "Die Reben der Sorte Müller-Thurgau reifen früh.",                       # a grape
    "Lo que sucedió en la Sierra Nevada fue investigado.",                   # mountains
    "Votará por el candidato y su fórmula vicepresidencial, Francia Márquez.",  # a person
    "Dominika Rafalska, doktor nauk humanistycznych, opowiada o winie.",      # a person
    "– mówi Cezary Giza, prezes spółki. Potem dodaje Giza: to działa.",       # a surname
    "Mostró un video de la cadena Russia Today en su cuenta.",               # an outlet
    "Laura Magallanes, vecina del área, criticó la medida.",                 # a surname
    "Wallis Simpson married the former king.",                               # a given name
    "Zverev hat sich nach den Australian Open zügig erholt.",                # a tournament
    "A second soup, Sopa de Lima, is also good.",                            # a dish
])
def test_more_word_and_name_senses(text: str) -> None:
    assert mentioned(text) == set()


@pytest.mark.parametrize("text, expected", [
    ("Frauen im THW: seit 1950 leisten viele Menschen Dienst im Bevölkerungsschutz.", {"DE"}),
    ("Unijne fundusze coraz bliżej. Sejm zagłosował za ratyfikacją.", {"PL"}),
    ("Los camioneros volvieron a La Moneda para entregar sus peticiones.", {"CL"}),
])
def test_national_institutions(text: str, expected: set[str]) -> None:
    result = tag_countries("", text)
    assert set(result.mentioned) == expected
    assert set(result.about) == expected      # the only country a story names


def test_domestic_institution_gives_way_to_a_named_country() -> None:
    # "THW" is domestic: a story about a mission abroad names the host country instead
    result = tag_countries("", "Das THW schickt Helfer in die Türkei, die nach dem Erdbeben "
                                 "Trinkwasser aufbereiten.")
    assert result.mentioned == ["TR"]
