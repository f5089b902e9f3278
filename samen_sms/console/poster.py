"""The poster's words as people read them: numbers written as people write them, links decoded, and a
number kept in its order inside a right-to-left line (a <bdi dir="ltr">)."""

from __future__ import annotations

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


def isolated(text: str) -> Markup:
    """A number or link that keeps its left-to-right order in any line."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(text)


def line(text: str, numbers: list[str], links: list[str]) -> Markup:
    """One language's text for the poster: its links decoded, its numbers written and isolated."""
    out = escape(text)
    for link in sorted((k for k in links if k), key=len, reverse=True):
        out = Markup(out.replace(escape(link), isolated(unquote(link))))
    for number in sorted((n for n in numbers if n), key=len, reverse=True):
        out = Markup(out.replace(escape(number), isolated(written(number))))
    return out
