"""Dutch municipalities (`data/nl-municipalities.csv`) and recognising the place name someone texts."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from samen_sms.content.engine import Content, Message, Outcome, Visit
from samen_sms.content.text import Said, fold, strip_edges


@dataclass(frozen=True)
class Place:
    """One municipality: its CBS code, the name people use, and its safety region."""

    code: str
    name: str
    region: str
    region_code: str


def place_key(text: str) -> str:
    """The form place names are compared in: no case, accents, `'s-`, hyphens or `(NH.)`."""
    return _key(fold(text))


def _compared(text: Said | str) -> str:
    # A message was folded once when it arrived; an operator's text is folded here.
    return _key(text.folded) if isinstance(text, Said) else place_key(text)


def _key(folded: str) -> str:
    folded = re.sub(r"\(.*?\)", " ", folded)
    folded = re.sub(r"^['\u2019`]?s[-\s]+", "", strip_edges(folded.strip()))
    folded = re.sub(r"[-'\u2019`.,/]+", " ", folded)
    return " ".join(folded.split())


@dataclass(frozen=True)
class Places:
    """Every municipality by code, and every name it goes by in its compared form."""

    by_code: dict[str, Place]
    by_key: dict[str, str]
    regions: dict[str, str]

    def find(self, text: Said | str) -> Place | None:
        """The municipality a message (or an operator's text) names, else None (unknown, or Bergen NH. or L.)."""
        code = self.by_key.get(_compared(text))
        return self.by_code[code] if code else None

    def find_region(self, text: Said | str) -> str | None:
        """The safety region code of the municipality or region a message names, else None."""
        place = self.find(text)
        if place:
            return place.region_code
        key = _compared(text)
        return next((code for code, name in self.regions.items() if place_key(name) == key), None)


def load_places(path: Path) -> Places:
    """Read the municipalities file; a name two places share recognises neither."""
    by_code: dict[str, Place] = {}
    by_key: dict[str, str] = {}
    regions: dict[str, str] = {}
    shared: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["gm_code"]
            shown = _plain(row["display_name"] or row["name"])
            by_code[code] = Place(code, shown, row["safety_region_name"], row["safety_region_code"])
            regions[row["safety_region_code"]] = row["safety_region_name"]
            names = {row["name"], row["display_name"], *row["also_known_as"].split("|")}
            # "Nuenen, Gerwen en Nederwetten" is called Nuenen.
            names |= {name.split(",")[0] for name in names if "," in name}
            for name in names:
                key = place_key(name)
                if not key:
                    continue
                if by_key.get(key, code) != code:
                    shared.add(key)
                by_key[key] = code
    for key in shared:
        del by_key[key]
    return Places(by_code, by_key, regions)


def _plain(name: str) -> str:
    # Sudwest-Fryslan without accents keeps a Dutch or English reply in GSM-7 (one SMS, not three).
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def place_input(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A place name typed at a place node: that place's services beside the national ones.

    An unknown place still gets the national ones. Only the municipality code goes into the reply
    reference, never what the person typed.
    """
    places: Places = content.data["places"]
    place = places.find(message.said)
    return Outcome(visit.node, locale, locale, (("services", place.code if place else ""),))
