"""Quiet hours: no announcement arrives at night, when someone else may read the phone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """Read `HH:MM-HH:MM` (Europe/Amsterdam); empty means no quiet hours. Raise ValueError otherwise."""
    spec = spec.strip()
    if not spec:
        return None
    try:
        start_s, end_s = spec.split("-")
        start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
    except ValueError:
        raise ValueError(f"quiet hours must look like 21:00-09:00, not {spec!r}") from None
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return start, end


def quiet_until(spec: str, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (aware, Amsterdam time), or None if `now` is not quiet."""
    window = parse_quiet_hours(spec)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(AMSTERDAM)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:  # across midnight, e.g. 21:00-09:00
        quiet = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=AMSTERDAM)
