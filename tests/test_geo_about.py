"""About-rules for patterns common in real news: descriptors, sources of statements, scenes
at sea, meeting venues in headlines, newspapers named after places. Both directions."""

from __future__ import annotations

import pytest

from newsingest.geo import tag_countries


@pytest.mark.parametrize("title, text, about, mentioned", [
    # descriptors: a mention, never about
    ("St. Louis Park elects a new mayor",
     "St. Louis Park became the first U.S. city to elect a Somali American mayor on Tuesday.",
     ["US"], {"US", "SO"}),
    ("Ukrainian forces shell Donetsk", "Ukrainian forces shelled Russian-occupied Donetsk.",
     ["UA"], {"UA", "RU"}),
    ("Roman Empire exhibit", "A new exhibition on ancient Rome opened in New York.",
     ["US"], {"US", "IT"}),
    ("Korean War veterans",
     "Veterans of the Korean War gathered in Seoul to mark the armistice anniversary.",
     ["KR"], {"KR", "KP"}),
    # ... but the same country named as an actor is about
    ("Somalia elects a president", "Somali lawmakers elected a new president on Sunday.",
     ["SO"], {"SO"}),
    ("Russia strikes Kharkiv", "Russian missiles hit Kharkiv overnight, killing four people.",
     ["RU", "UA"], {"RU", "UA"}),
])
def test_descriptors(title: str, text: str, about: list[str], mentioned: set[str]) -> None:
    r = tag_countries(title, text)
    assert r.about == about
    assert set(r.mentioned) == mentioned


@pytest.mark.parametrize("title, text, about", [
    # the source of a statement in the lead is mentioned only (R12)
    ("North Korea fires missile",
     "North Korea fired a ballistic missile into the sea, Japan's defence ministry said.",
     ["KP"]),
    ("Oil rises", "Oil prices rose after Iran seized a tanker, traders in London said.", ["IR"]),
    ("China exports fall", "China's exports fell 5% in October, according to Japan's Nikkei.",
     ["CN"]),
    # ... but a speaker that is the story's actor is about
    ("Japan to deploy missiles",
     "Japan's defence ministry said on Monday it would deploy new missiles to Okinawa.",
     ["JP"]),
    # at sea off a country (R2)
    ("Indian navy rescues ship",
     "The Indian navy rescued the crew of a tanker off the coast of Somalia.", ["IN"]),
    ("Somalia floods", "Floods in Somalia displaced 100,000 people, the U.N. said.", ["SO"]),
    # ... but the side that reports an attack is the attacked one
    ("Russian strikes",
     "Russian drones hit an energy facility overnight, Ukrainian officials said.",
     ["RU", "UA"]),
    # a venue town's state after another country ("in Eugene, Oregon"), like a venue city
    ("Kenyan runner wins", "Kenyan runner Faith Kipyegon won the race in Eugene, Oregon.",
     ["KE"]),
    ("Fire in Oregon", "A wildfire forced evacuations in Bend, Oregon.", ["US"]),
    # an earlier event or a cause in the lead is background ...
    ("Mexico raises tariffs",
     "Mexico raised tariffs on Chinese steel, following a similar move by Brazil.",
     ["MX", "CN"]),
    ("Cholera spreads",
     "Kenya reported 40 new cholera cases, linked to the outbreak in Somalia.", ["KE"]),
    # ... unless the country is its subject, or the clause is a deal with it
    ("Oil rises", "Oil prices rose after Iran seized a tanker.", ["IR"]),
    ("Germany deal", "Germany signed a gas deal on Monday following talks with Qatar.",
     ["DE", "QA"]),
])
def test_sources_and_scenes(title: str, text: str, about: list[str]) -> None:
    assert tag_countries(title, text).about == about


@pytest.mark.parametrize("title, text, about", [
    # a neutral venue in the headline is not about (R8)
    ("Iran nuclear talks in Vienna stall",
     "Talks between Iran and world powers stalled on Monday.", ["IR"]),
    ("Ukraine peace talks in Saudi Arabia",
     "Delegations from Ukraine and the United States met in Jeddah on Tuesday.",
     ["UA", "US"]),
    # a venue with no participant country named is the scene
    ("Climate summit in Paris", "Leaders gathered in Paris for the summit.", ["FR"]),
    # not a meeting: "in" is the scene
    ("Ukraine says Russian strike in Kharkiv killed four",
     "Ukraine said a Russian strike killed four people in Kharkiv.", ["UA", "RU"]),
])
def test_venues_in_headlines(title: str, text: str, about: list[str]) -> None:
    assert tag_countries(title, text).about == about


