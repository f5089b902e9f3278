"""What a broadcast sends: the announcement of an information session, or the reminder before it.

The value is stored: it ends a broadcast's id (`{session id}:a`), which names the broadcast's Redis
keys, and it is the RQ job's argument. Jobs carry the plain string (`kind.value`), and the job reads
it back with `BroadcastKind.read(value)`, so a job queued by an earlier release still runs.
"""

from __future__ import annotations

from enum import StrEnum


class BroadcastKind(StrEnum):
    """The announcement of a session (to subscribers of its regions and languages) or its reminder (to who said yes)."""

    ANNOUNCEMENT = "a"
    REMINDER = "r"

    @property
    def label(self) -> str:
        """Its name in words: the WhatsApp templates file's table (`[announcement.nl]`) and the commands' output."""
        match self:
            case BroadcastKind.ANNOUNCEMENT:
                return "announcement"
            case BroadcastKind.REMINDER:
                return "reminder"

    @property
    def message(self) -> str:
        """The catalogue message the text is made of."""
        match self:
            case BroadcastKind.ANNOUNCEMENT:
                return "announce.text"
            case BroadcastKind.REMINDER:
                return "announce.reminder"

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
