"""Helper hours: when the hand-over may promise that a person writes back (Europe/Amsterdam)."""

from __future__ import annotations

from datetime import datetime, time

from samen_sms.core.quiet import AMSTERDAM

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(spec: str) -> tuple[frozenset[int], time, time] | None:
    """Read `mon-fri 09:00-17:00` (days optional: every day); empty means any time. ValueError otherwise."""
    spec = spec.strip().lower()
    if not spec:
        return None
    days_s, _, hours_s = spec.rpartition(" ")
    try:
        start_s, end_s = hours_s.split("-")
        start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
        days = _days(days_s.strip()) if days_s.strip() else frozenset(range(7))
    except ValueError:
        raise ValueError(f"helper hours must look like mon-fri 09:00-17:00, not {spec!r}") from None
    if start >= end:
        raise ValueError("helper hours must end after they start, within one day")
    return days, start, end


def open_at(spec: str, now: datetime) -> bool:
    """Whether `now` falls within the helper hours `spec` (empty: always)."""
    hours = parse_hours(spec)
    if hours is None:
        return True
    days, start, end = hours
    local = now.astimezone(AMSTERDAM)
    return local.weekday() in days and start <= local.time().replace(tzinfo=None) < end


def _days(spec: str) -> frozenset[int]:
    out: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(range(a, b + 1) if a <= b else (*range(a, 7), *range(0, b + 1)))
    return frozenset(out)
