"""RQ jobs. They take only a pseudonym: addresses travel sealed inside the outbox, never in job args."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from samen_sms.config import Config
from samen_sms.identity import Address
from samen_sms.runtime import Runtime, build_runtime
from samen_sms.sender import PermanentSendError, Sender, TransientSendError, build_client
from samen_sms.store import OWED, PREFIX, OutboxItem, inflight_key, outbox_key

log = logging.getLogger(__name__)

FailureHook = Callable[[Runtime, str, Address, int], None]
# Called after Twilio refuses a reply for good (e.g. 21610: the person opted out of SMS).
FAILURE_HOOKS: list[FailureHook] = []


@dataclass
class WorkerContext:
    """What a worker process builds once and every job reuses."""

    runtime: Runtime
    sender: Sender


_context: WorkerContext | None = None


def init_context(config: Config | None = None) -> WorkerContext:
    """Build the worker's runtime and Twilio client (once per process; later calls reuse it)."""
    global _context
    if _context is None:
        cfg = config or Config.from_env()
        _context = WorkerContext(build_runtime(cfg), Sender(build_client(cfg), cfg))
    return _context


def attempt_key(p: str) -> str:
    return f"{PREFIX}a:{p}"


class Busy(RuntimeError):
    """Another worker is delivering to this person; the job is retried later."""


def deliver(p: str) -> int:
    """Send every reply owed to one person, in order, each once. Returns how many went out.

    A reply moves from the outbox to the in-flight slot before it is sent and leaves it only once
    Twilio has it (or refused it for good). A reply found in flight was interrupted by a crash: if
    Twilio already has it, it is not sent again.
    """
    ctx = init_context()
    rt = ctx.runtime
    conn = rt.redis
    lock_ttl = rt.config.twilio_timeout * 2 + 5
    lock = conn.lock(f"{PREFIX}lock:{p}", timeout=lock_ttl, blocking_timeout=lock_ttl + 5)
    if not lock.acquire():
        raise Busy("delivery lock held")
    sent = 0
    try:
        while True:
            raw = conn.lindex(inflight_key(p), 0)
            if raw is None:
                raw = conn.lmove(outbox_key(p), inflight_key(p), "LEFT", "RIGHT")
                if raw is None:
                    break
            lock.reacquire()
            if _deliver_one(ctx, p, OutboxItem.loads(raw)):
                sent += 1
        with conn.pipeline(transaction=True) as pipe:
            pipe.zrem(OWED, p)
            pipe.delete(attempt_key(p))
            pipe.execute()
        # A reply queued between the last LMOVE and the ZREM keeps its own job; nothing is left owed.
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired: another worker may hold it now, which is fine
            pass
    return sent


def _deliver_one(ctx: WorkerContext, p: str, item: OutboxItem) -> bool:
    rt = ctx.runtime
    conn = rt.redis
    address = rt.keys.open(item.sealed)
    body = rt.renderer.render(item.locale, item.refs, address.channel)
    previous = conn.get(attempt_key(p))
    sid = None
    try:
        if previous is not None and ctx.sender.already_sent(address, body, float(previous)):
            log.info("reply found at Twilio after an interrupted send; not sending it again")
        else:
            conn.set(attempt_key(p), time.time(), ex=7 * 24 * 3600)
            sid = ctx.sender.send(address, body)
    except PermanentSendError as exc:
        _finish(rt, p, failed_code=exc.code, address=address)
        log.warning("reply refused by Twilio with code %s; not retried", exc.code)
        return False
    except TransientSendError:
        if _count_attempt(rt, p) > rt.config.send_retries:
            _finish(rt, p, failed_code=0, address=address)
            log.error("reply given up after %s attempts", rt.config.send_retries + 1)
            return False
        raise
    _finish(rt, p, sid=sid)
    return True


def _count_attempt(rt: Runtime, p: str) -> int:
    key = f"{PREFIX}n:{p}"
    with rt.redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 7 * 24 * 3600)
        count, _ = pipe.execute()
    return int(count)


def _finish(
    rt: Runtime, p: str, sid: str | None = None, failed_code: int | None = None, address: Address | None = None
) -> None:
    with rt.redis.pipeline(transaction=True) as pipe:
        pipe.delete(inflight_key(p), attempt_key(p), f"{PREFIX}n:{p}")
        if sid:
            pipe.hincrby(f"{PREFIX}stats:sent", "replies", 1)
            pipe.set(f"{PREFIX}m:{sid}", p, ex=rt.config.dedup_ttl)
        if failed_code is not None:
            pipe.hincrby(f"{PREFIX}stats:send_failed", str(failed_code), 1)
        pipe.execute()
    if failed_code is not None and address is not None:
        for hook in FAILURE_HOOKS:
            hook(rt, p, address, failed_code)
