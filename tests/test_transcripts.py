"""Golden transcripts: what a person types and, exactly, what the line answers (engine and renderer)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from samen_sms.content.engine import Message, Visit, step
from samen_sms.content.loader import load_content
from samen_sms.content.render import Renderer, line_params
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))
# Between two messages of one reply (share: the text to forward goes alone).
NEXT_MESSAGE = "\n---\n"


@dataclass
class Turn:
    said: str
    expected: str


def parse(path: Path) -> tuple[Channel, list[Turn]]:
    channel = Channel.SMS
    turns: list[Turn] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("channel:"):
            channel = Channel(line.split(":", 1)[1].strip())
        elif line.startswith("> "):
            turns.append(Turn(line[2:], ""))
        elif line.startswith("<"):
            turns[-1].expected += line[2:] + "\n"
        else:
            raise ValueError(f"{path.name}: cannot read line {line!r}")
    return channel, turns


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env(
        {
            "SAMEN_ENV": "development",
            "TWILIO_SMS_FROM": "+447700900000",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001",
        }
    )
    return Renderer(load_content(cfg), line_params(cfg.twilio_sms_from, cfg.twilio_whatsapp_from))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, renderer: Renderer) -> None:
    channel, turns = parse(path)
    assert turns, f"{path.name} has no turns"
    visit = Visit()
    for number, turn in enumerate(turns, 1):
        outcome = step(renderer.content, visit, Message.of(turn.said, channel))
        got = NEXT_MESSAGE.join(renderer.render_messages(outcome.reply_locale, outcome.replies, channel))
        assert got == turn.expected.rstrip("\n"), f"{path.name}, turn {number} ({turn.said!r})"
        visit = Visit(outcome.node, outcome.locale, outcome.hint)
