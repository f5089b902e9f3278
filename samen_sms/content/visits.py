"""From one step to the next: where an outcome leaves the person, and a visit read back from storage.

One rule for the store, the console's simulator, the golden transcripts and the segments report.
"""

from __future__ import annotations

from collections.abc import Callable

from samen_sms.content import community, optin, placeinput
from samen_sms.content.hints import Hint, PlaceAsked, RegionChosen, SessionAnnounced, language_hint
from samen_sms.content.model import Outcome, Visit

# The screens that keep a hint of their own; anywhere else a hint is the language menu's. Stored,
# a hint is its bare value, so the screen it is kept at says which kind it is.
_HINT_AT: dict[str, Callable[[str], Hint]] = {
    optin.CONFIRM_NODE: RegionChosen,
    optin.REPLY_NODE: SessionAnnounced,
    optin.REGION_PICK_NODE: PlaceAsked.read,
    placeinput.PLACE_PICK_NODE: PlaceAsked.read,
    community.PICK_NODE: PlaceAsked.read,
}


def next_visit(outcome: Outcome) -> Visit:
    """Where the person is for their next message: the outcome's screen, language and hint.

    At no screen (stopped, erased, a keyword before a language is chosen) there is no hint either:
    the store keeps none without a conversation. An outcome that stores nothing (`store` False, a
    flood past its notice) carries the visit it came from, so it leaves the person where they were.
    """
    if outcome.node is None:
        return Visit(None, outcome.locale)
    return Visit(outcome.node, outcome.locale, outcome.hint)


def read_hint(node: str | None, raw: str | None) -> Hint | None:
    """A stored hint as its kind, by the screen it was kept at."""
    if not raw:
        return None
    kind = _HINT_AT.get(node or "")
    return kind(raw) if kind is not None else language_hint(raw)


def read_visit(node: str | None, locale: str | None, raw_hint: str | None) -> Visit:
    """A visit from its stored parts: the screen, the language, the hint's bare value."""
    return Visit(node, locale, read_hint(node, raw_hint))
