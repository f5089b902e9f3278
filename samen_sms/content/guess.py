"""The language of a first message, from everything it shows: letters, words, Lingua, keywords, the country code.

`Said` already weighs the letters, the words in `languages.MARKS` and Lingua's confidence. Here the
catalogues' keywords are added (a keyword several languages write counts a little for each), a
danger word counts much for the languages that list it (help now comes in that word's language
unless the rest of the message says another), and the country calling code of the sender's number
breaks a tie among the languages of the message's script ("ሰላም" from +251: Amharic; a voice note
from +963: Arabic first). The country code is read in the step and never stored.
Pure, no I/O. Measured by `python -m samen_sms.authoring.langcheck`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from samen_sms.content.keywords import Lexicon
from samen_sms.content.said import Said

# A keyword of one language weighs as a word of `languages.MARKS`; shared, it is split among them.
KEYWORD = 2.0
# A danger word: help now in its language, unless the rest of the message plainly says another.
DANGER = 10.0
# A language whose writers also use another's danger words: Dari writers write Farsi's (چاقو, تجاوز),
# which Dari's own list leaves to Farsi's; they count for Dari too, so Dari words beside them decide.
ALSO_WRITES: Mapping[str, tuple[str, ...]] = {"fa": ("prs",)}
# The sender's country: less than any word, so it only breaks ties and orders a menu with no evidence;
# its second language gets half, its third a third.
COUNTRY = 0.5
# Country calling codes (ITU E.164, as phonenumbers reads them) and the line's languages spoken
# there, the most spoken first: the countries newcomers come from (DOMAIN.md, "Languages").
COUNTRY_LANGUAGES: Mapping[str, tuple[str, ...]] = {
    "93": ("prs", "ps"),  # Afghanistan
    "98": ("fa",),  # Iran
    "963": ("ar", "ckb"),  # Syria (Kurmanji, the most spoken Kurdish there, is not offered)
    "964": ("ar", "ckb"),  # Iraq
    "967": ("ar",),  # Yemen
    "962": ("ar",),  # Jordan
    "961": ("ar",),  # Lebanon
    "20": ("ar",),  # Egypt
    "212": ("ar", "fr"),  # Morocco
    "216": ("ar", "fr"),  # Tunisia
    "213": ("ar", "fr"),  # Algeria
    "249": ("ar",),  # Sudan
    "90": ("tr",),  # Turkey
    "291": ("ti", "ar"),  # Eritrea
    "251": ("am", "ti", "so"),  # Ethiopia
    "252": ("so",),  # Somalia
    "380": ("uk", "ru"),  # Ukraine
    "7": ("ru",),  # Russia, Kazakhstan
    "375": ("ru",),  # Belarus
}
# Not listed: the Netherlands and the rest of Europe. Newcomers text from a Dutch or European SIM
# card whatever their language, so those numbers say nothing about it.


def first_languages(
    lexicon: Lexicon, languages: Sequence[str], scripts: Mapping[str, str], said: Said, country: str = ""
) -> tuple[str, ...]:
    """The offered languages a first message points to, the likeliest first; () when nothing does."""
    scores = dict(said.scores)
    for word in dict.fromkeys((*said.words, said.whole)):
        owners = lexicon.owners.get(word, frozenset())
        if 0 < len(owners) < len(languages):
            for locale in owners:
                scores[locale] = scores.get(locale, 0.0) + KEYWORD / len(owners)
    for owners in lexicon.danger_languages(said):
        writers = set(owners).union(*(ALSO_WRITES.get(locale, ()) for locale in owners))
        for locale in writers:
            scores[locale] = scores.get(locale, 0.0) + DANGER
    for rank, locale in enumerate(COUNTRY_LANGUAGES.get(country, ()), start=1):
        if locale in scripts and said.script in (None, scripts[locale]):
            scores[locale] = scores.get(locale, 0.0) + COUNTRY / rank
    offered = {loc: score for loc, score in scores.items() if loc in scripts and score > 0}
    flow_order = list(languages)
    # On a tie, the flow's order (its language menu's) decides.
    return tuple(sorted(offered, key=lambda loc: (-offered[loc], flow_order.index(loc))))
