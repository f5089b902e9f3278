"""Erasure that reaches Twilio: its message log keeps each text and number until deleted.

When a person sends the delete word, the line deletes at Twilio the messages it still knows for
them, with the media of each (Twilio keeps a voice note or photo apart from its message): their
messages in (`redis_keys.INBOUND_BY`) and the replies it sent (`redis_keys.SENT_BY`), and later
the neutral confirmation itself. A message Twilio is still sending cannot be deleted yet: the job
tries again later. With `SAMEN_TWILIO_DELETE_AFTER` the workers also delete every message of
the account older than that many hours, every hour. Jobs carry MessageSids only, never a number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from rq import Queue
from twilio.base.exceptions import TwilioException, TwilioRestException

from samen_sms.line import redis_keys
from samen_sms.line.replies import WorkerContext, current

log = logging.getLogger(__name__)

FORGET_JOB = "samen_sms.line.erasure.forget_at_twilio"
PURGE_JOB = "samen_sms.line.erasure.purge_twilio_log"
RETRY_AFTER = 120  # seconds: most messages reach a final state within a minute or two
MAX_TRIES = 30  # an hour of tries; a message still "sending" then is left to SAMEN_TWILIO_DELETE_AFTER
PURGE_EVERY = 3600
# Statuses in which Twilio still works on a message and refuses to delete it.
IN_PROGRESS = frozenset({"queued", "sending", "accepted", "scheduled", "receiving", "processing"})


def queue_forget(queue: Queue, sids: Iterable[str], pipe: Any = None, delay: float = 0, tries: int = 0) -> None:
    """Queue the deletion of these messages at Twilio (on `pipe`, when given), after `delay` seconds."""
    sids = sorted(set(sids))
    if not sids:
        return
    options: dict[str, Any] = {
        "args": (sids, tries),
        "description": "forget",  # RQ logs the description; the default would print the MessageSids
        "result_ttl": 0,
        "failure_ttl": 7 * 24 * 3600,
        "pipeline": pipe,
    }
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), FORGET_JOB, **options)
    else:
        queue.enqueue_call(FORGET_JOB, **options)


def delete_message(ctx: WorkerContext, sid: str, media: bool = True) -> bool | None:
    """Delete one message at Twilio, its media first (a voice note, a photo a person sent, which
    Twilio keeps apart from the message): True when gone (or never there), None when not yet possible."""
    try:
        message = ctx.sender.client.messages(sid)
        if media:
            for item in message.media.list():
                message.media(str(item.sid)).delete()
        message.delete()
    except TwilioRestException as exc:
        if exc.status == 404:
            return True
        log.info("Twilio did not delete a message yet (code %s)", exc.code or exc.status)
        return None
    except (TwilioException, requests.RequestException, OSError):
        return None
    return True


def forget_at_twilio(sids: list[str], tries: int = 0) -> int:
    """RQ job: delete these messages from Twilio's log; those still in progress are tried again later."""
    ctx = current()
    left = [sid for sid in sids if delete_message(ctx, sid) is None]
    if left and tries + 1 < MAX_TRIES:
        queue_forget(ctx.runtime.queue, left, delay=RETRY_AFTER, tries=tries + 1)
    elif left and ctx.runtime.config.twilio_delete_after:
        log.warning("%d messages not deletable at Twilio after %d tries; left to the clean-up", len(left), tries + 1)
    elif left:
        # No clean-up will reach them: an operator has to, or a person's messages stay in Twilio's log.
        log.error(
            "%d messages of an erased person not deletable at Twilio after %d tries, and SAMEN_TWILIO_DELETE_AFTER "
            "is off: they stay in Twilio's log until it is set (its clean-up deletes every older message)",
            len(left),
            tries + 1,
        )
    return len(sids) - len(left)


def purge_twilio_log(hours: float) -> int:
    """RQ job: delete every message of the account sent over `hours` ago (in and out), page by page."""
    ctx = current()
    before = datetime.now(UTC) - timedelta(hours=hours)
    deleted = 0
    # Twilio's DateSent filters go by day: the whole day of `before` comes back, so each message's
    # own date_sent decides (a message sent minutes ago may be needed by crash recovery).
    for message in ctx.sender.client.messages.stream(date_sent_before=before, page_size=1000):
        if message.status in IN_PROGRESS or message.date_sent is None or message.date_sent >= before:
            continue
        if delete_message(ctx, str(message.sid), media=str(message.num_media or "0") != "0"):
            deleted += 1
    log.info("deleted %d messages older than %s h from Twilio's log", deleted, hours)
    return deleted


def purge_if_due(ctx: WorkerContext) -> bool:
    """Queue the log clean-up when `SAMEN_TWILIO_DELETE_AFTER` is set and the last run is an hour old."""
    rt = ctx.runtime
    hours = rt.config.twilio_delete_after
    if not hours or not rt.redis.set(redis_keys.TWILIO_PURGE(), int(time.time()), nx=True, ex=PURGE_EVERY):
        return False
    rt.queue.enqueue_call(PURGE_JOB, args=(hours,), description="purge", result_ttl=0, timeout=PURGE_EVERY)
    return True
