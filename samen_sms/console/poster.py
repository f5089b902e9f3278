"""The poster's words as people read them: numbers written as people write them, links decoded, and a
number kept in its order inside a right-to-left line (a <bdi dir="ltr">)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import phonenumbers
from markupsafe import Markup, escape

SIZES = {"a4": "A4", "a5": "A5"}


def written(number: str) -> str:
    """A number as people write it: a Dutch one nationally (0800 0188), any other internationally (+44 7700 900001)."""
    try:
        parsed = phonenumbers.parse(number.removeprefix("whatsapp:"), None)
    except phonenumbers.NumberParseException:
        return number
    if phonenumbers.region_code_for_number(parsed) == "NL":
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def isolated(text: str, kind: str = "tel") -> Markup:
    """A number (kept on one line) or a link that keeps its left-to-right order in any line."""
    return Markup('<bdi dir="ltr" class="{}">{}</bdi>').format(kind, text)


def line(text: str, numbers: list[str]) -> Markup:
    """One language's text for the poster: its links decoded, its numbers written, each isolated."""
    wanted = sorted({re.escape(n) for n in numbers if n}, key=len, reverse=True)
    pattern = re.compile("|".join([r"https?://\S+", *wanted]))
    out, at = Markup(""), 0
    for found in pattern.finditer(text):
        piece = found.group(0)
        link = piece.startswith("http")
        shown = isolated(unquote(piece), "url") if link else isolated(written(piece))
        out += escape(text[at : found.start()]) + shown
        at = found.end()
    return out + escape(text[at:])
