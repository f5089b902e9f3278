"""Sending an announcement or reminder to every matching subscriber once, at a shared, polite rate.

A broadcast (`{session id}:{a|r}`, its `BroadcastKind`: announcement or reminder) keeps a to-do set, a done hash
(pseudonym -> claimed, sent, skipped with its reason, failed with its code), counters, a phase and
a lease; its keys are in `samen_sms.announce.redis_keys`. A pseudonym is claimed atomically, once,
before any send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, assert_never

import redis
from rq import Retry

from samen_sms.announce import redis_keys, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.dispatch import Attempt, send_once
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.lease import Lease
from samen_sms.announce.results import PREPARE_ERROR, STAT_PREFIX, Kind, Result, Skip
from samen_sms.announce.routing import announcement_audience
from samen_sms.announce.templates import load_templates
from samen_sms.content.hints import SessionAnnounced
from samen_sms.content.optin import REPLY_NODE
from samen_sms.core import tally
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import quiet_until
from samen_sms.line import erasure, ledger
from samen_sms.line.pace import sending_pace
from samen_sms.line.replies import WorkerContext, current
from samen_sms.line.runtime import Runtime
from samen_sms.line.store import place_in_menus, remember_language

log = logging.getLogger(__name__)

JOB = "samen_sms.announce.broadcast.run"
SLICE_SECONDS = 60.0  # then the job re-queues itself: a warm worker stop never waits long
KEEP_AFTER_SESSION = 7 * 24 * 3600
LOOK_AGAIN = timedelta(seconds=30)  # a notice or reminder found running: run again after this


KEY_PARTS = {
    "todo": redis_keys.BROADCAST_TODO,
    "done": redis_keys.BROADCAST_DONE,
    "stats": redis_keys.BROADCAST_STATS,
    "state": redis_keys.BROADCAST_STATE,
    "lease": redis_keys.BROADCAST_LEASE,
}


def key(bid: str, part: str) -> str:
    """One of a broadcast's keys."""
    return KEY_PARTS[part](bid)


_CLAIM = """
local out = {}
for _, p in ipairs(redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))) do
  if redis.call('HSETNX', KEYS[2], p, ARGV[2]) == 1 then table.insert(out, p) end
end
return out
"""
_ADD = """
local n = 0
for i = 1, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then n = n + redis.call('SADD', KEYS[1], ARGV[i]) end
end
return n
"""


def enqueue(
    rt: Runtime,
    session_id: str,
    kind: BroadcastKind,
    fill: bool = True,
    at: datetime | None = None,
    pipeline: Any = None,
    for_start: float | None = None,
) -> str:
    """Queue a broadcast job (or its continuation, `fill=False`), now or at `at`; returns the RQ job id.

    `for_start` is the session's start a scheduled reminder is for: if the session has moved by the
    time the job runs, the job does nothing (the move scheduled a reminder of its own).
    """
    if fill and pipeline is None:
        rt.redis.hset(key(kind.of(session_id), "state"), "phase", "queued")
    return enqueue_on(rt.queue, rt.config, session_id, kind, fill, at, pipeline, for_start)


def enqueue_on(
    queue: Any,
    config: Any,
    session_id: str,
    kind: BroadcastKind,
    fill: bool = True,
    at: datetime | None = None,
    pipeline: Any = None,
    for_start: float | None = None,
) -> str:
    """`enqueue` on a given queue, for callers without a runtime (the webhook's effect handlers)."""
    # RQ takes a job for abandoned (and retries it) timeout + 60 s after its start: keep it short.
    timeout = int(SLICE_SECONDS + 2 * config.broadcast_lease + 30)
    # The kind as its plain value: what `run` takes, from this release and the ones before it.
    args: tuple[Any, ...] = (session_id, kind.value, fill)
    if for_start is not None:
        args = (*args, for_start)
    options: dict[str, Any] = {
        "args": args,
        "result_ttl": 0,
        "failure_ttl": config.failed_job_ttl,
        # An abandoned job (its worker killed) is retried once RQ notices; the claims keep it exact.
        "retry": Retry(max=5, interval=[30, 60, 120, 300, 600]),
        "pipeline": pipeline,
    }
    if at is not None:
        return str(queue.enqueue_at(at, JOB, job_timeout=timeout, **options).id)
    return str(queue.enqueue_call(JOB, timeout=timeout, **options).id)


