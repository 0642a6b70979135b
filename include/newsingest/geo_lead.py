"""The lead of a story: its dateline, where the lead starts and ends, and the roles the
countries named in it play (secondary: origin, venue, source...; primary: counter-party,
target, actor...). The rules are described in :mod:`newsingest.geo`."""

from __future__ import annotations

import re

from newsingest.gazetteer import Gazetteer, normalise
from newsingest.geo_match import _CODES, _END, _ENTRY, _FIELD, _KIND, _PLACE_KINDS, _START

# a date after the place: a word of three to nine letters and a day, either order
# ("March 3", "APRIL 9", "ABR 9", "2 March"); the word must be a month (_MONTHS), checked
# after the match (one class in the pattern is several times faster than the alternation)
_DATELINE_RE = re.compile(
    r"[\s*#>|.•]*(?P<place>[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’.\- ]{1,40}?)"
    r"(?:\s*,\s*(?P<region>[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’.\- ]{0,30}?))?"
    r"(?:\s*,?\s*(?P<date>\b(?P<month>[A-Za-zéû]{3,9})\.?\s+\d{1,3}(?:,?\s+\d{4})?"
    r"|\d{1,2}\s+(?P<month2>[A-Za-zéû]{3,9})\.?))?,?"
    r"\s*(?:\((?P<agency>[^()\n]{2,40})\))?"
    r"\s*(?P<sep>--|[—–:-])\s")
# the same with the months spelled out, for the rare match whose date word is no month
_MONTH = (r"(?i:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Ene|Abr|Ago|Dic|Set|Okt|Dez|"
          r"Fev|Gen|Giu|Lug|Ott|Mai|Mei|Mrt|Avr|Jui|Fév|Déc|Mär)[A-Za-zéû]{0,6}")
_DATELINE_STRICT = re.compile(_DATELINE_RE.pattern.replace(
    r"(?P<month>[A-Za-zéû]{3,9})", _MONTH).replace(r"(?P<month2>[A-Za-zéû]{3,9})", _MONTH))
# month names and abbreviations, English, Spanish, Portuguese, Italian, French, German
# and Dutch, by their first three letters
_MONTHS = frozenset("jan feb mar apr may jun jul aug sep oct nov dec ene abr ago dic set "
                    "okt dez fev gen giu lug ott mai mei mrt avr jui fév déc mär".split())
# the ends of "-- ", "— ", ": " ... (a leading character class: faster than "(?:--|[—–:-])\s",
# with the same match ends)
_DATELINE_SEP = re.compile(r"[—–:-]-?\s")
_DATELINE_DOT_RE = re.compile(r"\s*(?P<place>[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+){0,2})\.\s+[A-Z\"“]")
# a sentence end, or a line break (one leading character class lets the regex engine skip
# ahead to the candidates: several times faster than an alternation)
_SENT_END_RE = re.compile(r"[.!?\n](?:(?<=\n)|[\"'”’)]*\s+(?=[\"“‘']?[A-Z0-9]))")
_ROUTE_AT = re.compile(r"\s+(?:to|into)\s+(?:the\s+)?[A-Z]")
_VISIT_ADVERBS = frozenset(("back", "home", "again", "directly", "straight", "briefly",
                            "later", "then", "also", "first", "abroad", "away", "over"))
_LIST_GAPS = frozenset((", ", " and ", ", and ", " and the ", ", and the ", ", the ", " or "))


