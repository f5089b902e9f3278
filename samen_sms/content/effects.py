"""What a step asks the line to do besides replying: typed values, carried out by whoever registered for them.

A flow node may declare one by name (`effect = "opt_out_announcements"` in `flows/*.toml`); the
engine's keyword actions and input handlers return the others. Example: a person at the consent
screen answers `1`; the step returns the reply `subscribe.done` and
`OptIn(region="VR13", channel=Channel.SMS, how=ConsentHow.DIGIT)`, which the announcements room
turns into a subscription inside the webhook's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class HandoverStep(StrEnum):
    """The steps of asking for a person (`samen_sms.handover.relay`), as its pointer names them."""

    ASKED = "asked"  # shown the lines open now and the offer: "1" asks for a person
    CONSENT = "consent"  # told what will happen; asked to agree
    SAFE = "safe"  # asked whether messages to this phone are safe
    WHEN = "when"  # asked when a person may write


@dataclass(frozen=True)
class HandoverAsked:
    """The person reached a step of asking for a person; `safe` is their answer to the safety question, once given."""

    step: HandoverStep = HandoverStep.ASKED
    safe: bool | None = None


@dataclass(frozen=True)
class HandoverDropped:
    """The person left the asking (said no, or nobody can answer now): nothing of it is kept."""


@dataclass(frozen=True)
class HandoverOpened:
    """The person consented and chose when to be written to (`times`: any, day, after): a conversation waits."""

    times: str
    safe: bool


@dataclass(frozen=True)
class HandoverRelayed:
    """What the person wrote inside their open conversation, for the helper; sealed by the handler, never logged."""

    conversation: str
    text: str = field(repr=False)
    urgent: bool = False  # a danger word: help now went at once, and the conversation is marked urgent


@dataclass(frozen=True)
class HandoverClosed:
    """The person sent the close word: their conversation ends and what was written in it is erased."""


Effect = (
    OptIn | OptOutAnnouncements | Stop | Start | Erase | Rsvp | Reached | LanguageChosen
    | HandoverAsked | HandoverDropped | HandoverOpened | HandoverRelayed | HandoverClosed
)
# Read from the union, so an effect added to it is one the registry refuses to start without a handler for.
EFFECT_TYPES: tuple[type[Effect], ...] = get_args(Effect)

# Effects a node may name in the flow file: those that need nothing from the message itself.
NODE_EFFECTS: dict[str, Effect] = {
    "opt_out_announcements": OptOutAnnouncements(),
    "stop": Stop(),
    "start": Start(),
    "erase": Erase(),
    "handover_asked": HandoverAsked(),
    "handover_close": HandoverClosed(),
}
