"""What a conversation remembers beside its screen: the hint, one of five kinds, each a small type.

The language menu's order (`LanguageOrder`: a language or a script the first message pointed to)
or its second page (`SecondPage`), the region someone chose for announcements (`RegionChosen`),
the session an announcement asked about (`SessionAnnounced`), the place name a "did you mean" is
about (`PlaceAsked`, its key in the place data, never what was typed).

Stored, a hint is its bare value (`"Arab"`, `"+Arab"`, `"VR13"`, `"s42"`, `"bergen"`), as before
hints were typed, so conversations stored then read the same; the screen it is kept at says which
kind it is (`content.visits.read_hint`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from samen_sms.content.languages import SECOND_PAGE


@dataclass(frozen=True)
class LanguageOrder:
    """The language menu's order: the language (`uk`) or script (`Arab`) named first."""

    key: str


@dataclass(frozen=True)
class SecondPage:
    """The second page of the language menu that `key` ordered ("": the flow's own order)."""

    key: str = ""


@dataclass(frozen=True)
class RegionChosen:
    """The safety region (`VR13`, or `NL`) someone chose for announcements, before they consent."""

    code: str


@dataclass(frozen=True)
class SessionAnnounced:
    """The information session an announcement asked to reply to."""

    session_id: str


@dataclass(frozen=True)
class PlaceAsked:
    """The place name (its key in the place data) a "did you mean" or "which one" asks about.

    `need` is the directory need of the screen the place was typed at (`health`), kept so the answer
    lists that need's services; stored as `health|ter apel` (a key alone when there is none).
    """

    key: str
    need: str = ""

    @classmethod
    def read(cls, raw: str) -> PlaceAsked:
        """A stored place question back: `key` or `need|key`."""
        need, _, key = raw.rpartition(NEED_MARK)
        return cls(key, need)


NEED_MARK = "|"


MenuOrder = LanguageOrder | SecondPage  # what orders the language menu (and the greeting before it)
Hint = MenuOrder | RegionChosen | SessionAnnounced | PlaceAsked


def stored_hint(hint: Hint) -> str:
    """The hint as conversation state stores it: its bare value."""
    match hint:
        case LanguageOrder(key):
            return key
        case SecondPage(key):
            return SECOND_PAGE + key
        case PlaceAsked(key, need):
            return f"{need}{NEED_MARK}{key}" if need else key
        case RegionChosen(value) | SessionAnnounced(value):
            return value
        case _:
            assert_never(hint)


def language_hint(key: str | None) -> MenuOrder | None:
    """A language menu's hint from the form `languages.language_menu` reads (`+...`: the second page)."""
    if not key:
        return None
    if key.startswith(SECOND_PAGE):
        return SecondPage(key[len(SECOND_PAGE) :])
    return LanguageOrder(key)


def menu_order(hint: Hint | None) -> MenuOrder | None:
    """The hint if it orders the language menu; None for a hint of another kind."""
    match hint:
        case LanguageOrder() | SecondPage():
            return hint
        case RegionChosen() | SessionAnnounced() | PlaceAsked() | None:
            return None
        case _:
            assert_never(hint)


def menu_key(hint: Hint | None) -> str | None:
    """The language menu's order as `languages.language_menu` reads it; None for a hint of another kind."""
    order = menu_order(hint)
    return None if order is None else stored_hint(order)
