"""What a Redis key is: its name, what it holds, which module owns it and how long it is kept.

Each room declares its own keys in its `redis_keys` module (`line`, `announce`, `reach`, `console`,
and `core` for the day counts) and only that room's modules use them; `samen_sms.assembly` gathers
the rooms it assembles into one registry (`registry`), from which the retention table is made
(`python -m samen_sms.assembly`; a test keeps the documented table in step). No other module spells
a key or the prefix. `{p}` is always a pseudonym (an HMAC of the number), never a number. RQ keeps
its own keys under `rq:` (jobs, queues, registries); they are listed here, as RQ's.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PREFIX = "samen:"


@dataclass(frozen=True)
class Key:
    """One kind of key: `pattern` with `{fields}`, plus what the retention table (docs/privacy.md) says of it."""

    pattern: str
    holds: str
    kept: str
    owner: str
    person: bool = False  # named by, or holding, pseudonyms: erased or emptied on the delete word (but the rate count)
    backup: bool = False  # must survive a move to a new Redis: written by `flask data export`

    def __call__(self, *parts: object) -> str:
        """The key for these parts, in the order the pattern names them."""
        names = self.fields
        if len(parts) != len(names):
            raise TypeError(f"{self.pattern} needs {len(names)} parts, got {len(parts)}")
        return PREFIX + self.pattern.format(**dict(zip(names, map(str, parts), strict=True)))

    @property
    def fields(self) -> tuple[str, ...]:
        """The pattern's `{fields}`, in order."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.pattern) if name)

    @property
    def prefix(self) -> str:
        """The fixed start of every key of this kind (for a Lua script that builds keys itself)."""
        return PREFIX + self.pattern.split("{", 1)[0]

    @property
    def shown(self) -> str:
        return PREFIX + self.pattern


# RQ's own keys, which RQ writes and expires; listed so the retention table names everything in Redis.
RQ_KEYS = (
    ("rq:job:{id}", "a queued job: `deliver` carries a pseudonym only, broadcasts a session id", "until run; results not kept, failed jobs `SAMEN_FAILED_JOB_TTL` (7 days)"),
    ("rq:queue:*, rq:wip:*, rq:worker:*, ...", "RQ's queues, registries and worker heartbeats", "as RQ keeps them"),
)


def declared(names: Mapping[str, object]) -> tuple[Key, ...]:
    """The keys a room's `redis_keys` module declares: `KEYS = declared(vars())` ends each."""
    return tuple(value for value in names.values() if isinstance(value, Key))


def registry(*rooms: Iterable[Key]) -> tuple[Key, ...]:
    """The keys of these rooms as one registry; refuses a pattern declared twice."""
    keys = tuple(key for room in rooms for key in room)
    seen: dict[str, Key] = {}
    for key in keys:
        if key.pattern in seen:
            raise ValueError(f"{key.shown} is declared by {seen[key.pattern].owner} and by {key.owner}")
        seen[key.pattern] = key
    return keys


def room_of(key: Key) -> str:
    """The room that owns a key: `line` for `line.store`."""
    return key.owner.split(".", 1)[0]


def retention_table(keys: Iterable[Key]) -> str:
    """The retention table of these keys (and RQ's), in Markdown."""
    lines = ["| key | holds | kept for | owner |", "|---|---|---|---|"]
    lines += [f"| `{k.shown}` | {k.holds} | {k.kept} | `{k.owner}` |" for k in keys]
    lines += [f"| `{pattern}` | {holds} | {kept} | RQ |" for pattern, holds, kept in RQ_KEYS]
    return "\n".join(lines)
