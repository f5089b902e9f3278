"""Anonymous daily counts, queued on a caller's pipeline as one command: nothing per person is kept.

Every room that counts something for the reach figures (the webhook's reach hook, broadcasts,
erasure) calls `count` on the pipeline it already sends, so counting costs no round trip and one
Redis command (a small Lua script doing the HINCRBYs, the PFADD and the expiries together).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from samen_sms.core import keyspace
from samen_sms.core.quiet import AMSTERDAM

KEEP = 400 * 24 * 3600  # counters expire 400 days after their day: a year's report, and a margin

# KEYS[1] the day's hash; KEYS[2], when given, a HyperLogLog of people reached by one code in a week.
# ARGV[1] the TTL, ARGV[2] what the HyperLogLog hashes (a pseudonym, never stored as such), ARGV[3..] fields.
_COUNT = """
for i = 3, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if KEYS[2] then
  redis.call('PFADD', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return 1
"""


def day_of(ts: float) -> date:
    """The day (Europe/Amsterdam) a moment belongs to."""
    return datetime.fromtimestamp(ts, AMSTERDAM).date()


def week_of(day: date) -> str:
    """The ISO week a day belongs to, as `2026-W48`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def count(pipe: Any, fields: Iterable[str], now: float, reached: tuple[str, str] | None = None) -> None:
    """Queue on `pipe`: add one to each field of today's counts; `reached` = (code, pseudonym) adds a person.

    Fields are `metric` or `metric:value` (e.g. `first:sms`, `screen:help_now`); no field may name a
    person. The pseudonym only feeds the HyperLogLog's hash; it is never written as a key or value.
    """
    day = day_of(now)
    names = list(fields)
    if not names and reached is None:
        return
    if reached is None:
        pipe.eval(_COUNT, 1, keyspace.REACH_DAY(day.isoformat()), KEEP, "", *names)
        return
    code, pseudonym = reached
    people = keyspace.REACH_PEOPLE(week_of(day), code)
    pipe.eval(_COUNT, 2, keyspace.REACH_DAY(day.isoformat()), people, KEEP, pseudonym, *names)
