"""How announcements plug into the line: effect handlers, erasure, delivery reports, the CLI.

`register(registry)` is called once per process by the app's assembly; `init_app(app)` adds the
`flask sessions` commands. Nothing here runs at import time.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import redis

from samen_sms.announce import broadcast, progress, redis_keys, reminders, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.subscriptions import RSVP_TTL, WHATSAPP_WINDOW, Subscriber
from samen_sms.content.effects import OptIn, OptOutAnnouncements, Rsvp, Start, Stop
from samen_sms.core.identity import Address, Channel
from samen_sms.line import ledger
from samen_sms.line.registry import Change, Registry
from samen_sms.line.store import LineQueue

if TYPE_CHECKING:
    from flask import Flask

    from samen_sms.line.runtime import Runtime

# Twilio's answer for a number that sent STOP to Twilio itself.
UNSUBSCRIBED = 21610


def register(registry: Registry) -> None:
    """Add the announcements' handlers to the line's registry."""
    registry.on_message.append(keep_whatsapp_window)
    registry.handle(OptIn, opt_in)
    registry.handle(OptOutAnnouncements, lambda change, _: subscriptions.unsubscribe(change.pipe, change.pseudonym))
    registry.handle(Stop, lambda change, _: subscriptions.opt_out(change.pipe, change.pseudonym))
    registry.handle(Start, lambda change, _: change.pipe.srem(redis_keys.OPTOUT(), change.pseudonym))
    registry.handle(Rsvp, rsvp)
    registry.erasers.append(erase)
    registry.on_status.append(broadcast.status_hook)
    registry.on_status.append(close_window_on_report)
    registry.on_send_failed.append(stop_after_refusal)
    registry.on_send_failed.append(close_window_after_refusal)
    registry.session_hosts = infosessions.hosts
    registry.broadcast_counts = progress.all_counts


def init_app(app: Flask) -> None:
    """The `flask sessions` commands."""
    from samen_sms.announce.cli import sessions_cli

    app.cli.add_command(sessions_cli)


def keep_whatsapp_window(change: Change) -> None:
    """A WhatsApp message opens the 24-hour window in which free text may be sent back."""
    if change.address.channel is Channel.WHATSAPP:
        change.pipe.set(redis_keys.WHATSAPP_WINDOW(change.pseudonym), 1, ex=WHATSAPP_WINDOW)


def opt_in(change: Change, effect: OptIn) -> None:
    """Store the subscription with its consent record; the number only sealed."""
    sub = Subscriber(
        effect.region,
        change.outcome.reply_locale,
        effect.channel,
        int(time.time()),
        effect.how.value,
        change.keys.seal(change.address),
    )
    subscriptions.subscribe(change.pipe, change.pseudonym, sub)


def rsvp(change: Change, effect: Rsvp) -> None:
    """Count the person as interested in the session (the hash expires with the session's replies)."""
    change.pipe.hset(redis_keys.RSVP(effect.session_id), change.pseudonym, int(time.time()))
    change.pipe.expire(redis_keys.RSVP(effect.session_id), RSVP_TTL)
    # A yes after the reminder's time gets it now: the reply promised a reminder before the session.
    queue = LineQueue(change.config.queue_name, connection=change.conn)
    reminders.after_yes(change.conn, queue, change.config, change.pipe, effect.session_id, change.pseudonym)


def erase(conn: redis.Redis, pipe: Any, p: str, config: Any) -> None:
    """Subscription, opt-out mark, WhatsApp window, RSVPs and every broadcast's record of the person."""
    subscriptions.erase(pipe, p)


def stop_after_refusal(rt: Runtime, p: str, address: Address, code: int, forget: bool) -> None:
    """Twilio says the number unsubscribed (21610): no more announcements either.

    Not for an erasure's confirmation: the opt-out mark is kept for good, and the person asked to be
    forgotten (having said STOP to Twilio before the delete word, their confirmation is refused).
    """
    if code == UNSUBSCRIBED and not forget:
        rt.redis.sadd(redis_keys.OPTOUT(), p)


def close_window_after_refusal(rt: Runtime, p: str, address: Address, code: int, forget: bool) -> None:
    """Twilio says the WhatsApp window is closed (63016): announcements go as templates until they write."""
    if code == subscriptions.OUTSIDE_WHATSAPP_WINDOW and address.channel is Channel.WHATSAPP and not forget:
        subscriptions.close_whatsapp_window(rt.redis, p)


# KEYS: the sent message's recipient, lent by the line (`ledger.recipient_key`: read here in the same
# step, never written). ARGV: the WhatsApp window key's prefix.
_CLOSE_WINDOW = """
local p = redis.call('GET', KEYS[1])
if p then redis.call('DEL', ARGV[1] .. p) end
return 0
"""


def close_window_on_report(pipe: Any, message_sid: str, status: str, error_code: str) -> None:
    """`/twilio/status` hook: WhatsApp took free text and reports 63016 afterwards, as it usually does."""
    if status in ("failed", "undelivered") and error_code == str(subscriptions.OUTSIDE_WHATSAPP_WINDOW):
        pipe.eval(_CLOSE_WINDOW, 1, ledger.recipient_key(message_sid), redis_keys.WHATSAPP_WINDOW.prefix)
