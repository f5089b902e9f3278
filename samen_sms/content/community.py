"""Organisations people trust: migrant organisations and mediators in the directory (`kind = "community"`).

SAMEN's first recommendation is to make their work visible. An entry lives in `data/services.toml`
beside the services, as `[[service]]` with `kind = "community"`: name; languages; regions (safety
region codes `VR01`..`VR25`, or `NL` for the whole country); phone, whatsapp and/or web; offers (what
they offer, in their words); listed (the date they agreed to be listed); source; verified. The
shipped directory has none: only real organisations that agreed, added with
`flask --app app mediators add ... --list`. The screen "Someone from your community" asks for a
town and lists those for its region and the person's language, national ones after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from samen_sms.content.directory import Community, DirectoryError
from samen_sms.content.engine import Content, Message, Outcome, Visit
from samen_sms.content.placeinput import ask, picked
from samen_sms.content.places import ALL_NL
from samen_sms.content.replies import Organisations
from samen_sms.core.tomlfile import read_toml

KIND = "community"
NODE = "services_community"
PICK_NODE = "services_community_pick"
REQUIRED = ("id", "name", "languages", "regions", "listed", "source", "verified")
FIELDS = {*REQUIRED, "kind", "phone", "whatsapp", "web", "offers", "code"}


def _date(raw: Mapping[str, object], name: str, label: str) -> dt.date:
    value = raw.get(name)
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DirectoryError(f"{label}: field {name!r} must be a date (2026-11-28)")
    return value


def _list(raw: Mapping[str, object], name: str, label: str) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(x, str) and x.strip() for x in value):
        raise DirectoryError(f"{label}: field {name!r} must be a non-empty list of texts")
    return tuple(x.strip() for x in value)


def parse_community(raw: Mapping[str, object], where: str, regions: Mapping[str, str]) -> Community:
    """Check one community entry, naming the first field that is missing or wrong."""
    label = f"{where}: community entry {raw.get('id') or raw.get('name') or '?'!r}"
    for needed in REQUIRED:
        if raw.get(needed) in (None, "", []):
            raise DirectoryError(f"{label} has no {needed}")
    unknown = set(raw) - FIELDS
    if unknown:
        raise DirectoryError(f"{label} has unknown fields {sorted(unknown)}")
    areas = _list(raw, "regions", label)
    bad = [r for r in areas if r != ALL_NL and r not in regions]
    if bad:
        raise DirectoryError(f"{label}: field 'regions' has {bad}; use safety region codes (VR13) or NL")
    if not str(raw["source"]).startswith("https://"):
        raise DirectoryError(f"{label}: field 'source' must be an https:// address")
    if not any(raw.get(way) for way in ("phone", "whatsapp", "web")):
        raise DirectoryError(f"{label} has no phone, whatsapp or web")
    return Community(
        id=str(raw["id"]),
        name=str(raw["name"]),
        languages=_list(raw, "languages", label),
        regions=areas,
        listed=_date(raw, "listed", label),
        source=str(raw["source"]),
        verified=_date(raw, "verified", label),
        phone=str(raw["phone"]) if raw.get("phone") else None,
        whatsapp=str(raw["whatsapp"]) if raw.get("whatsapp") else None,
        web=str(raw["web"]) if raw.get("web") else None,
        offers=str(raw.get("offers") or ""),
        code=str(raw["code"]) if raw.get("code") else None,
    )


def load_community(path: Path, regions: Mapping[str, str]) -> tuple[Community, ...]:
    """The directory's community entries, checked (the services are read by `directory.load_directory`)."""
    raw = read_toml(path, DirectoryError)
    entries = [e for e in raw.get("service", []) if isinstance(e, dict) and e.get("kind") == KIND]
    found = tuple(parse_community(entry, path.name, regions) for entry in entries)
    ids = [c.id for c in found]
    if len(set(ids)) != len(ids):
        raise DirectoryError(f"{path.name}: community ids must be unique")
    return found


def listed_for(entries: tuple[Community, ...], region: str, locale: str) -> tuple[list[Community], list[Community]]:
    """Those for the region in this language, then the national ones in this language."""
    local = [c for c in entries if region != ALL_NL and c.serves(region, locale)]
    national = [c for c in entries if c.serves(ALL_NL, locale) and c not in local]
    return local, national


def community_input(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """A town (or 1 for the whole country) -> the community screen for its safety region.

    A near miss (Amsterdm), or a name in two regions (Bergen), is asked about first, as at the
    other place prompts; a place not known gets the national ones.
    """
    number = message.said.digit
    if number is not None and number != 1:
        return None
    places = content.places
    region = ALL_NL if number == 1 else places.find_region(message.said)
    if region is None:
        found = places.read(message.said)
        if found is not None:
            return ask(found, PICK_NODE, locale)
    return Outcome(NODE, locale, locale, (Organisations(region or ""),))


def community_pick(content: Content, visit: Visit, message: Message, locale: str) -> Outcome | None:
    """The answer to "did you mean" or "which one" at the community prompt; other text is a new town."""
    code = picked(content, visit, message, locale)
    if code:
        places = content.places
        return Outcome(NODE, locale, locale, (Organisations(places.by_code[code].region_code),))
    if message.said.digit is not None:
        return None
    return community_input(content, visit, message, locale)
