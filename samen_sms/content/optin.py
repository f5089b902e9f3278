"""Opting in to announcements and replying to one: the engine's input handlers, pure, no I/O.

What they read of the content (loaded at start by the content loader): `content.places`, the
municipalities, shared with the service directory, and `content.regions`, safety region code
(`VR01`..`VR25`) -> its name.
Yes words come from each catalogue's `[answers] yes`.
"""

from __future__ import annotations

from samen_sms.content.effects import ConsentHow, OptIn, Rsvp
from samen_sms.content.engine import Content, InputHandler, Message, Outcome, Visit
from samen_sms.content.freetext import unanswered
from samen_sms.content.hints import RegionChosen, SessionAnnounced
from samen_sms.content.placeinput import ask, picked, said_yes
from samen_sms.content.places import ALL_NL
from samen_sms.content.replies import Menu, Msg, Region
from samen_sms.content.said import Said

REGION_NODE = "subscribe_region"
REGION_PICK_NODE = "subscribe_region_pick"
CONFIRM_NODE = "subscribe_confirm"
REPLY_NODE = "announce_reply"
LEFT_NODE = "subscribe_left"


def _is_yes(content: Content, said: Said, locale: str) -> ConsentHow | None:
    if said.digit == 1:
        return ConsentHow.DIGIT
    return ConsentHow.WORD if said_yes(content, said, locale) else None


def _ask_consent(region: str, locale: str) -> Outcome:
    return Outcome(CONFIRM_NODE, locale, locale, (Region(region), Menu(CONFIRM_NODE)), hint=RegionChosen(region))


def choose_region(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A place (or 1 for the whole country) -> ask for consent, with the region remembered.

    A postcode, a place or a region names its region; a near miss, or a name in two regions, is
    asked about first.
    """
    number = message.said.digit
    if number is not None:
        return _ask_consent(ALL_NL, locale) if number == 1 else None
    places = content.places
    region = places.find_region(message.said)
    if region is not None:
        return _ask_consent(region, locale)
    found = places.read(message.said)
    if found is not None:
        return ask(found, REGION_PICK_NODE, locale)
    return Outcome(REGION_NODE, locale, locale, (Msg("subscribe.unknown_place"), Menu(REGION_NODE)))


def pick_region(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """The answer to "did you mean" or "which one" at the region prompt; other text is a new place."""
    code = picked(content, visit, message, locale)
    if code:
        places = content.places
        return _ask_consent(places.by_code[code].region_code, locale)
    if message.said.digit is not None:
        return None
    return choose_region(content, visit, message, locale)


def confirm(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """An explicit yes subscribes; anything else does not."""
    region = visit.hint.code if isinstance(visit.hint, RegionChosen) else ""
    if not region or (region != ALL_NL and region not in content.regions):
        return Outcome(REGION_NODE, locale, locale, (Menu(REGION_NODE),))
    how = _is_yes(content, message.said, locale)
    if how is None:
        main = content.flow.main
        return Outcome(main, locale, locale, (Msg("subscribe.declined"), Menu(main)))
    return Outcome(None, locale, locale, (Msg("subscribe.done"),), (OptIn(region, message.channel, how),))


def reply_to_announcement(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A yes after an announcement registers interest in that session (counted, never shown by name)."""
    if not isinstance(visit.hint, SessionAnnounced) or not visit.hint.session_id:
        return None
    if _is_yes(content, message.said, locale) is None:
        if message.said.digit is not None:
            return None  # another number: the main menu's, as on any answer screen
        # Words that are no yes ("yes please" included): say what to send, and keep the session.
        refs = (*unanswered(content.flow, message.said), Menu(REPLY_NODE))
        return Outcome(REPLY_NODE, locale, locale, refs, hint=visit.hint)
    return Outcome(None, locale, locale, (Msg("announce.rsvp_thanks"),), (Rsvp(visit.hint.session_id),))


INPUTS: dict[str, InputHandler] = {
    "subscribe_region": choose_region,
    "subscribe_region_pick": pick_region,
    "subscribe_consent": confirm,
    "announce_reply": reply_to_announcement,
}
