"""Yes and no as people write them, in a sentence: "Ja, ik kom graag!", "نعم سأحضر إن شاء الله", "No, I can't".

Pure, no I/O. The words are each catalogue's `[answers]` `yes` and `no`, folded as messages are
(`text.words`); a phrase counts where its words stand together in the message. The reader's
own language decides first; only when it finds neither does any other language's word count (an
English "yes" to a Dutch announcement). A message holding both a yes and a no ("yes but I can't")
is neither: the person is asked again. A word of one letter (English "y", Spanish "and") counts
only as the whole message (`placeinput.said_yes`), never inside a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.said import Said
from samen_sms.content.text import words


class Answer(StrEnum):
    """What a sentence says to a question that waits for yes or no."""

    YES = "yes"
    NO = "no"


def _phrases(listed: Iterable[str]) -> list[tuple[str, ...]]:
    found = (tuple(words(word)) for word in listed)
    return [phrase for phrase in found if phrase and (len(phrase) > 1 or len(phrase[0]) > 1)]


def _holds(said: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(said[i : i + n] == phrase for i in range(len(said) - n + 1))


def _read(said: tuple[str, ...], catalogues: Iterable[Catalogue]) -> tuple[bool, bool]:
    yes = no = False
    for cat in catalogues:
        yes = yes or any(_holds(said, p) for p in _phrases(cat.yes))
        no = no or any(_holds(said, p) for p in _phrases(cat.no))
    return yes, no


def answer(catalogues: Mapping[str, Catalogue], said: Said, locale: str) -> Answer | None:
    """Yes, no, or None (neither, or both) in a message, read in `locale` first, then in any language."""
    for among in ([catalogues[locale]], catalogues.values()):
        yes, no = _read(said.words, among)
        if yes != no:
            return Answer.YES if yes else Answer.NO
        if yes and no:
            return None
    return None