def _dateline(g: Gazetteer, text: str, moved: dict[str, tuple[str, ...]]
              ) -> tuple[tuple[str, ...], int, int, int, str, str]:
    """Codes of the dateline place (region first), the span of the deciding words, the
    end of the whole dateline (where the story's first sentence starts), the key of a
    place without a state, province or country after it ("" when it has one), which the
    story may still resolve (:func:`_dateline_from_story`), and the key of a place with
    one ("naples" in "NAPLES, Fla."; else ""), whose bare uses in the story follow it."""
    head = text[:160]
    m = None
    # the regex is slow on ordinary text: try it only up to each "<separator><space>"
    for sep in _DATELINE_SEP.finditer(head):
        m = _DATELINE_RE.match(head, 0, sep.end())
        if m:
            break
    if m and m.group("date"):
        month = (m.group("month") or m.group("month2")).lower()
        if month[:3] not in _MONTHS:    # "Police 12 -": not a date; try the months only
            m = _DATELINE_STRICT.match(head, 0, m.end())
    if m:
        place = m.group("place").strip()
        if len(place.split()) <= 4 and (place.isupper() or m.group("agency") or m.group("date")):
            region = (m.group("region") or "").strip()
            rs, re_ = m.span("region")
            if region:
                rk = normalise(region).strip()
                qk = normalise(place).strip()
                where = _region_abbrev(g, region)
                if where:                   # "Ga.", "Va" (no dot), "Ont.", "NSW"
                    return where, rs, re_, m.end(), "", qk
                if rk == "georgia":
                    ge = place.lower() in g.words("georgia:ge_cities")
                    return (("GE",) if ge else ("US",)), rs, re_, m.end(), "", qk
                if rk in g.place_codes:
                    return g.place_codes[rk], rs, re_, m.end(), "", qk
            ps, pe = m.span("place")
            pk = normalise(place).strip()
            if pk == "georgia":
                return ("GE",), ps, pe, m.end(), "", ""
            codes = moved.get(pk) or g.place_codes.get(pk) or g.dateline_towns.get(pk)
            return codes or _abbreviated_town(g, pk), ps, pe, m.end(), pk, ""
    m = _DATELINE_DOT_RE.match(head)
    if m:
        pk = normalise(m.group("place")).strip()
        ps, pe = m.span("place")
        return moved.get(pk) or g.place_codes.get(pk, ()), ps, pe, pe + 1, pk, ""
    return (), 0, 0, 0, "", ""


_STORY_KINDS = frozenset(("place", "name", "alias", "demonym", "metonym", "foreign"))


def _dateline_from_story(g: Gazetteer, mentions: list[list], key: str, own: str,
                         body: int) -> str:
    """The country of an unqualified dateline place whose name towns in other countries
    share ("MANSFIELD —", "NEW BRUNSWICK", "Alexandria"), read from the story's other
    places, strongest first: a state or province holding a namesake town ("Ohio",
    "Louisiana"); for a place the gazetteer does not list as a city, also the one
    namesake country of the story's states, provinces, counties and resolved towns, then
    the one named by its unambiguous towns, country names and demonyms. ``own`` (the
    largest place's country) stays when the story points to it in any way, to several
    namesakes at once, or to none. Mentions of the dateline's own name and inside the
    dateline are no evidence."""
    choices = g.namesakes[key]
    homes = g.namesake_states.get(key, frozenset())
    exact: set[str] = set()             # states that hold a namesake town
    states: set[str] = set()
    others: set[str] = set()
    for m in mentions:
        codes = m[_CODES]
        if len(codes) != 1 or (m[_START] < body and m[_FIELD] == "text"):
            continue
        e = m[_ENTRY]
        if e.key == key:
            continue
        c = codes[0]
        if c == own:
            return own                  # the story names the default's country too
        if c not in choices:
            continue
        kind = m[_KIND]
        if kind == "state" or (e.namesake and codes != e.codes):
            states.add(c)               # "Ohio", "Laurens County", a town resolved so
            if e.key in homes:
                exact.add(c)
        elif kind in _STORY_KINDS and not e.namesake:
            others.add(c)               # "Columbus", "the U.S. Food and Drug ..."
    e = g.entries.get(key)
    tiers = (exact,) if e is not None and e.kind in _CITY_KINDS else (exact, states, others)
    for found in tiers:
        if found:
            return found.pop() if len(found) == 1 else own
    return own


_CITY_KINDS = frozenset(("place", "name"))


_TOWN_PREFIXES = {"st": ("st ", "saint"), "ste": ("sainte",), "ft": ("fort",), "mt": ("mount",)}


def _abbreviated_town(g: Gazetteer, key: str) -> tuple[str, ...]:
    """A dateline town written with an abbreviated first word or without its dot ("ST
    PAUL", "FT. LAUDERDALE", "MT VERNON" for Saint Paul, Fort Lauderdale, Mount Vernon),
    else ()."""
    words = key.split()
    if len(words) < 2 or words[0] not in _TOWN_PREFIXES:
        return ()
    rest = " ".join(words[1:])
    for full in _TOWN_PREFIXES[words[0]]:
        k = f"{full} {rest}"
        codes = g.place_codes.get(k) or g.dateline_towns.get(k)
        if codes:
            return codes
    return ()


