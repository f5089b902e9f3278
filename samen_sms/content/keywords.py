"""Keywords of every language, folded once at start: which action a message names, in which language.

Three kinds of words live in each catalogue's `[keywords]`:
- most actions count as a message's first word ("help me" is help), and help also among its first
  few words ("I need help"), so a survivor who writes a sentence still gets help now;
- stop, start and delete count only as the whole message ("stop hitting me" is not an opt-out);
- danger words (kill, knife, ...) count anywhere in the message: they lead to help now at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.flow import WHOLE_MESSAGE_ACTIONS, Flow, WholeMessage
from samen_sms.content.said import Said
from samen_sms.content.text import words

# Words that count anywhere in a message.
ANYWHERE_ACTIONS = frozenset({"danger"})
HELP_ACTION = "help"
# How far into a message a help word still counts ("I really need help now": the fourth word).
HELP_WITHIN = 4
# What joins a help word to another in one written word: French "aidez-moi", "besoin d'aide".
_JOINS = re.compile(r"[-']")
# The language of a language-neutral keyword (the line's own hello, which no catalogue owns).
NEUTRAL = ""

Hit = tuple[str, str]  # (action, language of the keyword; NEUTRAL for the line's own hello)
WholeHit = tuple[WholeMessage, str]  # (whole-message action, language of the keyword)


@dataclass(frozen=True)
class Lexicon:
    """Every keyword of every language, folded, with the action it means and the languages that use it."""

    first_word: Mapping[str, Hit]
    whole: Mapping[str, WholeHit]
    anywhere: Mapping[tuple[str, ...], Hit]
    owners: Mapping[str, frozenset[str]]
    danger_owners: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    asks: frozenset[str] = frozenset()  # stop words that are everyday words too: asked about first
    # The danger phrases ranked by their place in `anywhere` (phrase -> (rank, language)), and the
    # lengths in words that occur: a message is read in a few dictionary lookups.
    _ranked: Mapping[tuple[str, ...], tuple[int, str]] = field(init=False, repr=False, compare=False)
    _sizes: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranked = {phrase: (rank, hit[1]) for rank, (phrase, hit) in enumerate(self.anywhere.items())}
        object.__setattr__(self, "_ranked", ranked)
        object.__setattr__(self, "_sizes", tuple(sorted({len(phrase) for phrase in ranked})))

    @classmethod
    def build(cls, flow: Flow, catalogues: Mapping[str, Catalogue]) -> Lexicon:
        """Fold every catalogue's keywords; where two languages share a word, the first in the flow names it."""
        first: dict[str, Hit] = {}
        whole: dict[str, WholeHit] = {}
        anywhere: dict[tuple[str, ...], Hit] = {}
        owners: dict[str, set[str]] = {}
        danger_owners: dict[tuple[str, ...], set[str]] = {}
        for locale in flow.languages:
            for action, keywords in catalogues[locale].keywords.items():
                for keyword in keywords:
                    folded = tuple(words(keyword))
                    if not folded:
                        continue
                    if action in ANYWHERE_ACTIONS:
                        anywhere.setdefault(folded, (action, locale))
                        danger_owners.setdefault(folded, set()).add(locale)
                        continue
                    joined = " ".join(folded)
                    if action in WHOLE_MESSAGE_ACTIONS:
                        # A whole-message word written with a join is also typed without it: "oubliez moi".
                        spaced = " ".join(words(_JOINS.sub(" ", keyword)))
                        for form in {joined, spaced}:
                            owners.setdefault(form, set()).add(locale)
                            whole.setdefault(form, (WholeMessage(action), locale))
                    else:
                        owners.setdefault(joined, set()).add(locale)
                        first.setdefault(joined, (action, locale))
        asks = frozenset(" ".join(words(word)) for loc in flow.languages for word in catalogues[loc].ask_first)
        hello = " ".join(words(flow.hello))
        first[hello] = ("menu", NEUTRAL)
        owners[hello] = set(flow.languages)
        return cls(
            first,
            whole,
            anywhere,
            {word: frozenset(locs) for word, locs in owners.items()},
            {phrase: frozenset(locs) for phrase, locs in danger_owners.items()},
            asks,
        )

    def lookup(self, said: Said) -> Hit | None:
        """The action the whole message or its first word names, if any, and its likeliest language.

        Where languages share the word (سلام: Arabic, Farsi, Dari, Pashto), the one the message's
        letters point to (`Said.languages`) is its language; else the first in the flow.
        """
        key = said.whole if said.whole in self.whole else (said.words[0] if said.words else "")
        hit = self.whole.get(key) if key == said.whole and key in self.whole else self.first_word.get(key)
        if hit is None or hit[1] == NEUTRAL:
            return hit
        owners = self.owners.get(key, frozenset())
        likeliest = next((loc for loc in said.languages if loc in owners), hit[1])
        return hit[0], likeliest

    def help_within(self, said: Said) -> str | None:
        """The language of a help word among the message's first few words, else None."""
        for word in said.words[:HELP_WITHIN]:
            for part in (word, *_JOINS.split(word)):
                hit = self.first_word.get(part)
                if hit and hit[0] == HELP_ACTION:
                    return hit[1]
        return None

    def danger(self, said: Said) -> str | None:
        """The language of a danger word or phrase anywhere in the message, else None.

        Where a message holds several, the one listed first (by the flow's language order) names
        the language. Every run of the message's words of a phrase's length is looked up, so a
        message costs a few dictionary lookups, not a pass over every language's list.
        """
        found = said.words
        best: tuple[int, str] | None = None
        for size in self._sizes:
            for i in range(len(found) - size + 1):
                hit = self._ranked.get(found[i : i + size])
                if hit is not None and (best is None or hit < best):
                    best = hit
        return best[1] if best else None

    def danger_languages(self, said: Said) -> list[frozenset[str]]:
        """For each danger word or phrase in the message, the languages that list it."""
        found = said.words
        return [
            self.danger_owners.get(found[i : i + size], frozenset())
            for size in self._sizes
            for i in range(len(found) - size + 1)
            if found[i : i + size] in self._ranked
        ]

    def delete_within(self, said: Said) -> str | None:
        """The language of a delete word among a longer message's first few words ("delete my messages"), else None.

        Further in, a word such as Farsi پاک ("clean") is more likely the sentence's own.
        """
        if said.whole in self.whole:
            return None
        found = said.words[: HELP_WITHIN + 1]
        for size in (1, 2):
            for i in range(len(found) - size + 1):
                hit = self.whole.get(" ".join(found[i : i + size]))
                if hit is not None and hit[0] is WholeMessage.DELETE:
                    return hit[1]
        return None

    def shared(self, said: Said) -> bool:
        """Whether the keyword a message starts with is a Latin-letter word several languages write (MENU, SOS).

        Every phone's keyboard writes those, whatever its owner's language: they name no language.
        A shared word in another script (سلام, меню) still points to that script's languages.
        """
        key = said.whole if said.whole in self.owners else (said.words[0] if said.words else "")
        return len(self.owners.get(key, frozenset())) > 1 and said.script in (None, "Latn")

    def speaks(self, said: Said, locale: str) -> bool:
        """Whether the keyword a message starts with is one of `locale`'s own (or the line's neutral hello)."""
        key = said.whole if said.whole in self.owners else (said.words[0] if said.words else "")
        return locale in self.owners.get(key, frozenset({locale}))
