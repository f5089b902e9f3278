"""The statistical part of telling a message's language: Lingua's models, for the languages they know.

Lingua (lingua-language-detector) is built for short text and knows ten of the line's fifteen
languages: Dutch, English, Arabic, Persian, Turkish, Ukrainian, Russian, Somali, French and
Spanish. Dari is Persian to it (its confidence for Persian counts for both); it has no model for
Pashto, Sorani, Tigrinya or Amharic, which the letters and words in `languages.MARKS` tell apart.

One detector per script, built on first use with only that script's languages, in Lingua's low
accuracy mode (trigram models only): about 40 MB in memory and well under a millisecond a message
once loaded (the first message loads the models, about 0.1 s), where the high accuracy mode takes
some 250 MB and over a second to load; with the line's own words in `MARKS` beside it, the low
mode reaches the targets (`python -m samen_sms.authoring.langcheck`). Pure: no I/O but reading
the models that ship inside the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# The line's language codes Lingua knows, by script, and what Lingua calls them.
KNOWN: Mapping[str, Mapping[str, Language]] = {
    "Latn": {
        "nl": Language.DUTCH,
        "en": Language.ENGLISH,
        "tr": Language.TURKISH,
        "so": Language.SOMALI,
        "fr": Language.FRENCH,
        "es": Language.SPANISH,
    },
    "Cyrl": {"uk": Language.UKRAINIAN, "ru": Language.RUSSIAN},
    "Arab": {"ar": Language.ARABIC, "fa": Language.PERSIAN},
}
# A word in each script, read once at start so the models are in memory before a person writes.
WARM_UP = {"Latn": "hallo", "Cyrl": "привет", "Arab": "مرحبا"}
# Languages Lingua has no model of that its model of another stands for.
SAME_MODEL = {"prs": "fa"}


@cache
def _detector(script: str) -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*KNOWN[script].values()).with_low_accuracy_mode().build()


def confidences(text: str, script: str) -> dict[str, float]:
    """Lingua's confidence (0..1, summing to 1 or 0) for each line language of `script` it knows; {} for others."""
    known = KNOWN.get(script)
    if not known:
        return {}
    values = {value.language: value.value for value in _detector(script).compute_language_confidence_values(text)}
    found = {code: values.get(language, 0.0) for code, language in known.items()}
    found.update({code: found[model] for code, model in SAME_MODEL.items() if model in found})
    return found


def warm() -> None:
    """Load every script's models now: the web calls it at start, so no person's first message waits for them."""
    for script, sample in WARM_UP.items():
        _detector(script).compute_language_confidence_values(sample)  # Lingua reads its models on first use
