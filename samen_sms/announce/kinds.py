"""What a broadcast sends: the announcement of an information session, or the reminder before it.

The value is stored: it ends a broadcast's id (`{session id}:a`), which names the broadcast's Redis
keys, and it is the RQ job's argument. Jobs carry the plain string (`kind.value`), and the job reads
it back with `BroadcastKind.read(value)`, so a job queued by an earlier release still runs.
"""

from __future__ import annotations

from enum import StrEnum


class BroadcastKind(StrEnum):
    """The announcement of a session (to subscribers of its regions and languages), or, to who said yes,
    its reminder, the notice that it changed (moved or another place), or that it is cancelled."""

    ANNOUNCEMENT = "a"
    REMINDER = "r"
    CHANGE = "c"
    CANCEL = "x"

    @property
    def label(self) -> str:
        """Its name in words: the WhatsApp templates file's table (`[announcement.nl]`) and the commands' output."""
        match self:
            case BroadcastKind.ANNOUNCEMENT:
                return "announcement"
            case BroadcastKind.REMINDER:
                return "reminder"
            case BroadcastKind.CHANGE:
                return "change"
            case BroadcastKind.CANCEL:
                return "cancellation"

    @property
    def message(self) -> str:
        """The catalogue message the text is made of."""
        match self:
            case BroadcastKind.ANNOUNCEMENT:
                return "announce.text"
            case BroadcastKind.REMINDER:
                return "announce.reminder"
            case BroadcastKind.CHANGE:
                return "session.changed"
            case BroadcastKind.CANCEL:
                return "session.cancelled"

    @property
    def to_those_coming(self) -> bool:
        """Whether it goes to who said yes (the session's replies), not to the subscribers of its regions."""
        return self is not BroadcastKind.ANNOUNCEMENT

    def of(self, session_id: str) -> str:
        """The broadcast id of this kind for one session (`{session id}:a`), the name of its keys."""
        return f"{session_id}:{self.value}"

    @classmethod
    def read(cls, value: str) -> BroadcastKind | None:
        """The kind a stored value names (`a`, `r`: a job's argument), else None."""
        return next((kind for kind in cls if kind.value == value), None)

    @classmethod
    def from_label(cls, label: str) -> BroadcastKind | None:
        """The kind a label names (`announcement`, `reminder`), else None."""
        return next((kind for kind in cls if kind.label == label), None)
