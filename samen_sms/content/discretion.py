"""What a locked phone may show: the first 40 characters of a message name no violence, in any language.

Phones are shared and checked: the preview of an incoming SMS or WhatsApp message is what someone
else sees first. Every message and screen is tested against these words (`tests/test_content.py`),
and `flask content import` refuses a translation that would show one.
"""

from __future__ import annotations

from collections.abc import Mapping

from samen_sms.content.text import fold

PREVIEW = 40
# Words (or their stems) a locked screen must not show: violence, abuse, assault, rape.
REVEALING: Mapping[str, tuple[str, ...]] = {
    "en": ("violen", "abuse", "assault", "rape", "raped"),
    "nl": ("geweld", "misbruik", "mishandel", "aanrand", "verkracht"),
    "ar": ("عنف", "اعتداء", "اغتصاب", "اساءه", "تحرش"),
    "fa": ("خشونت", "آزار", "تجاوز", "سوءاستفاده"),
    "prs": ("خشونت", "آزار", "تجاوز", "لت و کوب"),
    "ps": ("تاوتریخوال", "تېری", "جنسي ځورون", "تجاوز"),
    "ckb": ("توندوتیژ", "دەستدرێژ", "ئازاردان", "لاقەکردن"),
    "ti": ("ዓመጽ", "ዓመፅ", "ግህሰት", "ምድፋር", "ዓገብ"),
    "am": ("ጥቃት", "ሁከት", "መድፈር", "በደል"),
    "tr": ("şiddet", "siddet", "istismar", "taciz", "tecavüz", "tecavuz", "saldırı"),
    "uk": ("насильств", "насилл", "зґвалт", "напад", "кривдж"),
    "ru": ("насили", "изнасил", "домогат", "нападени", "побо"),
    "so": ("xadgudub", "rabshad", "kufsi", "tacadi", "faraxumeyn"),
    "fr": ("violence", "viol ", "abus", "agression", "maltrait"),
    "es": ("violencia", "violación", "violacion", "abuso", "agresión", "agresion", "maltrato"),
}
_FOLDED = tuple(sorted({fold(word) for words in REVEALING.values() for word in words}))


def revealing(text: str) -> list[str]:
    """The words of any language that the first 40 characters of `text` would show on a locked phone."""
    preview = fold(text[:PREVIEW])
    return [word for word in _FOLDED if word in preview]
