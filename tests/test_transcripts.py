"""Golden transcripts: what a person sends and, exactly, what the line answers and does.

A transcript (`tests/transcripts/*.txt`) is read line by line:

    # a comment                        kept as it is
    channel: whatsapp                  the channel of the messages that follow (default sms)
    visit: node=announce_reply hint=7 locale=en
                                       where the next message finds the person (each field optional;
                                       `visit:` alone is a stranger); as after an announcement, or
                                       when a conversation expired but the language is remembered
    limit: 3                           rate limit: above 3 messages (counted from here) one notice,
                                       then silence; `limit: 0` lifts it
    > Hulp!                            a message in; `> (voice note)` is a voice note without text
    < Hallo, ...                       the reply, one line each (`<` alone is an empty line)
    < (nothing)                        the line sends nothing
    < (next message)                   what follows arrives as a message of its own (share's text)
    = OptIn(region='VR09', channel=sms, how=d)
                                       an effect of the step, in the order the engine returned them

The runner drives the engine as the webhook does (`step(content, visit, Message(...))`), renders the
reply as the worker does, and carries the new state to the next message as the store would.
`pytest --update-transcripts` rewrites the `<` and `=` lines from what the engine now does, keeping
comments, directives and messages: for a deliberate change, then read the diff.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from samen_sms.content.effects import Effect
from samen_sms.content.engine import Message, Outcome, Visit, step
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.visits import next_visit, read_visit
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from tests.conftest import content_of

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))
VOICE_NOTE = "(voice note)"
NOTHING = "< (nothing)"
NEXT_MESSAGE = "< (next message)"


@dataclass
class Turn:
    """One message in, the state and settings it arrives with, and the lines expected back."""

    said: str
    media: int
    channel: Channel
    visit: Visit | None  # set by a `visit:` line just before this message, else carried on
    limit: int
    recent: int
    at: int  # index of the `>` line in the file
    expected: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    lines: list[str]  # the file's lines, expectations included
    turns: list[Turn]


def parse(path: Path) -> Transcript:
    """Read a transcript; an unreadable line is an error naming it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    channel, limit, recent = Channel.SMS, 0, 0
    visit: Visit | None = None
    turns: list[Turn] = []
    for index, line in enumerate(lines):
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("channel:"):
            channel = Channel(line.split(":", 1)[1].strip())
        elif line.startswith("visit:"):
            visit = parse_visit(path, line)
        elif line.startswith("limit:"):
            limit, recent = int(line.split(":", 1)[1]), 0
        elif line.startswith(">"):
            text = line[2:]
            recent += 1
            voice = text == VOICE_NOTE
            turns.append(Turn("" if voice else text, int(voice), channel, visit, limit, recent, index))
            visit = None
        elif line.startswith(("<", "=")) and turns:
            turns[-1].expected.append(line.rstrip())
        else:
            raise ValueError(f"{path.name}:{index + 1}: cannot read line {line!r}")
    return Transcript(lines, turns)


def parse_visit(path: Path, line: str) -> Visit:
    fields = dict(part.split("=", 1) for part in line.split(":", 1)[1].split())
    unknown = set(fields) - {"node", "hint", "locale"}
    if unknown:
        raise ValueError(f"{path.name}: visit has no field {', '.join(sorted(unknown))}")
    return read_visit(fields.get("node"), fields.get("locale"), fields.get("hint"))


def shown(effect: Effect) -> str:
    """An effect as a transcript line: `OptIn(region='VR09', channel=sms, how=d)`."""
    parts = []
    for f in dataclasses.fields(effect):
        value = getattr(effect, f.name)
        parts.append(f"{f.name}={value.value if isinstance(value, enum.Enum) else repr(value)}")
    return f"= {type(effect).__name__}({', '.join(parts)})"


def said_back(renderer: Renderer, outcome: Outcome, channel: Channel) -> list[str]:
    """What the person receives (each line prefixed `<`), then what else happens (`=`)."""
    if outcome.replies:
        lines = []
        for n, text in enumerate(renderer.render_messages(outcome.reply_locale, outcome.replies, channel)):
            lines += [NEXT_MESSAGE] if n else []
            lines += [f"< {line}".rstrip() for line in text.split("\n")]
    else:
        lines = [NOTHING]
    return lines + [shown(effect) for effect in outcome.effects]


def run(renderer: Renderer, transcript: Transcript) -> list[list[str]]:
    """Every turn's lines as the engine produces them now, the visit carried on as the store would."""
    visit = Visit()
    got = []
    for turn in transcript.turns:
        visit = turn.visit or visit
        message = Message.of(turn.said, turn.channel, turn.media, turn.recent if turn.limit else 0, turn.limit)
        outcome = step(renderer.content, visit, message)
        got.append(said_back(renderer, outcome, turn.channel))
        visit = next_visit(outcome)
    return got


def rewritten(transcript: Transcript, got: list[list[str]]) -> str:
    """The file with each message's expectations replaced by what the engine now does."""
    answers = {turn.at: lines for turn, lines in zip(transcript.turns, got, strict=True)}
    out: list[str] = []
    for index, line in enumerate(transcript.lines):
        if line.startswith(("<", "=")):
            continue
        out.append(line)
        out.extend(answers.get(index, []))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env(
        {
            "SAMEN_ENV": "development",
            "TWILIO_SMS_FROM": "+447700900000",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001",
        }
    )
    return Renderer(content_of(cfg), line_params(cfg.twilio_sms_from, cfg.twilio_whatsapp_from))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, renderer: Renderer, request: pytest.FixtureRequest) -> None:
    transcript = parse(path)
    assert transcript.turns, f"{path.name} has no turns"
    got = run(renderer, transcript)
    if request.config.getoption("--update-transcripts"):
        path.write_text(rewritten(transcript, got), encoding="utf-8")
        return
    for number, (turn, lines) in enumerate(zip(transcript.turns, got, strict=True), 1):
        where = f"{path.name}:{turn.at + 1}, message {number} ({turn.said or VOICE_NOTE!r})"
        assert lines == turn.expected, f"{where}; `pytest --update-transcripts` if the change is meant"


def test_a_changed_reply_fails_its_transcript(renderer: Renderer, tmp_path: Path) -> None:
    path = tmp_path / "changed.txt"
    path.write_text("visit: locale=en node=main\n> 1\n< Danger now? Call 911.\n", encoding="utf-8")
    transcript = parse(path)
    assert run(renderer, transcript)[0] != transcript.turns[0].expected
    path.write_text(rewritten(transcript, run(renderer, transcript)), encoding="utf-8")
    again = parse(path)
    assert run(renderer, again)[0] == again.turns[0].expected
    assert path.read_text(encoding="utf-8").startswith("visit: locale=en node=main\n> 1\n< Danger now? Call 112.")
