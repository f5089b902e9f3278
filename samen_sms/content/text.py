"""Reading what people type: folding case, accents and script variants, and digits in any script."""

from __future__ import annotations

import re
import unicodedata

# Arabic-script letters that people type interchangeably depending on their keyboard.
_SCRIPT_VARIANTS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh -> Farsi yeh
        "ى": "ی",  # alef maksura
        "ك": "ک",  # Arabic kaf -> keheh
        "ة": "ه",  # teh marbuta
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ـ": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner (Farsi)
        "\u200d": None,
        "\u200f": None,  # right-to-left mark
        "\u200e": None,
        "ı": "i",  # Turkish dotless i: YARDIM, yardım and yardim are one word
        "🆘": " sos ",  # the SOS emoji is the word SOS, a help word (other emoji are dropped as edges)
        # Apostrophes: phones type ’ (iOS smart punctuation) and Ukrainian keyboards ʼ where the
        # keyword lists write ' (б'є, m'a frappée, j'ai): all are the one apostrophe.
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
    }
)


# Cyrillic and Greek letters (already lower-cased) that look like Latin ones. They are read as Latin
# only inside a word that also holds Latin letters ("dеlete" with a Cyrillic е, pasted or typed on a
# phone that switches keyboards): a word wholly in Cyrillic or Greek (стоп, видалити) is a word of
# that script and stays as it is.
_LATIN_LOOK_ALIKES = str.maketrans(
    {
        **dict(zip("авсеһікјмнорѕтухԁԛԝ", "abceh" "ikjmhopstyxdqw", strict=True)),  # Cyrillic
        **dict(zip("αβεικνορτυχ", "abeiknoptux", strict=True)),  # Greek
    }
)
_WORD = re.compile(r"\S+")


def _is_invisible(ch: str) -> bool:
    # Format characters (zero-width space, soft hyphen, word joiner, joiners, direction marks) show
    # nothing: "de\u200blete" is "delete".
    return unicodedata.category(ch) == "Cf"


def _latin_word(match: re.Match[str]) -> str:
    word = match.group()
    if any("a" <= ch <= "z" for ch in word):
        return word.translate(_LATIN_LOOK_ALIKES)
    return word


def fold(text: str) -> str:
    """Lower-case, strip accents, marks and invisible characters, unify script variants and Latin
    look-alikes inside Latin words: the form keywords are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SCRIPT_VARIANTS))
    kept = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M") and not _is_invisible(ch))
    folded = unicodedata.normalize("NFC", kept).casefold().translate(_SCRIPT_VARIANTS)
    return _WORD.sub(_latin_word, folded)


def _is_edge(ch: str) -> bool:
    # Punctuation, symbols (emoji), separators and controls around a word do not count.
    return unicodedata.category(ch)[0] in {"P", "S", "Z", "C"}


def strip_edges(text: str) -> str:
    """Remove punctuation, emoji and spaces around a word."""
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def words(text: str) -> list[str]:
    """The folded words of a message, each stripped of surrounding punctuation and emoji."""
    out = []
    for raw in fold(text).split():
        word = strip_edges(raw)
        if word:
            out.append(word)
    return out


def has_control_characters(text: str, allowed: str = "\n\r\t") -> bool:
    """Whether a text holds a NUL or another invisible control character (those in `allowed` aside).

    Pasted from a PDF or a word processor, one would be stored and sent in an SMS, where a phone
    shows it as a box or drops the message.
    """
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def ascii_digits(text: str) -> str:
    """Decimal digits of any script as ASCII ones (١٠١٢ and ۱۰۱۲ are 1012); every other character as it is."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def digit_value(text: str) -> int | None:
    """The number a short answer means, in any digit script (`1`, `١`, `۱`, `፩`), else None."""
    token = strip_edges(text.strip())
    if not token or len(token) > 3:
        return None
    value = 0
    for ch in token:
        try:
            number = unicodedata.numeric(ch)
        except (TypeError, ValueError):
            return None
        if number != int(number) or not 0 <= number <= 9:
            # Ethiopic has single signs for ten and up (፲): read as their value.
            if number == int(number) and 10 <= number <= 99 and len(token) == 1:
                return int(number)
            return None
        value = value * 10 + int(number)
    return value


def dominant_script(text: str) -> str | None:
    """The script most letters are written in: `Arab`, `Ethi`, `Cyrl` or `Latn`; None if no letters."""
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("ARABIC"):
            script = "Arab"
        elif name.startswith("ETHIOPIC"):
            script = "Ethi"
        elif name.startswith("CYRILLIC"):
            script = "Cyrl"
        elif name.startswith("LATIN"):
            script = "Latn"
        else:
            continue
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda key: counts[key])


def plain_latin(name: str) -> str:
    """A name in Latin letters without accents (Súdwest-Fryslân, Soranî), others as they are.

    A place or language name with one accent the GSM-7 alphabet lacks would make a whole Dutch or
    English SMS UCS-2 (one SMS becomes three); other scripts keep their marks (Лейден is not Леиден).
    """
    if dominant_script(name) != "Latn":
        return name
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