@pytest.mark.parametrize("title, text, mentioned", [
    # a newspaper named after a place counts only when the story names no other country
    ("Washington Post layoffs", "The Washington Post said it would cut 4% of its staff.",
     {"US"}),
    ("", "Ukraine said the strike hit Odesa, the New York Times reported.", {"UA"}),
    ("", "Israel's cabinet approved the plan, the Times of Israel reported.", {"IL"}),
    ("", "The U.S. State Department disputed a Times of Israel report.", {"US"}),
])
def test_newspapers(title: str, text: str, mentioned: set[str]) -> None:
    assert set(tag_countries(title, text).mentioned) == mentioned


@pytest.mark.parametrize("title, text, about", [
    # food named after a country is a descriptor
    ("Detroit's Mezcal restaurant goes beyond familiar Mexican fare",
     "Detroit diners have a new favourite on Vernor Highway.", ["US"]),
    # a country's company or attack as the actor of the lead
    ("Hard drives to reach 80TB",
     "Japanese company Showa Denko said it had improved its platters. Seagate, based in "
     "Ireland, plans to use them.", ["JP"]),
    ("Gaza hospitals collapse",
     "KHAN YOUNIS, GAZA — The Israeli assault on the Gaza Strip has left the health sector "
     "in the enclave in collapse. Gaza's hospitals lack fuel; Gaza City has none. More "
     "than half of the hospitals in Gaza have closed, the Gaza health ministry said.",
     ["PS", "IL"]),
    # scraped pages: short lines and the repeated headline before the lead are skipped
    ("Tridents' challenge",
     "Posted on\nTridents' challenge\nThe Barbados Tridents trained on Monday ahead of a "
     "match against Dominica in the Nations League.\nThe coach said it would be hard.",
     ["BB", "DM"]),
    ("Bloomberg faces scrutiny",
     "WASHINGTON —\nBillionaire Michael Bloomberg met voters in Nevada on Tuesday.",
     ["US"]),
    # a story that names one country, more than once, is about it; once in passing is not
    ("Schools 'safe' amidst surge",
     "Officials said pupils can keep attending classes. The ministry of education will "
     "send a vaccination bus to schools.\nBarbados continues to deal with a surge in "
     "cases. Barbados reported 300 cases on Monday.", ["BB"]),
    ("A cartoon about millennials",
     "Cartoonist Matt Bors criticised the narrative of lazy millennials. He grew up in "
     "a small town and now draws for a magazine.\nHis podcast guest was from Canada.", []),
])
def test_real_page_patterns(title: str, text: str, about: list[str]) -> None:
    assert tag_countries(title, text).about == about


@pytest.mark.parametrize("title, text, about", [
    # "returned artifacts to Peru" is a destination; "flew back to Peru" is a visit
    ("New Mexico museum returns artifacts",
     "A museum in Santa Fe, New Mexico, returned artifacts to Peru.", ["US"]),
    ("Fujimori returns",
     "Former president Alberto Fujimori flew back to Peru from Japan.", ["PE"]),
    # the Jordan Valley is in the West Bank
    ("Settlers move into the Jordan Valley",
     "Israeli settlers moved into the Jordan Valley, Palestinian officials said.",
     ["PS", "IL"]),
    # the same in German, Spanish and Portuguese: "nach", "hacia", "para (a)"
    ("Brasilien exportiert", "Brasilien exportierte im Mai mehr Soja nach China.", ["BR"]),
    ("Kanzler reist", "Der deutsche Kanzler reist nach China.", ["DE", "CN"]),
    ("México exporta", "México exportó más acero hacia Estados Unidos.", ["MX"]),
    ("Brasil exporta", "O Brasil exportou mais soja para a China.", ["BR"]),
    # named as destinations later in the clause
    ("Britons book holidays",
     "British families booked record numbers of holidays, with Spain and Greece the most "
     "popular destinations.", ["GB"]),
])
def test_destinations_and_visits(title: str, text: str, about: list[str]) -> None:
    assert tag_countries(title, text).about == about


@pytest.mark.parametrize("title, text, about", [
    # named three times and more than twice as often as any other: the subject
    ("Microsoft moves to erase its carbon footprint",
     "Microsoft will invest $1 billion over the next four years in carbon removal.\n"
     "The company said its U.S. data centres would run on clean power by 2025. Critics in "
     "the United States said the plan was vague. A partner start-up is based in Canada.\n"
     "The U.S. Environmental Protection Agency welcomed the plan.", ["US"]),
    # three against two is not dominance, but three names in a short story make Germany
    # frequent (FREQUENT_MIN names, one per FREQUENT_CHARS characters); France, named
    # twice, is not
    ("Trade talks",
     "The deal was discussed again this week. Talks resume in the spring.\nOfficials said "
     "Germany and France would meet later. Germany wants lower tariffs; France wants "
     "quotas. Germany also asked for more time.", ["DE"]),
])
def test_dominant_country(title: str, text: str, about: list[str]) -> None:
    assert tag_countries(title, text).about == about
