"""The service directory (`data/services.toml`): who helps with what, each entry with its source.

Entries not verified in the last 12 months are stale (`Directory.stale`); `python -m
samen_sms.authoring.directory check` lists them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from samen_sms.core.tomlfile import read_toml

COSTS = ("free", "local_rate", "paid", "unknown")
HOURS = ("always", "office", "callback", "unknown")
# "unknown" (cost, hours, anonymous): the source does not say, so the reply says nothing about it.
# "advice": advice can be anonymous (a report, or help beyond advice, may need a name).
ANONYMOUS = ("yes", "advice", "partly", "no", "unknown")
NATIONAL = "national"
STALE_AFTER = dt.timedelta(days=365)
ID_RE = re.compile(r"\w{1,64}")  # an entry's id: letters, digits and _


class DirectoryError(ValueError):
    """An entry is incomplete; the line must not start with it."""


@dataclass(frozen=True)
class Community:
    """One organisation or mediator that agreed to be listed (`content.community` reads and lists them)."""

    id: str
    name: str
    languages: tuple[str, ...]
    regions: tuple[str, ...]
    listed: dt.date
    source: str
    verified: dt.date
    phone: str | None = None
    whatsapp: str | None = None
    web: str | None = None
    offers: str = ""
    code: str | None = None  # its referral code, if it has one

    def serves(self, region: str, locale: str) -> bool:
        """Whether it works in this safety region (or the whole country) and this language."""
        return region in self.regions and locale in self.languages


@dataclass(frozen=True)
class Service:
    """One service as its source describes it; `purpose` is a catalogue key, so it is translated."""

    id: str
    name: str
    purpose: str
    needs: tuple[str, ...]
    cost: str
    hours: str
    anonymous: str
    professionals: bool
    places: tuple[str, ...]
    source: str
    verified: dt.date
    phone: str | None = None
    chat: str | None = None
    web: str | None = None
    # Only what a source says: language codes the service speaks, and whether it offers interpreters.
    languages: tuple[str, ...] = ()
    interpreters: bool = False

    def contact(self) -> str:
        """How to reach it, shortest first: the phone number, else the chat or site."""
        return self.phone or self.chat or self.web or ""


@dataclass(frozen=True)
class Directory:
    """Every service, and the national ones a place screen always shows."""

    services: tuple[Service, ...]
    everywhere: tuple[str, ...]

    def for_need(self, need: str) -> list[Service]:
        """Services for one need, in file order."""
        return [s for s in self.services if need in s.needs]

    def local(self, place_code: str) -> list[Service]:
        """Services that name this municipality."""
        return [s for s in self.services if place_code in s.places]

    def national_summary(self) -> list[Service]:
        """The national services every place screen lists."""
        by_id = {s.id: s for s in self.services}
        return [by_id[i] for i in self.everywhere]

    def stale(self, today: dt.date) -> list[Service]:
        """Entries last verified more than 12 months before `today`."""
        return [s for s in self.services if today - s.verified > STALE_AFTER]


def parse_entry(raw: dict[str, object], where: str) -> Service:
    """One entry as the file gives it; DirectoryError naming the field at fault."""
    name = raw.get("id") or raw.get("name") or "?"
    label = f"{where}: service {name!r}"
    for needed in ("id", "name", "purpose", "needs", "cost", "hours", "anonymous", "places", "source", "verified"):
        if raw.get(needed) in (None, "", []):
            raise DirectoryError(f"{label} has no {needed}")
    if not ID_RE.fullmatch(str(raw["id"])):
        # It names the entry in the console's addresses (/directory/<id>/verified): no slash, no space.
        raise DirectoryError(f"{label}: id must be letters, digits and _ (at most 64)")
    if not isinstance(raw["verified"], dt.date) or isinstance(raw["verified"], dt.datetime):
        raise DirectoryError(f"{label}: verified must be a date (2026-11-28)")
    if not str(raw["source"]).startswith("https://"):
        raise DirectoryError(f"{label}: source must be an https:// address")
    for field, allowed in (("cost", COSTS), ("hours", HOURS), ("anonymous", ANONYMOUS)):
        if raw[field] not in allowed:
            raise DirectoryError(f"{label}: {field} must be one of {', '.join(allowed)}")
    if not any(raw.get(way) for way in ("phone", "chat", "web")) and not raw.get("nearby"):
        raise DirectoryError(f"{label} has no phone, chat or web (nor nearby = true: help found near the person)")
    unknown = set(raw) - set(Service.__dataclass_fields__) - {"nearby"}
    if unknown:
        raise DirectoryError(f"{label} has unknown fields {sorted(unknown)}")
    return Service(
        id=str(raw["id"]),
        name=str(raw["name"]),
        purpose=str(raw["purpose"]),
        needs=_texts(raw["needs"], f"{label}: needs"),
        cost=str(raw["cost"]),
        hours=str(raw["hours"]),
        anonymous=str(raw["anonymous"]),
        professionals=bool(raw.get("professionals", False)),
        places=_texts(raw["places"], f"{label}: places"),
        source=str(raw["source"]),
        verified=raw["verified"],
        phone=_opt(raw.get("phone")),
        chat=_opt(raw.get("chat")),
        web=_opt(raw.get("web")),
        languages=_texts(raw.get("languages", []), f"{label}: languages"),
        interpreters=bool(raw.get("interpreters", False)),
    )


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DirectoryError(f"{where} must be a list of texts")
    return tuple(value)


def _opt(value: object) -> str | None:
    return str(value) if value else None


def load_directory(path: Path, place_codes: Iterable[str] = ()) -> Directory:
    """Read and check the directory; every entry needs a source and a verification date."""
    raw = read_toml(path, DirectoryError)
    # Entries of kind "community" (migrant organisations, mediators) are read by `content.community`.
    entries = [e for e in raw.get("service", []) if not (isinstance(e, dict) and e.get("kind") == "community")]
    services = tuple(parse_entry(entry, path.name) for entry in entries)
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise DirectoryError(f"{path.name}: service ids must be unique")
    known = set(place_codes) | {NATIONAL}
    for service in services:
        if place_codes and set(service.places) - known:
            raise DirectoryError(f"{path.name}: service {service.id!r} names unknown places")
    everywhere = tuple(str(i) for i in raw.get("everywhere", []))
    missing = set(everywhere) - set(ids)
    if missing:
        raise DirectoryError(f"{path.name}: everywhere names unknown services {sorted(missing)}")
    return Directory(services, everywhere)
