"""The audit log: who signed in (or failed to), who created, changed or announced what, and when.

A Redis stream; every write trims entries older than a year and keeps at most `CAP` entries. It
names staff and what they did to sessions, accounts and the directory: never a texter, a number or a
message. What anyone can cause without signing in (a refused or failed sign-in for an unknown
e-mail) is written at most once a minute, so it cannot flood the log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.console import redis_keys

KEEP = 365 * 24 * 3600
CAP = 200_000  # entries, about 40 MB: years of a team's work, a bound on what a flood can add


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    at: float
    actor: str
    action: str
    target: str


def record(conn: redis.Redis, actor: str, action: str, target: str = "", cap: int = CAP) -> None:
    """Add an entry (and drop those older than a year, and the oldest beyond `cap`)."""
    now = time.time()
    oldest = f"{int((now - KEEP) * 1000)}-0"
    fields = {"actor": actor[:200], "action": action, "target": target[:300]}
    with conn.pipeline(transaction=True) as pipe:
        pipe.xadd(redis_keys.CONSOLE_AUDIT(), fields, maxlen=cap, approximate=False)  # type: ignore[arg-type]
        pipe.xtrim(redis_keys.CONSOLE_AUDIT(), minid=oldest, approximate=False)
        pipe.execute()


def once_a_minute(conn: redis.Redis, actor: str, action: str, digest: str) -> None:
    """Add an entry unless one with the same `digest` (a keyed hash of actor and action) was added this minute."""
    mark = redis_keys.CONSOLE_AUDIT_MINUTE(digest, int(time.time() // 60))
    if conn.set(mark, 1, nx=True, ex=120):
        record(conn, actor, action)


def recent(conn: redis.Redis, count: int = 200, before: str = "+") -> list[Entry]:
    """The newest entries first."""
    raw: Any = conn.xrevrange(redis_keys.CONSOLE_AUDIT(), max=before, count=count)
    out = []
    for entry_id, fields in raw:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        at = int(entry_id.decode().split("-")[0]) / 1000
        out.append(Entry(at, f.get("actor", ""), f.get("action", ""), f.get("target", "")))
    return out
