"""Figures for the overview: counts only, small ones shown as `<5`, nothing about anyone.

Totals since the line started (the reply counters, `line.ledger`), the subscriptions and each
announcement's counts (`announce.subscriptions`, `announce.progress`) are asked of the rooms that
keep them; the figures for today, 7 and 30 days come from the reach room's tables
(`reach.stats.tables`), which count and hide small numbers: this module only picks cells out.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import redis

from samen_sms.announce import progress, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.console import redis_keys
from samen_sms.line import ledger
from samen_sms.reach import stats

SMALL = 5
WINDOWS = {"today": 1, "7 days": 7, "30 days": 30}  # days back, today included
PERIODS = (*WINDOWS, "since start")
CHANNELS = {"sms": "SMS", "whatsapp": "WhatsApp"}
Row = tuple[str, str, int]  # name, as shown, as drawn


def bar(n: int) -> int:
    """A count as a chart may draw it: small ones not at all (their label says `<5`)."""
    return n if n >= SMALL else 0


def drawn(cell: str) -> int:
    """A table cell as a chart may draw it: hidden ones (`<5`, `*`) not at all."""
    return bar(int(cell)) if cell.isdigit() else 0


@dataclass
class Window:
    """One window's reach figures, as `reach.stats` shows them (small numbers hidden)."""

    first: str  # first contacts
    screens: str
    opted_in: str
    delivered: str  # announcements delivered
    by_channel: list[Row]
    by_language: list[Row]  # languages chosen
    by_screen: list[Row]
    daily: list[Row]  # first contacts per day


def _grouped(table: stats.Table, names: dict[str, str]) -> list[Row]:
    rows = [(names.get(r[1], r[1]), r[2]) for r in table.rows if r[0] == stats.TOTAL and r[1] != stats.ALL]
    return sorted(((name, cell, drawn(cell)) for name, cell in rows if cell != "0"), key=lambda r: (-r[2], r[0]))


def window(conn: redis.Redis, days: Mapping[date, Mapping[str, int]], languages: dict[str, str]) -> Window:
    """The reach figures of these days (`reach.stats.read_days`) by channel, language chosen and screen."""
    found = stats.tables_of(conn, days, "day", [None, "channel", "language", "screen"], hosts=infosessions.hosts)
    plain = found[None]
    total = dict(zip(plain.columns, plain.rows[-1], strict=True))
    first = plain.columns.index("first")
    return Window(
        first=total["first"],
        screens=total["screen"],
        opted_in=total["opted_in"],
        delivered=total["delivered"],
        by_channel=_grouped(found["channel"], CHANNELS),
        by_language=_grouped(found["language"], languages),
        by_screen=_grouped(found["screen"], {}),
        daily=[(row[0], row[first], drawn(row[first])) for row in plain.rows[:-1]],
    )


def windows(conn: redis.Redis, today: date, languages: dict[str, str]) -> dict[str, Window]:
    """Today, the last 7 and the last 30 days (today included), from one read of the day counts."""
    days = stats.read_days(conn, today - timedelta(days=max(WINDOWS.values()) - 1), today)
    out = {}
    for name, back in WINDOWS.items():
        start = today - timedelta(days=back - 1)
        out[name] = window(conn, {day: counts for day, counts in days.items() if day >= start}, languages)
    return out


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
    windows: dict[str, Window] = field(default_factory=dict)
    counted_at: float | None = None  # when subscriptions were last counted by language and channel


MIX_FRESH = 60
MIX_KEEP = 600
log = logging.getLogger(__name__)


def count_mix(conn: Any, pause: float = 0.0) -> dict[str, Any]:
    """Count subscriptions by language and channel (`subscriptions.mix`), region by region, and keep the result.

    `pause` seconds between regions let webhooks through: Redis runs one script at a time.
    """
    by_lang: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    for region in subscriptions.REGIONS:
        for (locale, channel), n in subscriptions.mix(conn, region).items():
            by_lang[locale] += n
            by_channel[CHANNELS[channel.value]] += n
        time.sleep(pause)
    mix = {"at": time.time(), "languages": dict(by_lang), "channels": dict(by_channel)}
    conn.set(redis_keys.CONSOLE_FIGURES("mix"), json.dumps(mix), ex=MIX_KEEP)
    return mix