def _region_abbrev(g: Gazetteer, region: str) -> tuple[str, ...]:
    """The country of a state or province abbreviation after a town ("Ga.", "Va" without
    its dot, "W. Va.", "Calif", "Ont.", "B.C.", "NSW", a US postal code in capitals:
    "MA."), else ()."""
    r = region.lower().replace(" ", "")     # "W. Va."
    if not r.endswith("."):
        r += "."
    for name, codes in (("us_state_abbrev", ("US",)), ("ca_province_abbrev", ("CA",)),
                        ("au_state_abbrev", ("AU",))):
        words = g.words(name)
        if r in words or r.replace(".", "") + "." in words:
            return codes
    if len(r) == 3 and region[:2].isupper() and r[:2] in g.words("us_postal_codes"):
        return ("US",)                      # "MA.", "NY"
    return ()


PREAMBLE_MAX_WORDS = 5      # a first line this short is not the lead ("Posted on", "WASHINGTON —")
PREAMBLE_MAX_LINES = 4


def _skip_preamble(text: str, begin: int, title: str) -> int:
    """Where the lead starts: after the short lines and the repeated headline that scraped
    pages often carry before it ("Posted on", the headline again, "WASHINGTON —")."""
    head = title.lower().split()
    pos = begin
    for _ in range(PREAMBLE_MAX_LINES):
        nl = text.find("\n", pos)
        if nl < 0:
            break
        line = text[pos:nl]
        words = line.split(None, PREAMBLE_MAX_WORDS)    # enough to tell a short line
        if len(words) > PREAMBLE_MAX_WORDS and (
                [w.lower() for w in words[:PREAMBLE_MAX_WORDS]] != head[:PREAMBLE_MAX_WORDS]
                or line.lower().split() != head):
            break                       # a long line that is not the headline again
        pos = nl + 1
    if pos == begin:
        return begin
    return pos if pos < len(text) and not text[pos:].isspace() else begin


# a line break right after a letter, digit or one of these, with the next line not
# indented, is a hard wrap inside a paragraph ("Computer Terminal Systems Inc said\nit has
# completed ..."), not the end of the first paragraph
_WRAP_BEFORE = frozenset(",;(-&/%$")
_NOT_WRAP_AFTER = frozenset(" \t\n\r")


def _lead_bounds(g: Gazetteer, text: str, begin: int = 0) -> tuple[int, int]:
    """End offsets of the first sentence and of the lead (first paragraph, <= 2 sentences;
    a line break right after a sentence ends the paragraph, a hard wrap inside a sentence
    does not).

    ``begin`` skips a dateline ("Ottawa. Canada and China ..." starts at "Canada").
    """
    abbrev = g.words("abbreviations")
    limit = min(len(text), 1500)
    ends: list[int] = []
    first_char = len(text) - len(text.lstrip())    # text[:i].strip() is empty iff i <= this
    for m in _SENT_END_RE.finditer(text, begin, limit):
        ms = m.start()
        if m.group(0) == "\n":
            before = text[ms - 1:ms]
            if ms > first_char and not (
                    (before.isalnum() or before in _WRAP_BEFORE)
                    and text[ms + 1:ms + 2] not in _NOT_WRAP_AFTER):
                ends.append(ms)
                break
            continue                    # a hard wrap inside a sentence (wire copy)
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
        if "\n" in text[ms + 1:m.end()]:
            break                       # a line break after a sentence: a paragraph end
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
        self.prior = g.words("role_prior_words")
        self.dest_next = g.words("role_dest_next")
        self.deal = g.words("role_deal_words")
        self.measure = g.words("role_measure_words")
        self.trade = g.words("role_trade_nouns")
        self.trade_to = g.words("role_trade_to")
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
        self.articles = g.words("role_articles")
        self.triggers = self.origin | self.venue | self.compare | self.compare2 | {
            "by"} | self.articles | self.dest


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
    if "off " in before and (_OFFSHORE_BEFORE.search(before) or (
            text.startswith(("'s coast", "’s coast"), end) and before.endswith("off "))):
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
        # "..., Japan's defence ministry said.", but not the attacked side reporting an
        # attack ("Russian drones hit an energy facility, Ukrainian officials said.")
        return kind in _PLACE_KINDS or not _attack_report(rw, text, start, end)
    if not rw.dest_next.isdisjoint(_clause_after(text, end)):
        return True                     # "with Italy and Japan the top destinations"
    if _prior_event(rw, text, start):
        return True                     # "following a similar move by the United States"
    if kind == "state" and text[start - 2:start] == ", ":
        # "won the race in Eugene, Oregon": the state of a venue town
        return _town_venue(rw, text, start) and _venue(rw, text, lead, i)
    prv, j = _word_before(text, start)
    if prv not in rw.triggers:
        return False
    if prv in rw.articles:
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
        if _word_before(text, j)[0] in rw.trade_to:
            return False                # "its exports to China": a trade partner
        # a visit: "will travel to", "flew back to" (a travel word right before "to", or
        # two words before it after an adverb), not "returned artifacts to Peru"
        w, k = _word_before(text, j)
        return w not in rw.visit and (
            w not in _VISIT_ADVERBS or _word_before(text, k)[0] not in rw.visit)
    if prv == "in" and not rw.background.isdisjoint(
            text[max(0, j - 30):j].lower().split()[-3:]):
        return True                     # background: "after ten years in Spain"
    if kind != "place" or prv not in rw.venue:
        return False
    return _venue(rw, text, lead, i)


