"""Figures for the overview: counts only, small ones shown as `<5`, nothing about anyone.

Today the line keeps totals since it started (`samen:stats:*`), subscriptions per region and each
announcement's counts. `PERIODS` lists the windows the overview shows; per-day counters (the reach
figures) add "today", "7 days" and "30 days" by giving `Source.window` an answer for them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

from samen_sms.announce import subscriptions
from samen_sms.core import keyspace

SMALL = 5
CACHE_SECONDS = 60
PERIODS = ("today", "7 days", "30 days", "since start")


def shown(n: int) -> str:
    """A count as it may be shown: 1 to 4 as `<5`, so no small group can be singled out."""
    return "<5" if 0 < n < SMALL else str(n)


def bar(n: int) -> int:
    """A count as a chart may draw it: small ones not at all (their label says `<5`)."""
    return n if n >= SMALL else 0


@dataclass
class Overview:
    """Everything the overview page shows."""

    replies_sent: int = 0
    replies_failed: Counter[str] = field(default_factory=Counter)
    delivery: Counter[str] = field(default_factory=Counter)
    subscribers: Counter[str] = field(default_factory=Counter)  # by language
    channels: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    opted_out: int = 0
    announced: Counter[str] = field(default_factory=Counter)  # sent, delivered, failed over all sessions
    windows: dict[str, dict[str, int] | None] = field(default_factory=dict)


_cache: dict[str, tuple[float, Any]] = {}


def _ints(raw: dict[bytes, bytes]) -> Counter[str]:
    return Counter({k.decode(): int(v) for k, v in raw.items()})


def subscriber_mix(conn: Any) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Subscriptions by language, channel and region (read in batches; cached for a minute per process)."""
    hit = _cache.get("mix")
    if hit and hit[0] > time.monotonic():
        mix: tuple[Counter[str], Counter[str], Counter[str]] = hit[1]
        return mix
    by_lang: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    for region in subscriptions.REGIONS:
        cursor = 0
        while True:
            cursor, batch = conn.hscan(keyspace.SUBSCRIBERS(region), cursor, count=5000)
            for raw in batch.values():
                locale, channel, _ = raw.split(b"|", 2)
                by_lang[locale.decode()] += 1
                by_channel["WhatsApp" if channel == b"w" else "SMS"] += 1
            by_region[region] += len(batch)
            if cursor == 0:
                break
    _cache["mix"] = (time.monotonic() + CACHE_SECONDS, (by_lang, by_channel, by_region))
    return by_lang, by_channel, by_region


def gather(conn: redis.Redis, session_ids: list[str]) -> Overview:
    """Read the figures in one pipelined round trip (plus the cached subscriber mix)."""
    c: Any = conn
    pipe = c.pipeline(transaction=False)
    pipe.hgetall(keyspace.STATS("sent"))
    pipe.hgetall(keyspace.STATS("send_failed"))
    pipe.hgetall(keyspace.STATS("status"))
    pipe.scard(keyspace.OPTOUT())
    for sid in session_ids:
        pipe.hgetall(keyspace.BROADCAST_STATS(f"{sid}:a"))
    sent, failed, status, opted_out, *broadcasts = pipe.execute()
    out = Overview(
        replies_sent=int(sent.get(b"replies", 0)),
        replies_failed=_ints(failed),
        delivery=_ints(status),
        opted_out=int(opted_out),
    )
    for stats in broadcasts:
        counts = _ints(stats)
        out.announced["sent"] += counts["sent"]
        out.announced["delivered"] += counts["delivered"]
        out.announced["failed"] += sum(v for k, v in counts.items() if k.startswith("failed") or k == "undelivered")
    out.subscribers, out.channels, out.regions = subscriber_mix(c)
    # The per-day windows come with the reach counters; until then only "since start" has figures.
    out.windows = {period: None for period in PERIODS[:-1]}
    return out


def rows(counts: Counter[str], names: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """Chart and table rows (name, shown, drawn), largest first."""
    names = names or {}
    return [(names.get(k, k), shown(v), bar(v)) for k, v in counts.most_common()]
