"""Directory entries kept by the console: local and community entries added here, and verification dates.

They live in one Redis hash (survive restarts). On every save they are handed to the line's live
content (`line.overlay`), so texters get them in the next reply; the export, in the TOML form of
`data/services.toml`, keeps them in the repository.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

import redis

from samen_sms.console import redis_keys
from samen_sms.content.directory import Service, parse_entry
from samen_sms.core.tomlfile import tables_text

ENTRY = "entry:"
VERIFIED = "verified:"


def added(conn: redis.Redis) -> list[Service]:
    """Entries added in the console."""
    raw: Any = conn.hgetall(redis_keys.CONSOLE_DIRECTORY())
    out = []
    for name, value in raw.items():
        if name.startswith(ENTRY.encode()):
            data = json.loads(value)
            data["verified"] = dt.date.fromisoformat(data["verified"])
            out.append(parse_entry(data, "console"))
    return sorted(out, key=lambda s: s.id)


def verified_dates(conn: redis.Redis) -> dict[str, dt.date]:
    """Dates the console marked file entries as verified."""
    raw: Any = conn.hgetall(redis_keys.CONSOLE_DIRECTORY())
    return {
        name.decode()[len(VERIFIED) :]: dt.date.fromisoformat(value.decode())
        for name, value in raw.items()
        if name.startswith(VERIFIED.encode())
    }


def mark_verified(conn: redis.Redis, service_id: str, day: dt.date, is_added: bool) -> None:
    """Record that someone checked an entry today."""
    if is_added:
        raw: Any = conn.hget(redis_keys.CONSOLE_DIRECTORY(), ENTRY + service_id)
        data = json.loads(raw)
        data["verified"] = day.isoformat()
        conn.hset(redis_keys.CONSOLE_DIRECTORY(), ENTRY + service_id, json.dumps(data, ensure_ascii=False))
    else:
        conn.hset(redis_keys.CONSOLE_DIRECTORY(), VERIFIED + service_id, day.isoformat())


def save(conn: redis.Redis, service: Service) -> None:
    """Store an added entry (checked by `parse_entry`)."""
    data = asdict(service)
    data["verified"] = service.verified.isoformat()
    conn.hset(redis_keys.CONSOLE_DIRECTORY(), ENTRY + service.id, json.dumps(data, ensure_ascii=False))


def live_entries(services: list[Service]) -> list[dict[str, Any]]:
    """The added entries as the line's live content takes them (`data/services.toml`'s fields)."""
    out = []
    for service in services:
        data = asdict(service)
        data["verified"] = service.verified.isoformat()
        out.append(data)
    return out


def export(services: list[Service], verified: dict[str, dt.date]) -> str:
    """The added entries as `[[service]]` tables, and the new verification dates as a note."""
    note = ["Exported from the SAMEN console: review, then add to data/services.toml.", ""]
    note += [f"{sid}: verified = {day.isoformat()}" for sid, day in sorted(verified.items())]
    entries = [
        {name: value for name, value in asdict(service).items() if value not in (None, (), []) or name == "places"}
        for service in services
    ]
    return tables_text("service", entries, note)
