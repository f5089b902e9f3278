"""A worker killed with SIGKILL while sending: once workers run again, every reply owed goes out, once."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import redis

from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import ALICE, BOB, PostFn, Processes, holds_for, inbound, sent_to, wait_until


def kill_worker_while_sending(processes: Processes, standin: StandinState, sending: Callable[[], bool]) -> None:
    processes.env["SAMEN_TWILIO_TIMEOUT"] = "2"  # the dead worker's lock expires after 2 * 2 + 5 s
    processes.env["SAMEN_SWEEP_INTERVAL"] = "2"  # the new worker looks for owed replies again every 2 s
    worker = processes.worker(processes=1)
    assert wait_until(sending, timeout=20), processes.output()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def test_killed_before_twilio_accepted_the_reply_is_sent_once(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    # Twilio is slow, then refuses this attempt: the message never reaches it.
    standin.delay = 1.5
    standin.faults.append(Fault(status=503, code=20503, count=1, to=ALICE))
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))
    kill_worker_while_sending(processes, standin, lambda: standin.in_flight > 0)
    assert wait_until(lambda: standin.in_flight == 0 and not standin.faults[0].count, timeout=10)
    assert sent_to(standin, ALICE) == []
    standin.delay = 0.0
    assert_each_reply_sent_once_after_restart(processes, standin, redis_conn)


def test_killed_after_twilio_accepted_the_reply_is_not_sent_again(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    # Twilio has recorded the message but its answer has not reached the worker yet.
    standin.hold = 1.5
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))
    kill_worker_while_sending(processes, standin, lambda: len(standin.messages) == 1)
    standin.hold = 0.0
    assert_each_reply_sent_once_after_restart(processes, standin, redis_conn)


def test_sweep_requeues_only_what_the_queue_cannot_account_for(
    post: PostFn, app, redis_conn: redis.Redis, work: Callable[[], None], standin: StandinState
) -> None:
    from samen_sms.line.worker import sweep

    for sender in (ALICE, BOB, "whatsapp:+447700900789"):
        post(inbound(sender, "hi"))
    assert sweep(min_age=0) == 0  # a backlog: every owed person has a job waiting
    # The jobs are lost (e.g. a Redis restart without persistence).
    redis_conn.delete("rq:queue:samen", "rq:queue:samen-urgent")
    assert sweep(min_age=0) == 3
    work()
    assert len(standin.messages) == 3
    assert redis_conn.zcard(line_keys.OWED()) == 0


def assert_each_reply_sent_once_after_restart(
    processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    """Start a fresh worker: both replies owed to Alice arrive, in order, exactly once."""
    processes.worker(processes=1)
    # The dead worker's lock lasts at most 9 s; then the idle new worker's next sweep, due every 2 s,
    # sends. (An idle RQ worker on its own waits 25 s for a job before it does any maintenance.)
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 2, timeout=20), processes.output()
    replies = sent_to(standin, ALICE)
    assert replies[0].startswith("Hello, this is the SAMEN information line.")
    assert replies[1].startswith("Reply with a number:")  # the statement came with the greeting
    assert wait_until(lambda: redis_conn.zcard(line_keys.OWED()) == 0, timeout=10)
    assert holds_for(lambda: len(sent_to(standin, ALICE)) == 2), "a reply was sent twice"
    assert ALICE.lstrip("+") not in processes.output()
