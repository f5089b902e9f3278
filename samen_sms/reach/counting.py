"""What one inbound message adds to the anonymous reach figures: fields of the day's counts, never a person.

The webhook's message hook gathers every field an outcome counts (a first contact by channel and
code, the language chosen, screens opened, a place lookup by safety region, an opt-in or out, an
RSVP) and queues them as one command on the webhook's own MULTI/EXEC (`core.tally.count`).
"""

from __future__ import annotations

import time
from typing import assert_never

from samen_sms.content.effects import (
    Erase,
    HandoverAsked,
    HandoverClosed,
    HandoverDropped,
    HandoverOpened,
    HandoverRelayed,
    LanguageChosen,
    OptIn,
    OptOutAnnouncements,
    Reached,
    Rsvp,
    Start,
    Stop,
)
from samen_sms.content.flow import LANGUAGE_NODE_TYPE
from samen_sms.content.replies import Menu, Organisations, Services
from samen_sms.core import tally
from samen_sms.line.registry import Change

UNKNOWN = "unknown"


def fields(change: Change) -> tuple[list[str], tuple[str, str] | None]:
    """The fields one outcome counts, and (code, pseudonym) when it reached someone through a code."""
    out: list[str] = []
    reached: tuple[str, str] | None = None
    for effect in change.outcome.effects:
        match effect:
            case Reached(new=new, code=code):
                if new:
                    out.append(f"first:{change.address.channel.value}")
                if code:
                    out.append(f"code:{code}")
                    reached = (code, change.pseudonym)
            case LanguageChosen(locale):
                out.append(f"language:{locale}")
            case OptIn(region=region):
                out.append(f"opted_in:{region}")
            case OptOutAnnouncements() | Stop():
                out.append("opted_out")
            case Rsvp(session_id=session_id):
                out.append(f"replied:{session_id}")
            case Start() | Erase():
                pass  # a restart counts nothing; an erasure is counted alone, by `count_erasure`
            case HandoverAsked() | HandoverDropped() | HandoverOpened() | HandoverRelayed() | HandoverClosed():
                pass  # the hand-over counts its conversations itself (handover.conversations.figures)
            case _:
                assert_never(effect)
    out += screens(change)
    return out, reached


def screens(change: Change) -> list[str]:
    """Screens opened (not the main menu or language menu) and place lookups by safety region."""
    content = change.content
    if content is None:
        return []
    out = []
    for reply in change.outcome.replies:
        match reply:
            case Menu(name) if name != content.flow.main and content.flow.nodes[name].type != LANGUAGE_NODE_TYPE:
                out.append(f"screen:{name}")
            case Services(code):
                place = content.places.by_code.get(code)
                out.append(f"region:{place.region_code if place else UNKNOWN}")
            case Organisations(region):
                out.append(f"region:{region or UNKNOWN}")
    return out


def count_message(change: Change) -> None:
    """Message hook: queue the message's counts on the webhook's transaction (one command, if any)."""
    names, reached = fields(change)
    tally.count(change.pipe, names, time.time(), reached)


def count_erasure(change: Change, effect: Erase) -> None:
    """An erasure is counted as a number only (the person's other counts were never theirs)."""
    tally.count(change.pipe, ["erase"], time.time())


def counted_by_hook(change: Change, effect: Reached | LanguageChosen) -> None:
    """Reached and LanguageChosen are counted by `count_message`, together with the rest, in one command."""
