"""Anonymous daily counts, queued on a caller's pipeline as one command: nothing per person is kept.

Every room that counts something for the reach figures (the webhook's reach hook, broadcasts,
erasure) calls `count` on the pipeline it already sends, so counting costs no round trip and one
Redis command (a small Lua script doing the HINCRBYs, the PFADD and the expiries together).
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from samen_sms.core import redis_keys
from samen_sms.core.quiet import AMSTERDAM

# A count from 1 to 4 is shown as this wherever figures are shown (reach figures, sessions, replies):
# a small exact count can point at the one or two people behind it.
SMALL = "<5"


def shown(count: int) -> str:
    """One count as any output shows it: 1-4 hidden as <5."""
    return SMALL if 1 <= count <= 4 else str(count)

KEEP = 400 * 24 * 3600  # counters expire 400 days after their day: a year's report, and a margin
# A week's salt outlives its week by this much: a message just before midnight still finds it.
SALT_MARGIN = 3600
G = TypeVar("G", bound=Hashable)

# KEYS[1] the day's hash; KEYS[2], when given, a HyperLogLog of people reached by one code in a week,
# and KEYS[3] that week's random salt. ARGV[1] the TTL, ARGV[2] the pseudonym, ARGV[3] a fresh salt
# (kept only if the week has none yet), ARGV[4] the salt's TTL, ARGV[5..] fields.
# The HyperLogLog hashes salt and pseudonym: with a pseudonym alone, adding it to a copy would show
# whether that person was counted (exactly, among a few people), also after they erased. Once the
# week's salt has expired, nobody can tell.
_COUNT = """
for i = 5, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if KEYS[2] then
  redis.call('SET', KEYS[3], ARGV[3], 'NX', 'EX', ARGV[4])
  local salt = redis.call('GET', KEYS[3])
  redis.call('PFADD', KEYS[2], redis.sha1hex(salt .. ARGV[2]))
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
    person. The pseudonym only feeds the HyperLogLog's hash, salted per week; it is never written as a
    key or value.
    """
    day = day_of(now)
    names = list(fields)
    if not names and reached is None:
        return
    if reached is None:
        pipe.eval(_COUNT, 1, redis_keys.REACH_DAY(day.isoformat()), KEEP, "", "", "", *names)
        return
    code, pseudonym = reached
    week = week_of(day)
    hll, salt = redis_keys.REACH_PEOPLE(week, code), redis_keys.REACH_SALT(week)
    salt_ttl = _seconds_to_week_end(now) + SALT_MARGIN
    args = (KEEP, pseudonym, secrets.token_hex(16), salt_ttl, *names)
    pipe.eval(_COUNT, 3, redis_keys.REACH_DAY(day.isoformat()), hll, salt, *args)


def day_key(now: float) -> str:
    """The day's counts by name, lent to a script that counts in its own atomic step (an announcement's
    delivery report, counted once as it is consumed): it may only HINCRBY a field and EXPIRE by `KEEP`."""
    return redis_keys.REACH_DAY(day_of(now).isoformat())


def read_days(conn: Any, days: Iterable[date]) -> dict[date, dict[str, int]]:
    """These days' counts, in one round trip."""
    wanted = list(days)
    pipe = conn.pipeline(transaction=False)
    for day in wanted:
        pipe.hgetall(redis_keys.REACH_DAY(day.isoformat()))
    return {day: {k.decode(): int(v) for k, v in raw.items()} for day, raw in zip(wanted, pipe.execute(), strict=True)}


def people(conn: Any, groups: Mapping[G, Iterable[tuple[str, str]]]) -> dict[G, int]:
    """Different people reached, estimated, per group of (week, code): one PFCOUNT a group, one round trip."""
    pipe = conn.pipeline(transaction=False)
    for members in groups.values():
        pipe.pfcount(*[redis_keys.REACH_PEOPLE(week, code) for week, code in members])
    return {group: int(n) for group, n in zip(groups, pipe.execute(), strict=True)}


def _seconds_to_week_end(now: float) -> int:
    """Seconds until the ISO week of `now` ends (Monday 00:00, Europe/Amsterdam)."""
    day = day_of(now)
    monday = datetime.combine(day + timedelta(days=7 - day.weekday()), time.min, AMSTERDAM)
    return max(int(monday.timestamp() - now), 1)
