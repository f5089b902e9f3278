"""Keywords: every language's words for each action, folded once, and which one a message means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.flow import Flow
from samen_sms.content.text import Said, words

# Keyword actions that only count as the whole message: "stop hitting me" is not an opt-out.
WHOLE_MESSAGE_ACTIONS = frozenset({"stop", "start", "delete"})


@dataclass(frozen=True)
class Lexicon:
    """Every keyword of every language, folded, with the action it means and its language."""

    first_word: Mapping[str, tuple[str, str]]
    whole: Mapping[str, tuple[str, str]]
    # Every language that has a keyword (سلام: Arabic, Farsi, Dari, Pashto), so the letters can choose.
    speakers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, flow: Flow, catalogues: Mapping[str, Catalogue]) -> Lexicon:
        first: dict[str, tuple[str, str]] = {}
        whole: dict[str, tuple[str, str]] = {}
        speakers: dict[str, tuple[str, ...]] = {}
        for locale in flow.languages:
            for action, keywords in catalogues[locale].keywords.items():
                for keyword in keywords:
                    folded = " ".join(words(keyword))
                    if not folded:
                        continue
                    table = whole if action in WHOLE_MESSAGE_ACTIONS else first
                    table.setdefault(folded, (action, locale))
                    if locale not in speakers.get(folded, ()):
                        speakers[folded] = (*speakers.get(folded, ()), locale)
        return cls(first, whole, speakers)

    def match(self, said: Said) -> tuple[str | None, str | None]:
        """The keyword action a message means and its language (the likeliest that has the word)."""
        found = self.whole.get(said.whole)
        word = said.whole
        if found is None and said.words:
            found, word = self.first_word.get(said.words[0]), said.words[0]
        if found is None:
            return None, None
        speakers = self.speakers.get(word, ())
        return found[0], next((loc for loc in said.languages if loc in speakers), found[1])
