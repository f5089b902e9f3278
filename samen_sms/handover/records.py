"""What the relay writes about conversations, on the webhook's pipeline: begin, a person's text, forget, counts."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from samen_sms.core.identity import Channel
from samen_sms.core.tally import day_of
from samen_sms.handover import redis_keys
from samen_sms.handover.model import COUNTS_KEPT, WAIT_BUCKETS, Author, Conversation, Ending, State, Times


def new_id() -> str:
    """A fresh conversation id: random, unrelated to the person."""
    return secrets.token_hex(8)


def open_on(
    pipe: Any,
    conv: str,
    p: str,
    sealed_address: str,
    channel: Channel,
    locale: str,
    region: str,
    times: Times,
    safe: bool,
    retention: int,
    now: float,
) -> None:
    """Queue a new waiting conversation on `pipe` (the person consented and chose when to be written to)."""
    key = redis_keys.RECORD(conv)
    pipe.hset(
        key,
        mapping={
            "p": p,
            "a": sealed_address,
            "c": channel.value,
            "l": locale,
            "r": region,
            "s": State.WAITING.value,
            "w": times.value,
            "f": int(safe),
            "u": 0,
            "b": now,
            "t": now,
            "i": now,
        },
    )
    pipe.expire(key, retention)
    pipe.zadd(redis_keys.WAITING(locale), {conv: now})
    pipe.zadd(redis_keys.OPEN(), {conv: now})
    count(pipe, locale, "began", now)


def person_wrote_on(pipe: Any, conv: str, sealed_text: str | None, urgent: bool, retention: int, now: float) -> None:
    """Queue on `pipe` a person's text (sealed) into their conversation, and keep it alive."""
    if sealed_text is not None:
        pipe.rpush(
            redis_keys.TEXTS(conv),
            json.dumps({"b": Author.PERSON.value, "t": now, "w": sealed_text}, separators=(",", ":")),
        )
    fields: dict[str, Any] = {"t": now, "i": now}
    if urgent:
        fields["u"] = 1
    pipe.hset(redis_keys.RECORD(conv), mapping=fields)
    for key in (redis_keys.RECORD(conv), redis_keys.TEXTS(conv), redis_keys.HELD_BACK(conv)):
        pipe.expire(key, retention)
    pipe.zadd(redis_keys.OPEN(), {conv: now}, xx=True)


def forget(pipe: Any, conv: str, found: Conversation | None, p: str | None) -> None:
    """Queue on `pipe` the erasure of a conversation: record, texts, held texts, indexes, the person's pointer."""
    pipe.delete(redis_keys.RECORD(conv), redis_keys.TEXTS(conv), redis_keys.HELD_BACK(conv))
    pipe.zrem(redis_keys.OPEN(), conv)
    if found is not None:
        pipe.zrem(redis_keys.WAITING(found.locale), conv)
        if found.helper:
            pipe.srem(redis_keys.CLAIMS(found.helper), conv)
    if p is not None:
        pipe.delete(redis_keys.POINTER(p))


def count(pipe: Any, locale: str, what: str, now: float) -> None:
    """Count one thing about a conversation in its language, for the day (numbers only)."""
    key = redis_keys.OUTCOMES(day_of(now).isoformat())
    pipe.hincrby(key, f"{locale}|{what}", 1)
    pipe.expire(key, COUNTS_KEPT)


def count_ending(pipe: Any, locale: str, ending: Ending) -> None:
    """Count how a conversation ended."""
    count(pipe, locale, ending.value, time.time())


def count_waited(pipe: Any, found: Conversation, now: float) -> None:
    """Count, once it is taken or ends waiting, how long a conversation waited (a bucket, never the time)."""
    waited = now - found.began
    label = next((name for limit, name in WAIT_BUCKETS if waited < limit), "wait>=1d")
    count(pipe, found.locale, label, now)
