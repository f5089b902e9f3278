"""Four-digit postcodes and the places they name (`data/nl-postcodes.csv`, CBS), read and checked at start."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from samen_sms.content.text import ascii_digits, strip_edges

COLUMNS = ("pc4", "place", "gm_code")
# `1012`, `1012 AB`, `1012ab`, `1012-AB`: the four digits decide the municipality; the letters are
# a street and say nothing more at this scale.
_POSTCODE = re.compile(r"^(\d{4})(?:[\s-]*[a-z]{2})?$")


class PlaceDataError(ValueError):
    """A places file is malformed or names an unknown municipality; the line must not start with it."""


@dataclass(frozen=True)
class Postcodes:
    """Each postcode's municipality, and each place name's municipalities (most postcodes first)."""

    municipality: dict[str, str]
    places: dict[str, tuple[str, ...]]

    def find(self, folded: str) -> str | None:
        """The municipality code of a postcode (a folded message or text), else None."""
        found = _POSTCODE.match(strip_edges(folded.strip()))
        if not found:
            return None
        # Digits in any script (١٠١٢, ۱۰۱۲) are the same postcode.
        return self.municipality.get(ascii_digits(found.group(1)))


def load_postcodes(path: Path, known: Container[str]) -> Postcodes:
    """Read the postcodes file, refusing a row whose municipality `known` lacks, by row."""
    municipality: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise PlaceDataError(f"{path.name} has no column {', '.join(missing)}")
        for number, row in enumerate(reader, 2):
            pc4, place, code = (row[column].strip() for column in COLUMNS)
            where = f"{path.name} line {number}"
            if not re.fullmatch(r"[1-9][0-9]{3}", pc4):
                raise PlaceDataError(f"{where}: pc4 must be four digits, not {pc4!r}")
            if pc4 in municipality:
                raise PlaceDataError(f"{where}: postcode {pc4} is listed twice")
            if code not in known:
                raise PlaceDataError(f"{where}: municipality {code!r} is not in the municipalities file")
            if not place:
                raise PlaceDataError(f"{where}: postcode {pc4} has no place name")
            municipality[pc4] = code
            counts.setdefault(place, Counter())[code] += 1
    places = {place: tuple(code for code, _ in count.most_common()) for place, count in counts.items()}
    return Postcodes(municipality, places)
