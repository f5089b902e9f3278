"""One message's text, read once: what the engine and its input handlers decide on."""

from __future__ import annotations

from dataclasses import dataclass

from samen_sms.content.languages import language_scores, ranked
from samen_sms.content.text import digit_value, dominant_script, fold, strip_edges


@dataclass(frozen=True)
class Said:
    """One message's text, read once: folded words, the whole message, a digit, the script, likely languages.

    The engine and its input handlers decide on these; nothing here leaves the step that reads it.
    """

    raw: str
    folded: str
    words: tuple[str, ...]
    whole: str
    digit: int | None
    script: str | None
    scores: tuple[tuple[str, float], ...] = ()  # how much letters, words and Lingua point to each language

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages the letters and words point to, the most likely first."""
        return ranked(dict(self.scores))

    @classmethod
    def read(cls, text: str) -> Said:
        """Fold, split and classify a message's text (the one place this happens per message)."""
        folded = fold(text)
        found = tuple(word for word in (strip_edges(raw) for raw in folded.split()) if word)
        script = dominant_script(text)
        digit = digit_value(text)
        scores = language_scores(text, script, found) if digit is None else {}
        return cls(text, folded, found, " ".join(found), digit, script, tuple(scores.items()))

    @property
    def blank(self) -> bool:
        """No text at all (a voice note or photo alone)."""
        return not self.raw.strip()
