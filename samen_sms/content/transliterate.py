"""A Dutch place name written in Arabic or Cyrillic letters, reduced to the consonants both writings keep.

Arabic script leaves short vowels unwritten, and people write a Dutch name the way it sounds: Ter
Apel becomes تراپل, Groningen خرونینگن, Tilburg تیلبورخ or Тилбург. Both the Latin name and what was
typed are reduced to a skeleton of consonant classes (the Dutch g, ch and the Arabic خ, the Persian
گ are one "x"; vowels, the letters that also write vowels (ا و ی ه, v w j y) and h are dropped):
Ter Apel and تراپل are both "trpl". The tables are small and written here by hand from the letters'
usual sounds; a match is only ever offered as a question ("Did you mean Ter Apel?"), never taken.
"""

from __future__ import annotations

import re

# Latin (folded, Dutch spelling) -> consonant classes; longest first.
_LATIN = (("sch", "sx"), ("ch", "x"), ("ij", ""), ("g", "x"), ("c", "k"), ("q", "k"), ("ph", "f"), ("th", "t"))
_LATIN_DROPPED = re.compile(r"[aeiouyhjvw\s]")
_ARABIC = str.maketrans(
    {
        **dict.fromkeys("اأإآٱءئؤعحهةوۆیيىېۍێەڤ", ""),
        **{"ب": "b", "پ": "p", "ت": "t", "ټ": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ښ": "s", "څ": "s"},
        **{"ج": "", "چ": "tsx", "خ": "x", "غ": "x", "گ": "x", "ګ": "x", "ك": "k", "ک": "k", "ق": "k"},
        **{"د": "d", "ډ": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z", "ژ": "z", "ږ": "z", "ځ": "z"},
        **{"ر": "r", "ړ": "r", "ڕ": "r", "ف": "f", "ل": "l", "ڵ": "l", "م": "m", "ن": "n", "ڼ": "n", "ش": "s"},
    }
)
_CYRILLIC = str.maketrans(
    {
        **dict.fromkeys("аеёиіїйоуыэюяєьъв", ""),
        **{"г": "x", "х": "x"},
        **{"б": "b", "д": "d", "ж": "z", "з": "z", "к": "k", "л": "l", "м": "m", "н": "n", "п": "p"},
        **{"р": "r", "с": "s", "т": "t", "ф": "f", "ц": "ts", "ч": "tsx", "ш": "s", "щ": "s", "ґ": "x"},
    }
)
# Shorter skeletons say too little: Almere (lmr) is also Lemmer.
MIN_CONSONANTS = 4


def _collapsed(letters: str) -> str:
    # Doubled letters are written once in the other script (Haag: Хааг, هاخ).
    return re.sub(r"(.)\1+", r"\1", letters)


def latin_skeleton(key: str) -> str:
    """The consonant skeleton of a folded Latin name ("ter apel": "trpl")."""
    for written, sound in _LATIN:
        key = key.replace(written, sound)
    return _collapsed(re.sub(r"[^a-z]", "", _LATIN_DROPPED.sub("", key)))


def skeleton(folded: str, script: str | None) -> str:
    """The consonant skeleton of a folded word in Arabic or Cyrillic letters; "" for other scripts."""
    if script == "Arab":
        return _collapsed(re.sub(r"[^a-z]", "", folded.translate(_ARABIC)))
    if script == "Cyrl":
        return _collapsed(re.sub(r"[^a-z]", "", folded.translate(_CYRILLIC)))
    return ""
