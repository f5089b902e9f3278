"""RQ jobs. They take only a pseudonym: addresses travel sealed inside the outbox, never in job args."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, assert_never

import redis

from samen_sms.core.identity import Address, Channel
from samen_sms.line import overlay, redis_keys
from samen_sms.line.ledger import finish, record_line_fault
from samen_sms.line.outbox import OutboxItem, References, Template, Written
from samen_sms.line.pace import Pace, sending_pace
from samen_sms.line.runtime import Runtime
from samen_sms.line.sender import LineFaultError, PermanentSendError, Sender, Throttled, TransientSendError
from samen_sms.line.store import OUTBOX_TTL, SWEEP_AFTER

# The failure counted (`stats:send_failed`) for a reply dropped because this release cannot read it.
UNREADABLE = "unreadable"

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    """What a worker process builds once and every job reuses (its threads share it)."""

    runtime: Runtime
    sender: Sender
    paces: dict[Channel, Pace] = field(init=False)

    def __post_init__(self) -> None:
        # Built before any thread sends, so all of them share one record of a 429's hold per channel.
        self.paces = {ch: sending_pace(self.runtime.redis, self.runtime.config, ch) for ch in Channel}

    def pace(self, channel: Channel) -> Pace:
        """The send rates a reply on `channel` keeps to: the account's and its sender's (line.pace)."""
        return self.paces[channel]


class _Installed:
    # RQ runs a job by its dotted path, with nothing but its arguments: the process's context
    # has to be found somewhere. It is installed once, before the worker pool forks.
    context: WorkerContext | None = None


def install(context: WorkerContext | None) -> None:
    """Make `context` the one every job in this process uses (None removes it)."""
    _Installed.context = context


@contextmanager
def using(context: WorkerContext) -> Iterator[WorkerContext]:
    """Run jobs in this process with `context` for the duration of the block (tests, benchmarks)."""
    before = _Installed.context
    install(context)
    try:
        yield context
    finally:
        install(before)


def current() -> WorkerContext:
    """The context jobs run with; raise if the process was not started as a worker."""
    if _Installed.context is None:
        raise RuntimeError("no worker context in this process: start workers with `python -m workers`")
    return _Installed.context


def deliver(p: str) -> int:
    """Send every reply owed to one person, in order, each once. Returns how many went out.

    A reply moves from the outbox to the in-flight slot before it is sent and leaves it only once
    Twilio has it (or refused it for good). A reply found in flight was interrupted by a crash: if
    Twilio already has it, it is not sent again. A job that finds another worker delivering to the
    same person gives its worker back at once: the holder sends what is queued, and looks again
    after letting go of the lock, so nothing queued meanwhile is left behind.
    """
    ctx = current()
    rt = ctx.runtime
    overlay.refresh(rt)  # the words as the console last approved them (one GET of a counter)
    conn = rt.redis
    lock_ttl = rt.config.twilio_timeout * 2 + 5
    sent = 0
    while True:
        lock = conn.lock(redis_keys.LOCK(p), timeout=lock_ttl)
        if not lock.acquire(blocking=False):
            _follow_up(rt, p)
            return sent
        try:
            sent += _drain(ctx, p, lock)
        finally:
            try:
                lock.release()
            except Exception:  # the lock expired: another worker may hold it now, which is fine
                pass
        # A job for a reply queued just before the release found the lock taken and left it to us.
        if not conn.exists(redis_keys.OUTBOX(p)):
            return sent


def _drain(ctx: WorkerContext, p: str, lock: Any) -> int:
    conn = ctx.runtime.redis
    sent = 0
    while True:
        # The attempt is read with the slot, in one round trip: only this lock's holder writes it,
        # and an erasure meanwhile only makes the look at Twilio below happen once more than needed.
        with conn.pipeline(transaction=False) as pipe:
            pipe.lindex(redis_keys.INFLIGHT(p), 0)
            pipe.get(redis_keys.ATTEMPT(p))
            raw, previous = pipe.execute()
        if raw is None:
            with conn.pipeline(transaction=True) as pipe:
                pipe.lmove(redis_keys.OUTBOX(p), redis_keys.INFLIGHT(p), "LEFT", "RIGHT")
                pipe.expire(redis_keys.INFLIGHT(p), OUTBOX_TTL)
                raw, _ = pipe.execute()
            if raw is None:
                break
        # The lock was taken or refreshed just before the last send, and is refreshed again before
        # the next one (`_send`) and before any look at Twilio (`_deliver_one`).
        if _deliver_one(ctx, p, raw, previous, lock.reacquire):
            sent += 1
    with conn.pipeline(transaction=True) as pipe:
        pipe.zrem(redis_keys.OWED(), p)
        pipe.delete(redis_keys.ATTEMPT(p))
        pipe.llen(redis_keys.OUTBOX(p))
        *_, late = pipe.execute()
    if late:
        conn.zadd(redis_keys.OWED(), {p: time.time()})  # queued after the last LMOVE: keep it findable
    return sent


def _follow_up(rt: Runtime, p: str) -> None:
    """The lock is taken: let the sweep look again once it would expire, in case its holder died."""
    wait_ms = rt.redis.pttl(redis_keys.LOCK(p))
    if wait_ms <= 0:
        return  # released meanwhile: the holder looks at the outbox after releasing
    # The sweep requeues a person owed for SWEEP_AFTER seconds; date this one so it is due then.
    due = time.time() + wait_ms / 1000 - SWEEP_AFTER
    rt.redis.zadd(redis_keys.OWED(), {p: due}, xx=True, lt=True)


def _deliver_one(
    ctx: WorkerContext, p: str, raw: bytes | str, previous: bytes | None, keep_lock: Callable[[], object]
) -> bool:
    """Send one reply, unless an interrupted attempt (`previous`: when it began) already reached Twilio."""
    rt = ctx.runtime
    conn = rt.redis
    try:
        item = OutboxItem.loads(raw)
        address = rt.keys.open(item.sealed)
        body = _text(rt, item, address)
    except (ValueError, KeyError, TypeError) as exc:
        # An item this release cannot read (written by a newer release, or sealed with a key that
        # was since replaced) would otherwise hold every later reply to the person, help now and
        # 112 included, until the outbox expires: it is dropped and counted as failed.
        finish(rt, p, raw, "", failed_code=UNREADABLE)
        log.error("a reply this release cannot read was dropped (%s)", type(exc).__name__)
        return False
    sid = None
    if previous is not None:
        keep_lock()  # the look at Twilio waits out its timeout first: it starts with a full lock
    try:
        if previous is not None and _sent_before(ctx, address, body, float(previous)):
            log.info("reply found at Twilio after an interrupted send; not sending it again")
        else:
            sid = _send(ctx, p, item, address, body, keep_lock)
    except PermanentSendError as exc:
        if finish(rt, p, raw, address.channel.value, failed_code=exc.code):
            for hook in rt.registry.on_send_failed:
                hook(rt, p, address, exc.code, item.forget)
        log.warning("reply refused by Twilio with code %s; not retried", exc.code)
        return False
    except LineFaultError as exc:
        # Nobody can be answered until the account or sender is fixed: the reply stays owed, the
        # job is retried with back-off, and the sweep keeps probing once the retries are spent.
        conn.delete(redis_keys.ATTEMPT(p))  # Twilio answered: it does not have this one
        record_line_fault(rt, address.channel.value, exc.code)
        log.error(
            "Twilio refuses the line itself (code %s on %s): fix the account or sender; replies stay owed",
            exc.code,
            address.channel.value,
        )
        raise
    except Unsettled:
        raise  # not a failed send: the job comes back and looks again, uncounted
    except TransientSendError as exc:
        if not exc.uncertain:
            conn.delete(redis_keys.ATTEMPT(p))  # Twilio answered "not now": it surely does not have this one
        tries = _count_attempt(rt, p)
        if tries == 0:
            return False  # erased while at Twilio: nothing is owed any more
        if tries > rt.config.send_retries:
            if finish(rt, p, raw, address.channel.value, failed_code=str(exc.code)):
                for hook in rt.registry.on_send_failed:
                    hook(rt, p, address, exc.code if isinstance(exc.code, int) else 0, item.forget)
            log.error("reply given up after %s attempts (last code %s)", rt.config.send_retries + 1, exc.code)
            return False
        raise
    kept = finish(rt, p, raw, address.channel.value, sid=sid, forget=item.forget)
    if sid:
        # A reply Twilio took after the person erased their data (the delete word came while it was
        # at Twilio) is recorded nowhere: it is forgotten at Twilio as the erasure's confirmation is.
        for sent in rt.registry.on_sent:  # metrics; erasure at Twilio of what must leave no trace
            sent(rt, sid, item.forget or not kept)
    return True


def _send(
    ctx: WorkerContext, p: str, item: OutboxItem, address: Address, body: str, keep_lock: Callable[[], object]
) -> str:
    """Hand one item to Twilio in its slot of the account's and the sender's rates (a template by its
    Content SID, anything else as text); Twilio's sid.

    Waiting for the slot keeps the person's lock. A 429 holds every worker's slots back for its
    Retry-After and the reply goes again in a later slot, as long as the waits stay within one
    Twilio timeout; past that the job comes back later (a transient failure).
    """
    conn = ctx.runtime.redis
    pace = ctx.pace(address.channel)
    held = 0.0
    while True:
        keep_lock()  # a lookup or a wait may have taken long; the send gets a full lock again
        # Noted before the wait for a slot, so the send follows its slot closely: an attempt noted a
        # little early only makes the look at Twilio after a crash start a little earlier.
        conn.set(redis_keys.ATTEMPT(p), time.time(), ex=OUTBOX_TTL)
        pace.acquire(keep_lock)
        try:
            if isinstance(item.body, Template):
                return ctx.sender.send_template(address, item.body.content_sid, "{}")
            return ctx.sender.send(address, body)
        except Throttled as exc:
            conn.delete(redis_keys.ATTEMPT(p))  # Twilio answered 429: it does not have this one
            pace.hold(exc.retry_after)
            held += exc.retry_after
            log.warning("Twilio asks the line to slow down (429); every send waits %.1f s", exc.retry_after)
            if held > ctx.runtime.config.twilio_timeout:
                raise


def _text(rt: Runtime, item: OutboxItem, address: Address) -> str:
    """What an item says, in its language and for the address's channel (the line's footer on every one)."""
    match item.body:
        case References(refs):
            return rt.renderer.render(item.locale, refs, address.channel)
        case Written(sealed):
            return rt.renderer.written(item.locale, rt.keys.open_text(sealed), address.channel)
        case Template(_, text):
            return text  # what Twilio will show as its body: how an interrupted send is recognised
        case _:
            assert_never(item.body)


class Unsettled(TransientSendError):
    """An interrupted attempt is not at Twilio yet, but may still be on its way: look again later."""

    def __init__(self) -> None:
        super().__init__("unsettled", uncertain=True)


def _sent_before(ctx: WorkerContext, address: Address, body: str, attempted: float) -> bool:
    """Whether an interrupted attempt reached Twilio; raise Unsettled while it still may.

    The client gives up after SAMEN_TWILIO_TIMEOUT, but Twilio may go on with the request and
    create the message later (it takes no idempotency key for messages). So the line waits out the
    client's timeout here, then looks; while nothing is found and the attempt is younger than
    SAMEN_TWILIO_SETTLE, the job is retried later (a worker is not held) and looks again.
    """
    config = ctx.runtime.config
    wait = attempted + config.twilio_timeout + 1 - time.time()
    if wait > 0:
        time.sleep(wait)
    if ctx.sender.already_sent(address, body, attempted):
        return True
    if time.time() < attempted + max(config.twilio_settle, config.twilio_timeout + 1):
        raise Unsettled()
    return False


# Count a transient failure of the reply in flight, unless an erasure took it meanwhile (0).
_COUNT_ATTEMPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return n
"""


@cache
def _attempt_counter(conn: redis.Redis) -> Any:
    # One script object per connection, made once per worker process.
    return conn.register_script(_COUNT_ATTEMPT)


def _count_attempt(rt: Runtime, p: str) -> int:
    return int(_attempt_counter(rt.redis)(keys=[redis_keys.INFLIGHT(p), redis_keys.TRIES(p)], args=[OUTBOX_TTL]))
