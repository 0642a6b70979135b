"""Country tagging on wire copy and local news written outside the project's conventions:
dateline shapes, historical names, organisation names and currencies, "City, St." in
running text, ambiguous towns resolved from the story's other places, and the about rule
on long stories. Fragments written for these tests."""

from __future__ import annotations

import pytest

from newsingest.gazetteer import get_gazetteer
from newsingest.geo import tag_countries
from newsingest.geo_lead import _lead_bounds


@pytest.mark.parametrize("text, code", [
    ("COIMBRA, APRIL 9 - The central bank raised its key rate by half a point.", "PT"),
    ("Coimbra, april 9 - The central bank raised its key rate by half a point.", "PT"),
    ("COIMBRA, ABR 9 - The central bank raised its key rate by half a point.", "PT"),
    ("COIMBRA, 9 April - The central bank raised its key rate by half a point.", "PT"),
    ("****COIMBRA, April 9 - The central bank raised its key rate by half a point.", "PT"),
    ("DOVER, Del, April 9 - The company said quarterly profit rose.", "US"),
    ("FRESNO, Calif, April 9 - The company said quarterly profit rose.", "US"),
    ("REGINA, Sask., April 9 - The company said quarterly profit rose.", "CA"),
    ("WOLLONGONG, NSW, April 9 - The company said quarterly profit rose.", "AU"),
    ("WEST BERLIN, April 9 - The city's senate approved the budget.", "DE"),
    ("BLUEFIELD, W. Va., April 9 - The company said quarterly profit rose.", "US"),
    ("OLD TOWN, Me., April 9 - The company said quarterly profit rose.", "US"),
    ("NORTH DIGHTON, MA., April 9 - The company said quarterly profit rose.", "US"),
    ("PERTH, WA, April 9 - The company said quarterly profit rose.", "AU"),
    # umlauts written as two letters, as ASCII wire copy does
    ("DUESSELDORF, April 9 - The company said quarterly profit rose.", "DE"),
    ("ZUERICH, April 9 - The company said quarterly profit rose.", "CH"),
])
def test_dateline_shapes(text: str, code: str) -> None:
    assert tag_countries("Rate decision", text).about == [code]


@pytest.mark.parametrize("text, code", [
    ("The Soviet Union will buy more grain this year, officials said.", "RU"),
    ("USSR grain imports rose in the spring.", "RU"),
    ("Soviet officials met the trade delegation on Tuesday.", "RU"),
    ("West German exports rose 4 pct in the month.", "DE"),
    ("Yugoslavia devalued the dinar by 25 pct.", "RS"),
])
def test_historical_names(text: str, code: str) -> None:
    assert tag_countries("Trade", text).about == [code]


@pytest.mark.parametrize("title, text, absent", [
    ("Bond issue", "The bank said it would issue a 50 mln Australian dlr bond next week.", "AU"),
    ("BOND ISSUE", "THE FIRM PRICED A 100 MLN CANADIAN DLR BOND.", "CA"),
    ("Gold price", "Gold rose by about 50 U.S. cents an ounce, dealers said.", "US"),
    ("Crude postings", "The company cut its posted price by 64 Canadian cts a barrel.", "CA"),
    ("Shell results", "Royal Dutch said first-quarter profit rose sharply.", "NL"),
    ("Broadcaster cuts", "Voice of America cut two of its language services.", "US"),
    ("Wire agency", "Agence France-Presse opened a new bureau in Nairobi.", "FR"),
])
def test_organisations_and_currencies(title: str, text: str, absent: str) -> None:
    assert absent not in tag_countries(title, text).mentioned


@pytest.mark.parametrize("title, text, absent", [
    ("Merger", "Utah International Inc will merge with the mining division.", "US"),
    ("Bank results", "Bank of Tokyo said net profit rose 8 pct.", "JP"),
    ("Payout", "Scott and Stringfellow <SCOT> declared its first dividend.", "GB"),
])
def test_company_names_are_not_places(title: str, text: str, absent: str) -> None:
    assert absent not in tag_countries(title, text).mentioned


