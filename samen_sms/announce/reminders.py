"""When a session's reminder goes, and that everyone who says yes before the session gets it.

The reminder is an RQ job scheduled for its time (`enqueue_at`: RQ keeps it in Redis, and the
scheduler that runs inside `python -m workers` moves it onto the queue when the time comes, after
any restart). Its time is the day before at 10:00; when a session is added too late for that, the
session's own day at 10:00, or `LEAD` before the start; when even that has passed, no reminder is
scheduled and each yes gets it at once. A yes that comes after the reminder's time (a late yes)
is put on the reminder's to-do and the reminder runs again at once: it reaches only who it has not
reached yet. So the reply to a yes can promise "a reminder before the session" and keep it.

The time is kept in the reminder's state (`phase` "scheduled", `at`), where the console and
`sessions status` show it and a yes reads it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

import redis

from samen_sms.announce import broadcast, redis_keys
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.core.quiet import AMSTERDAM

REMINDER_HOUR = 10  # the day before, at 10:00 Amsterdam time: never in quiet hours by default
LEAD = timedelta(hours=3)  # the latest a reminder is still of use: time to plan the way there
SCHEDULED = "scheduled"


def reminder_time(session: infosessions.InfoSession, now: datetime) -> datetime | None:
    """When the reminder goes: the day before at 10:00, else the day itself at 10:00, else `LEAD` before.

    None when even `LEAD` before the start has passed: then each yes gets the reminder at once.
    """
    start = session.start_time
    latest = start - LEAD
    candidates = [
        datetime.combine(start.date() - timedelta(days=1), clock(REMINDER_HOUR), tzinfo=AMSTERDAM),
        datetime.combine(start.date(), clock(REMINDER_HOUR), tzinfo=AMSTERDAM),
        latest,
    ]
    return next((at for at in candidates if now < at <= latest), None)


def short_notice(session: infosessions.InfoSession, now: datetime) -> datetime | None | bool:
    """For the form's warning: False when the reminder goes the day before at 10:00, else its time (or None)."""
    at = reminder_time(session, now)
    day_before = session.start_time.date() - timedelta(days=1)
    if at is not None and at.date() == day_before and at.hour == REMINDER_HOUR:
        return False
    return at


def schedule(rt: Any, session: infosessions.InfoSession, pipe: Any, now: datetime) -> datetime | None:
    """Queue, on `pipe`, the session's reminder at its time (and note the time); returns it."""
    at = reminder_time(session, now)
    state = broadcast.key(BroadcastKind.REMINDER.of(session.id), "state")
    keep_until = int(session.starts) + broadcast.KEEP_AFTER_SESSION
    if at is None:
        pipe.hset(state, mapping={"phase": "each yes at once", "at": 0})
    else:
        broadcast.enqueue(rt, session.id, BroadcastKind.REMINDER, at=at, pipeline=pipe, for_start=session.starts)
        pipe.hset(state, mapping={"phase": SCHEDULED, "at": int(at.timestamp())})
    pipe.expireat(state, keep_until)
    return at


def reset(pipe: Any, session_id: str, kind: BroadcastKind) -> None:
    """Forget, on `pipe`, who a broadcast reached: after a move, everyone coming is reminded (or told) again."""
    bid = kind.of(session_id)
    for part in ("todo", "done", "stats", "state"):
        pipe.delete(broadcast.key(bid, part))


def after_yes(conn: redis.Redis, queue: Any, config: Any, pipe: Any, session_id: str, p: str) -> None:
    """A yes: if the reminder's time has come (or there is none), put them on its to-do and run it now.

    Before its time nothing is needed: the scheduled reminder reads every yes when it runs.
    """
    raw: Any = conn.get(redis_keys.SESSION(session_id))
    if not raw:
        return
    session = infosessions.InfoSession.loads(raw)
    now = time.time()
    if session.cancelled or session.starts <= now:
        return
    state: Any = conn.hgetall(broadcast.key(BroadcastKind.REMINDER.of(session_id), "state"))
    phase = state.get(b"phase", b"").decode()
    at = float(state.get(b"at", b"0") or 0)
    if phase == SCHEDULED and at > now:
        return
    bid = BroadcastKind.REMINDER.of(session_id)
    pipe.sadd(broadcast.key(bid, "todo"), p)  # the claim (HSETNX on done) skips anyone already reminded
    pipe.expireat(broadcast.key(bid, "todo"), int(session.starts) + broadcast.KEEP_AFTER_SESSION)
    broadcast.enqueue_on(queue, config, session_id, BroadcastKind.REMINDER, pipeline=pipe)
