"""`python -m samen_sms.authoring.langcheck`: is free text answered in the language it is written in?

Every message of the corpus (`data/language-corpus.txt`, one labelled message a line) is sent to
the engine as a stranger's first message; the language of the first reply is compared with the
label. Printed per language, apart for messages of three words or more and of one or two words
(short ones say less about their language): the share answered right, and with `--misses` the
messages that were not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.core.identity import Channel

# The shares each language must reach (tests/test_detect.py holds every language to them).
LONG_TARGET = 0.95
SHORT_TARGET = 0.85
# From this many words on a message counts as long.
LONG_WORDS = 3
CORPUS = "language-corpus.txt"


@dataclass(frozen=True)
class Sample:
    """One message of the corpus and the language it is written in."""

    locale: str
    text: str


@dataclass
class Score:
    """How many of a language's messages were answered in it, long and short apart."""

    long_right: int = 0
    long_total: int = 0
    short_right: int = 0
    short_total: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)  # (message, language answered)

    @property
    def long_share(self) -> float:
        return self.long_right / self.long_total if self.long_total else 1.0

    @property
    def short_share(self) -> float:
        return self.short_right / self.short_total if self.short_total else 1.0

    @property
    def meets_targets(self) -> bool:
        """Whether both shares reach the targets."""
        return self.long_share >= LONG_TARGET and self.short_share >= SHORT_TARGET


def read_corpus(path: Path) -> list[Sample]:
    """The corpus's messages: `code<whitespace>message` a line; `#` lines and blank lines skipped."""
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        locale, _, text = line.partition("\t")
        if not text.strip():
            raise ValueError(f"{path.name}:{number}: expected a language code, a tab and a message")
        samples.append(Sample(locale.strip(), text.strip()))
    return samples


def first_reply_language(content: Content, text: str) -> str:
    """The language of the line's first reply to a stranger's first message."""
    return step(content, Visit(), Message.of(text, Channel.SMS)).reply_locale


def measure(content: Content, samples: Iterable[Sample]) -> dict[str, Score]:
    """Per language, how many first replies come in the language the message is written in."""
    scores: dict[str, Score] = {loc: Score() for loc in content.flow.languages}
    for sample in samples:
        if sample.locale not in scores:
            raise ValueError(f"the corpus labels a message {sample.locale!r}, which the line does not offer")
        score = scores[sample.locale]
        answered = first_reply_language(content, sample.text)
        right = answered == sample.locale
        if len(Message.of(sample.text, Channel.SMS).said.words) >= LONG_WORDS:
            score.long_total += 1
            score.long_right += right
        else:
            score.short_total += 1
            score.short_right += right
        if not right:
            score.misses.append((sample.text, answered))
    return scores


def table(scores: Mapping[str, Score]) -> list[str]:
    """The per-language table, one line per language, then the targets."""
    lines = [f"{'lang':<5} {'3+ words':>14} {'1-2 words':>14}  ok"]
    for loc, s in scores.items():
        long_cell = f"{s.long_right}/{s.long_total} {s.long_share:>4.0%}"
        short_cell = f"{s.short_right}/{s.short_total} {s.short_share:>4.0%}"
        lines.append(f"{loc:<5} {long_cell:>14} {short_cell:>14}  {'yes' if s.meets_targets else 'NO'}")
    lines.append(f"targets: {LONG_TARGET:.0%} of messages of {LONG_WORDS}+ words, {SHORT_TARGET:.0%} of 1-2 words")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the per-language table; exit 1 if a language misses a target."""
    from samen_sms.content.loader import load_content
    from samen_sms.core.config import Config

    parser = argparse.ArgumentParser(
        prog="python -m samen_sms.authoring.langcheck",
        description="Per language, the share of the corpus's first messages answered in their own language.",
    )
    parser.add_argument("--corpus", type=Path, help="the labelled messages (default: data/language-corpus.txt)")
    parser.add_argument("--misses", action="store_true", help="also list each message answered in another language")
    args = parser.parse_args(argv)
    cfg = Config.from_env({"SAMEN_ENV": "development"})
    content = load_content(cfg)
    scores = measure(content, read_corpus(args.corpus or cfg.data_dir / CORPUS))
    print("\n".join(table(scores)))
    if args.misses:
        for loc, s in scores.items():
            for text, answered in s.misses:
                print(f"{loc} -> {answered}: {text}")
    return 0 if all(s.meets_targets for s in scores.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