def test_demonym_in_company_name_is_never_about() -> None:
    r = tag_countries("Bond issue", "LONDON, March 11 - Deutsche Bank Finance NV is issuing "
                      "a 150 mln dlr bond, the lead manager said.")
    assert r.about == ["GB"] and "DE" in r.mentioned
    # ... and so is a country's own name in a company's name ("IBM Australia Credit Ltd"),
    # also in the capitals headline that repeats it
    r = tag_countries("IBM AUSTRALIA CREDIT ISSUES EUROBOND", "LONDON, March 27 - IBM "
                      "Australia Credit Ltd is issuing a 75 mln dlr eurobond, the lead "
                      "manager said.")
    assert r.about == ["GB"] and r.mentioned == ["GB", "AU"]
    # ... and the company named again without its corporate word ("the Japan Fund board")
    r = tag_countries("INVESTORS SET DEADLINE FOR JAPAN FUND", "NEW YORK, March 9 - An "
                      "investor group said it set a deadline for its offer to acquire Japan "
                      "Fund Inc.\n    The group said the Japan Fund board had not replied. "
                      "Japan Fund shares rose 2 pct on the news.")
    assert r.about == ["US"] and r.mentioned == ["US", "JP"]
    # ... while the country named otherwise stays
    r = tag_countries("Sales", "Toyota Deutschland GmbH said sales in Germany rose.")
    assert r.about == ["DE"]


def test_second_lead_country_beside_strong_dateline_and_headline() -> None:
    # the dateline and the headline make Japan's score high; Britain, named twice in the
    # lead, is about too (position, not only the share of the top score)
    r = tag_countries("JAPAN REJECTS PRESSURE IN TELECOMS ROW",
                      "TOKYO, April 1 - Japan will not bow to pressure from Britain over a new "
                      "telecommunications firm, officials said. Britain has threatened "
                      "sanctions. Japan said its market was open.")
    assert r.about == ["JP", "GB"]


@pytest.mark.parametrize("text, about", [
    ("VAN NUYS, Calif., March 3 - A small earthquake shook the valley on Tuesday.", ["US"]),
    ("SPANISH FORK, Utah, March 3 - The city council approved a new water plant.", ["US"]),
])
def test_dateline_town_words_are_not_other_places(text: str, about: list[str]) -> None:
    r = tag_countries("Local news", text)
    assert r.about == about and r.mentioned == about


@pytest.mark.parametrize("text, code", [
    ("Deputies said the driver, a Slidell, La. resident, was not hurt.", "US"),
    ("The plant near Dalton, Ga., will close in June.", "US"),
    ("A teacher from Kamloops, B.C., won the award.", "CA"),
    ("The burn ban issued for Walker County was lifted on Monday.", "US"),
])
def test_local_places_in_running_text(text: str, code: str) -> None:
    assert tag_countries("Local news", text).mentioned == [code]


@pytest.mark.parametrize("text", [
    "Officials in Kiambu County said the road to Nairobi was reopened in Kenya.",
    "He said, Mass. protests were unlikely.",
])
def test_local_place_rules_stay_quiet(text: str) -> None:
    assert "US" not in tag_countries("News", text).mentioned


@pytest.mark.parametrize("text, mentioned", [
    ("London city council will hire outside experts after developers appealed to the "
     "Ontario Municipal Board.", ["CA"]),
    ("Police in Paris said the suspect fled toward Dallas before crossing into Oklahoma; "
     "the Texas Rangers joined the search.", ["US"]),
    ("Fans in Birmingham celebrated as Alabama won the title.", ["US"]),
    # the town's own country named too: it stays
    ("London police said a man from Ontario was arrested; Britain will deport him.",
     ["GB", "CA"]),
    # no state or province in the story: the most prominent town
    ("London police arrested a man on Monday.", ["GB"]),
])
def test_ambiguous_towns_follow_the_story_places(text: str, mentioned: list[str]) -> None:
    assert sorted(tag_countries("Local news", text).mentioned) == sorted(mentioned)