def _venue(rw: _Roles, text: str, lead: list[list], i: int) -> bool:
    """A venue: a place after another country named earlier in the lead ("Mexico beat
    Japan in Los Angeles"); not the scene of the story ("A blast killed 12 in Kabul.") nor
    a target ("Israeli jets struck targets in Beirut")."""
    codes, start = lead[i][_CODES], lead[i][_START]
    for k in range(i - 1, -1, -1):
        m = lead[k]
        if m[_KIND] not in _PLACE_KINDS and m[_CODES] != codes:
            return rw.target.isdisjoint(text[m[_END]:start].lower().split())
    return False


def _town_venue(rw: _Roles, text: str, start: int) -> bool:
    """Does "in" or "at" come before the town (one to three capitalised words) that stands
    before ", " and the state at ``start`` ("in Eugene, Oregon", "at Palo Alto, Calif.")?"""
    k = start
    for _ in range(3):
        w, k = _word_before(text, k)
        if not w or not text[k:k + 1].isupper():
            return False
        if _word_before(text, k)[0] in rw.venue:
            return True
    return False


def _clause_after(text: str, end: int) -> list[str]:
    """The next few lower-case words after ``end``, up to the end of the clause."""
    after = text[end:end + 40]
    cut = min((k for k in (after.find(","), after.find(". "), after.find(";")) if k >= 0),
              default=len(after))
    return after[:cut].lower().rstrip(".").split()


def _prior_event(rw: _Roles, text: str, start: int) -> bool:
    """Is the mention inside a clause about an earlier event or a cause, opened by one of
    role_prior_words within the last six words of its sentence, the mention not being
    that clause's subject ("following a similar move by the United States", "after
    sweeping across China's Hainan island", "linked to the outbreak in Congo"; "after"
    only before a verb in -ing: not "after Iran seized a tanker", "after a week in
    Japan")?"""
    before = text[max(0, start - 80):start]
    words = before[before.rfind(". ") + 1:].lower().split()[-6:]
    return any(w in rw.prior and (w != "after" or words[k + 1].endswith("ing"))
               for k, w in enumerate(words[:-1]))


def _attack_report(rw: _Roles, text: str, start: int, end: int) -> bool:
    """Is the mention (a country, not a city: "traders in London said") the source of a
    report ("..., Ukrainian officials said.") in a sentence that tells of an attack
    ("Russian drones hit an energy facility overnight")? The reporting side is then the
    attacked one."""
    if not _SOURCE_AT.match(text, end):
        return False
    sentence = text[text.rfind(". ", 0, start) + 1:start].lower().split()
    return not rw.target.isdisjoint(sentence)


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
        if prv == "to" and ws and ws[-1] in rw.trade_to:
            return True                 # "its exports to China rose": a trade partner
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