def run(session_id: str, kind_value: str, fill: bool = True, for_start: float | None = None) -> int:
    """The RQ job: send one slice of a broadcast; returns how many messages went out.

    `kind_value` is a `BroadcastKind`'s value, as RQ stored it (`a` or `r`).
    """
    ctx = current()
    rt = ctx.runtime
    session = infosessions.get(rt.redis, session_id)
    kind = BroadcastKind.read(kind_value)
    if session is None or kind is None:
        log.warning("broadcast for unknown session or kind; nothing to do")
        return 0
    moved = fill and for_start is not None and for_start != session.starts
    if kind.to_those_coming and (session.starts <= time.time() or (kind is BroadcastKind.REMINDER and moved)):
        # Moved since this reminder was scheduled (its new time has a job of its own), or already begun
        # (a slice that waited out quiet hours too): it would give the wrong day, or come after the session.
        log.info("%s for session %s is for another start or the session has begun; not sent", kind.label, session_id)
        return 0
    if session.cancelled and kind is not BroadcastKind.CANCEL:
        log.info("session %s is cancelled; its %s is not sent", session_id, kind.label)
        return 0
    bid = kind.of(session_id)
    lease = Lease(rt, bid)
    if not lease.acquire():
        log.info("broadcast %s is already running elsewhere", bid)
        if fill and kind.to_those_coming:
            # A late yes (or a second change) while it runs: look again once the running job is done.
            later = datetime.now(UTC) + LOOK_AGAIN
            enqueue_on(rt.queue, rt.config, session_id, kind, at=later, for_start=for_start)
        return 0
    job = Broadcast(ctx, session, kind, lease)
    try:
        if fill:
            job.fill()
        job.resolve_claims()
        sent = job.send()
    finally:
        lease.release()
    if job.resume is not None:
        # Only after the lease is free, or the continuation would find it taken and stop.
        enqueue(rt, session_id, kind, fill=False, at=job.resume if isinstance(job.resume, datetime) else None)
    return sent


