"""What the line keeps in Redis about a person, under their pseudonym: the webhook's two round trips.

The keys and their lifetimes are in `samen_sms.core.keyspace`; every one of them has a TTL.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue, Retry

from samen_sms.content.engine import Outcome, Ref, Visit, split_messages
from samen_sms.core import keyspace
from samen_sms.core.config import Config
from samen_sms.line.once import sent_once

DELIVER_JOB = "samen_sms.line.replies.deliver"
OUTBOX_TTL = 7 * 24 * 3600
SWEEP_AFTER = 60.0  # seconds a reply may be owed before a sweep queues its delivery again


def person_keys(p: str) -> list[str]:
    """Every key that belongs to one person and goes with the delete word, named without a SCAN.

    The rate counter stays: erasing it would let a flood of delete words past the rate limit, and
    it holds nothing but a count under the pseudonym, gone when its window ends. The delivery lock
    is left alone too: it expires or is released by the worker holding it, and deleting it could
    let two workers send at once.
    """
    return [
        keyspace.CONVERSATION(p),
        keyspace.PROFILE(p),
        keyspace.OUTBOX(p),
        keyspace.INFLIGHT(p),
        keyspace.ATTEMPT(p),
        keyspace.TRIES(p),
        keyspace.SENT_BY(p),
        keyspace.INBOUND_BY(p),
    ]


@dataclass(frozen=True)
class Arrival:
    """What the first round trip learns: is this new, where is the person, are they flooding us."""

    duplicate: bool
    visit: Visit
    count: int
    codes: frozenset[str] = frozenset()  # which of the message's code-shaped words are live referral codes


@dataclass(frozen=True)
class OutboxItem:
    """One reply owed: where to (sealed), in which language, and what to say (references)."""

    sealed: str
    locale: str
    refs: tuple[Ref, ...]
    channel: str
    created: float
    forget: bool = False  # the confirmation of an erasure: leave no trace of it once sent

    def dumps(self) -> str:
        data: dict[str, Any] = {
            "a": self.sealed,
            "l": self.locale,
            "r": [list(r) for r in self.refs],
            "c": self.channel,
            "t": round(self.created, 3),
        }
        if self.forget:
            data["x"] = 1
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> OutboxItem:
        data = json.loads(raw)
        refs = tuple((str(a), str(b)) for a, b in data["r"])
        return cls(data["a"], data["l"], refs, data["c"], data["t"], bool(data.get("x")))


def place_in_menus(pipe: Any, p: str, node: str, hint: str | None, ttl: int) -> None:
    """Queue on `pipe`: the person is now at `node` (with the menu's hint), for `ttl` seconds."""
    state = {"n": node, "h": hint} if hint else {"n": node}
    pipe.set(keyspace.CONVERSATION(p), json.dumps(state, separators=(",", ":")), ex=ttl)


def remember_language(pipe: Any, p: str, locale: str, ttl: int, only_if_unknown: bool = False) -> None:
    """Queue on `pipe`: the person's language is `locale` (kept `ttl` seconds after the last contact)."""
    pipe.set(keyspace.PROFILE(p), json.dumps({"l": locale}), ex=ttl, nx=only_if_unknown)


def _json(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Store:
    """The webhook's view of Redis: exactly two round trips per message."""

    def __init__(self, conn: redis.Redis, queue: Queue, config: Config, urgent: Queue | None = None) -> None:
        self.conn = conn
        self.queue = queue
        self.urgent = urgent if urgent is not None else queue
        self.config = config

    def arrive(self, message_sid: str, p: str, now: float | None = None, candidates: tuple[str, ...] = ()) -> Arrival:
        """Round trip 1: claim the MessageSid, read session and profile, count the message.

        `candidates` are the message's words shaped like referral codes: which of them are live is
        asked in the same round trip (one SMISMEMBER, only when there are any).

        The claim carries a token of this request: when the connection drops after Redis ran the
        pipeline but before its answer came back, the client sends it again, and the claim then
        finds its own token, not a duplicate. (The rate counter counts that message twice.)
        """
        now = time.time() if now is None else now
        token = secrets.token_hex(8)
        counter = keyspace.RATE(p, int(now // self.config.rate_limit_window))
        pipe = self.conn.pipeline(transaction=False)
        pipe.set(keyspace.DEDUP(message_sid), token, nx=True, ex=self.config.dedup_ttl)
        pipe.get(keyspace.DEDUP(message_sid))
        pipe.get(keyspace.CONVERSATION(p))
        pipe.get(keyspace.PROFILE(p))
        pipe.incr(counter)
        pipe.expire(counter, self.config.rate_limit_window)
        # The person's own MessageSids, so the delete word can reach Twilio's log (line.erasure).
        pipe.sadd(keyspace.INBOUND_BY(p), message_sid)
        pipe.expire(keyspace.INBOUND_BY(p), self.config.dedup_ttl)
        if candidates:
            pipe.smismember(keyspace.LIVE_CODES(), list(candidates))
        _, holder, session_raw, profile_raw, count, _, _, _, *live = pipe.execute()
        codes = frozenset(c for c, is_live in zip(candidates, live[0], strict=True) if is_live) if live else frozenset()
        session, profile = _json(session_raw), _json(profile_raw)
        visit = Visit(node=session.get("n"), locale=profile.get("l"), hint=session.get("h"))
        mine = holder is not None and (holder.decode() if isinstance(holder, bytes) else str(holder)) == token
        return Arrival(duplicate=not mine, visit=visit, count=int(count), codes=codes)

    def release(self, message_sid: str) -> None:
        """Forget a claimed MessageSid, so Twilio's retry is answered after a failed second step."""
        self.conn.delete(keyspace.DEDUP(message_sid))

    def transaction(self) -> Any:
        """A MULTI/EXEC pipeline, opened explicitly so RQ can add its enqueue to it."""
        pipe = self.conn.pipeline(transaction=True)
        pipe.multi()
        return pipe

    def commit(self, p: str, outcome: Outcome, sealed: str, channel: str, effects_pipe: Any = None) -> None:
        """Round trip 2: save the new state, add the reply to the outbox and queue its delivery."""
        cfg = self.config
        pipe = effects_pipe if effects_pipe is not None else self.transaction()
        if outcome.node is None:
            pipe.delete(keyspace.CONVERSATION(p))
        else:
            place_in_menus(pipe, p, outcome.node, outcome.hint, cfg.conversation_ttl)
        if outcome.locale is not None:
            remember_language(pipe, p, outcome.locale, cfg.profile_ttl)
        if outcome.replies:
            # A reply may be several messages (a text to forward goes alone): one outbox item each,
            # in order, so each is sent exactly once and in the order the engine gave.
            now = time.time()
            items = [
                OutboxItem(sealed, outcome.reply_locale, refs, channel, now, outcome.erases)
                for refs in split_messages(outcome.replies)
            ]
            self.enqueue_delivery(pipe, p, *items, urgent=outcome.urgent)
        with sent_once():  # run twice, this transaction would queue the reply twice
            pipe.execute()

    def enqueue_delivery(self, pipe: Any, p: str, *items: OutboxItem, urgent: bool = False) -> None:
        """Queue replies on a pipeline: outbox (in order), the owed index, and one delivery job."""
        if not items:
            return
        pipe.rpush(keyspace.OUTBOX(p), *(item.dumps() for item in items))
        pipe.expire(keyspace.OUTBOX(p), OUTBOX_TTL)
        pipe.zadd(keyspace.OWED(), {p: items[0].created}, nx=True)
        enqueue_deliver(self.urgent if urgent else self.queue, self.config, p, pipe)


def enqueue_deliver(queue: Queue, config: Config, p: str, pipe: Any = None) -> None:
    """Queue `deliver(p)`: no result kept, failures expire, a neutral description for RQ's logs."""
    queue.enqueue_call(
        DELIVER_JOB,
        args=(p,),
        description="deliver",  # RQ logs the description; the default would print the argument
        result_ttl=0,
        ttl=OUTBOX_TTL,
        failure_ttl=config.failed_job_ttl,
        retry=Retry(max=config.send_retries, interval=[2, 5, 15, 60, 300]),
        pipeline=pipe,
    )