@pytest.mark.parametrize("text, about", [
    ("Samsung, Korea's largest company, said its exports to China rose 12 percent.",
     ["KR", "CN"]),
    ("Chilean copper sales to Japan fell in the first quarter.", ["CL", "JP"]),
    # a shipment's destination alone stays secondary
    ("Chile shipped a record 1.2 million tonnes of copper to China in October.", ["CL"]),
])
def test_trade_partner_is_about(text: str, about: list[str]) -> None:
    assert tag_countries("Trade", text).about == about


def test_frequent_country_is_about() -> None:
    head = ("BRUSSELS, March 16 - EC farm ministers agreed to cut support prices for cereals. "
            "Officials from Belgium said the cut was modest. ")
    tail = ("The cut would hit farmers in West Germany hardest. West Germany had asked for a "
            "delay, and its minister said West Germany would not accept it.")
    assert tag_countries("EC farm prices", head + tail).about == ["BE", "DE"]
    # the same three names spread over a long story are not frequent
    long = head + "The ministers discussed other matters at length. " * 40 + tail
    assert tag_countries("EC farm prices", long).about == ["BE"]


def test_hard_wrapped_lead_is_one_paragraph() -> None:
    # wire copy wraps lines inside a sentence: the lead goes on past the line break, so
    # Britain, named twice in it, is about
    text = ("TOKYO, April 1 - Japan will not bow to pressure from\nBritain over a new "
            "telecommunications firm, officials\nsaid. Britain has threatened sanctions.\n"
            "    Japan said its market was open.")
    assert tag_countries("JAPAN REJECTS PRESSURE", text).about == ["JP", "GB"]


def test_company_name_in_capitals_headline_follows_the_text() -> None:
    r = tag_countries("DEUTSCHE BANK ISSUES BOND", "LONDON, March 11 - Deutsche Bank Finance "
                      "NV is issuing a 150 mln dlr bond, the lead manager said.")
    assert r.about == ["GB"]


@pytest.mark.parametrize("title, text, code", [
    ("Council budget", "The Lansing City Council will hold hearings on the mayor's budget.", "US"),
    ("Officer hurt", "A Saskatoon police officer was hurt while making an arrest on Friday.",
     "CA"),
    ("Roof fire", "Fire crews were called out. TORRINGTON — A fire destroyed the roof of a "
     "home on Main Street on Tuesday.", "US"),
])
def test_towns_of_local_institutions(title: str, text: str, code: str) -> None:
    r = tag_countries(title, text)
    assert r.mentioned == [code] and r.about == [code]


def test_local_towns_only_when_no_country_is_named() -> None:
    # the story names its country: the town adds nothing (and is not looked up)
    r = tag_countries("Council", "The Lansing City Council met with officials from Mexico.")
    assert r.mentioned == ["MX"]


def test_countries_heading_rows_of_a_table_are_about() -> None:
    text = ("VIENNA, March 5 - Output by member country, in mln barrels per day:\n"
            "    SAUDI ARABIA    4.9    3.7\n    IRAN            1.6    2.2\n"
            "    NIGERIA         1.3    1.2\n    The figures are estimates.")
    assert tag_countries("Output table", text).about == ["AT", "SA", "IR", "NG"]


def test_hyphenated_name_ending_in_a_town_is_no_mention() -> None:
    r = tag_countries("Leasing", "The company sold its Flexi-Van container leasing business.")
    assert r.mentioned == []


def test_newfoundland_town_is_canadian() -> None:
    r = tag_countries("Oil field", "ST. JOHN'S, Newfoundland, March 9 - Drilling began "
                      "east of St. John's on Monday.")
    assert r.mentioned == ["CA"]


def test_lead_ends_with_its_paragraph() -> None:
    # a line break after the first sentence starts a new paragraph: Sweden, named there
    # and once more, is not in the lead and not what the story is about
    text = ("OSLO, May 4 - Norway's central bank raised its key rate by half a point on "
            "Tuesday.\n    Banks in Sweden had expected a smaller step. Rates in Norway are "
            "now the highest in the region since Sweden cut its rate last year.")
    assert _lead_bounds(get_gazetteer(), text) == (83, 83)
    r = tag_countries("Rate rise", text)
    assert r.about == ["NO"] and r.mentioned == ["NO", "SE"]


