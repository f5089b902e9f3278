"""The worker process: build the runtime once, then run a pool of RQ workers that reuse it."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from rq import Queue, SimpleWorker, worker_registration
from rq.job import Job
from rq.timeouts import TimerDeathPenalty
from rq.utils import import_attribute
from rq.worker.base import WorkerStatus
from rq.worker_pool import WorkerPool

from samen_sms.core import logs
from samen_sms.core.config import ConfigError
from samen_sms.line import redis_keys
from samen_sms.line.durability import rewrite_aof_if_due
from samen_sms.line.erasure import purge_if_due
from samen_sms.line.replies import WorkerContext, current, install
from samen_sms.line.store import DELIVER_JOB, SWEEP_AFTER, enqueue_deliver

log = logging.getLogger(__name__)

# RQ stores a job's function as a dotted path. Jobs queued before the rooms were made (a reminder
# may be scheduled weeks ahead) name the paths on the left, whose modules are gone: they run as
# the function on the right. An entry can go once no queue, schedule or retry can hold its path.
MOVED_JOBS = {
    "samen_sms.jobs.deliver": DELIVER_JOB,
    "samen_sms.broadcast.run": "samen_sms.announce.broadcast.run",
}


class LineJob(Job):
    """RQ's job, reading a function path from before the rooms were made as the path it has now."""

    @property
    def func(self) -> Callable[..., Any]:
        """The job's function, found at its path of today when it was stored under an old one."""
        moved = MOVED_JOBS.get(self.func_name or "")
        if moved is None or self.instance is not None:
            found: Callable[..., Any] = super().func
            return found
        return import_attribute(moved)


def sweep(min_age: float = SWEEP_AFTER) -> int:
    """Queue delivery again for people still owed a reply whose job was lost (crash, restart).

    Only as many people as the queue cannot account for are requeued: under a backlog every owed
    person still has a job waiting, and requeueing them all would only make the backlog grow.
    While Twilio refuses the line itself (a line fault), one person is requeued per sweep: a
    probe that sends once the fault is fixed, after which the next sweep requeues everyone.
    """
    rt = current().runtime
    conn = rt.redis
    budget = conn.zcard(redis_keys.OWED()) - rt.queue.count - rt.urgent_queue.count - rt.late_queue.count
    if conn.exists(redis_keys.LINE_FAULT()):
        budget = min(budget, 1)  # Twilio refuses the line itself: one probe, not everyone owed
    if budget <= 0:
        return 0
    cutoff = time.time() - min_age
    requeued = 0
    for raw in conn.zrangebyscore(redis_keys.OWED(), "-inf", cutoff, start=0, num=min(budget, 1000)):
        p = raw.decode() if isinstance(raw, bytes) else str(raw)
        if not conn.exists(redis_keys.OUTBOX(p), redis_keys.INFLIGHT(p)):
            conn.zrem(redis_keys.OWED(), p)
            continue
        conn.zadd(redis_keys.OWED(), {p: time.time()}, xx=True)
        enqueue_deliver(rt.queue, rt.config, p)
        requeued += 1
    if requeued:
        log.info("sweep queued delivery again for %d people", requeued)
    return requeued


HEARTBEAT_EVERY = 1.0  # seconds: a worker's heartbeat at most this often (its key lives SAMEN_WORKER_TTL)


@contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Threads started inside inherit a mask without SIGINT and SIGTERM: only the main thread takes them."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class LineWorker(SimpleWorker):
    """An RQ worker that runs jobs in its own process (the runtime is already built) and sweeps.

    It runs up to SAMEN_SENDS_PER_WORKER jobs at once, each in a thread of its own: a reply waits
    about 200 ms on Twilio's API, and one at a time a process could not send more than five a
    second. The main thread dequeues a job only once a thread is free for it, so a job never waits
    in a process while another worker is idle; urgent jobs are still taken first. A warm stop
    lets the jobs in flight finish; a killed worker leaves its replies in flight to the recovery
    (the in-flight slot, the lock, the look at Twilio before sending again).
    """

    job_class = LineJob
    # RQ's default sets an alarm signal, which only the main thread may do; a timer works in any thread.
    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = current().runtime.config
        kwargs.setdefault("worker_ttl", config.worker_ttl)
        kwargs.setdefault("maintenance_interval", config.sweep_interval)
        super().__init__(*args, **kwargs)
        self._swept = False
        self._beat = -HEARTBEAT_EVERY
        self.in_flight = config.sends_per_worker
        self._free = threading.BoundedSemaphore(self.in_flight)
        self._threads = ThreadPoolExecutor(self.in_flight, thread_name_prefix="send")
        self._busy = threading.Lock()  # the worker's state (busy, idle) against the threads ending jobs

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        """RQ's dequeue, once a thread is free to run the job (the worker beats its heart meanwhile)."""
        while not self._free.acquire(timeout=min(5, self.worker_ttl / 3)):
            self.heartbeat()
            if self._stop_requested:
                return None
        if self._stop_requested:  # asked to stop while every thread was busy: take no more jobs
            self._free.release()
            return None
        try:
            found = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        except BaseException:
            self._free.release()
            raise
        if found is None:
            self._free.release()
        return found

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """RQ's state, except that a worker with jobs still in flight in its threads is not idle."""
        if state == WorkerStatus.IDLE and self.executions:
            return
        super().set_state(state, pipeline)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Start the job in a free thread and return at once (the slot was taken before dequeueing)."""
        submitted = False
        try:
            with self._busy:
                execution = self.prepare_execution(job)
            with _stop_signals_blocked():
                self._threads.submit(self._perform, job, queue, execution)
                submitted = True  # from here the thread gives the slot back
        except BaseException:  # a stop signal raises here too
            if not submitted:
                self._free.release()
            raise

    def _perform(self, job: Job, queue: Queue, execution: Any) -> None:
        try:
            self.perform_job(job, queue, execution)
        except Exception:
            log.exception("a job's bookkeeping failed in its thread")
        finally:
            with self._busy:
                if not self.executions:
                    self.set_state(WorkerStatus.IDLE)
            self._free.release()

    def teardown(self) -> None:
        """Let the jobs in flight finish (a warm stop), then RQ's teardown."""
        self._threads.shutdown(wait=True)
        super().teardown()  # type: ignore[no-untyped-call]

    @property
    def dequeue_timeout(self) -> int:
        """How long an idle worker waits for a job before it looks again, and may sweep.

        RQ waits worker_ttl - 15 seconds (25 by default) and runs maintenance only between waits,
        so an idle worker would sweep less often than SAMEN_SWEEP_INTERVAL says.
        """
        return max(1, min(int(super().dequeue_timeout), int(self.maintenance_interval)))

    def subscribe(self) -> None:
        """RQ's command channel, whose listening thread never takes the stop signals.

        A signal sent to the process goes to any thread not blocking it. One that lands on the
        listener (or a sending thread) leaves the main thread waiting for a job until its wait ends
        (up to 20 s) before it stops: threads inherit the signal mask, so it is blocked while they start.
        """
        with _stop_signals_blocked():
            super().subscribe()  # type: ignore[no-untyped-call]

    def register_birth(self) -> None:
        """RQ's registration, its key kept worker_ttl seconds as every heartbeat keeps it (not RQ's + 60)."""
        super().register_birth()  # type: ignore[no-untyped-call]
        self.connection.expire(self.key, self.worker_ttl)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat, which also registers the worker again if Redis lost it (a restart without data).

        The worker's key lives worker_ttl seconds, not RQ's worker_ttl + 60: an idle worker beats every
        dequeue_timeout (at most worker_ttl - 15), and /healthz counts a worker alive while its key is
        there, so a pool killed with SIGKILL shows as no worker within worker_ttl seconds.
        """
        if pipeline is None and timeout is None and time.monotonic() - self._beat < HEARTBEAT_EVERY:
            return  # RQ beats two or three times per job; with many jobs a second, once a second is plenty
        super().heartbeat(timeout or self.worker_ttl, pipeline)
        if pipeline is None:
            self._beat = time.monotonic()
        if pipeline is None and not self.connection.sismember(self.redis_workers_keys, self.key):
            worker_registration.register(self)
            log.warning("worker registration was lost (Redis restarted without its data); registered again")

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        try:
            # At start every owed reply is requeued: a restarted worker picks up what a dead one left.
            sweep(min_age=0 if not self._swept else SWEEP_AFTER)
            self._swept = True
        except Exception:
            log.exception("sweep failed; will try again at the next maintenance")
        upkeep(current())


def upkeep(ctx: WorkerContext) -> None:
    """Scheduled chores any worker may do, each at most once per its interval across all workers."""
    config = ctx.runtime.config
    try:
        rewrite_aof_if_due(ctx.runtime.redis, config.aof_rewrite_hours)
    except Exception:
        log.exception("append-only file rewrite check failed; will try again at the next maintenance")
    try:
        purge_if_due(ctx)
    except Exception:
        log.exception("Twilio log clean-up could not be queued; will try again at the next maintenance")
    for chore in ctx.runtime.registry.chores:
        try:
            chore(ctx.runtime)
        except Exception:
            log.exception("a feature's chore failed; will try again at the next maintenance")


def main(build: Callable[[], WorkerContext], argv: list[str] | None = None) -> None:
    """Entry point of `python -m workers`: `build` makes the process's context once, before the pool forks."""
    parser = argparse.ArgumentParser(description="Run the SAMEN line's RQ workers.")
    parser.add_argument("--processes", type=int, help="worker processes (default: SAMEN_WORKERS)")
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=logs.PLAIN)  # until the settings say which format
    try:
        context = build()  # content, keys, Redis and the Twilio client: once, inherited by every forked worker
    except ConfigError as refused:
        raise SystemExit(f"samen workers: {refused}") from None  # one line, not a traceback
    install(context)
    rt = current().runtime
    logs.configure(rt.config.log_format)
    processes = args.processes or rt.config.workers
    # Every worker takes urgent replies first (a first contact, help now), then the rest in order,
    # then first contacts past the budget for new numbers (a flood of them waits behind everyone).
    queues = [rt.urgent_queue.name, rt.queue.name, rt.late_queue.name]
    log.info("worker pool: %d processes on queues %r", processes, queues)
    pool = WorkerPool(queues, connection=rt.redis, num_workers=processes, worker_class=LineWorker,
                      job_class=LineJob)
    pool.start(burst=args.burst, logging_level="INFO")
