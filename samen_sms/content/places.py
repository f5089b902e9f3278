"""Dutch municipalities, their places and postcodes, and recognising the place someone texts.

A message is read as a postcode (`1012`, `1012 AB`), then as a name (a municipality, a village, a
city as its community writes it), then as a name or postcode inside a sentence ("ik woon in
Utrecht"), then as a near miss of a name (rapidfuzz). Every answer names municipalities by CBS code
and names by their key in this data, never by what was typed.
"""

from __future__ import annotations

import bisect
import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from samen_sms.content.postcodes import PlaceDataError, Postcodes, load_postcodes
from samen_sms.content.said import Said
from samen_sms.content.text import dominant_script, fold, plain_latin, strip_edges
from samen_sms.content.transliterate import MIN_CONSONANTS, latin_skeleton, skeleton

# fuzz.ratio is 100 * (1 - Indel distance / both lengths): one letter dropped from a 9-letter name
# (Amsterdm) scores 94, two changes in 8 letters (Neimegen) 88; the everyday words in
# tests/test_places.py (okay, thanks, dank je) find no name at 85.
ALL_NL = "NL"  # the whole country, where a safety region code may stand
GUESS_CUTOFF = 85
GUESS_MIN_LETTERS = 4  # shorter texts (nee, ok, ja) are too close to too many villages (Nes, Ee)

# Everyday words of the line's languages that are also the name of a village: inside a sentence
# they are read as words ("ik weet het echt niet" is not about Echt). Typed alone they are still
# the place. The words the catalogues themselves use (een, heel, est, rien) are added at load.
# Municipalities keep their name (Best, Goes): someone asked where they live means the town.
EVERYDAY_WORDS = frozenset(
    {
        *"amen boer born echt ee gauw hall hem hoek horn leek lent lies loon made mill neer well".split(),
        *("de wijk", "de punt", "de steeg", "de waal", "de krim", "de bult", "de klomp", "t veld"),
    }
)


@dataclass(frozen=True)
class Place:
    """One municipality: its CBS code, the name people use, and its safety region."""

    code: str
    name: str
    region: str
    region_code: str


@dataclass(frozen=True)
class Name:
    """A name as this data writes it, and the municipalities it may mean (the likeliest first)."""

    shown: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """What a message was read as: the key of a known name ("" for a postcode) and its municipalities.

    `sure` is False for a near miss, which the person confirms before it is used.
    """

    key: str
    codes: tuple[str, ...]
    sure: bool

    @property
    def settled(self) -> bool:
        """One municipality, surely: nothing left to ask."""
        return self.sure and len(self.codes) == 1


# Russian and Ukrainian decline city names: в Амстердаме, в Гааге, из Роттердама, в Амстердамі.
# A word with one of these endings is also tried without it, and with -а (Гаага, Бреда) instead.
_CYRILLIC_ENDINGS = ("ами", "ові", "еві", "ом", "ем", "ой", "ою", "е", "і", "у", "ю", "а", "я", "ы", "и")
_STEM_MIN = 4


# "In", "near", "from" before a place in the languages written in Arabic or Cyrillic letters (folded),
# and Pashto's postposition after one (په تراپل کې).
_BEFORE_PLACE = frozenset(
    fold(single)
    for words in (
        "في قرب من الى إلى",  # Arabic
        "در نزدیک نزدیکی از به",  # Farsi, Dari
        "په نږدې",  # Pashto
        "لە لای بۆ نزیک",  # Sorani
        "в у во из около возле біля під до",  # Russian, Ukrainian
    )
    for single in words.split()
)
_AFTER_PLACE = frozenset({fold("کې"), fold("کښې")})


def _case_forms(word: str) -> list[str]:
    """The nominative a declined Cyrillic city name may stand for (Гааге: гааг, гаага); else none."""
    if dominant_script(word) != "Cyrl":
        return []
    forms = []
    for ending in _CYRILLIC_ENDINGS:
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= _STEM_MIN:
            forms += [stem, stem + "а"]
    return forms


def place_key(text: str) -> str:
    """The form place names are compared in: no case, accents, `'s-`, hyphens or brackets."""
    return _key(fold(text))


def _compared(text: Said | str) -> str:
    # A message was folded once when it arrived; an operator's text is folded here.
    return _key(text.folded) if isinstance(text, Said) else place_key(text)