class Broadcast:
    """One slice of work on one broadcast, by the job that holds its lease."""

    def __init__(
        self, ctx: WorkerContext, session: infosessions.InfoSession, kind: BroadcastKind, lease: Lease
    ) -> None:
        self.ctx, self.rt, self.session, self.kind, self.lease = ctx, ctx.runtime, session, kind, lease
        self.conn: Any = ctx.runtime.redis
        self.bid = kind.of(session.id)
        self.todo, self.done, self.stats = key(self.bid, "todo"), key(self.bid, "done"), key(self.bid, "stats")
        cfg = self.rt.config
        # The same slots replies take (line.pace, 5% below the rates): together they keep to the
        # account's and each sender's rate.
        self.rates = {channel: sending_pace(self.conn, cfg, channel) for channel in Channel}
        self.templates = load_templates(cfg.whatsapp_templates)
        # Who was sent what is kept only until a week after the session (pseudonyms, but still a trace).
        self.keep_until = int(session.starts) + KEEP_AFTER_SESSION
        self.resume: datetime | bool | None = None  # when to continue: a time, True for now, None: no need
        self._add = self.conn.register_script(_ADD)
        self._claim = self.conn.register_script(_CLAIM)

    def fill(self) -> int:
        """Put every matching subscriber not yet handled on the to-do set (safe to repeat)."""
        self.conn.hset(key(self.bid, "state"), "phase", "queueing")
        added = 0
        for people in self._audience():
            added += int(self._add(keys=[self.todo, self.done], args=people))
        self.conn.expireat(self.todo, self.keep_until)
        self.conn.hset(key(self.bid, "state"), mapping={"phase": "sending", "queued_at": int(time.time())})
        return added

    def _audience(self) -> Iterator[list[str]]:
        """Who the broadcast is for, in batches: the session's subscribers, or who said they would come."""
        match self.kind:
            case BroadcastKind.ANNOUNCEMENT:
                for _, batch in announcement_audience(self.conn, self.session):
                    yield [p.decode() for p in batch]
            case BroadcastKind.REMINDER | BroadcastKind.CHANGE | BroadcastKind.CANCEL:
                people = [p.decode() for p in self.conn.hkeys(redis_keys.RSVP(self.session.id))]
                for start in range(0, len(people), 1000):
                    yield people[start : start + 1000]
            case unknown:
                assert_never(unknown)

    def resolve_claims(self) -> None:
        """Claims left by a job that died mid-send: sent if Twilio has it, else back on the to-do set."""
        for p_raw, value in self.conn.hscan_iter(self.done, match="*", count=1000):
            claim = Result.parse(value)
            if claim.kind is not Kind.CLAIMED:
                continue
            p = p_raw.decode()
            try:
                attempt = self._attempt(p)
            except Exception:
                log.exception("could not prepare a broadcast message; counted as failed (error)")
                self._record(p, Result.failed(PREPARE_ERROR), None, None)
                continue
            if isinstance(attempt, Attempt) and attempt.already_at_twilio(self.ctx, claim.claimed_at):
                self._record(p, Result.sent(), None, attempt)
                continue
            self._while_claimed(p, partial(self._queue_retry, p=p))

    def _queue_retry(self, pipe: Any, *, p: str) -> None:
        pipe.hdel(self.done, p)
        pipe.sadd(self.todo, p)
        pipe.expireat(self.todo, self.keep_until)

    def send(self) -> int:
        """Claim and send until done, out of time, into quiet hours, or the lease is lost."""
        deadline = time.monotonic() + SLICE_SECONDS
        self.conn.hset(key(self.bid, "state"), "phase", "sending")
        self.conn.hdel(key(self.bid, "state"), "until")
        threads = self.rt.config.broadcast_threads
        sent = 0
        pending: set[Future[bool]] = set()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="broadcast") as pool:
            while not self.lease.lost.is_set():
                quiet = quiet_until(self.rt.config.quiet_hours, datetime.now(UTC))
                if quiet is not None or time.monotonic() > deadline:
                    self._continue_later(quiet)
                    break
                if len(pending) < threads:
                    claim = Result.claimed(time.time()).dumps()
                    batch = [p.decode() for p in self._claim(keys=[self.todo, self.done], args=[threads, claim])]
                    pending |= {pool.submit(self._send_one, p) for p in batch}
                    if not batch and not pending:
                        self._finish()
                        break
                    if batch and len(pending) < threads:
                        continue
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                sent += sum(1 for f in finished if f.result())
            wait(pending)
            sent += sum(1 for f in pending if f.result())
        return sent

    def _finish(self) -> None:
        # Say how it went: "done" after every send failed would be a lie.
        stats = {k.decode(): int(v) for k, v in self.conn.hgetall(self.stats).items()}
        phase = final_phase(stats)
        self.conn.hset(key(self.bid, "state"), mapping={"phase": phase, "done_at": int(time.time())})
        if phase != "done":
            log.warning("broadcast %s ended %s: %s", self.bid, phase, failure_codes(stats))

    def _continue_later(self, quiet: datetime | None) -> None:
        state = {"phase": "waiting for quiet hours to end" if quiet else "continuing"}
        if quiet:
            state["until"] = quiet.isoformat(timespec="minutes")
        self.conn.hset(key(self.bid, "state"), mapping=state)
        self.resume = quiet or True

    def _attempt(self, p: str) -> Attempt | Skip:
        return Attempt.prepare(self.rt, self.session, self.kind, p, self.templates)

    def _send_one(self, p: str) -> bool:
        try:
            attempt = self._attempt(p)
        except Exception:
            # Nothing went out: count it as failed, so the status says so, instead of leaving a claim.
            log.exception("could not prepare a broadcast message; counted as failed (error)")
            self._record(p, Result.failed(PREPARE_ERROR), None, None)
            return False
        try:
            if isinstance(attempt, Skip):
                self._record(p, Result.skipped(attempt), None, None)
                return False
            self.rates[attempt.address.channel].acquire()
            result, sid = send_once(self.ctx, attempt, p)
            outside = result == Result.failed(subscriptions.OUTSIDE_WHATSAPP_WINDOW)
            if outside and attempt.template is None and attempt.address.channel is Channel.WHATSAPP:
                attempt, result, sid = self._outside_window(p, attempt)
            self._record(p, result, sid, attempt)
            return result.kind is Kind.SENT
        except Exception:
            log.exception("broadcast send failed unexpectedly; the claim stays for the next run to check")
            return False

    def _outside_window(self, p: str, refused: Attempt) -> tuple[Attempt, Result, str | None]:
        """Free text refused as outside the WhatsApp window though the line thought it open: Twilio knows.

        The window is closed for this person, and the message goes as the approved template, or is
        skipped for want of one, exactly as it would have been routed with the window closed.
        """
        subscriptions.close_whatsapp_window(self.conn, p)
        attempt = self._attempt(p)
        if isinstance(attempt, Skip):
            return refused, Result.skipped(attempt), None
        self.rates[attempt.address.channel].acquire()
        return attempt, *send_once(self.ctx, attempt, p)

    def _record(self, p: str, result: Result, sid: str | None, attempt: Attempt | None) -> None:
        """Write the result, only while the claim is still there: a person erased meanwhile stays gone.

        The message that went out to someone erased meanwhile is deleted at Twilio, as the delete
        word does with the messages it finds (this one it could not find yet).
        """
        recorded = self._while_claimed(p, lambda pipe: self._queue_record(pipe, p, result, sid, attempt))
        if not recorded:
            # It went out (or failed) all the same: counted, never who, so the figures say what was sent.
            self.conn.hincrby(self.stats, result.stat, 1)
        if not recorded and sid:
            erasure.queue_forget(self.rt.queue, [sid], delay=erasure.RETRY_AFTER)

    def _while_claimed(self, p: str, queue: Callable[[Any], None]) -> bool:
        """Run the writes `queue` puts on a transaction, only if `p`'s claim is still in the done hash."""
        with self.conn.pipeline(transaction=True) as pipe:
            while True:
                try:
                    # The delete word removes the claim (HDEL on the done hash): WATCH makes check and write one step.
                    pipe.watch(self.done)
                    raw = pipe.hget(self.done, p)
                    if raw is None or Result.parse(raw).kind is not Kind.CLAIMED:
                        pipe.reset()
                        log.info("broadcast %s: someone was erased while being sent to; not recorded", self.bid)
                        return False
                    pipe.multi()
                    queue(pipe)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue  # another thread recorded or claimed someone: check again

    def _queue_record(self, pipe: Any, p: str, result: Result, sid: str | None, attempt: Attempt | None) -> None:
        ttl = max(int(self.session.starts - time.time()), 0) + 24 * 3600
        pipe.hset(self.done, p, result.dumps())
        pipe.expireat(self.done, self.keep_until)
        pipe.hincrby(self.stats, result.stat, 1)
        if sid:
            pipe.set(redis_keys.BROADCAST_SID(sid), self.bid, ex=7 * 24 * 3600)
            # Whose it is (a delivery report of 63016 closes their WhatsApp window), and so that the
            # delete word finds it at Twilio, as it finds the replies.
            ledger.note_sent(pipe, p, sid, self.rt.config.dedup_ttl)
        if result.kind is Kind.SENT and self.kind is BroadcastKind.ANNOUNCEMENT and attempt is not None:
            # A reply of 1 or yes now means "I want to come to this session".
            place_in_menus(pipe, p, REPLY_NODE, SessionAnnounced(self.session.id), min(ttl, 14 * 86400))
            remember_language(pipe, p, attempt.locale, self.rt.config.profile_ttl, only_if_unknown=True)
        if result == Result.failed(21610):  # the person opted out at Twilio (STOP)
            subscriptions.opt_out(pipe, p)
        if result.kind is Kind.SENT and self.kind is BroadcastKind.ANNOUNCEMENT:
            tally.count(pipe, ["sent"], time.time())  # the anonymous reach figures


