"""Opting in to announcements and replying to one: the engine's input handlers, pure, no I/O.

Content data they read (loaded at start by `load_data`):
- `places`:   the municipalities (samen_sms.content.places), shared with the service directory
- `regions`:  safety region code (`VR01`..`VR25`) -> its name
- `yes`:      locale -> folded words that mean yes (the catalogue's `[answers] yes`)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from samen_sms.content.engine import Content, InputHandler, Outcome, Visit
from samen_sms.content.places import Places
from samen_sms.content.text import digit_value, words

ALL_NL = "NL"
REGION_NODE = "subscribe_region"
CONFIRM_NODE = "subscribe_confirm"
REPLY_NODE = "announce_reply"
LEFT_NODE = "subscribe_left"


def load_yes_words(messages_dir: Path, locales: list[str]) -> dict[str, frozenset[str]]:
    """Each catalogue's `[answers] yes` list, folded."""
    out: dict[str, frozenset[str]] = {}
    for locale in locales:
        raw = tomllib.loads((messages_dir / f"{locale}.toml").read_text(encoding="utf-8"))
        yes = raw.get("answers", {}).get("yes", [])
        if not isinstance(yes, list) or not all(isinstance(word, str) for word in yes):
            raise ValueError(f"{locale}.toml: answers.yes must be a list of words")
        out[locale] = frozenset(" ".join(words(word)) for word in yes)
    return out


def load_data(places: Places, messages_dir: Path, locales: list[str]) -> dict[str, Any]:
    """What the handlers read besides the places (shared with the directory), checked at start."""
    return {"regions": places.regions, "yes": load_yes_words(messages_dir, locales)}


def _is_yes(content: Content, text: str, locale: str) -> str | None:
    if digit_value(text) == 1:
        return "d"
    yes: Mapping[str, frozenset[str]] = content.data["yes"]
    return "w" if " ".join(words(text)) in yes.get(locale, frozenset()) else None


def choose_region(content: Content, visit: Visit, text: str, locale: str) -> Outcome | None:
    """A place name (or 1 for the whole country) -> ask for consent, with the region remembered."""
    number = digit_value(text)
    if number is not None:
        region = ALL_NL if number == 1 else None
    else:
        places: Places = content.data["places"]
        region = places.find_region(text)
    if region is None:
        if number is not None:
            return None
        return Outcome(REGION_NODE, locale, locale, (("msg", "subscribe.unknown_place"), ("menu", REGION_NODE)))
    return Outcome(CONFIRM_NODE, locale, locale, (("region", region), ("menu", CONFIRM_NODE)), hint=region)


def confirm(content: Content, visit: Visit, text: str, locale: str) -> Outcome | None:
    """An explicit yes subscribes; anything else does not."""
    region = visit.hint
    if not region or (region != ALL_NL and region not in content.data["regions"]):
        return Outcome(REGION_NODE, locale, locale, (("menu", REGION_NODE),))
    how = _is_yes(content, text, locale)
    if how is None:
        main = content.flow.main
        return Outcome(main, locale, locale, (("msg", "subscribe.declined"), ("menu", main)))
    return Outcome(None, locale, locale, (("msg", "subscribe.done"),), (f"subscribe:{region}:{how}",))


def reply_to_announcement(content: Content, visit: Visit, text: str, locale: str) -> Outcome | None:
    """A yes after an announcement registers interest in that session (counted, never shown by name)."""
    if not visit.hint or _is_yes(content, text, locale) is None:
        return None
    return Outcome(None, locale, locale, (("msg", "announce.rsvp_thanks"),), (f"rsvp:{visit.hint}",))


def region_block(renderer: Any) -> Any:
    """The reply part `("region", code)`: the region someone chose, named in their language."""

    def block(locale: str, code: str, channel: Any) -> str:
        if code == ALL_NL:
            return str(renderer.message(locale, "subscribe.region_all", channel))
        name = renderer.content.data["regions"].get(code, code)
        return str(renderer.message(locale, "subscribe.region_named", channel, region=name))

    return block


INPUTS: dict[str, InputHandler] = {
    "subscribe_region": choose_region,
    "subscribe_consent": confirm,
    "announce_reply": reply_to_announcement,
}
