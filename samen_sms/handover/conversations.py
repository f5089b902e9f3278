"""Handed-over conversations, as the console uses them: list, take, reassign, read, write, insert, close, count.

A conversation begins when a person has asked for a person, consented and said when it is safe to
write (`handover.relay`); it then waits in its language's queue until a helper whose languages
(and, when given, regions) match takes it. One helper holds it at a time; an admin may reassign it.
What either side writes is kept sealed (`Keys.seal_text`) only while it is open: `close` erases it,
as do the person's close word, the delete word and `SAMEN_HANDOVER_RETENTION_DAYS` without a
message (`expire`). The helper never sees the number: a conversation carries the address sealed.

A helper is a console account id (a string); the console decides who is one (the helper permission)
and tells this room with `set_helper`/`remove_helper`. Nothing here checks a permission: the console
checks `may_see(helper, conversation)` before showing or writing, and admin rights before `reassign`.

Example (a console view)::

    rt = app.extensions["samen"]
    me = helper(rt.redis, account.id)
    for conv in waiting(rt.redis, me):          # oldest first, urgent ones first of all
        ...
    if take(rt.redis, conv.id, me.account):     # False: another helper was quicker
        texts = read(rt, conv.id)               # opened from sealed
        write(rt, conv.id, me.account, "Hello, I am Sara from ...")  # -> Delivery.SENT or HELD
    close(rt, conv.id, Ending.HELPER)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from samen_sms.content.replies import Msg, Ref, read_ref, stored_ref
from samen_sms.core.tally import day_of, shown
from samen_sms.handover import redis_keys
from samen_sms.handover.invite import load_invitations
from samen_sms.handover.model import (
    CLOSED_NOTE,
    DAY,
    Author,
    Conversation,
    Delivery,
    Ending,
    Helper,
    NotYours,
    State,
    Text,
    Times,
    conversation_of,
    helper_of,
)
from samen_sms.handover.records import count_ending, count_waited, forget
from samen_sms.line.outbox import OutboxItem, References, Written
from samen_sms.line.runtime import Runtime

# The types the console reads come from `handover.model`; they are named here too, so the console
# needs this one module.
__all__ = [
    "Author", "Conversation", "Delivery", "Ending", "Figures", "Helper", "NotYours", "State", "Text", "Times",
    "close", "every_open", "expire", "figures", "get", "held_by", "helper", "helpers", "insert", "may_see",
    "read", "reassign", "release", "release_due", "release_held", "remove_helper", "set_helper", "speakers",
    "take", "waiting", "waiting_count", "write",
]  # fmt: skip


# Helpers: which accounts take conversations in which languages.


def set_helper(conn: redis.Redis, account: str, locales: Iterable[str], regions: Iterable[str] = ()) -> None:
    """Make a console account a helper for these languages (and regions; none: all)."""
    spec = {"l": sorted(set(locales)), "r": sorted(set(regions))}
    conn.hset(redis_keys.HELPERS(), account, json.dumps(spec, separators=(",", ":")))


def remove_helper(conn: redis.Redis, account: str) -> None:
    """The account is a helper no more; the conversations it holds go back to waiting."""
    conn.hdel(redis_keys.HELPERS(), account)
    for conv in _ids(conn.smembers(redis_keys.CLAIMS(account))):
        _release(conn, conv, account)


def helper(conn: redis.Redis, account: str) -> Helper | None:
    """The helper behind a console account, or None if it is none."""
    raw = conn.hget(redis_keys.HELPERS(), account)
    return helper_of(account, raw) if raw else None


def helpers(conn: redis.Redis) -> list[Helper]:
    """Every helper."""
    return [helper_of(_s(account), raw) for account, raw in conn.hgetall(redis_keys.HELPERS()).items()]


def speakers(conn: redis.Redis) -> frozenset[str]:
    """The languages some helper takes (what the asking dialogue may offer)."""
    return frozenset(locale for h in helpers(conn) for locale in h.locales)


def may_see(who: Helper, conv: Conversation) -> bool:
    """Whether a helper may see a conversation at all: its language is theirs, and its region if both are known."""
    if conv.locale not in who.locales:
        return False
    return not (who.regions and conv.region and conv.region not in who.regions)


# Listing.


def get(conn: redis.Redis, conv: str) -> Conversation | None:
    """One conversation, or None when it is closed, expired or erased."""
    return conversation_of(conv, conn.hgetall(redis_keys.RECORD(conv)))


def waiting(conn: redis.Redis, who: Helper) -> list[Conversation]:
    """Conversations waiting for a helper that this helper may take: urgent first, then the longest waiting."""
    found: list[Conversation] = []
    for locale in sorted(who.locales):
        ids = _ids(conn.zrange(redis_keys.WAITING(locale), 0, -1))
        found += [c for c in _many(conn, ids, redis_keys.WAITING(locale)) if may_see(who, c)]
    return sorted(found, key=lambda c: (not c.urgent, c.began))


def held_by(conn: redis.Redis, account: str) -> list[Conversation]:
    """The conversations one helper holds, the latest message first."""
    ids = _ids(conn.smembers(redis_keys.CLAIMS(account)))
    held = [c for c in _many(conn, ids) if c.helper == account]
    return sorted(held, key=lambda c: (not c.urgent, -c.last))


def every_open(conn: redis.Redis) -> list[Conversation]:
    """Every conversation not closed (for an admin), the latest message first."""
    ids = _ids(conn.zrange(redis_keys.OPEN(), 0, -1))
    return sorted(_many(conn, ids, redis_keys.OPEN()), key=lambda c: -c.last)


def waiting_count(conn: redis.Redis, who: Helper) -> int:
    """How many conversations wait for this helper: the neutral count a notification may show."""
    return len(waiting(conn, who))


# Taking and giving.

# KEYS: the conversation, its language's queue, the helper's claims. ARGV: helper, now.
_TAKE = """
if redis.call('HGET', KEYS[1], 's') ~= 'waiting' then return 0 end
redis.call('HSET', KEYS[1], 's', 'held', 'h', ARGV[1], 'k', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""
# KEYS: the conversation, the old helper's claims, the new helper's claims. ARGV: new helper, id, now.
_GIVE = """
if redis.call('HGET', KEYS[1], 's') ~= 'held' then return 0 end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'k', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""


def take(conn: redis.Redis, conv: str, account: str) -> bool:
    """Take a waiting conversation; atomic: of two helpers taking at once, one gets True, the other False."""
    found = get(conn, conv)
    if found is None:
        return False
    keys = [redis_keys.RECORD(conv), redis_keys.WAITING(found.locale), redis_keys.CLAIMS(account)]
    now = time.time()
    if not conn.eval(_TAKE, 3, *keys, account, now, conv):
        return False
    pipe = conn.pipeline(transaction=False)
    count_waited(pipe, found, now)
    pipe.execute()
    return True


def reassign(conn: redis.Redis, conv: str, account: str) -> bool:
    """Give a held conversation to another helper (an admin's act; the console checks the right).

    A waiting conversation is given with `take(conn, conv, account)` for that helper.
    """
    found = get(conn, conv)
    if found is None or found.state is not State.HELD or found.helper is None:
        return False
    keys = [redis_keys.RECORD(conv), redis_keys.CLAIMS(found.helper), redis_keys.CLAIMS(account)]
    return bool(conn.eval(_GIVE, 3, *keys, account, conv, time.time()))


def release(conn: redis.Redis, conv: str, account: str) -> bool:
    """The helper gives the conversation back to the queue of its language."""
    return _release(conn, conv, account)


# Reading and writing.


def read(rt: Runtime, conv: str) -> list[Text]:
    """What was written in a conversation, oldest first, opened from sealed (the console audits who read)."""
    found = get(rt.redis, conv)
    if found is None:
        return []
    out = []
    for raw in rt.redis.lrange(redis_keys.TEXTS(conv), 0, -1):
        entry = json.loads(raw)
        author, at = Author(entry["b"]), float(entry["t"])
        if "w" in entry:
            out.append(Text(author, at, rt.keys.open_text(entry["w"]), entry.get("h")))
        else:
            refs = tuple(read_ref(kind, value) for kind, value in entry["r"])
            out.append(Text(author, at, rt.renderer.render(found.locale, refs, found.channel), entry.get("h")))
    return out


def write(rt: Runtime, conv: str, account: str, text: str, now: float | None = None) -> Delivery:
    """Send a helper's text to the person, in their channel, after what is already owed (112 under it).

    On WhatsApp outside the 24-hour window the text is held back and a neutral approved template
    (`[handover.<lang>]` in `SAMEN_WHATSAPP_TEMPLATES`) invites the person to reply; held texts go,
    in order, when they do. Raises NotYours when the conversation is gone or another helper holds it,
    ValueError for an empty text.
    """
    if not text.strip():
        raise ValueError("text: empty")
    now = time.time() if now is None else now
    found = _mine(rt.redis, conv, account)
    sealed = rt.keys.seal_text(text.strip())
    item = OutboxItem(_address(rt.redis, conv), found.locale, Written(sealed), found.channel.value, now)
    delivery = _send(rt, found, item, now)
    _note(rt.redis, rt.config, found, {"b": Author.HELPER.value, "t": now, "w": sealed, "h": account}, now)
    return delivery


def insert(rt: Runtime, conv: str, account: str, refs: tuple[Ref, ...], now: float | None = None) -> Delivery:
    """Send the line's own text in the person's language, as the helper's message (112 under it).

    `refs` are the line's references: a screen `Menu("services_home")` (a need's directory entries),
    `Services("GM0363")` (a municipality's services and the national ones), `Organisations("VR13")`
    (community organisations of a region), `Msg("help_now.body")`. Same rules as `write`.
    """
    if not refs:
        raise ValueError("refs: nothing to insert")
    now = time.time() if now is None else now
    found = _mine(rt.redis, conv, account)
    item = OutboxItem(_address(rt.redis, conv), found.locale, References(refs), found.channel.value, now)
    delivery = _send(rt, found, item, now)
    entry = {"b": Author.LINE.value, "t": now, "r": [list(stored_ref(ref)) for ref in refs], "h": account}
    _note(rt.redis, rt.config, found, entry, now)
    return delivery


def close(rt: Runtime, conv: str, ending: Ending = Ending.HELPER) -> bool:
    """Close a conversation and erase what was written in it; counted by language and ending. False if gone.

    Closed by the helper, the person is told so (`person.closed`) when their times and window allow;
    an expired conversation ends silently (a message days later could reach an unsafe phone).
    """
    found, now = get(rt.redis, conv), time.time()
    if found is None:
        return False
    p = _person(rt.redis, conv)
    if ending is Ending.HELPER and p is not None and found.may_write(now):
        note = References((Msg(CLOSED_NOTE),))
        rt.store.owe(p, [OutboxItem(_address(rt.redis, conv), found.locale, note, found.channel.value, now)])
    pipe = rt.redis.pipeline(transaction=True)
    forget(pipe, conv, found, p)
    if found.state is State.WAITING:
        count_waited(pipe, found, time.time())
    count_ending(pipe, found.locale, ending)
    pipe.execute()
    return True


def expire(rt: Runtime, now: float | None = None) -> int:
    """Close, as expired, every conversation without a message for `SAMEN_HANDOVER_RETENTION_DAYS`."""
    now = time.time() if now is None else now
    cutoff = now - rt.config.handover_retention_days * DAY
    stale = _ids(rt.redis.zrangebyscore(redis_keys.OPEN(), "-inf", cutoff))
    closed = 0
    for conv in stale:
        found = get(rt.redis, conv)
        if found is None:
            rt.redis.zrem(redis_keys.OPEN(), conv)  # Redis's own expiry came first
            continue
        if found.last <= cutoff and close(rt, conv, Ending.EXPIRED):
            closed += 1
    return closed


# Counts for the overview.


@dataclass(frozen=True)
class Figures:
    """Conversations by language: began, ended by each ending, waited (buckets); shown with the small-number rule."""

    by_locale: dict[str, dict[str, str]]


def figures(conn: redis.Redis, days: int = 30, now: float | None = None) -> Figures:
    """Counts of the last `days` days by language (`began`, each `Ending`, waiting-time buckets); 1-4 shown as <5."""
    now = time.time() if now is None else now
    totals: dict[str, dict[str, int]] = {}
    for back in range(days):
        day = day_of(now - back * DAY).isoformat()
        for field, count in conn.hgetall(redis_keys.OUTCOMES(day)).items():
            locale, what = _s(field).split("|", 1)
            per = totals.setdefault(locale, {})
            per[what] = per.get(what, 0) + int(count)
    return Figures(
        {locale: {what: shown(n) for what, n in sorted(per.items())} for locale, per in sorted(totals.items())}
    )


def release_held(rt: Runtime, conv: str, now: float | None = None) -> int:
    """Owe, in order, a helper's held-back texts if the person's times and window now allow; how many."""
    now = time.time() if now is None else now
    p, found = _person(rt.redis, conv), get(rt.redis, conv)
    if found is None or not found.may_write(now):
        return 0
    pipe = rt.redis.pipeline(transaction=True)
    pipe.lrange(redis_keys.HELD_BACK(conv), 0, -1)
    pipe.delete(redis_keys.HELD_BACK(conv))
    raw, _ = pipe.execute()
    items = [OutboxItem.loads(item) for item in raw]
    if p is None or not items:
        return 0
    rt.store.owe(p, items)
    return len(items)


def release_due(rt: Runtime, now: float | None = None) -> int:
    """Send held-back texts whose time has come (daytime began); the rest wait for the person."""
    ids = _ids(rt.redis.zrange(redis_keys.OPEN(), 0, -1))
    pipe = rt.redis.pipeline(transaction=False)
    for conv in ids:
        pipe.exists(redis_keys.HELD_BACK(conv))
    return sum(release_held(rt, conv, now) for conv, held in zip(ids, pipe.execute(), strict=True) if held)


def invitation(rt: Runtime, found: Conversation, now: float) -> OutboxItem | None:
    """The neutral template inviting the person to reply, in their language, or None when there is none."""
    template = load_invitations(rt.config.whatsapp_templates).get(found.locale)
    if template is None:
        return None
    return OutboxItem(_address(rt.redis, found.id), found.locale, template, found.channel.value, now)


# Inside.


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ids(values: Any) -> list[str]:
    return [_s(value) for value in values]


def _many(conn: redis.Redis, ids: list[str], index: str | None = None) -> list[Conversation]:
    """The conversations behind ids; an id whose record expired leaves the index it came from."""
    pipe = conn.pipeline(transaction=False)
    for conv in ids:
        pipe.hgetall(redis_keys.RECORD(conv))
    out = []
    for conv, raw in zip(ids, pipe.execute(), strict=True):
        found = conversation_of(conv, raw)
        if found is not None:
            out.append(found)
        elif index is not None:
            conn.zrem(index, conv)
    return out


def _person(conn: redis.Redis, conv: str) -> str | None:
    raw = conn.hget(redis_keys.RECORD(conv), "p")
    return _s(raw) if raw else None


def _address(conn: redis.Redis, conv: str) -> str:
    raw = conn.hget(redis_keys.RECORD(conv), "a")
    if not raw:
        raise NotYours(conv)
    return _s(raw)


def _mine(conn: redis.Redis, conv: str, account: str) -> Conversation:
    found = get(conn, conv)
    if found is None or found.state is not State.HELD or found.helper != account:
        raise NotYours(conv)
    return found


def _release(conn: redis.Redis, conv: str, account: str) -> bool:
    found = get(conn, conv)
    pipe = conn.pipeline(transaction=True)
    pipe.srem(redis_keys.CLAIMS(account), conv)
    if found is not None and found.helper == account:
        pipe.hset(redis_keys.RECORD(conv), mapping={"s": State.WAITING.value, "h": ""})
        pipe.zadd(redis_keys.WAITING(found.locale), {conv: found.began})
    pipe.execute()
    return found is not None and found.helper == account


def _send(rt: Runtime, found: Conversation, item: OutboxItem, now: float) -> Delivery:
    """Owe the item now, or hold it back until the person's times and WhatsApp window allow."""
    p = _person(rt.redis, found.id)
    if p is None:
        raise NotYours(found.id)
    held = rt.redis.exists(redis_keys.HELD_BACK(found.id))
    if found.may_write(now) and not held:
        rt.store.owe(p, [item])
        return Delivery.SENT
    rt.redis.rpush(redis_keys.HELD_BACK(found.id), item.dumps())
    rt.redis.expire(redis_keys.HELD_BACK(found.id), rt.config.handover_retention_days * DAY)
    if not held and found.times_allow(now) and not found.window_open(now):
        invite = invitation(rt, found, now)
        if invite is not None:
            rt.store.owe(p, [invite])
    return Delivery.HELD


def _note(conn: redis.Redis, config: Any, found: Conversation, entry: dict[str, Any], now: float) -> None:
    retention = config.handover_retention_days * DAY
    pipe = conn.pipeline(transaction=True)
    pipe.rpush(redis_keys.TEXTS(found.id), json.dumps(entry, separators=(",", ":")))
    pipe.hset(redis_keys.RECORD(found.id), "t", now)
    for key in (redis_keys.RECORD(found.id), redis_keys.TEXTS(found.id)):
        pipe.expire(key, retention)
    pipe.zadd(redis_keys.OPEN(), {found.id: now}, xx=True)
    pipe.execute()
