"""Ambiguous datelines resolved from the story's own places: a dateline town whose name
towns in other countries share ("MANSFIELD —", "NEW BRUNSWICK", "ALEXANDRIA") follows the
story's states, towns and countries; an explicit qualifier wins, and without evidence the
largest place stays. Fragments written for these tests."""

from __future__ import annotations

import pytest

from newsingest.gazetteer import get_gazetteer
from newsingest.geo import tag_countries


def test_the_gazetteer_knows_the_states_of_namesake_towns() -> None:
    g = get_gazetteer()
    assert {"ohio", "texas"} <= g.namesake_states["mansfield"]
    assert "ontario" in g.namesake_states["london"]
    assert "new jersey" in g.namesake_states["new brunswick"]


@pytest.mark.parametrize("title, text, about", [
    # a province's name that is a US town: the story's country decides
    ("Drug review", "NEW BRUNSWICK, May 4 - Johnson and Johnson said the U.S. Food and "
     "Drug Administration will review its new sweetener.", ["US"]),
    # a small town whose largest namesake is English: the story's state decides
    ("Roads", "MANSFIELD — The council of this Ohio city voted on Monday to repave the "
     "roads near the fairground.", ["US"]),
    ("Roads", "MANSFIELD — The council voted on Monday to repave the roads near the "
     "fairground, a Texas Department of Transportation engineer said.", ["US"]),
    # a big city: only a state that holds a town of that name moves it
    ("Cotton", "ALEXANDRIA, June 2 - Louisiana farmers planted more cotton this spring, "
     "the state agriculture department said.", ["US"]),
])
def test_ambiguous_dateline_follows_the_story(title: str, text: str, about: list[str]) -> None:
    r = tag_countries(title, text)
    assert r.about == about
    assert r.mentioned == about         # the largest namesake is not mentioned either


@pytest.mark.parametrize("title, text, code", [
    # no evidence: the largest place
    ("Roads", "MANSFIELD — The council voted on Monday to repave the roads near the "
     "fairground.", "GB"),
    ("Cotton", "ALEXANDRIA, June 2 - Farmers planted more cotton this spring, the "
     "agriculture ministry said.", "EG"),
    # an explicit qualifier always wins
    ("Plant", "MANSFIELD, England, May 3 - An Ohio maker of car parts will open a plant "
     "here, the council said.", "GB"),
    # the story names the largest place's country too
    ("Plant", "DUBLIN, May 3 - Ireland's biggest bank will open an office in Ohio, its "
     "chief executive said.", "IE"),
    # a big city beside a province that holds no town of its name: a venue, not a namesake
    ("Bond", "LONDON, May 5 - Hydro-Quebec is issuing a 100 mln Canadian dlr eurobond due "
     "1997, lead manager Orion Royal Bank said.", "GB"),
])
def test_ambiguous_dateline_keeps_its_default(title: str, text: str, code: str) -> None:
    assert code in tag_countries(title, text).about


def test_bare_uses_of_the_dateline_town_follow_it() -> None:
    r = tag_countries("Roads", "MANSFIELD — The council of this Ohio city voted on Monday "
                      "to repave the roads. Mansfield police will close two streets.")
    assert r.about == ["US"]
    assert "GB" not in r.counts


@pytest.mark.parametrize("text, mentioned", [
    # a city with namesakes follows the story's other towns, all in one namesake country
    ("The London Knights beat the Brampton Battalion 4-1 on Friday at the arena downtown.",
     ["CA"]),
    # ... not when those towns are in several countries, nor when its own country is named
    ("The London office will work with teams in Brampton and Tokyo on the project.",
     ["CA", "GB", "JP"]),
    ("A London firm with British owners opened a plant in Brampton.", ["CA", "GB"]),
])
def test_running_text_city_follows_the_story_towns(text: str, mentioned: list[str]) -> None:
    assert sorted(tag_countries("Local news", text).mentioned) == mentioned


def test_local_towns_follow_each_other() -> None:
    # a story that names no country: the towns of its local institutions, an ambiguous one
    # (Mansfield: England, Ohio, Texas, Louisiana ...) following an unambiguous one
    text = ("Pastor on patrol. MANSFIELD -- The Mansfield Police Department will take a "
            "pastor on its patrols, a programme the Shreveport Police Department began "
            "last year.")
    assert tag_countries("", text).mentioned == ["US"]
    alone = "Pastor on patrol. MANSFIELD -- The Mansfield Police Department will add patrols."
    assert tag_countries("", alone).mentioned == ["GB"]


@pytest.mark.parametrize("text, code", [
    # English names of towns that geonames spells in the local language
    ("HANOVER, May 2 - The engineering group expects lower sales this year.", "DE"),
    ("BASLE, May 2 - The drug maker raised its dividend.", "CH"),
    ("GHENT, May 2 - The steel maker cut 300 jobs.", "BE"),
])
def test_english_town_names_in_datelines(text: str, code: str) -> None:
    assert tag_countries("Results", text).about == [code]


def test_english_town_name_with_a_us_namesake_follows_its_state() -> None:
    # Hanover, Pennsylvania: the state holds a namesake town
    r = tag_countries("Plant", "HANOVER, May 2 - The snack maker will add a shift at its "
                      "plant, the Pennsylvania labor department said.")
    assert r.about == ["US"]


def test_bare_uses_follow_a_qualified_dateline() -> None:
    # (an abbreviation without its dot: a dateline form only, no "City, St." pair)
    r = tag_countries("Hotels full", "NAPLES, Fla, May 2 - Hotels in Naples were full "
                      "this weekend, the county tourism office said.")
    assert r.about == ["US"]
    assert "IT" not in r.counts
