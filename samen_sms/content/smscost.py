"""How many SMS segments a text costs, and the budgets of the line's replies.

GSM-7 fits 160 characters in one SMS and 153 per part; one character outside it (Arabic, Ge'ez,
Cyrillic, Turkish s-cedilla, an emoji, a curly quote) turns the whole message into UCS-2: 70, or
67 per part. The extension characters below cost two.
"""

from __future__ import annotations

from dataclasses import dataclass

from samen_sms.content.catalogue import Catalogue

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Budgets: a screen in a language written in GSM-7 costs at most 3 SMS, even when the language
# menu's scripts make it UCS-2; in any other language at most 6 (402 characters).
GSM7_BUDGET = 3
# Issue #20: help now and the sexual-violence screen say all of what CSG does and when (examination,
# care afterwards, at the latest 7 days after, longer ago call too): a sixth segment in UCS-2.
UCS2_BUDGET = 6


@dataclass(frozen=True)
class Cost:
    """A text's encoding, length in encoding units, and segments."""

    encoding: str
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of the text is in the GSM-7 alphabet (with its extension)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def cost(text: str) -> Cost:
    """The segments a text costs as one SMS."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP is two.
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return Cost(encoding, units, segments)


def budget(catalogue: Catalogue) -> int:
    """Segments a reply in this language may cost: 3 if the language is written in GSM-7, else 6."""
    written_in_gsm7 = all(is_gsm7(text.sms) for text in catalogue.messages.values())
    return GSM7_BUDGET if written_in_gsm7 else UCS2_BUDGET
