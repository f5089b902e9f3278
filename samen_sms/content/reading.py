"""What a message says before any menu: stop, start or delete as the whole message, a danger word, the rate limit.

The engine reads every message with these functions, and so do the line's before-step hooks
(`samen_sms.line.registry`): a feature that holds a conversation (a person handed to a helper)
gets the engine's `Reading` of each message, so it can leave to the engine what only the engine
may answer (the delete word, stop and start, a danger word, a flood) without a copy of the rules.
Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from samen_sms.content import referral
from samen_sms.content.flow import WholeMessage
from samen_sms.content.keywords import Lexicon
from samen_sms.content.model import Message, Visit
from samen_sms.core.identity import Channel

# Twilio answers these itself on SMS (and still forwards them): the line must stay silent.
# Stop words of the line's own languages (afmelden, توقف) are confirmed by the line itself; those
# that are everyday words too (dur, хватит, بس) are asked about first.
TWILIO_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
TWILIO_START_WORDS = frozenset({"start", "yes", "unstop"})


@dataclass(frozen=True)
class WholeWord:
    """Stop, start or delete as the whole message: the action, the keyword's language, and whose word it is."""

    action: WholeMessage
    locale: str | None  # the keyword's language; None for Twilio's own words
    carrier: bool = False  # Twilio's own stop or start word on SMS: Twilio answers it, the line stays silent
    asks: bool = False  # a stop word that is an everyday word too ("dur", "хватит", "بس"): asked about first


@dataclass(frozen=True)
class Reading:
    """The engine's reading of one message, before it looks at the person's place in the menus.

    Example: "delete" reads as `Reading(keyword=WholeMessage.DELETE, danger=None, past_limit=False)`, and
    "he has a knife" as `Reading(keyword=None, danger="en", past_limit=False)`.
    """

    keyword: WholeMessage | None  # stop, start or delete as the whole message (Twilio's own words on SMS too)
    danger: str | None  # the language of a danger word or phrase anywhere in the message
    past_limit: bool  # past the rate limit: the engine answers once with a notice, then not at all

    @property
    def for_engine(self) -> bool:
        """Whether only the engine may answer: a whole-message keyword, a danger word, or a flood."""
        return self.keyword is not None or self.danger is not None or self.past_limit


def whole_word(lexicon: Lexicon, message: Message) -> WholeWord | None:
    """Stop, start or delete as the whole message (and Twilio's own words on SMS), else None."""
    whole = message.said.whole
    if message.channel is Channel.SMS and whole in TWILIO_STOP_WORDS:
        return WholeWord(WholeMessage.STOP, None, carrier=True)
    if message.channel is Channel.SMS and whole in TWILIO_START_WORDS:
        return WholeWord(WholeMessage.START, None, carrier=True)
    found = lexicon.whole.get(whole)
    if found is None:
        return None
    return WholeWord(found[0], found[1], asks=whole in lexicon.asks)


def read_out_code(visit: Visit, message: Message) -> tuple[Message, str | None]:
    """The message as the engine reads it, and the live referral code read out of it, if any.

    Only a message that begins a conversation carries a code; the rest of it is read as without it.
    "STOP K7Q" is no stop to Twilio, so it must not silence the line either: it is kept as it came.
    """
    if visit.node is not None:
        return message, None
    code = next((c for c in referral.candidates(message.said) if c in message.codes), None)
    if code is None:
        return message, None
    said = referral.without(message.said, code)
    twilio_word = message.channel is Channel.SMS and said.whole in TWILIO_STOP_WORDS | TWILIO_START_WORDS
    return replace(message, said=message.said if twilio_word else said, codes=frozenset()), code


def read(lexicon: Lexicon, visit: Visit, message: Message) -> Reading:
    """The engine's reading of a message for a person at `visit`."""
    message, _ = read_out_code(visit, message)
    word = whole_word(lexicon, message)
    past_limit = bool(message.limit) and message.recent > message.limit
    return Reading(word.action if word else None, lexicon.danger(message.said), past_limit)