def test_hard_wrap_after_a_sentence_keeps_the_lead_going() -> None:
    text = "OSLO, May 4 - Rates rose. Banks in\nSweden expected it. More followed."
    first_end, lead_end = _lead_bounds(get_gazetteer(), text)
    assert text[:first_end].endswith("rose.") and text[:lead_end].endswith("expected it.")


@pytest.mark.parametrize("text, about", [
    # a country named only through its towns and states beside a dateline elsewhere
    ("TORONTO, May 4 - Four Seasons Hotels said it agreed to buy a hotel in California "
     "for 90 mln dlrs.\n    The hotel has 228 rooms.", ["CA"]),
    # ... but without a dateline the place is the scene
    ("Four Seasons Hotels said it agreed to buy a hotel in California for 90 mln dlrs.",
     ["US"]),
    # ... and a country named by name keeps its lead weight
    ("TORONTO, May 4 - Four Seasons Hotels said it agreed to buy a hotel in the United "
     "States for 90 mln dlrs.", ["CA", "US"]),
])
def test_country_only_through_towns_beside_a_dateline(text: str, about: list[str]) -> None:
    r = tag_countries("Hotel deal", text)
    assert r.about == about and set(r.mentioned) >= set(about)


@pytest.mark.parametrize("title, text, about, mentioned", [
    # a country named only in the headline ("VAN DORN"), never below it: a name's word
    ("VAN DORN CO SETS DIVIDEND", "CLEVELAND, March 6 - Quarterly dividend 27 cts vs 27 "
     "cts prior, payable May 1.", ["US"], ["US", "TR"]),
    # the only country of a story, named in its headline, stays its subject
    ("TURKEY RAISES RATES", "The central bank raised its key rate by five points on "
     "Thursday.", ["TR"], ["TR"]),
    # ... and so does a headline country the text names again
    ("JAPAN TO CUT TARIFFS", "WASHINGTON, May 4 - Japan will cut tariffs on farm goods, "
     "officials said.", ["US", "JP"], ["US", "JP"]),
])
def test_country_only_in_the_headline(title: str, text: str, about: list[str],
                                      mentioned: list[str]) -> None:
    r = tag_countries(title, text)
    assert r.about == about and r.mentioned == mentioned


def test_countries_listed_in_the_lead_count_alike() -> None:
    text = ("GENEVA, May 4 - Health experts called for a campaign against the cattle disease "
            "in Bangladesh, Bhutan, Nepal and Pakistan, a statement said.\n    Pakistan "
            "reported 40 new cases last month and Bangladesh 12.")
    r = tag_countries("Disease campaign", text)
    assert r.about == ["CH", "BD", "PK", "BT", "NP"]
    # a list that runs over a hard line wrap is still one list
    r = tag_countries("Disease campaign", text.replace("Bhutan, Nepal", "Bhutan,\nNepal"))
    assert set(r.about) == {"CH", "BD", "PK", "BT", "NP"}


def test_umlauts_written_as_two_letters_in_running_text() -> None:
    r = tag_countries("Sales", "Sales rose in Duesseldorf and fell in Zuerich.")
    assert r.mentioned == ["DE", "CH"]


def test_country_named_very_often_is_about_in_a_long_story() -> None:
    # Canada is named seven times, never in the lead, in a story far too long for the
    # one-name-per-600-characters rule: it is one of the story's subjects all the same
    filler = " The figures were published on Tuesday by the statistics office." * 8
    text = ("WASHINGTON, May 4 - U.S. housing starts rose 4 pct in April, the Commerce "
            "Department said." + filler + "".join(
                f" Exports to Canada rose {k} pct." + filler for k in range(7)))
    assert tag_countries("Housing starts", text).about == ["US", "CA"]
