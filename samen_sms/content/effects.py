"""What a step asks the line to do besides replying: typed values, carried out by whoever registered for them.

A flow node may declare one by name (`effect = "opt_out_announcements"` in `flows/*.toml`); the
engine's keyword actions and input handlers return the others. Example: a person at the consent
screen answers `1`; the step returns the reply `subscribe.done` and
`OptIn(region="VR13", channel=Channel.SMS, how=ConsentHow.DIGIT)`, which the announcements room
turns into a subscription inside the webhook's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import get_args

from samen_sms.core.identity import Channel


class ConsentHow(StrEnum):
    """How a person said yes to announcements (kept with the consent record)."""

    DIGIT = "d"
    WORD = "w"


@dataclass(frozen=True)
class OptIn:
    """Subscribe to announcements of sessions in one safety region (`VR01`..`VR25`, or `NL`)."""

    region: str
    channel: Channel
    how: ConsentHow


@dataclass(frozen=True)
class OptOutAnnouncements:
    """No more announcements; everything else stays as it is."""


@dataclass(frozen=True)
class Stop:
    """The person said stop: no announcements until they say start (Twilio stops SMS itself)."""


@dataclass(frozen=True)
class Start:
    """The person said start: lift an earlier stop."""


@dataclass(frozen=True)
class Erase:
    """Forget everything kept about the person, everywhere the line can reach."""


@dataclass(frozen=True)
class Rsvp:
    """The person wants to come to an announced information session."""

    session_id: str


@dataclass(frozen=True)
class Reached:
    """A conversation began: `new` when the line knew nothing of the person, `code` a live referral code it carried.

    Counted in the anonymous reach figures only; the code itself was read out of the message.
    """

    new: bool
    code: str | None = None


@dataclass(frozen=True)
class LanguageChosen:
    """The person picked a language from the language menu (counted, anonymously, by language)."""

    locale: str


Effect = OptIn | OptOutAnnouncements | Stop | Start | Erase | Rsvp | Reached | LanguageChosen
# Read from the union, so an effect added to it is one the registry refuses to start without a handler for.
EFFECT_TYPES: tuple[type[Effect], ...] = get_args(Effect)

# Effects a node may name in the flow file: those that need nothing from the message itself.
NODE_EFFECTS: dict[str, Effect] = {
    "opt_out_announcements": OptOutAnnouncements(),
    "stop": Stop(),
    "start": Start(),
    "erase": Erase(),
}
