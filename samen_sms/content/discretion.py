"""A locked phone shows a message's first 40 characters: they must not say what the line is about.

Each catalogue's `[discretion] words` lists its language's words (or word stems) for sexual
violence, abuse, rape, suicide and trafficking; the Dutch list also catches the names of services
that say it (Centrum Seksueel Geweld, 113 Zelfmoordpreventie). Every word of every language is
checked in every message, since a Dutch service name turns up in an Arabic reply. The tests run it
over every message and screen; operator texts (session titles and descriptions) are checked when
they are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.text import fold

PREVIEW = 40


def revealing_words(catalogues: Mapping[str, Catalogue]) -> tuple[str, ...]:
    """Every language's revealing words, folded."""
    return tuple(sorted({fold(word) for cat in catalogues.values() for word in cat.discreet}))


def reveals(text: str, words: Iterable[str]) -> list[str]:
    """The revealing words a message shows in its preview (empty: the preview is neutral)."""
    preview = fold(text[:PREVIEW])
    return [word for word in words if word in preview]
