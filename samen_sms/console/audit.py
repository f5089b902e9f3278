"""The audit log: who signed in (or failed to), who created, changed or announced what, and when.

A Redis stream; every write trims entries older than a year. It names staff and what they did to
sessions, accounts and the directory: never a texter, a number or a message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.console import redis_keys

KEEP = 365 * 24 * 3600


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    at: float
    actor: str
    action: str
    target: str


def record(conn: redis.Redis, actor: str, action: str, target: str = "") -> None:
    """Add an entry (and drop those older than a year)."""
    now = time.time()
    oldest = f"{int((now - KEEP) * 1000)}-0"
    fields = {"actor": actor[:200], "action": action, "target": target[:300]}
    conn.xadd(redis_keys.CONSOLE_AUDIT(), fields, minid=oldest, approximate=False)  # type: ignore[arg-type]


def recent(conn: redis.Redis, count: int = 200, before: str = "+") -> list[Entry]:
    """The newest entries first."""
    raw: Any = conn.xrevrange(redis_keys.CONSOLE_AUDIT(), max=before, count=count)
    out = []
    for entry_id, fields in raw:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        at = int(entry_id.decode().split("-")[0]) / 1000
        out.append(Entry(at, f.get("actor", ""), f.get("action", ""), f.get("target", "")))
    return out
