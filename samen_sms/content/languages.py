"""Which language a first message is likely in, and the language menu: its order and its two pages.

Five languages share Arabic letters (Arabic, Farsi, Dari, Pashto, Sorani), two Ge'ez (Tigrinya,
Amharic) and two Cyrillic (Ukrainian, Russian). Letters only some of them use (Pashto's ټ ډ ړ ښ,
Sorani's ڕ ڵ ۆ ێ ە, the Persian پ چ ژ گ that Arabic lacks, Ukrainian's і ї є ґ against Russian's ы
э ъ ё) and a few common words tell them apart; what nothing tells apart keeps the flow's order,
so a wrong guess costs the reader one digit. A word two languages write counts for both: `i` is
English "I" and Somali "me", so "walaashay ayaa i soo dirtay" is Somali by its other words and
"i am scared" English: on a tie, the language listed first here wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from samen_sms.content.detector import confidences
from samen_sms.content.text import fold

# Dari has no CLDR locale of its own: CLDR (and so Babel, for dates) calls it Persian of Afghanistan.
CLDR_LOCALES = {"prs": "fa_AF"}
# The digit that shows the second page of the language menu.
MORE_DIGIT = 9
# The first page: the guessed language and the others of its script, filled up to six languages.
FIRST_PAGE = 6
# A hint that starts with this names the second page of the menu the rest of the hint ordered.
SECOND_PAGE = "+"
# What Lingua's confidence in a language (0..1) weighs beside a word of its own (2) or a letter (1),
# per script: less in Arabic letters, where its two models (Arabic, Persian) stand for five languages.
LINGUA = {"Latn": 3.0, "Cyrl": 3.0, "Arab": 1.5}
# Lingua's models say little about a word or two: its weight grows from nothing at four letters
# ("سلام" says its script, no more) to full at twelve.
LINGUA_LETTERS = (4, 12)


@dataclass(frozen=True)
class Marks:
    """What points to one language: letters only it (or few others) writes, words, word endings."""

    script: str
    letters: str = ""
    foreign: str = ""  # letters the language does not write: one of them rules it out
    words: tuple[str, ...] = ()
    endings: tuple[str, ...] = ()


_PASHTO = "ټډړښږځڅګڼېۍ"
_SORANI = "ڕڵۆێەڤ"
_PERSIAN = "پچژگ"
_ARABIC = "ةىيك"  # Arabic keyboards' forms; Persian keyboards write ی and ک
_PERSIAN_KEYBOARD = "یک"  # what Persian, Pashto and Sorani keyboards write for Arabic's ي and ك
_TIGRINYA = "ቐቑቒቓቔቕቖቘቚቛቜቝኸኹኺኻኼኽኾዀዂዃዄዅኣሓ"
_AMHARIC = "አሐ"  # where Tigrinya writes ኣ and ሓ
MARKS: Mapping[str, Marks] = {
    "ar": Marks(
        "Arab",
        _ARABIC + "ثذضظ",
        _PASHTO + _SORANI + _PERSIAN,
        ("اريد", "أريد", "احتاج", "أحتاج", "مرحبا", "اهلا", "أهلا", "مساعدة", "ساعدني", "كيف", "ماذا", "هل", "انا",
         "أنا", "لو", "سمحت", "شكرا", "معلومات", "عندي", "الى", "إلى", "عليكم",
         "شو", "اعمل", "بدي", "وين", "حدا", "خايفة", "جوزي", "ارجوكم", "زوجي", "خائفة", "من", "في", "أين", "اين",
         "فضلك", "يوجد"),
    ),
    "fa": Marks(
        "Arab",
        _PERSIAN + _PERSIAN_KEYBOARD,
        _PASHTO + _SORANI,
        ("است", "هست", "هستم", "میخواهم", "می‌خواهم", "خواهش", "ممنون", "مرسی", "چطوری", "اطلاعات", "درود",
         "پلیس", "پزشک", "شهرداری", "کودکان", "هلند", "لطفا", "دارم", "کجا", "چی", "کمک",
         "میخوام", "نمیدونم", "میتونم", "چیکار", "منو", "خونه", "دکتر", "بکنم", "راهنماییم", "همسرم", "میخونه", "رو"),
    ),
    "prs": Marks(
        "Arab",
        _PERSIAN + _PERSIAN_KEYBOARD,
        _PASHTO + _SORANI,
        ("استم", "استی", "استین", "استید", "تشکر", "داکتر", "پولیس", "شاروالی", "اطفال", "هالند", "ضرورت",
         "معلومات", "میخواهم", "می‌خواهم", "دارم", "کجا", "چی", "کمک", "جان", "مهربانی",
         "مه", "مره", "استه", "میتانم", "نمیفامم", "میفامم", "کده", "شفاخانه", "گپ", "اولاد", "اولادهایم", "رهنمایی",
         "کنین", "ببخشین", "بسیار"),
    ),
    "ps": Marks(
        "Arab",
        _PASHTO + _PERSIAN + _PERSIAN_KEYBOARD,
        _SORANI,
        ("زه", "یم", "غواړم", "مرسته", "ستړي", "شئ", "څنګه", "مننه", "معلومات", "کې",
         "ویرېږم", "ویریږم", "وروره", "ورور", "پولیسو", "ته", "څه", "وکړم", "چېرته", "کې", "غوارم", "ښه", "مهرباني"),
    ),
    "ckb": Marks(
        "Arab",
        _SORANI + _PERSIAN + _PERSIAN_KEYBOARD,
        _PASHTO + "ةثذضظ",
        ("سڵاو", "چۆنی", "چۆنن", "باشم", "سوپاس", "دەمەوێت", "یارمەتی", "زانیاری", "پێویستم", "هەیە", "کوێ",
         "باشم", "تکایە", "دەترسم", "من", "لە", "بکەم", "چی", "دکتۆر", "منداڵەکانم"),
    ),
    "ti": Marks(
        "Ethi",
        _TIGRINYA,
        "",
        ("ከመይ", "ኣለኹም", "ኣለኹ", "ኣለኽን", "ኣሎ", "ደሓን", "ሓገዝ", "ደልየ", "እየ", "የቐንየለይ", "ሓበሬታ", "ኣበይ",
         "እንታይ", "ይደሊ", "ይኽእል", "ክሕግዘኒ",
         "እዩ", "ኣሎ", "ፈሪሐ", "ሓኪም", "ኣብ", "ሰብ", "ዶ", "በጃኹም"),
        ("ኹም", "ኽን", "ኒ"),
    ),
    "am": Marks(
        "Ethi",
        _AMHARIC,
        "ቐቑቒቓቔቕቖ",
        ("ጤና", "ይስጥልኝ", "እንደምን", "ነህ", "ነሽ", "ነዎት", "እርዳታ", "እፈልጋለሁ", "አለ", "ምን", "እባክዎ", "እባክህ",
         "እባክሽ", "መረጃ", "አመሰግናለሁ", "የት", "አለብኝ", "አለኝ",
         "ነው", "ናችሁ", "አንድ", "ውስጥ", "ደህና", "ሐኪም", "ልጆቼ", "ቤት", "አይደለሁም", "እባካችሁ", "ፈርቻለሁ", "አለ"),
        ("ለሁ", "ኛል", "ኝ"),
    ),
    "uk": Marks(
        "Cyrl",
        "іїєґ'ʼ",
        "ыэъё",
        ("привіт", "вітаю", "допомога", "допоможіть", "що", "як", "мені", "потрібна", "дякую", "будь",
         "ласка", "інформація", "де",
         "лікар", "лікаря", "добрий", "доброго", "ранку", "робити", "добре", "вечір", "зустріч", "питання", "мені",
         "чоловік", "можна", "хтось", "немає"),
    ),
    "ru": Marks(
        "Cyrl",
        "ыэъё",
        "іїєґ",
        ("привет", "здравствуйте", "помощь", "помогите", "что", "как", "мне", "нужна", "нужно", "спасибо",
         "пожалуйста", "информация", "где",
         "врач", "врача", "можно", "кто", "есть", "позвонить", "меня", "муж", "мужа", "делать", "встреча", "вопрос",
         "добрый", "утро"),
    ),
    "nl": Marks(
        "Latn",
        "",
        "",
        ("hallo", "hoi", "goedemorgen", "goedemiddag", "goedenavond", "ik", "heb", "hulp", "nodig", "wil",
         "graag", "informatie", "alstublieft", "wat", "waar", "hoe", "een", "het",
         "help", "dank", "bedankt", "dokter", "huisarts", "politie", "bang", "mijn", "niet", "aub", "bijeenkomst",
         "bijeenkomsten", "nu", "voor", "kan", "ben"),
    ),
    "en": Marks(
        "Latn",
        "",
        "",
        ("hello", "hi", "hey", "help", "need", "please", "i", "i'm", "want", "information", "good", "morning",
         "evening", "what", "where", "how", "the", "can",
         "thanks", "thank", "you", "scared", "doctor", "my", "is", "am", "there", "anyone", "sorry"),
    ),
    "tr": Marks(
        "Latn",
        "şğı",
        "",
        ("merhaba", "selam", "yardım", "yardim", "bilgi", "istiyorum", "nasıl", "lütfen", "var", "mı",
         "nerede", "acil", "günaydın",
         "doktor", "korkuyorum", "teşekkürler", "ne", "zaman", "yok", "değilim", "kocam", "yapabilirim", "sağol",
         "polis", "lazım", "edin"),
    ),
    "so": Marks(
        "Latn",
        "",
        "",
        ("salaan", "salaam", "nabad", "iska", "waran", "caawin", "caawimaad", "caawi", "waxaan", "rabaa",
         "baahanahay", "macluumaad", "sidee", "mahadsanid", "haa", "i", "ii", "iga", "igu", "aniga", "ayaa", "waa",
         "iyo", "wuxuu", "waxay",
         "fadlan", "waan", "baqayaa", "ninkayga", "dhakhtar", "booliis", "xagee", "maxaan", "shirka", "goorma", "ma",
         "ka"),
        ("kayga", "keyga", "tayda", "teyda"),  # my: ninkeyga, hooyadayda
    ),
    "fr": Marks(
        "Latn",
        "çœêâîôûëï",
        "",
        ("bonjour", "salut", "bonsoir", "je", "besoin", "aide", "d'aide", "j'ai", "voudrais", "informations",
         "merci", "comment", "où", "s'il", "vous", "plaît", "est-ce", "suis",
         "médecin", "police", "peur", "mes", "mon", "mari", "enfants", "ont", "quoi", "aidez", "faire", "merci",
         "coucou"),
    ),
    "es": Marks(
        "Latn",
        "ñ¿¡áíóú",
        "",
        ("hola", "buenos", "buenas", "días", "necesito", "ayuda", "quiero", "información", "gracias", "por",
         "favor", "cómo", "dónde", "estoy", "tengo", "puedo",
         "médico", "miedo", "esposo", "marido", "qué", "hago", "hacer", "mi", "policía", "ayúdenme", "sé", "noches",
         "tardes"),
    ),
}
# Folded once, as message words are, so "Здравствуйте" and "dónde" match however they are typed.
_WORDS = {locale: frozenset(fold(word) for word in marks.words) for locale, marks in MARKS.items()}
_ENDINGS = {locale: tuple(fold(ending) for ending in marks.endings) for locale, marks in MARKS.items()}


def language_scores(raw: str, script: str | None, folded_words: Iterable[str]) -> dict[str, float]:
    """How much the message's letters, words and Lingua's models point to each language of `script`.

    A word counts two, a marking letter one, Lingua's confidence (0..1, for the languages it knows)
    up to `LINGUA`; a letter a language does not write rules it out. Languages without evidence
    are left out: the menu's order fills in the rest.
    """
    if script is None:
        return {}
    said = list(folded_words)
    letters = set(raw.lower())
    lingua = confidences(raw, script) if sum(len(word) for word in said) > LINGUA_LETTERS[0] else {}
    low, full = LINGUA_LETTERS
    share = (sum(len(word) for word in said) - low) / (full - low)
    weight = LINGUA.get(script, 0.0) * min(1.0, max(0.0, share))
    scores: dict[str, float] = {}
    for locale, marks in MARKS.items():
        if marks.script != script or letters & set(marks.foreign):
            continue
        score: float = sum(1 for ch in raw.lower() if ch in marks.letters)
        score += 2 * sum(1 for word in said if word in _WORDS[locale])
        if _ENDINGS[locale]:
            score += sum(1 for word in said if word not in _WORDS[locale] and word.endswith(_ENDINGS[locale]))
        score += weight * lingua.get(locale, 0.0)
        if score > 0:
            scores[locale] = score
    return scores


def ranked(scores: Mapping[str, float]) -> tuple[str, ...]:
    """The languages of `scores`, the likeliest first; on a tie, the one listed first in `MARKS`."""
    order = list(MARKS)
    return tuple(sorted(scores, key=lambda loc: (-scores[loc], order.index(loc) if loc in order else len(order))))


def likely_languages(raw: str, script: str | None, folded_words: Iterable[str]) -> tuple[str, ...]:
    """Languages of `script` the message points to, the most likely first; () when nothing tells."""
    return ranked(language_scores(raw, script, folded_words))


def cldr_locale(code: str) -> str:
    """The CLDR locale (Babel's) for one of the line's language codes."""
    return CLDR_LOCALES.get(code, code)


def language_order(languages: Sequence[str], scripts: Mapping[str, str], hint: str | None) -> list[str]:
    """Every offered language, as the menu lists them: the hinted language, then the rest of its script.

    `hint` is a language code (a keyword's or the letters' guess) or a script (`Arab`, `Latn`, ...).
    """
    order = list(languages)
    if not hint:
        return order
    first = [hint] if hint in scripts else []
    script = scripts.get(hint, hint)
    first += [loc for loc in order if scripts[loc] == script and loc not in first]
    return first + [loc for loc in order if loc not in first]


@dataclass(frozen=True)
class LanguageMenu:
    """One page of the language menu: the languages numbered 1, 2, ..., and the next page's hint."""

    shown: tuple[str, ...]
    more: str | None = None  # the hint that shows the other languages (digit 9); None: all are here

    def choice(self, number: int | None) -> str | None:
        """The language a digit picks on this page, or None."""
        if number is not None and 1 <= number <= len(self.shown):
            return self.shown[number - 1]
        return None


def language_menu(languages: Sequence[str], scripts: Mapping[str, str], hint: str | None) -> LanguageMenu:
    """The page of the language menu a hint shows (a hint starting with `+`: the second page).

    The first page holds the guessed script's languages, filled up to six; `9` shows the others.
    Fifteen names on one screen cost a Dutch reader four SMS; two pages cost at most three each.
    """
    second = bool(hint) and str(hint).startswith(SECOND_PAGE)
    base = str(hint)[len(SECOND_PAGE) :] if second else hint
    order = language_order(languages, scripts, base or None)
    if len(order) <= MORE_DIGIT:
        return LanguageMenu(tuple(order))
    run = next((i for i, loc in enumerate(order) if scripts[loc] != scripts[order[0]]), len(order))
    size = min(max(run, FIRST_PAGE), MORE_DIGIT - 1)
    if second:
        return LanguageMenu(tuple(order[size:]))
    return LanguageMenu(tuple(order[:size]), SECOND_PAGE + (base or ""))


def language_menu_text(choose: str, names: Sequence[str], more: str | None, footer: str) -> str:
    """The language menu as sent: the question, each name by its digit, `9` for more, the footer."""
    lines = [choose, *(f"{i} {name}" for i, name in enumerate(names, 1))]
    if more is not None:
        lines.append(f"{MORE_DIGIT} {more}")
    lines.append(footer)
    return "\n".join(lines)


def greeting_line(greeting: str, statement: str) -> str:
    """One language's greeting on a first reply: the hello and the automatic-line statement."""
    return f"{greeting} {statement}"
