"""The hand-over's types: a conversation, a helper, a text, and the few rules that read only them.

Shared by the console's API (`handover.conversations`) and the line's side (`handover.relay`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM

DAY = 24 * 3600
WHATSAPP_WINDOW = 24 * 3600 - 5 * 60  # Twilio's 24 hours, less a margin for a message in flight
CLOSED_NOTE = "person.closed"  # the catalogue message a person gets when a helper closes the conversation
DAYTIME = (8, 20)  # "only in the daytime": 08:00-20:00, Europe/Amsterdam
AFTER_I_WRITE = 3600  # "only right after I write": within the hour after the person's last message
COUNTS_KEPT = 400 * DAY
WAIT_BUCKETS = ((3600, "wait<1h"), (4 * 3600, "wait<4h"), (DAY, "wait<1d"))  # how long a conversation waited


class State(StrEnum):
    """Where a conversation is: waiting for a helper, or held by one."""

    WAITING = "waiting"
    HELD = "held"


class Ending(StrEnum):
    """How a conversation ended (counted by language for the overview; never per person)."""

    HELPER = "helper"  # the helper closed it
    PERSON = "person"  # the person sent the close word
    EXPIRED = "expired"  # no message for SAMEN_HANDOVER_RETENTION_DAYS
    DELETED = "deleted"  # the person sent the delete word


class Times(StrEnum):
    """When the person said a helper may write."""

    ANY = "any"
    DAYTIME = "day"
    AFTER_I_WRITE = "after"  # only in the hour after the person wrote


class Author(StrEnum):
    """Who wrote a text of a conversation."""

    PERSON = "person"
    HELPER = "helper"
    LINE = "line"  # a screen or directory entry the helper inserted, in the person's language


class Delivery(StrEnum):
    """What `write` did with a helper's text."""

    SENT = "sent"  # in the outbox, in order, with 112 under it
    # Held back: outside the times the person chose (daytime; only right after they write), or the
    # WhatsApp window is closed (a neutral template then invites a reply, if the times allow). Held
    # texts go, in order, when the person writes, or (daytime) at the first maintenance after 08:00.
    HELD = "held"


class NotYours(Exception):
    """The conversation is gone (closed, expired, erased) or held by another helper."""


@dataclass(frozen=True)
class Helper:
    """A helper as this room knows them: a console account id, the languages and regions they take."""

    account: str
    locales: frozenset[str]
    regions: frozenset[str] = frozenset()  # empty: every region


@dataclass(frozen=True)
class Conversation:
    """One handed-over conversation, without anything that names the person."""

    id: str
    locale: str
    channel: Channel
    region: str  # "" when not known
    state: State
    helper: str | None
    times: Times
    safe: bool  # the person said this phone is safe to receive messages on
    urgent: bool  # a danger word came during the conversation
    began: float
    last: float  # last message either way
    last_in: float  # the person's last message (the WhatsApp window runs from it)

    def window_open(self, now: float) -> bool:
        """Whether free text may reach the person now (always on SMS)."""
        return self.channel is not Channel.WHATSAPP or now - self.last_in < WHATSAPP_WINDOW

    def times_allow(self, now: float) -> bool:
        """Whether the person's chosen times let a message reach them now."""
        match self.times:
            case Times.ANY:
                return True
            case Times.DAYTIME:
                hour = datetime.fromtimestamp(now, AMSTERDAM).hour
                return DAYTIME[0] <= hour < DAYTIME[1]
            case Times.AFTER_I_WRITE:
                return now - self.last_in < AFTER_I_WRITE
        return False

    def may_write(self, now: float) -> bool:
        """Whether a helper's text may go to the person now: their times and the WhatsApp window."""
        return self.times_allow(now) and self.window_open(now)


@dataclass(frozen=True)
class Text:
    """One text of a conversation, opened: who wrote it, when, and what (rendered for the line's own)."""

    author: Author
    at: float
    text: str
    helper: str | None = None


def helper_of(account: str, raw: bytes | str) -> Helper:
    """A helper from what `HELPERS` holds for the account."""
    spec = json.loads(raw)
    return Helper(account, frozenset(spec.get("l", ())), frozenset(spec.get("r", ())))


def conversation_of(conv: str, raw: dict[Any, Any]) -> Conversation | None:
    """A conversation from its record (a hash as Redis returns it), or None when there is none."""
    data = {_s(k): _s(v) for k, v in raw.items()}
    if "s" not in data:
        return None
    return Conversation(
        conv,
        data["l"],
        Channel(data["c"]),
        data.get("r", ""),
        State(data["s"]),
        data.get("h") or None,
        Times(data.get("w", Times.ANY.value)),
        data.get("f") == "1",
        data.get("u") == "1",
        float(data["b"]),
        float(data["t"]),
        float(data["i"]),
    )


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
