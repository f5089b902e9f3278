"""Erasure: everything tied to one person's pseudonym, gathered from every module that keeps some.

Each module that stores something about a person registers an eraser. An eraser gets a plain
connection (for the rare read it may need, e.g. the members of a set) and the MULTI/EXEC pipeline
of the webhook's second round trip, on which it queues its deletions: the erasure and the neutral
confirmation then happen together, or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis

from samen_sms.core import keyspace
from samen_sms.core.config import Config
from samen_sms.line.store import person_keys

# eraser(conn, pipe, pseudonym, config): queue on `pipe` the deletion of what the module keeps.
Eraser = Callable[[redis.Redis, Any, str, Config], None]

ERASERS: list[Eraser] = []


def register_eraser(eraser: Eraser) -> Eraser:
    """Add an eraser (usable as a decorator); registering the same one twice has no effect."""
    if eraser not in ERASERS:
        ERASERS.append(eraser)
    return eraser


@register_eraser
def erase_line_state(conn: redis.Redis, pipe: Any, p: str, config: Config) -> None:
    """Session, profile, rate counters, queued and in-flight replies, and delivery bookkeeping."""
    sids = [sid.decode() if isinstance(sid, bytes) else str(sid) for sid in conn.smembers(keyspace.SENT_BY(p))]
    pipe.delete(*person_keys(p, time.time(), config.rate_limit_window), *(keyspace.SENT_SID(sid) for sid in sids))
    pipe.zrem(keyspace.OWED(), p)


def erase(conn: redis.Redis, pipe: Any, p: str, config: Config) -> None:
    """Queue, on `pipe`, the erasure of everything every registered module keeps about `p`."""
    for eraser in ERASERS:
        eraser(conn, pipe, p, config)
