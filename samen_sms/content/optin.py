"""Opting in to announcements and replying to one: the engine's input handlers, pure, no I/O.

Content data they read (loaded at start by the content loader):
- `places`:   the municipalities (samen_sms.content.places), shared with the service directory
- `regions`:  safety region code (`VR01`..`VR25`) -> its name
Yes words come from each catalogue's `[answers] yes`.
"""

from __future__ import annotations

from samen_sms.content.effects import ConsentHow, OptIn, Rsvp
from samen_sms.content.engine import Content, InputHandler, Message, Outcome, Visit
from samen_sms.content.places import Places
from samen_sms.content.text import Said, words

ALL_NL = "NL"
REGION_NODE = "subscribe_region"
CONFIRM_NODE = "subscribe_confirm"
REPLY_NODE = "announce_reply"
LEFT_NODE = "subscribe_left"


def _is_yes(content: Content, said: Said, locale: str) -> ConsentHow | None:
    if said.digit == 1:
        return ConsentHow.DIGIT
    yes = {" ".join(words(word)) for word in content.catalogues[locale].yes}
    return ConsentHow.WORD if said.whole in yes else None


def choose_region(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A place name (or 1 for the whole country) -> ask for consent, with the region remembered."""
    number = message.said.digit
    if number is not None:
        region = ALL_NL if number == 1 else None
    else:
        places: Places = content.data["places"]
        region = places.find_region(message.said)
    if region is None:
        if number is not None:
            return None
        return Outcome(REGION_NODE, locale, locale, (("msg", "subscribe.unknown_place"), ("menu", REGION_NODE)))
    return Outcome(CONFIRM_NODE, locale, locale, (("region", region), ("menu", CONFIRM_NODE)), hint=region)


def confirm(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """An explicit yes subscribes; anything else does not."""
    region = visit.hint
    if not region or (region != ALL_NL and region not in content.data["regions"]):
        return Outcome(REGION_NODE, locale, locale, (("menu", REGION_NODE),))
    how = _is_yes(content, message.said, locale)
    if how is None:
        main = content.flow.main
        return Outcome(main, locale, locale, (("msg", "subscribe.declined"), ("menu", main)))
    return Outcome(None, locale, locale, (("msg", "subscribe.done"),), (OptIn(region, message.channel, how),))


def reply_to_announcement(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A yes after an announcement registers interest in that session (counted, never shown by name)."""
    if not visit.hint or _is_yes(content, message.said, locale) is None:
        return None
    return Outcome(None, locale, locale, (("msg", "announce.rsvp_thanks"),), (Rsvp(visit.hint),))


INPUTS: dict[str, InputHandler] = {
    "subscribe_region": choose_region,
    "subscribe_consent": confirm,
    "announce_reply": reply_to_announcement,
}
