"""The place prompts' input handlers: a postcode, a name or a near miss typed, and the step that settles it.

A near miss ("Amsterdm") is confirmed with 1 or a yes word; a name in more than one municipality
(Bergen, Hoorn) is a numbered choice. The conversation's hint remembers the key of the name in the
place data that is being asked about, never what the person typed.
"""

from __future__ import annotations

from samen_sms.content.engine import Content, Message, Outcome, Visit
from samen_sms.content.hints import PlaceAsked
from samen_sms.content.places import Found
from samen_sms.content.replies import PlacePick, Services
from samen_sms.content.said import Said
from samen_sms.content.text import words

PLACE_NODE = "services_place"
PLACE_PICK_NODE = "services_place_pick"


def said_yes(content: Content, said: Said, locale: str) -> bool:
    """Whether the whole message is one of the language's yes words (`[answers] yes`)."""
    return said.whole in {" ".join(words(word)) for word in content.catalogues[locale].yes}


def ask(found: Found, node: str, locale: str, need: str = "") -> Outcome:
    """Ask whether a near miss was meant (1 yes), or which municipality a shared name means."""
    return Outcome(node, locale, locale, (PlacePick(found.key),), hint=PlaceAsked(found.key, need))


def picked(content: Content, visit: Visit, message: Message, locale: str) -> str | None:
    """The municipality chosen at a pick step: a number from its list, or yes to a single near miss."""
    places = content.places
    name = places.names.get(visit.hint.key) if isinstance(visit.hint, PlaceAsked) else None
    if name is None:
        return None
    number = message.said.digit
    if number is not None:
        return name.codes[number - 1] if 1 <= number <= len(name.codes) else None
    if len(name.codes) == 1 and said_yes(content, message.said, locale):
        return name.codes[0]
    return None


def _services(code: str, locale: str, need: str = "") -> Outcome:
    # Only the municipality code (and the need) go into the reply reference ("" for a place not known).
    return Outcome(PLACE_NODE, locale, locale, (Services(code, need),))


def place_input(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A place typed at the services' place prompt, or at one need's screen: its services, or a question.

    At the place prompt a place not known still gets the national services. At a need's screen
    (health: "Ter Apel", "a doctor near Ter Apel") the answer keeps to that need; text with no
    place in it is treated as that screen treats text.
    """
    here = content.flow.nodes.get(visit.node or "")
    need = here.directory if here is not None and here.directory else ""
    found = content.places.read(message.said)
    if found is None:
        return None if need else _services("", locale)
    if found.settled:
        return _services(found.codes[0], locale, need)
    return ask(found, PLACE_PICK_NODE, locale, need)


def place_pick(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """The answer to "did you mean" or "which one": the chosen place's services; other text is a new place."""
    code = picked(content, visit, message, locale)
    if code:
        need = visit.hint.need if isinstance(visit.hint, PlaceAsked) else ""
        return _services(code, locale, need)
    if message.said.digit is not None:
        return None  # a number not offered: not understood, back to the prompt
    return place_input(content, visit, message, locale)


INPUTS = {"place": place_input, "place_pick": place_pick}
