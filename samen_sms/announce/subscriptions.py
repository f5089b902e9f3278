"""Who asked for announcements: consent, region, language and channel, found by pseudonym only.

One hash per safety region (`VR01`..`VR25`, `NL` for the whole country) maps a pseudonym to
`locale|channel|consent time|how|sealed address`; the number is only ever stored sealed. Keys and
their lifetimes are in `samen_sms.core.keyspace` (subscribers, opt-out set, WhatsApp window, RSVPs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.announce.kinds import BroadcastKind
from samen_sms.core import keyspace
from samen_sms.core.identity import Channel

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = 24 * 3600
# Twilio's refusal of free text outside the 24-hour window.
OUTSIDE_WHATSAPP_WINDOW = 63016
# Replies to an announcement are kept for the reminder and the count, then go (sessions are announced
# weeks, not months, ahead).
RSVP_TTL = 120 * 24 * 3600
REGIONS = ("NL", *(f"VR{n:02d}" for n in range(1, 26)))
HOW = {"d": "replied with a digit", "w": "replied with a yes word"}


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
            pipe.hdel(keyspace.SUBSCRIBERS(region), p)
    pipe.hset(keyspace.SUBSCRIBERS(sub.region), p, sub.dumps())
    pipe.srem(keyspace.OPTOUT(), p)


def unsubscribe(pipe: Any, p: str) -> None:
    """Forget the person's subscription (announcements only; everything else stays)."""
    for region in REGIONS:
        pipe.hdel(keyspace.SUBSCRIBERS(region), p)


def opt_out(pipe: Any, p: str) -> None:
    """Mark the person opted out: nothing is announced to them until START or a new yes."""
    pipe.sadd(keyspace.OPTOUT(), p)


def find(conn: redis.Redis, p: str) -> Subscriber | None:
    """The person's subscription, if any, and only if they have not opted out."""
    pipe = conn.pipeline(transaction=False)
    pipe.sismember(keyspace.OPTOUT(), p)
    for region in REGIONS:
        pipe.hget(keyspace.SUBSCRIBERS(region), p)
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
  redis.call('HDEL', ARGV[5] .. sid, p)
  for k = 9, #ARGV do
    local bid = sid .. ARGV[k]
    redis.call('HDEL', ARGV[6] .. bid .. ARGV[7], p)
    redis.call('SREM', ARGV[6] .. bid .. ARGV[8], p)
  end
end
return 1
"""


def erase(pipe: Any, p: str) -> None:
    """Queue on `pipe` the deletion of everything announcements keep about one pseudonym."""
    keys = [keyspace.SUBSCRIBERS(region) for region in REGIONS]
    done_prefix, done_suffix = keyspace.BROADCAST_DONE("\0").split("\0")
    todo_suffix = keyspace.BROADCAST_TODO("\0").split("\0")[1]
    pipe.eval(
        _ERASE,
        len(keys),
        *keys,
        p,
        keyspace.OPTOUT(),
        keyspace.WHATSAPP_WINDOW(p),
        keyspace.SESSIONS(),
        keyspace.RSVP.prefix,
        done_prefix,
        done_suffix,
        todo_suffix,
        *(kind.of("") for kind in BroadcastKind),  # the end of each kind's broadcast id
    )


def describe(conn: redis.Redis, p: str) -> dict[str, Any]:
    """What is kept about one pseudonym (for access requests): never the number itself."""
    sub = find(conn, p)
    ids: list[bytes] = list(conn.zrange(keyspace.SESSIONS(), 0, -1))  # type: ignore[arg-type]
    rsvps = [sid.decode() for sid in ids if conn.hexists(keyspace.RSVP(sid.decode()), p)]
    return {
        "subscribed": sub is not None,
        "region": sub.region if sub else None,
        "locale": sub.locale if sub else None,
        "channel": sub.channel.value if sub else None,
        "consent_at": sub.consent_at if sub else None,
        "consent_how": HOW.get(sub.how, sub.how) if sub else None,
        "opted_out": bool(conn.sismember(keyspace.OPTOUT(), p)),
        "rsvp_sessions": rsvps,
    }


def within_whatsapp_window(conn: redis.Redis, p: str) -> bool:
    """Whether free text may still go to this person on WhatsApp (their last message < 24 h ago)."""
    return windows_open(conn, [p])[0]


def close_whatsapp_window(conn: Any, p: str) -> None:
    """Twilio refused free text as outside the 24-hour window (63016): believe it until they write again."""
    conn.delete(keyspace.WHATSAPP_WINDOW(p))


def windows_open(conn: redis.Redis, people: list[str], margin: int = 300) -> list[bool]:
    """For each pseudonym, whether their WhatsApp window stays open for at least `margin` seconds more."""
    pipe = conn.pipeline(transaction=False)
    for p in people:
        pipe.ttl(keyspace.WHATSAPP_WINDOW(p))
    return [int(ttl) > margin for ttl in pipe.execute()]


def count(conn: redis.Redis, regions: Iterable[str] = REGIONS) -> int:
    """How many subscriptions exist in the given regions."""
    pipe = conn.pipeline(transaction=False)
    for region in regions:
        pipe.hlen(keyspace.SUBSCRIBERS(region))
    return sum(int(n) for n in pipe.execute())
