"""RQ jobs. They take only a pseudonym: addresses travel sealed inside the outbox, never in job args."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from samen_sms.core import keyspace
from samen_sms.core.identity import Address
from samen_sms.line.runtime import Runtime
from samen_sms.line.sender import PermanentSendError, Sender, TransientSendError
from samen_sms.line.store import OUTBOX_TTL, OutboxItem

log = logging.getLogger(__name__)

@dataclass
class WorkerContext:
    """What a worker process builds once and every job reuses."""

    runtime: Runtime
    sender: Sender


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


class Busy(RuntimeError):
    """Another worker is delivering to this person; the job is retried later."""


def deliver(p: str) -> int:
    """Send every reply owed to one person, in order, each once. Returns how many went out.

    A reply moves from the outbox to the in-flight slot before it is sent and leaves it only once
    Twilio has it (or refused it for good). A reply found in flight was interrupted by a crash: if
    Twilio already has it, it is not sent again.
    """
    ctx = current()
    rt = ctx.runtime
    conn = rt.redis
    lock_ttl = rt.config.twilio_timeout * 2 + 5
    lock = conn.lock(keyspace.LOCK(p), timeout=lock_ttl, blocking_timeout=lock_ttl + 5)
    if not lock.acquire():
        raise Busy("delivery lock held")
    sent = 0
    try:
        while True:
            raw = conn.lindex(keyspace.INFLIGHT(p), 0)
            if raw is None:
                with conn.pipeline(transaction=True) as pipe:
                    pipe.lmove(keyspace.OUTBOX(p), keyspace.INFLIGHT(p), "LEFT", "RIGHT")
                    pipe.expire(keyspace.INFLIGHT(p), OUTBOX_TTL)
                    raw, _ = pipe.execute()
                if raw is None:
                    break
            lock.reacquire()
            if _deliver_one(ctx, p, OutboxItem.loads(raw), lock.reacquire):
                sent += 1
        with conn.pipeline(transaction=True) as pipe:
            pipe.zrem(keyspace.OWED(), p)
            pipe.delete(keyspace.ATTEMPT(p))
            pipe.llen(keyspace.OUTBOX(p))
            *_, late = pipe.execute()
        if late:
            # A reply queued after the last LMOVE: its own job sends it, but keep it findable by a sweep.
            conn.zadd(keyspace.OWED(), {p: time.time()})
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired: another worker may hold it now, which is fine
            pass
    return sent


def _deliver_one(ctx: WorkerContext, p: str, item: OutboxItem, keep_lock: Callable[[], object]) -> bool:
    rt = ctx.runtime
    conn = rt.redis
    address = rt.keys.open(item.sealed)
    body = rt.renderer.render(item.locale, item.refs, address.channel)
    previous = conn.get(keyspace.ATTEMPT(p))
    sid = None
    try:
        if previous is not None and _sent_before(ctx, address, body, float(previous)):
            log.info("reply found at Twilio after an interrupted send; not sending it again")
        else:
            if previous is not None:
                keep_lock()  # the lookup took up to two timeouts; the send gets a full lock again
            conn.set(keyspace.ATTEMPT(p), time.time(), ex=OUTBOX_TTL)
            sid = ctx.sender.send(address, body)
    except PermanentSendError as exc:
        _finish(rt, p, item, failed_code=exc.code, address=address)
        log.warning("reply refused by Twilio with code %s; not retried", exc.code)
        return False
    except TransientSendError as exc:
        if not exc.uncertain:
            conn.delete(keyspace.ATTEMPT(p))  # Twilio answered "not now": it surely does not have this one
        if _count_attempt(rt, p) > rt.config.send_retries:
            _finish(rt, p, item, failed_code=exc.code, address=address)
            log.error("reply given up after %s attempts (last code %s)", rt.config.send_retries + 1, exc.code)
            return False
        raise
    _finish(rt, p, item, sid=sid)
    return True


def _sent_before(ctx: WorkerContext, address: Address, body: str, attempted: float) -> bool:
    """Whether an interrupted attempt reached Twilio; waits until that attempt's request is surely over."""
    # A request cut off by a crash may still be processed by Twilio until its timeout has passed.
    settle = attempted + ctx.runtime.config.twilio_timeout + 1 - time.time()
    if settle > 0:
        time.sleep(settle)
    return ctx.sender.already_sent(address, body, attempted)


def _count_attempt(rt: Runtime, p: str) -> int:
    key = keyspace.TRIES(p)
    with rt.redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, OUTBOX_TTL)
        count, _ = pipe.execute()
    return int(count)


def _finish(
    rt: Runtime,
    p: str,
    item: OutboxItem,
    sid: str | None = None,
    failed_code: int | str | None = None,
    address: Address | None = None,
) -> None:
    with rt.redis.pipeline(transaction=True) as pipe:
        # Pop only the reply just handled: anything behind it in flight is still owed.
        pipe.lpop(keyspace.INFLIGHT(p))
        pipe.delete(keyspace.ATTEMPT(p), keyspace.TRIES(p))
        if failed_code is None:
            pipe.hincrby(keyspace.STATS("sent"), "replies", 1)
        if sid and not item.forget:
            pipe.set(keyspace.SENT_SID(sid), p, ex=rt.config.dedup_ttl)
            pipe.sadd(keyspace.SENT_BY(p), sid)
            pipe.expire(keyspace.SENT_BY(p), rt.config.dedup_ttl)
        if failed_code is not None:
            pipe.hincrby(keyspace.STATS("send_failed"), str(failed_code), 1)
        pipe.execute()
    if sid:
        for sent in rt.registry.on_sent:
            sent(rt, sid, item.forget)
    if failed_code is not None and address is not None:
        for hook in rt.registry.on_send_failed:
            hook(rt, p, address, failed_code if isinstance(failed_code, int) else 0)
