"""Who asked for announcements: consent, region, language and channel, found by pseudonym only.

One hash per safety region (`VR01`..`VR25`, `NL` for the whole country) maps a pseudonym to
`locale|channel|consent time|how|sealed address`; the number is only ever stored sealed. Keys and
their lifetimes are in `samen_sms.announce.redis_keys` (subscribers, opt-out set, WhatsApp window, RSVPs).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.announce import redis_keys
from samen_sms.announce.kinds import BroadcastKind
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
            pipe.hdel(redis_keys.SUBSCRIBERS(region), p)
    pipe.hset(redis_keys.SUBSCRIBERS(sub.region), p, sub.dumps())
    pipe.srem(redis_keys.OPTOUT(), p)


def unsubscribe(pipe: Any, p: str) -> None:
    """Forget the person's subscription (announcements only; everything else stays)."""
    for region in REGIONS:
        pipe.hdel(redis_keys.SUBSCRIBERS(region), p)


def opt_out(pipe: Any, p: str) -> None:
    """Mark the person opted out: nothing is announced to them until START or a new yes."""
    pipe.sadd(redis_keys.OPTOUT(), p)


def find(conn: redis.Redis, p: str) -> Subscriber | None:
    """The person's subscription, if any, and only if they have not opted out."""
    pipe = conn.pipeline(transaction=False)
    pipe.sismember(redis_keys.OPTOUT(), p)
    for region in REGIONS:
        pipe.hget(redis_keys.SUBSCRIBERS(region), p)
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
  for k = 10, #ARGV do
    local bid = sid .. ARGV[k]
    redis.call('SREM', ARGV[6] .. bid .. ARGV[8], p)  -- not reached yet: no longer to be reached
    -- Reached (or being sent to): counted, never who, so the total still holds what was sent.
    if redis.call('HDEL', ARGV[6] .. bid .. ARGV[7], p) > 0 then
      redis.call('HINCRBY', ARGV[6] .. bid .. ARGV[9], 'erased', 1)
    end
  end
end
return 1
"""


def erase(pipe: Any, p: str) -> None:
    """Queue on `pipe` the deletion of everything announcements keep about one pseudonym."""
    keys = [redis_keys.SUBSCRIBERS(region) for region in REGIONS]
    done_prefix, done_suffix = redis_keys.BROADCAST_DONE("\0").split("\0")
    todo_suffix = redis_keys.BROADCAST_TODO("\0").split("\0")[1]
    stats_suffix = redis_keys.BROADCAST_STATS("\0").split("\0")[1]  # the same prefix as done's
    pipe.eval(
        _ERASE,
        len(keys),
        *keys,
        p,
        redis_keys.OPTOUT(),
        redis_keys.WHATSAPP_WINDOW(p),
        redis_keys.SESSIONS(),
        redis_keys.RSVP.prefix,
        done_prefix,
        done_suffix,
        todo_suffix,
        stats_suffix,
        *(kind.of("") for kind in BroadcastKind),  # the end of each kind's broadcast id
    )


def describe(conn: redis.Redis, p: str) -> dict[str, Any]:
    """What is kept about one pseudonym (for access requests): never the number itself."""
    sub = find(conn, p)
    ids: list[bytes] = list(conn.zrange(redis_keys.SESSIONS(), 0, -1))  # type: ignore[arg-type]
    rsvps = [sid.decode() for sid in ids if conn.hexists(redis_keys.RSVP(sid.decode()), p)]
    return {
        "subscribed": sub is not None,
        "region": sub.region if sub else None,
        "locale": sub.locale if sub else None,
        "channel": sub.channel.value if sub else None,
        "consent_at": sub.consent_at if sub else None,
        "consent_how": HOW.get(sub.how, sub.how) if sub else None,
        "opted_out": bool(conn.sismember(redis_keys.OPTOUT(), p)),
        "rsvp_sessions": rsvps,
    }


def interested(conn: redis.Redis, session_id: str) -> int:
    """How many people replied yes to a session's announcement."""
    return int(conn.hlen(redis_keys.RSVP(session_id)))


def opted_out(conn: redis.Redis) -> int:
    """How many people said stop (a count only)."""
    return int(conn.scard(redis_keys.OPTOUT()))


def within_whatsapp_window(conn: redis.Redis, p: str) -> bool:
    """Whether free text may still go to this person on WhatsApp (their last message < 24 h ago)."""
    return windows_open(conn, [p])[0]


def close_whatsapp_window(conn: Any, p: str) -> None:
    """Twilio refused free text as outside the 24-hour window (63016): believe it until they write again."""
    conn.delete(redis_keys.WHATSAPP_WINDOW(p))


def windows_open(conn: redis.Redis, people: list[str], margin: int = 300) -> list[bool]:
    """For each pseudonym, whether their WhatsApp window stays open for at least `margin` seconds more."""
    pipe = conn.pipeline(transaction=False)
    for p in people:
        pipe.ttl(redis_keys.WHATSAPP_WINDOW(p))
    return [int(ttl) > margin for ttl in pipe.execute()]


def count(conn: redis.Redis, regions: Iterable[str] = REGIONS) -> int:
    """How many subscriptions exist in the given regions."""
    pipe = conn.pipeline(transaction=False)
    for region in regions:
        pipe.hlen(redis_keys.SUBSCRIBERS(region))
    return sum(int(n) for n in pipe.execute())


def per_region(conn: redis.Redis) -> Counter[str]:
    """Subscriptions by region (exact, now), regions without any left out."""
    pipe = conn.pipeline(transaction=False)
    for region in REGIONS:
        pipe.hlen(redis_keys.SUBSCRIBERS(region))
    return Counter({r: int(n) for r, n in zip(REGIONS, pipe.execute(), strict=True) if int(n)})


# Counted inside Redis, one region at a time: only the counts travel, never a subscription, and each
# call holds Redis for a few milliseconds at most.
_MIX = """
local counts = {}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local bar = string.find(v, '|', 1, true)
  if bar then
    local key = string.sub(v, 1, bar + 1)
    counts[key] = (counts[key] or 0) + 1
  end
end
local out = {}
for k, n in pairs(counts) do table.insert(out, k); table.insert(out, n) end
return out
"""


def mix(conn: Any, region: str) -> Counter[tuple[str, Channel]]:
    """One region's subscriptions by (language, channel), counted inside Redis."""
    flat = conn.register_script(_MIX)(keys=[redis_keys.SUBSCRIBERS(region)])
    out: Counter[tuple[str, Channel]] = Counter()
    for key, n in zip(flat[::2], flat[1::2], strict=True):
        locale, channel = key.decode().split("|", 1)
        out[locale, Channel.WHATSAPP if channel == "w" else Channel.SMS] += int(n)
    return out
