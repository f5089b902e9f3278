"""What a locked phone shows: the first 40 characters of a message must name no violence or abuse.

The same words are checked for every catalogue message and screen (tests) and for every title an
operator writes for an information session (the console refuses one that fails).
"""

from __future__ import annotations

from samen_sms.content.text import fold

PREVIEW = 40
# Words a locked screen must not show: violence, abuse, assault, rape, in every language.
REVEALING = {
    "en": ["violen", "abuse", "assault", "rape", "raped"],
    "nl": ["geweld", "misbruik", "mishandel", "aanrand", "verkracht"],
    "ar": ["عنف", "اعتداء", "اغتصاب", "اساءه", "تحرش"],
    "fa": ["خشونت", "آزار", "تجاوز", "سوءاستفاده"],
    "ti": ["ዓመጽ", "ዓመፅ", "ግህሰት", "ምድፋር", "ዓገብ"],
    "tr": ["şiddet", "siddet", "istismar", "taciz", "tecavüz", "tecavuz", "saldırı"],
    "uk": ["насильств", "насилл", "зґвалт", "напад", "кривдж"],
    "so": ["xadgudub", "rabshad", "kufsi", "tacadi", "faraxumeyn"],
}
_FOLDED = tuple(dict.fromkeys(fold(word) for words in REVEALING.values() for word in words))


def revealing(text: str) -> list[str]:
    """The revealing words (folded) that the first 40 characters of `text` show; empty if discreet."""
    preview = fold(text[:PREVIEW])
    return [word for word in _FOLDED if word in preview]
