"""What a reply is made of: references to text, rendered in the reply's language by the worker.

Each kind of reference is a small frozen dataclass; `Ref` is their union, and the renderer matches
it exhaustively, so a new kind that nobody renders is a type error, not a reply that fails at send
time. `NEXT` between references starts a message of its own: the text a mediator forwards arrives
alone, so it can be forwarded as it is.

Stored (the outbox, in Redis) each reference is a pair `[kind, value]`, e.g. `["msg", "stopped"]`,
`["menu", "main"]`, `["languages", "+Arab"]` (`NEXT` is never stored: each message is an item of
its own); `read_ref` refuses a kind it does not know instead of guessing. The language menu's
order (`content.hints.MenuOrder`) is stored as conversation state stores it, "" for none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, assert_never

from samen_sms.content.hints import MenuOrder, language_hint, stored_hint


@dataclass(frozen=True)
class Msg:
    """One catalogue message: `["msg", "stopped"]`."""

    kind: ClassVar[str] = "msg"
    key: str


@dataclass(frozen=True)
class Menu:
    """A screen of the flow: its text, numbered options, directory entries, footer: `["menu", "main"]`."""

    kind: ClassVar[str] = "menu"
    node: str


@dataclass(frozen=True)
class Languages:
    """The language menu in the order `order` gives (None: the flow's own): `["languages", "Arab"]`."""

    kind: ClassVar[str] = "languages"
    order: MenuOrder | None = None


@dataclass(frozen=True)
class Greeting:
    """Before a language is chosen: greetings in the languages the message points to: `["greeting", "Arab"]`."""

    kind: ClassVar[str] = "greeting"
    order: MenuOrder | None = None


@dataclass(frozen=True)
class Notice:
    """Before a language is chosen: the automatic-line notice in the likeliest language: `["notice", "Arab"]`."""

    kind: ClassVar[str] = "notice"
    order: MenuOrder | None = None


@dataclass(frozen=True)
class Services:
    """A place screen: a municipality's services, then the national ones ("" unknown): `["services", "GM0363"]`.

    With a need (`health`, the directory need of the screen the place was typed at) only that need's
    services, local then national: `["services", "GM1950|health"]`.
    """

    kind: ClassVar[str] = "services"
    code: str
    need: str = ""

    @classmethod
    def read(cls, value: str) -> Services:
        """A stored place screen back: `code` or `code|need`."""
        code, _, need = value.partition("|")
        return cls(code, need)


@dataclass(frozen=True)
class PlacePick:
    """"Did you mean" or "which one" about a place name (its key in the place data): `["place_pick", "bergen"]`."""

    kind: ClassVar[str] = "place_pick"
    key: str


@dataclass(frozen=True)
class Organisations:
    """Someone from your community: a safety region's organisations ("" unknown): `["community", "VR13"]`."""

    kind: ClassVar[str] = "community"
    region: str


@dataclass(frozen=True)
class Region:
    """The region someone chose for announcements, named in their language: `["region", "VR13"]`."""

    kind: ClassVar[str] = "region"
    code: str


@dataclass(frozen=True)
class Entry:
    """One directory entry by its id, in the reader's language (a helper inserts it): `["entry", "csg"]`."""

    kind: ClassVar[str] = "entry"
    id: str


@dataclass(frozen=True)
class Next:
    """Between references: what follows goes as a message of its own."""


NEXT = Next()

Ref = Msg | Menu | Languages | Greeting | Notice | Services | PlacePick | Organisations | Region | Entry
Reply = Ref | Next  # what an outcome's replies hold: references, and where a new message starts

_NAMED: dict[str, type[Msg | Menu | Services | PlacePick | Organisations | Region | Entry]] = {
    cls.kind: cls for cls in (Msg, Menu, Services, PlacePick, Organisations, Region, Entry)
}
_ORDERED: dict[str, type[Languages | Greeting | Notice]] = {cls.kind: cls for cls in (Languages, Greeting, Notice)}


def split_messages(replies: tuple[Reply, ...]) -> list[tuple[Ref, ...]]:
    """The references of each message a reply is sent as, in order (`NEXT` separates them)."""
    parts: list[list[Ref]] = [[]]
    for reply in replies:
        if isinstance(reply, Next):
            parts.append([])
        else:
            parts[-1].append(reply)
    return [tuple(part) for part in parts if part]


def stored_ref(ref: Ref) -> tuple[str, str]:
    """A reference as the outbox stores it: `(kind, value)`."""
    match ref:
        case Services(code, need):
            return (ref.kind, f"{code}|{need}" if need else code)
        case Msg(value) | Menu(value) | PlacePick(value) | Organisations(value) | Region(value):
            return (ref.kind, value)
        case Entry(value):
            return (ref.kind, value)
        case Languages(order) | Greeting(order) | Notice(order):
            return (ref.kind, "" if order is None else stored_hint(order))
        case _:
            assert_never(ref)


def read_ref(kind: str, value: str) -> Ref:
    """A stored reference back as its type; raise ValueError for a kind this release does not know."""
    if kind == Services.kind:
        return Services.read(value)
    if kind in _NAMED:
        return _NAMED[kind](value)
    if kind in _ORDERED:
        return _ORDERED[kind](language_hint(value))
    raise ValueError(f"unknown reply part {kind!r}")
