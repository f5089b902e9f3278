"""Dates and times as people in the Netherlands say them, in the console's language (Babel):
Amsterdam time, never UTC; "week of 7 December", never 2026-W50."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from samen_sms.console import i18n
from samen_sms.core.quiet import AMSTERDAM


def local(ts: float) -> datetime:
    """A moment in Amsterdam time."""
    return datetime.fromtimestamp(ts, AMSTERDAM)


def when(ts: float) -> str:
    """A moment as a page shows it: "7 Dec 2026, 14:05" (Amsterdam time)."""
    return format_datetime(local(ts), "d MMM y, HH:mm", tzinfo=AMSTERDAM, locale=i18n.current_language())


def time_of_day(ts: float) -> str:
    """The hour and minute of a moment, Amsterdam time: "14:05"."""
    return local(ts).strftime("%H:%M")


def day_label(day: date | str) -> str:
    """A day as a chart labels it: "7 Dec"."""
    found = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(found, "d MMM", locale=i18n.current_language())


def week_label(week: str) -> str:
    """An ISO week (2026-W50) as people say it: "week of 7 December" (its Monday)."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return i18n.gettext("week of %(day)s", day=format_date(monday, "d MMMM", locale=i18n.current_language()))


def week_start(week: str) -> str:
    """An ISO week named by its Monday, short, for a table's column: "7 Dec"."""
    year, number = week.split("-W")
    return day_label(date.fromisocalendar(int(year), int(number), 1))


def month_label(month: str) -> str:
    """A month (2026-12) as people say it: "December 2026"."""
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "LLLL y", locale=i18n.current_language())
