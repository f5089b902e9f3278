"""What happened to one subscriber in a broadcast, with its one stored form and its one parser.

The done hash stores `s` (sent), `x:<reason>` (skipped), `f:<code>` (refused or given up) and
`c:<time>` (claimed, send in progress); the stats hash counts `sent`, `skipped:<reason>` and
`failed:<code>`. These forms are kept as they were, so broadcasts in flight keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Skip(StrEnum):
    """Why a subscriber gets no message."""

    OPTED_OUT = "opted_out"
    LANGUAGE_CHANGED = "language_changed"
    LANGUAGE_NOT_ON_LINE = "language_not_on_line"
    ADDRESS_UNREADABLE = "address_unreadable"
    WHATSAPP_WINDOW_CLOSED_NO_TEMPLATE = "whatsapp_window_closed_no_template"


class Kind(Enum):
    """The four states a subscriber's entry in the done hash can be in."""

    SENT = "s"
    SKIPPED = "x"
    FAILED = "f"
    CLAIMED = "c"


STAT_PREFIX = {Kind.SKIPPED: "skipped:", Kind.FAILED: "failed:"}
# The failure "code" of a message that could not even be prepared (a bug or a bad record): see the log.
PREPARE_ERROR = "error"


@dataclass(frozen=True)
class Result:
    """One done-hash entry: its kind and detail (skip reason, failure code or claim time)."""

    kind: Kind
    detail: str = ""

    @classmethod
    def sent(cls) -> Result:
        """Twilio has the message."""
        return cls(Kind.SENT)

    @classmethod
    def skipped(cls, reason: Skip) -> Result:
        """Not sent, on purpose."""
        return cls(Kind.SKIPPED, reason.value)

    @classmethod
    def failed(cls, code: int | str) -> Result:
        """Refused by Twilio (its error code) or given up after transient failures (`transient`)."""
        return cls(Kind.FAILED, str(code))

    @classmethod
    def claimed(cls, at: float) -> Result:
        """Taken by a job at `at` (epoch seconds), before it sends."""
        return cls(Kind.CLAIMED, repr(float(at)))

    @classmethod
    def parse(cls, raw: str | bytes) -> Result:
        """Read what `dumps` wrote."""
        text = raw.decode() if isinstance(raw, bytes) else raw
        kind, _, detail = text.partition(":")
        return cls(Kind(kind), detail)

    def dumps(self) -> str:
        """The stored form."""
        return self.kind.value if self.kind is Kind.SENT else f"{self.kind.value}:{self.detail}"

    @property
    def claimed_at(self) -> float:
        """When a claim was made."""
        return float(self.detail)

    @property
    def stat(self) -> str:
        """The stats hash field this result is counted in."""
        return "sent" if self.kind is Kind.SENT else STAT_PREFIX[self.kind] + self.detail
