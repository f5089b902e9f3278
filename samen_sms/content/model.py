"""What the engine reads and returns: a visit, a message, an outcome; replies as references, not text.

A reply is a tuple of references (`samen_sms.content.replies`: `Msg`, `Menu`, `Languages`, ...) that
the worker renders in the reply's language; `NEXT` between them starts a message of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from samen_sms.content.effects import Effect, Erase
from samen_sms.content.hints import Hint
from samen_sms.content.replies import Reply
from samen_sms.content.said import Said
from samen_sms.core.identity import Channel


@dataclass(frozen=True)
class Visit:
    """What the line knows when a message arrives: where the person was, and their language."""

    node: str | None = None
    locale: str | None = None
    hint: Hint | None = None


@dataclass(frozen=True)
class Message:
    """One message in: what was said (read once), the channel, media attached, and the rate so far."""

    said: Said
    channel: Channel
    media: int = 0
    recent: int = 0  # messages from this person in the current rate window, this one included
    limit: int = 0  # above this many in a window: one notice, then silence; 0 means no limit
    codes: frozenset[str] = frozenset()  # live referral codes among the message's words (the line looked them up)
    country: str = ""  # the sender's country calling code ("93"): orders a first language menu, never stored

    @classmethod
    def of(
        cls, text: str, channel: Channel, media: int = 0, recent: int = 0, limit: int = 0, country: str = ""
    ) -> Message:
        """A message from its raw text (read here, once)."""
        return cls(Said.read(text), channel, media, recent, limit, country=country)


@dataclass(frozen=True)
class Outcome:
    """The new state, the reply (empty: send nothing) and effects for the caller to carry out.

    `store` is False when nothing at all changes (a flood past its notice): the caller need not write.
    """

    node: str | None
    locale: str | None
    reply_locale: str
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
    hint: Hint | None = None
    store: bool = True
    urgent: bool = False  # the reply goes ahead of any backlog: a first contact, or an urgent screen

    @property
    def erases(self) -> bool:
        """Whether this step forgets the person (its confirmation must then leave no trace)."""
        return any(isinstance(effect, Erase) for effect in self.effects)
