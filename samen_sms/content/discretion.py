"""A locked phone shows a message's first 40 characters: they must not say what the line is about.

Each catalogue's `[discretion] words` lists its language's words (or word stems) for sexual
violence, abuse, rape, suicide and trafficking; the Dutch list also catches the names of services
that say it (Centrum Seksueel Geweld, 113 Zelfmoordpreventie). Every word of every language is
checked in every message, since a Dutch service name turns up in an Arabic reply. The tests run it
over every message and screen; operator texts (session titles and descriptions) are checked when
they are added.

The words are stems and count inside other words (Arabic writes the article onto the noun), except
inside the calendar's own words: a date in an announcement names its month, and the Sorani March
(ئازار) holds the Farsi stem for abuse (آزار). Month and day names in the line's languages (from
Babel) are left out of the preview before it is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.text import fold, strip_edges

PREVIEW = 40


@dataclass(frozen=True)
class Revealing:
    """Every language's revealing words, folded, and the month and day names the check passes over."""

    words: tuple[str, ...]
    calendar: frozenset[str] = frozenset()


def revealing_words(catalogues: Mapping[str, Catalogue]) -> Revealing:
    """Every language's revealing words, folded, with the calendar words of the same languages."""
    words = tuple(sorted({fold(word) for cat in catalogues.values() for word in cat.discreet}))
    return Revealing(words, calendar_words(tuple(sorted(catalogues))))


@cache
def calendar_words(locales: tuple[str, ...]) -> frozenset[str]:
    """Month and day names, every form Babel knows, of these languages, folded."""
    names: set[str] = set()
    for code in locales:
        try:
            locale = Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            continue  # a language Babel does not know has no calendar words here
        for table in (locale.months, locale.days):
            for widths in table.values():
                for named in widths.values():
                    names.update(fold(name) for name in named.values())
    return frozenset(name for name in names if name)


def reveals(text: str, revealing: Revealing) -> list[str]:
    """The revealing words a message shows in its preview (empty: the preview is neutral)."""
    preview = fold(text[:PREVIEW])
    if revealing.calendar:
        preview = " ".join(word for word in preview.split() if strip_edges(word) not in revealing.calendar)
    return [word for word in revealing.words if word in preview]
