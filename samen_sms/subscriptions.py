"""Who asked for announcements: consent, region, language and channel, found by pseudonym only.

Keys (`{p}` is the pseudonym; the number is only ever stored sealed):
- `samen:subs:{region}`  hash, pseudonym -> `locale|channel|consent time|how|sealed address`
                         (one hash per safety region `VR01`..`VR25`, `NL` for the whole country)
- `samen:optout`         set of pseudonyms that said stop (or Twilio refused with 21610)
- `samen:wa:{p}`         exists for 24 h after the person's last WhatsApp message
- `samen:rsvp:{session}` hash, pseudonym -> time: who replied to that session's announcement
                         (expires 120 days after the last reply)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.engine import Outcome
from samen_sms.identity import Address, Channel, Keys
from samen_sms.privacy import register_eraser

log = logging.getLogger(__name__)

PREFIX = "samen:"
OPTOUT = PREFIX + "optout"
SESSIONS_INDEX = PREFIX + "sessions"
WHATSAPP_WINDOW = 24 * 3600
# Replies to an announcement are kept for the reminder and the count, then go (sessions are announced
# weeks, not months, ahead).
RSVP_TTL = 120 * 24 * 3600
REGIONS = ("NL", *(f"VR{n:02d}" for n in range(1, 26)))
HOW = {"d": "replied with a digit", "w": "replied with a yes word"}


def subs_key(region: str) -> str:
    """The hash of one region's subscribers."""
    return f"{PREFIX}subs:{region}"


def whatsapp_key(p: str) -> str:
    """Exists while the person's WhatsApp 24-hour window is open."""
    return f"{PREFIX}wa:{p}"


def rsvp_key(session_id: str) -> str:
    """Who replied to one session's announcement."""
    return f"{PREFIX}rsvp:{session_id}"


@dataclass(frozen=True)
class Subscriber:
    """One subscription as stored: no number except sealed."""

    region: str
    locale: str
    channel: Channel
    consent_at: int
    how: str
    sealed: str

    def dumps(self) -> str:
        """The compact stored form."""
        channel = "w" if self.channel is Channel.WHATSAPP else "s"
        return f"{self.locale}|{channel}|{self.consent_at}|{self.how}|{self.sealed}"

    @classmethod
    def loads(cls, region: str, raw: str | bytes) -> Subscriber:
        """Read what `dumps` wrote."""
        text = raw.decode() if isinstance(raw, bytes) else raw
        locale, channel, at, how, sealed = text.split("|", 4)
        return cls(region, locale, Channel.WHATSAPP if channel == "w" else Channel.SMS, int(at), how, sealed)


def subscribe(pipe: Any, p: str, sub: Subscriber) -> None:
    """Store a subscription (replacing one in another region) and lift an earlier opt-out."""
    for region in REGIONS:
        if region != sub.region:
            pipe.hdel(subs_key(region), p)
    pipe.hset(subs_key(sub.region), p, sub.dumps())
    pipe.srem(OPTOUT, p)


def unsubscribe(pipe: Any, p: str) -> None:
    """Forget the person's subscription (announcements only; everything else stays)."""
    for region in REGIONS:
        pipe.hdel(subs_key(region), p)


def opt_out(pipe: Any, p: str) -> None:
    """Mark the person opted out: nothing is announced to them until START or a new yes."""
    pipe.sadd(OPTOUT, p)


def find(conn: redis.Redis, p: str) -> Subscriber | None:
    """The person's subscription, if any, and only if they have not opted out."""
    pipe = conn.pipeline(transaction=False)
    pipe.sismember(OPTOUT, p)
    for region in REGIONS:
        pipe.hget(subs_key(region), p)
    out, *found = pipe.execute()
    if out:
        return None
    for region, raw in zip(REGIONS, found, strict=True):
        if raw:
            return Subscriber.loads(region, raw)
    return None


