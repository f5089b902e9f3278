"""Erasure: everything tied to one person's pseudonym, gathered from every feature that keeps some.

Each feature that stores something about a person adds an eraser to the registry
(`registry.erasers`). An eraser gets a plain connection (for the rare read it may need, e.g. the
members of a set) and the MULTI/EXEC pipeline of the webhook's second round trip, on which it queues
its deletions: the erasure and the neutral confirmation then happen together, or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import redis
from rq import Queue

from samen_sms.content.effects import Erase
from samen_sms.core.config import Config
from samen_sms.line import erasure, redis_keys
from samen_sms.line.registry import Change, Registry
from samen_sms.line.runtime import Runtime
from samen_sms.line.store import person_keys


def _members(conn: redis.Redis, key: str) -> list[str]:
    return [sid.decode() if isinstance(sid, bytes) else str(sid) for sid in conn.smembers(key)]


def ledger_mark(config: Config, p: str) -> str:
    """How the erasure ledger names a pseudonym: an HMAC under a key derived for the ledger alone, so the
    ledger can tell a restored entry is an erased person's but holds no pseudonym another key could match."""
    key = hmac.new(config.secret_key.encode(), b"samen erasure ledger v1", hashlib.sha256).digest()
    return hmac.new(key, p.encode(), hashlib.sha256).hexdigest()


def note_erasure(pipe: Any, p: str, config: Config) -> None:
    """Queue on `pipe`: remember the erasure for as long as backups are kept (older marks leave)."""
    now = time.time()
    pipe.zadd(redis_keys.ERASED(), {ledger_mark(config, p): now})
    pipe.zremrangebyscore(redis_keys.ERASED(), 0, now - config.backup_days * 86400)


def erased_marks(conn: redis.Redis, config: Config) -> set[str]:
    """The ledger's marks still within `SAMEN_BACKUP_DAYS`."""
    since = time.time() - config.backup_days * 86400
    marks = conn.zrangebyscore(redis_keys.ERASED(), since, "+inf")
    return {m.decode() if isinstance(m, bytes) else str(m) for m in marks}


def erase_line_state(conn: redis.Redis, pipe: Any, p: str, config: Config) -> None:
    """Conversation, profile, queued and in-flight replies, and delivery bookkeeping (not the rate counter).

    The messages Twilio still holds for the person (their messages in, the replies sent) are
    deleted there by a job queued in the same transaction.
    """
    sids = _members(conn, redis_keys.SENT_BY(p))
    pipe.delete(*person_keys(p), *(redis_keys.SENT_SID(sid) for sid in sids))
    pipe.zrem(redis_keys.OWED(), p)
    inbound = _members(conn, redis_keys.INBOUND_BY(p))
    erasure.queue_forget(Queue(config.queue_name, connection=conn), [*sids, *inbound], pipe)
    note_erasure(pipe, p, config)


def forget_confirmation(rt: Runtime, sid: str, forget: bool) -> None:
    """An erasure's confirmation, or a reply sent as the person erased: deleted at Twilio once delivered."""
    if forget:
        erasure.queue_forget(rt.queue, [sid], delay=erasure.RETRY_AFTER)


def register(registry: Registry) -> None:
    """The line's own part: erase its state, and carry out the Erase effect through every eraser."""
    registry.erasers.append(erase_line_state)
    registry.on_sent.append(forget_confirmation)

    def erase(change: Change, effect: Erase) -> None:
        registry.erase(change.conn, change.pipe, change.pseudonym, change.config)

    registry.handle(Erase, erase)
