"""A session's life after it is added: changed (moved, another place) or cancelled, with a notice to who is coming.

A change of time or place, once the session is announced, sends the people who said yes a notice
(`BroadcastKind.CHANGE`, in their language, rendered from the session as it now is); a new time
also schedules the reminder again, for everyone coming, the ones already reminded too. A
cancellation marks the session (never announced or reminded again) and sends `BroadcastKind.CANCEL`.
Only the title or description changed: no notice (nobody needs a message for a reworded title).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum

from samen_sms.announce import broadcast, progress, reminders
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.line.runtime import Runtime


class Told(StrEnum):
    """What a change means for the people coming."""

    NOTHING = "nothing"  # not announced yet, or only its words changed
    NOTICE = "notice"  # its time or place changed: they get a notice


def announced(rt: Runtime, session_id: str) -> bool:
    """Whether the session's announcement has begun (people may have said yes)."""
    return bool(progress.numbers(rt, session_id, BroadcastKind.ANNOUNCEMENT)["phase"] != "not started")


def moved(before: infosessions.InfoSession, after: infosessions.InfoSession) -> bool:
    """Whether the time or place changed: what someone coming must hear about."""
    where = ("starts", "ends", "place", "online")
    return any(getattr(before, name) != getattr(after, name) for name in where)


def change(rt: Runtime, before: infosessions.InfoSession, after: infosessions.InfoSession, now: datetime) -> Told:
    """Store the changed session; a new time reschedules the reminder, and a move is told to who is coming."""
    changed = dataclasses.replace(after, id=before.id, host_code=after.host_code or before.host_code)
    notice = announced(rt, before.id) and moved(before, changed)
    pipe = rt.redis.pipeline(transaction=True)
    infosessions.replace(changed, pipe)
    if changed.starts != before.starts:
        # The old job finds another start and does nothing; this one reminds everyone coming again.
        reminders.reset(pipe, before.id, BroadcastKind.REMINDER)
        reminders.schedule(rt, changed, pipe, now)
    if notice:
        reminders.reset(pipe, before.id, BroadcastKind.CHANGE)  # a second move is told to everyone again
    pipe.execute()
    if notice:
        broadcast.enqueue(rt, before.id, BroadcastKind.CHANGE)
        return Told.NOTICE
    return Told.NOTHING


def cancel(rt: Runtime, session: infosessions.InfoSession) -> Told:
    """Call the session off: never announced or reminded again, and who is coming is told."""
    notice = announced(rt, session.id)
    pipe = rt.redis.pipeline(transaction=True)
    infosessions.replace(dataclasses.replace(session, cancelled=True), pipe)
    pipe.execute()
    if notice:
        broadcast.enqueue(rt, session.id, BroadcastKind.CANCEL)
        return Told.NOTICE
    return Told.NOTHING
