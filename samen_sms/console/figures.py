"""Figures for the overview: counts only, small ones shown as `<5`, nothing about anyone.

Today the line keeps totals since it started (the reply counters in the key registry), the
subscriptions, and each announcement's counts. `PERIODS` lists the windows the overview shows;
per-day counters (the reach figures) fill `Overview.windows` for "today", "7 days" and "30 days".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

from samen_sms.announce import subscriptions
from samen_sms.core import keyspace

SMALL = 5
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
    counted_at: float | None = None  # when subscriptions were last counted by language and channel


def _ints(raw: dict[bytes, bytes]) -> Counter[str]:
    return Counter({k.decode(): int(v) for k, v in raw.items()})


# Counted inside Redis, one region at a time: only the counts travel, never a subscription, and each
# call holds Redis for a few milliseconds at most.
_MIX = """
local counts = {}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local bar = string.find(v, '|', 1, true)
  if bar then
    local key = string.sub(v, 1, bar + 1)
    counts[key] = (counts[key] or 0) + 1
  end
end
local out = {}
for k, n in pairs(counts) do table.insert(out, k); table.insert(out, n) end
return out
"""


MIX_FRESH = 60
MIX_KEEP = 600
log = logging.getLogger(__name__)


def count_mix(conn: Any, pause: float = 0.0) -> dict[str, Any]:
    """Count subscriptions by language and channel in Redis, region by region, and keep the result.

    `pause` seconds between regions let webhooks through: Redis runs one script at a time.
    """
    by_lang: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    script = conn.register_script(_MIX)
    for region in subscriptions.REGIONS:
        flat = script(keys=[keyspace.SUBSCRIBERS(region)])
        for key, n in zip(flat[::2], flat[1::2], strict=True):
            locale, channel = key.decode().split("|", 1)
            by_lang[locale] += int(n)
            by_channel["WhatsApp" if channel == "w" else "SMS"] += int(n)
        time.sleep(pause)
    mix = {"at": time.time(), "languages": dict(by_lang), "channels": dict(by_channel)}
    conn.set(keyspace.CONSOLE_FIGURES("mix"), json.dumps(mix), ex=MIX_KEEP)
    return mix


def _count_in_background(conn: Any) -> None:
    # One count at a time across every web process; a page never waits for it.
    if not conn.set(keyspace.CONSOLE_FIGURES("lock"), 1, nx=True, ex=120):
        return

    def run() -> None:
        try:
            count_mix(conn, pause=0.01)
        except Exception:
            log.exception("could not count subscriptions for the overview")
        finally:
            conn.delete(keyspace.CONSOLE_FIGURES("lock"))

    threading.Thread(target=run, name="console-figures", daemon=True).start()


def subscriber_mix(conn: Any) -> tuple[Counter[str], Counter[str], Counter[str], float | None]:
    """Subscriptions by language and channel (as last counted, and when), and by region (exact, now)."""
    pipe = conn.pipeline(transaction=False)
    for region in subscriptions.REGIONS:
        pipe.hlen(keyspace.SUBSCRIBERS(region))
    pipe.get(keyspace.CONSOLE_FIGURES("mix"))
    *lengths, raw = pipe.execute()
    by_region = Counter({r: int(n) for r, n in zip(subscriptions.REGIONS, lengths, strict=True) if int(n)})
    mix = json.loads(raw) if raw else None
    if mix is None or mix["at"] < time.time() - MIX_FRESH:
        _count_in_background(conn)
    if mix is None:
        return Counter(), Counter(), by_region, None
    return Counter(mix["languages"]), Counter(mix["channels"]), by_region, float(mix["at"])


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
    out.subscribers, out.channels, out.regions, out.counted_at = subscriber_mix(c)
    # The per-day windows come with the reach counters; until then only "since start" has figures.
    out.windows = {period: None for period in PERIODS[:-1]}
    return out


def rows(counts: Counter[str], names: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """Chart and table rows (name, shown, drawn), largest first."""
    names = names or {}
    return [(names.get(k, k), shown(v), bar(v)) for k, v in counts.most_common()]
