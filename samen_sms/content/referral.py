"""Referral codes: what a code looks like, finding one in a message, and making new ones. Pure, no I/O.

A mediator hands out the line's number with their own short code ("SMS HI K7Q to ..."). A code is
3-5 characters from an alphabet without look-alikes (no 0/O, 1/I/L), has at least one letter and
one digit (so it is never a word), and is compared without case. Whether a code is live is the
line's business (the webhook reads it in its first round trip); the engine only gets the live ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from samen_sms.content.said import Said
from samen_sms.content.text import ascii_digits, fold, strip_edges

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LETTERS = "".join(ch for ch in ALPHABET if ch.isalpha())
DIGITS = "".join(ch for ch in ALPHABET if ch.isdigit())
SHAPE = re.compile(f"^[{ALPHABET}]{{3,5}}$")
# Capitals of other scripts that look like the code's Latin ones: a Ukrainian or Greek keyboard
# types К for K and Р for P, and people copy a poster's code as they see it.
LOOK_ALIKES = str.maketrans(
    {
        **dict(zip("АВСЕНКМРТХУЅ", "ABCEHKMPTXYS", strict=True)),  # Cyrillic
        **dict(zip("ΑΒΕΗΚΜΝΡΤΥΧΖ", "ABEHKMNPTYXZ", strict=True)),  # Greek
    }
)


def _latin(code: str) -> str:
    # Digits of any script (an Arabic keyboard types ٧ for 7) and look-alike capitals, as the poster shows them.
    return ascii_digits(code).translate(LOOK_ALIKES)


def normal(text: str) -> str | None:
    """The code a text spells (any case, digits of any script, look-alike letters, punctuation around it
    ignored), or None if it cannot be one."""
    code = _latin(strip_edges(fold(text).strip()).upper())
    if not SHAPE.match(code) or code.isalpha() or code.isdigit():
        return None
    return code


# Between a word and a code typed without a space ("hallo,K7Q", "hi:K7Q").
_JOINS = re.compile(r"([^\w]+)")


def candidates(said: Said) -> tuple[str, ...]:
    """The words of a message that could be codes, upper-cased, in the order written (at most 5)."""
    found = [code for word in said.words for code in (normal(part) for part in _JOINS.split(word)[::2]) if code]
    return tuple(dict.fromkeys(found))[:5]


def without(said: Said, code: str) -> Said:
    """The message as if the code had not been written: the rest is read as usual."""
    kept = []
    for raw in said.raw.split():
        if normal(raw) == code:
            continue
        pieces = _JOINS.split(raw)
        kept.append("".join(p for i, p in enumerate(pieces) if i % 2 or normal(p) != code))
    return Said.read(" ".join(kept))


def generate(taken: Iterable[str], words: Iterable[str], rng: random.Random | None = None, length: int = 3) -> str:
    """A new code: unused, not a word of any catalogue, with a letter and a digit; longer when space runs out."""
    rng = rng or random.SystemRandom()
    used = {code.upper() for code in taken}
    banned = {fold(word).upper() for word in words}
    for size in range(length, 6):
        for _ in range(200):
            chars = [rng.choice(LETTERS), rng.choice(DIGITS)] + [rng.choice(ALPHABET) for _ in range(size - 2)]
            rng.shuffle(chars)
            code = "".join(chars)
            if code not in used and code not in banned:
                return code
    raise RuntimeError("no free referral code left")