def final_phase(stats: dict[str, int]) -> str:
    """How a finished broadcast went: done, done with failures, or failed (failures and nothing sent)."""
    failed = sum(n for name, n in stats.items() if name.startswith(STAT_PREFIX[Kind.FAILED]))
    if not failed:
        return "done"
    return "done with failures" if stats.get(Result.sent().stat, 0) else "failed"


def failure_codes(stats: dict[str, int]) -> str:
    """Failed sends by Twilio error code (or `transient`, `error`), e.g. `21617 3, 30007 1`."""
    prefix = STAT_PREFIX[Kind.FAILED]
    codes = sorted((name.removeprefix(prefix), n) for name, n in stats.items() if name.startswith(prefix))
    return ", ".join(f"{code} {n}" for code, n in codes)


_DELIVERY_STATUS = """
if ARGV[1] ~= 'delivered' and ARGV[1] ~= 'undelivered' and ARGV[1] ~= 'failed' then return 0 end
local bid = redis.call('GET', KEYS[1])
if not bid then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', ARGV[2] .. bid .. ARGV[3], ARGV[1], 1)
if ARGV[1] == 'delivered' and string.sub(bid, -#ARGV[5]) == ARGV[5] then
  redis.call('HINCRBY', KEYS[2], 'delivered', 1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return 1
"""


def status_hook(pipe: Any, message_sid: str, status: str, error_code: str) -> None:
    """`/twilio/status` hook: count a broadcast message's final outcome once, inside the same pipeline."""
    stats = redis_keys.BROADCAST_STATS("\0")
    prefix, suffix = stats.split("\0")
    # An announcement delivered also counts in the day's anonymous reach figures (KEYS[2], lent by
    # the tally: counted in the same step that consumes the report, so once).
    today = tally.day_key(time.time())
    announcements = BroadcastKind.ANNOUNCEMENT.of("")  # the end of every announcement's id
    args = (status, prefix, suffix, tally.KEEP, announcements)
    pipe.eval(_DELIVERY_STATUS, 2, redis_keys.BROADCAST_SID(message_sid), today, *args)
