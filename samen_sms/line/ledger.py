"""What a send leaves in Redis: the reply leaves the in-flight slot, the sent index, counters, line faults.

A reply can finish after the person erased their data (the delete word arrived while it was at
Twilio). Then nothing about the person may be written back: a finished send writes its person keys
only if the reply it handled is still in flight, checked and written in one Lua script.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis

from samen_sms.line import redis_keys
from samen_sms.line.runtime import Runtime
from samen_sms.line.sender import ACCOUNT_FAULT_CODES

FAULT_TTL = 7 * 24 * 3600

# A fault of the whole account is kept under this name instead of a channel's: a reply that goes
# through on any channel clears it.
ACCOUNT = "account"

# KEYS: in flight, attempt, tries, sent sid, sent by, stats sent, stats failed, line fault.
# ARGV: the reply as queued, its MessageSid ('' for none or forget), pseudonym, dedup TTL,
#       failure code ('' when sent), channel. Returns 1 when the reply was still in flight.
_FINISH = """
local mine = redis.call('LINDEX', KEYS[1], 0) == ARGV[1]
if mine then redis.call('LPOP', KEYS[1]) end
redis.call('DEL', KEYS[2], KEYS[3])
if ARGV[5] == '' then
  redis.call('HINCRBY', KEYS[6], 'replies', 1)
  redis.call('HDEL', KEYS[8], ARGV[6], 'account')
else
  redis.call('HINCRBY', KEYS[7], ARGV[5], 1)
end
if mine and ARGV[2] ~= '' then
  redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4])
  redis.call('SADD', KEYS[5], ARGV[2])
  redis.call('EXPIRE', KEYS[5], ARGV[4])
end
if mine then return 1 end
return 0
"""


def finish(
    rt: Runtime,
    p: str,
    raw: bytes | str,
    channel: str,
    sid: str | None = None,
    forget: bool = False,
    failed_code: int | str | None = None,
) -> bool:
    """Take the handled reply out of flight and record the send; False if an erasure came first."""
    keep_sid = sid if sid and not forget else ""
    script = _finisher(rt.redis)
    keys = [
        redis_keys.INFLIGHT(p),
        redis_keys.ATTEMPT(p),
        redis_keys.TRIES(p),
        redis_keys.SENT_SID(keep_sid or "none"),
        redis_keys.SENT_BY(p),
        redis_keys.STATS("sent"),
        redis_keys.STATS("send_failed"),
        redis_keys.LINE_FAULT(),
    ]
    failed = "" if failed_code is None else str(failed_code)
    args = [raw, keep_sid, p, rt.config.dedup_ttl, failed, channel]
    return bool(script(keys=keys, args=args))


@cache
def _finisher(conn: redis.Redis) -> Any:
    # One script object per connection, made once per worker process (not hashed again per reply).
    return conn.register_script(_FINISH)


def record_line_fault(rt: Runtime, channel: str, code: int) -> None:
    """Remember that Twilio refuses the line itself on `channel` (or the whole account), for /healthz."""
    field = ACCOUNT if code in ACCOUNT_FAULT_CODES else channel
    with rt.redis.pipeline(transaction=True) as pipe:
        pipe.hset(redis_keys.LINE_FAULT(), field, json.dumps({"code": code, "at": round(time.time())}))
        pipe.expire(redis_keys.LINE_FAULT(), FAULT_TTL)
        pipe.execute()


def line_faults(rt: Runtime) -> dict[str, dict[str, Any]]:
    """The channels on which Twilio refuses the line itself: channel -> {code, at}."""
    faults: dict[str, dict[str, Any]] = {}
    for channel, raw in rt.redis.hgetall(redis_keys.LINE_FAULT()).items():
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        try:
            faults[name] = dict(json.loads(raw))
        except (ValueError, TypeError):
            faults[name] = {"code": 0}
    return faults


def note_sent(pipe: Any, p: str, sid: str, ttl: int) -> None:
    """Queue on `pipe`: a message another room sent to `p` (an announcement) is theirs, for delivery
    reports and so that the delete word finds it at Twilio, as it finds the replies."""
    pipe.set(redis_keys.SENT_SID(sid), p, ex=ttl)
    pipe.sadd(redis_keys.SENT_BY(p), sid)
    pipe.expire(redis_keys.SENT_BY(p), ttl)


def recipient_key(message_sid: str) -> str:
    """Whom a sent message went to, by name, lent to a delivery-report script that reads it in its own
    atomic step (a report of 63016 closes the recipient's WhatsApp window); never written there."""
    return redis_keys.SENT_SID(message_sid)


@dataclass(frozen=True)
class ReplyCounts:
    """The line's counters since it started: messages sent, refused by Twilio (by code), delivery reports."""

    sent: Counter[str]
    failed: Counter[str]
    status: Counter[str]


def reply_counts(conn: Any) -> ReplyCounts:
    """The line's counters, in one round trip."""
    pipe = conn.pipeline(transaction=False)
    for kind in ("sent", "send_failed", "status"):
        pipe.hgetall(redis_keys.STATS(kind))
    sent, failed, status = (Counter({k.decode(): int(v) for k, v in raw.items()}) for raw in pipe.execute())
    return ReplyCounts(sent, failed, status)
