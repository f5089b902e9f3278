"""Figures for a funder: one date range by month, and by language, channel and code, small numbers hidden.

Every cell comes from `reach.stats` (1 to 4 as `<5`, `*` where a total would give one back), so the
report, `flask stats` and the overview agree. A report names codes and languages, never a person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import redis

from samen_sms.line.registry import HostsLookup
from samen_sms.reach import stats

MAX_DAYS = 400  # day counts are kept 400 days
BREAKDOWNS: tuple[str | None, ...] = (None, "language", "channel", "code")


class RangeError(ValueError):
    """The dates asked for cannot make a report: `.args[0]` is why (`format`, `order`, `long`; the page words it)."""


@dataclass(frozen=True)
class Report:
    """The tables of one date range, by month: the plain figures, then one per breakdown."""

    start: date
    end: date
    tables: dict[str | None, stats.Table]


def date_range(start: str, end: str, today: date) -> tuple[date, date]:
    """The first and last day typed in a form (the last 12 months when left empty)."""
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else (last.replace(day=1) - timedelta(days=335)).replace(day=1)
    except ValueError:
        raise RangeError("format") from None
    if first > last:
        raise RangeError("order")
    if (last - first).days >= MAX_DAYS:
        raise RangeError("long")
    return first, last


def report(conn: redis.Redis, first: date, last: date, hosts: HostsLookup) -> Report:
    """Every table of the range, by month, the day counts read once."""
    return Report(first, last, stats.tables(conn, first, last, "month", BREAKDOWNS, hosts=hosts))


def as_csv(found: Report, names: dict[str, str]) -> str:
    """The report in one CSV: one row per month (and total), breakdown value and figure, as the page shows it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from", "to", "breakdown", "month", "value", "figure", "count"])
    for breakdown, table in found.tables.items():
        keys = 2 if breakdown else 1
        for row in table.rows:
            value = row[1] if breakdown else stats.ALL
            for figure, cell in zip(table.columns[keys:], row[keys:], strict=True):
                shown = names.get(value, value)
                writer.writerow([found.start, found.end, breakdown or "all", row[0], shown, figure, cell])
    writer.writerow([])
    writer.writerow([stats.LEGEND])
    return out.getvalue()