# Runs at EXEC inside the caller's MULTI, so erasure needs no extra round trip and no read first.
_ERASE = """
local p = ARGV[1]
for i = 1, #KEYS do redis.call('HDEL', KEYS[i], p) end
redis.call('SREM', ARGV[2], p)
redis.call('DEL', ARGV[3])
for _, sid in ipairs(redis.call('ZRANGE', ARGV[4], 0, -1)) do
  redis.call('HDEL', ARGV[5] .. 'rsvp:' .. sid, p)
  for _, kind in ipairs({'a', 'r'}) do
    redis.call('HDEL', ARGV[5] .. 'bc:' .. sid .. ':' .. kind .. ':done', p)
  end
end
return 1
"""


def erase(pipe: Any, p: str) -> None:
    """Queue on `pipe` the deletion of everything announcements keep about one pseudonym."""
    keys = [subs_key(region) for region in REGIONS]
    pipe.eval(_ERASE, len(keys), *keys, p, OPTOUT, whatsapp_key(p), SESSIONS_INDEX, PREFIX)


def describe(conn: redis.Redis, p: str) -> dict[str, Any]:
    """What is kept about one pseudonym (for access requests): never the number itself."""
    sub = find(conn, p)
    ids: list[bytes] = list(conn.zrange(SESSIONS_INDEX, 0, -1))  # type: ignore[arg-type]
    rsvps = [sid.decode() for sid in ids if conn.hexists(rsvp_key(sid.decode()), p)]
    return {
        "subscribed": sub is not None,
        "region": sub.region if sub else None,
        "locale": sub.locale if sub else None,
        "channel": sub.channel.value if sub else None,
        "consent_at": sub.consent_at if sub else None,
        "consent_how": HOW.get(sub.how, sub.how) if sub else None,
        "opted_out": bool(conn.sismember(OPTOUT, p)),
        "rsvp_sessions": rsvps,
    }


def within_whatsapp_window(conn: redis.Redis, p: str, margin: int = 300) -> bool:
    """Whether free text may still go to this person on WhatsApp (their last message < 24 h ago)."""
    return int(conn.ttl(whatsapp_key(p))) > margin


EffectHook = Callable[[Any, str, Address, Outcome], None]


def effects_hook(keys: Keys) -> EffectHook:
    """The webhook hook: carry out subscription effects inside the webhook's own transaction."""

    def hook(pipe: Any, p: str, address: Address, outcome: Outcome) -> None:
        if "delete" in outcome.effects:
            return  # the webhook has queued every registered eraser, this module's included
        if address.channel is Channel.WHATSAPP:
            pipe.set(whatsapp_key(p), 1, ex=WHATSAPP_WINDOW)
        if ("menu", "subscribe_left") in outcome.replies:
            unsubscribe(pipe, p)  # the menu's or the keyword's sessions-only opt-out
        for effect in outcome.effects:
            kind, _, arg = effect.partition(":")
            if kind == "subscribe":
                region, _, how = arg.partition(":")
                sub = Subscriber(
                    region, outcome.reply_locale, address.channel, int(time.time()), how, keys.seal(address)
                )
                subscribe(pipe, p, sub)
            elif kind == "unsubscribe":
                unsubscribe(pipe, p)
            elif kind == "rsvp":
                pipe.hset(rsvp_key(arg), p, int(time.time()))
                pipe.expire(rsvp_key(arg), RSVP_TTL)
            elif kind == "stop":
                opt_out(pipe, p)
            elif kind == "start":
                pipe.srem(OPTOUT, p)

    return hook


@register_eraser
def _erase_for_privacy(conn: redis.Redis, pipe: Any, p: str, config: Any) -> None:
    """The privacy registry's eraser: subscription, opt-out mark, WhatsApp window, RSVPs."""
    erase(pipe, p)


def failure_hook(rt: Any, p: str, address: Address, code: int) -> None:
    """jobs.FAILURE_HOOKS: Twilio says the number unsubscribed (21610): no more announcements."""
    if code == 21610:
        rt.redis.sadd(OPTOUT, p)


def count(conn: redis.Redis, regions: Iterable[str] = REGIONS) -> int:
    """How many subscriptions exist in the given regions."""
    pipe = conn.pipeline(transaction=False)
    for region in regions:
        pipe.hlen(subs_key(region))
    return sum(int(n) for n in pipe.execute())