def _count_in_background(conn: Any) -> None:
    # One count at a time across every web process; a page never waits for it.
    if not conn.set(redis_keys.CONSOLE_FIGURES("lock"), 1, nx=True, ex=120):
        return

    def run() -> None:
        try:
            count_mix(conn, pause=0.01)
        except Exception:
            log.exception("could not count subscriptions for the overview")
        finally:
            conn.delete(redis_keys.CONSOLE_FIGURES("lock"))

    threading.Thread(target=run, name="console-figures", daemon=True).start()


def subscriber_mix(conn: Any) -> tuple[Counter[str], Counter[str], Counter[str], float | None]:
    """Subscriptions by language and channel (as last counted, and when), and by region (exact, now)."""
    by_region = subscriptions.per_region(conn)
    raw = conn.get(redis_keys.CONSOLE_FIGURES("mix"))
    mix = json.loads(raw) if raw else None
    if mix is None or mix["at"] < time.time() - MIX_FRESH:
        _count_in_background(conn)
    if mix is None:
        return Counter(), Counter(), by_region, None
    return Counter(mix["languages"]), Counter(mix["channels"]), by_region, float(mix["at"])


def gather(conn: redis.Redis, session_ids: list[str], today: date, languages: dict[str, str]) -> Overview:
    """Read the figures from their owners: the line's reply counts, the announcements' (and the cached mix)."""
    c: Any = conn
    replies = ledger.reply_counts(conn)
    broadcasts = progress.announcement_counts(conn, session_ids)
    out = Overview(
        replies_sent=replies.sent.get("replies", 0),
        replies_failed=replies.failed,
        delivery=replies.status,
        opted_out=subscriptions.opted_out(conn),
    )
    for counts in broadcasts.values():
        out.announced["sent"] += counts["sent"]
        out.announced["delivered"] += counts["delivered"]
        out.announced["failed"] += sum(v for k, v in counts.items() if k.startswith("failed") or k == "undelivered")
    out.subscribers, out.channels, out.regions, out.counted_at = subscriber_mix(c)
    out.windows = windows(conn, today, languages)
    return out


def screen_names(flow: Any, titles: Mapping[str, Any], step: str) -> dict[str, str]:
    """What each screen is called in plain words: its menu title in `titles` (a catalogue's messages),
    or, for a step without a title of its own, the title of the screen it belongs to and `step`."""
    names: dict[str, str] = {}

    def title(node: Any) -> str | None:
        text = titles.get(node.title) if node.title else None
        return text.sms.strip() if text is not None else None

    for name, node in flow.nodes.items():
        own = title(node)
        parent = flow.nodes.get(node.back) if node.back else None
        if own:
            names[name] = own
        elif parent is not None and title(parent):
            names[name] = f"{title(parent)}: {step}"
        else:
            names[name] = name.replace("_", " ").capitalize()
    return names


def rows(counts: Counter[str], names: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """Chart and table rows (name, shown, drawn), largest first."""
    names = names or {}
    return [(names.get(k, k), stats.shown(v), bar(v)) for k, v in counts.most_common()]


def parts(counts: Counter[str], names: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """`rows` of counts that add up to a total the page shows (subscribers by language, channel, region):
    also `*` where the total would give a <5 back, as `reach.stats` hides a table's cells."""
    names = names or {}
    found = counts.most_common()
    hidden = stats.suppress([[n] for _, n in found] + [[sum(counts.values())]])
    return [(names.get(k, k), cell[0], drawn(cell[0])) for (k, _), cell in zip(found, hidden[:-1], strict=True)]