def _key(folded: str) -> str:
    folded = re.sub(r"^['\u2019`]?s[-\s]+", "", strip_edges(folded.strip()))
    folded = re.sub(r"[-'\u2019`.,/()]+", " ", folded)
    return " ".join(folded.split())


@dataclass(frozen=True)
class Places:
    """Every municipality by code, every name it and its places go by, and every postcode."""

    by_code: dict[str, Place]
    names: dict[str, Name]
    postcodes: Postcodes
    regions: dict[str, str]
    keys: tuple[str, ...]  # the names' keys, shortest first, for the fuzzy matcher
    lengths: tuple[int, ...]  # the length of each of `keys`
    everyday: frozenset[str] = EVERYDAY_WORDS  # names read as words inside a sentence
    most_words: int = 1  # the most words a name's key has
    # A Latin name's consonant skeleton -> its key, to find a name written in Arabic or Cyrillic letters.
    skeletons: Mapping[str, str] = field(default_factory=dict)

    def exact(self, text: Said | str) -> Found | None:
        """A postcode or a name exactly as known (after folding), else None."""
        code = self.postcodes.find(text.folded if isinstance(text, Said) else fold(text))
        if code:
            return Found("", (code,), True)
        key = _compared(text)
        name = self.names.get(key)
        return Found(key, name.codes, True) if name else None

    def guess(self, said: Said) -> Found | None:
        """The known name a message most nearly spells, if near enough to ask about, else None."""
        key = _compared(said)
        if sum(ch.isalpha() for ch in key) < GUESS_MIN_LETTERS:
            return None
        # A name much shorter or longer than the text cannot reach the cut-off: compare only the rest.
        low = bisect.bisect_left(self.lengths, len(key) * GUESS_CUTOFF / (200 - GUESS_CUTOFF))
        high = bisect.bisect_right(self.lengths, len(key) * (200 - GUESS_CUTOFF) / GUESS_CUTOFF)
        near = self.keys[low:high]
        best = process.extractOne(key, near, scorer=fuzz.ratio, processor=None, score_cutoff=GUESS_CUTOFF)
        if best is None:
            return None
        return Found(best[0], self.names[best[0]].codes, False)

    def within(self, said: Said) -> Found | None:
        """A name or postcode inside a longer message ("ik woon in Den Haag", "postcode 1012 AB").

        The longest name wins, then the first of equal length. Names come before postcodes: a year
        (2019) is a postcode too. Everyday words that are also a village's name are words here.
        """
        # Apostrophes and hyphens part words too: Amsterdam'da (Turkish "in Amsterdam"), 's-Hertogenbosch.
        tokens = [token for word in said.words for token in _key(word).split()]
        for size in range(min(self.most_words, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                key = _key(" ".join(tokens[start : start + size]))
                for form in (key, *_case_forms(key)) if size == 1 else (key,):
                    name = self.names.get(form)
                    if name is not None and form not in self.everyday:
                        return Found(form, name.codes, True)
        for token in tokens:
            code = self.postcodes.find(token)
            if code:
                return Found("", (code,), True)
        return None

    def spelled_otherwise(self, said: Said) -> Found | None:
        """A Latin name written in Arabic or Cyrillic letters (تراپل: Ter Apel), to ask about; else None.

        The whole message, or the one or two words after "in", "near" (before Pashto's کې), is
        reduced to its consonants (`content.transliterate`) and looked up among the Latin names'
        skeletons; any word of a sentence would find a village too often ("درباره": Drijber).
        """
        if said.script not in ("Arab", "Cyrl") or not self.skeletons:
            return None
        found = [fold(word) for word in said.words]
        windows = [found]
        for i, word in enumerate(found):
            if word in _BEFORE_PLACE:
                windows += [found[i + 1 : i + 3], found[i + 1 : i + 2]]
            if word in _AFTER_PLACE:
                windows += [found[max(0, i - 2) : i], found[max(0, i - 1) : i]]
        for window in windows:
            letters = skeleton(" ".join(window), said.script)
            key = self.skeletons.get(letters) if len(letters) >= MIN_CONSONANTS else None
            if key is not None:
                return Found(key, self.names[key].codes, False)
        return None

    def read(self, said: Said) -> Found | None:
        """A message as a postcode, a name, a name inside a sentence, a near miss, or a name in other letters."""
        return self.exact(said) or self.within(said) or self.guess(said) or self.spelled_otherwise(said)

    def find(self, text: Said | str) -> Place | None:
        """The one municipality a message (or an operator's text) names, else None (unknown, or Bergen)."""
        found = self.exact(text)
        return self.by_code[found.codes[0]] if found and found.settled else None

    def region_code(self, text: str) -> str | None:
        """What an operator wrote for an area: NL (or ALL) for the whole country, a safety region's
        code (VR13), or a place or region name in one region; else None."""
        code = text.strip().upper()
        if code in {ALL_NL, "ALL"}:
            return ALL_NL
        return code if code in self.regions else self.find_region(text)

    def find_region(self, text: Said | str) -> str | None:
        """The safety region of the place or region a message names, if only one, else None.

        A message may name it inside a sentence; an operator's text must be the name itself.
        """
        found = self.exact(text) or (self.within(text) if isinstance(text, Said) else None)
        if found:
            return self.region_of(found.codes)
        key = _compared(text)
        return next((code for code, name in self.regions.items() if place_key(name) == key), None)

    def region_of(self, codes: Iterable[str]) -> str | None:
        """The one safety region these municipalities share, else None."""
        regions = {self.by_code[code].region_code for code in codes}
        return regions.pop() if len(regions) == 1 else None

    def shown(self, key: str) -> str:
        """A known name as a reply shows it, with its municipality when that is called otherwise."""
        name = self.names[key]
        if len(name.codes) > 1:
            return name.shown
        municipality = self.by_code[name.codes[0]].name
        same = place_key(municipality) in (key, place_key(name.shown))
        if same:
            return name.shown
        return f"{name.shown}, {municipality}" if "(" in name.shown else f"{name.shown} ({municipality})"


class _Index:
    # Names in the order they are added: a municipality's own names first, so its code leads.
    def __init__(self) -> None:
        self.names: dict[str, Name] = {}

    def add(self, name: str, codes: Iterable[str]) -> None:
        # Bergen (NH.) is also just Bergen; a dict, not a set, keeps the order the same every run.
        forms = dict.fromkeys((name, re.sub(r"\(.*?\)", " ", name)))
        for form in forms:
            key = place_key(form)
            if not key:
                continue
            known = self.names.get(key)
            if known is None:
                self.names[key] = Name(" ".join(plain_latin(form).split()), tuple(codes))
            else:
                more = tuple(code for code in codes if code not in known.codes)
                self.names[key] = Name(known.shown, known.codes + more)


def load_places(
    path: Path,
    postcodes: Path | None = None,
    written: Mapping[str, Iterable[str]] | None = None,
    words: Iterable[str] = (),
) -> Places:
    """Read the municipalities, their places and postcodes, and names in other scripts (code -> names).

    `words` are the folded words the line's own texts use: a village called like one of them is
    read as that word inside a sentence, unless it is a municipality's own name (Utrecht).
    """
    by_code: dict[str, Place] = {}
    regions: dict[str, str] = {}
    index = _Index()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["gm_code"]
            shown = plain_latin(row["display_name"] or row["name"])
            region = plain_latin(row["safety_region_name"])
            by_code[code] = Place(code, shown, region, row["safety_region_code"])
            regions[row["safety_region_code"]] = region
            names = [row["display_name"], row["name"], *row["also_known_as"].split("|")]
            # "Nuenen, Gerwen en Nederwetten" is called Nuenen.
            names += [name.split(",")[0] for name in names if "," in name]
            for name in filter(None, names):
                index.add(name, (code,))
    codes = load_postcodes(postcodes, by_code) if postcodes else Postcodes({}, {})
    for place, where in codes.places.items():
        index.add(place, where)
    for code, spellings in (written or {}).items():
        if code not in by_code:
            raise PlaceDataError(f"names are given for {code!r}, which is not a municipality")
        for spelling in spellings:
            index.add(spelling, (code,))
    keys = tuple(sorted(index.names, key=len))
    municipalities = {place_key(place.name) for place in by_code.values()}
    everyday = EVERYDAY_WORDS | ({_key(word) for word in words} & index.names.keys()) - municipalities
    most_words = max((len(key.split()) for key in keys), default=1)
    skeletons: dict[str, str] = {}
    for key in keys:  # shortest first: of two names with one skeleton, the shorter is offered
        letters = latin_skeleton(key) if dominant_script(key) == "Latn" else ""
        if len(letters) >= MIN_CONSONANTS:
            skeletons.setdefault(letters, key)
    lengths = tuple(len(key) for key in keys)
    return Places(by_code, index.names, codes, regions, keys, lengths, everyday, most_words, skeletons)
