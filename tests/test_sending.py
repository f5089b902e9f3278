"""Twilio faults: transient ones retried up to a limit, permanent ones not, failures counted by code."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line import replies
from tests.conftest import ALICE, BOB, PostFn, inbound, run_retries_now, sent_to, wait_until


def test_transient_failures_are_retried_with_growing_back_off_then_counted_by_code(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, config: Config
) -> None:
    fault = Fault(status=503, code=20503, count=100, to=ALICE)
    standin.faults.append(fault)
    post(inbound(ALICE, "hi"))
    work()
    queue = Queue("samen-urgent", connection=redis_conn)  # the reply to a first message
    job_id = ScheduledJobRegistry(queue=queue).get_job_ids()[0]
    intervals = queue.fetch_job(job_id).retry_intervals
    assert intervals == sorted(intervals) and intervals[0] < intervals[-1]
    while run_retries_now(redis_conn):
        work()
    # However many jobs the sweeps queued, the attempts at one reply are counted together.
    assert 100 - fault.count == config.send_retries + 1
    assert sent_to(standin, ALICE) == []
    assert redis_conn.hgetall("samen:stats:send_failed") == {b"20503": b"1"}
    assert redis_conn.zcard(line_keys.OWED()) == 0
    assert list(redis_conn.scan_iter("samen:[ofan]:*")) == []  # nothing of the reply is left


@pytest.mark.parametrize("code", [21211, 21610, 21614])
def test_permanent_errors_are_not_retried(
    code: int, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    fault = Fault(status=400, code=code, count=100, to=ALICE)
    standin.faults.append(fault)
    post(inbound(ALICE, "hi"))
    post(inbound(BOB, "hi"))
    work()
    assert run_retries_now(redis_conn) == 0
    assert 100 - fault.count == 1
    assert redis_conn.hgetall("samen:stats:send_failed") == {str(code).encode(): b"1"}
    assert len(sent_to(standin, BOB)) == 1  # others are not held up
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_a_timeout_that_twilio_did_accept_is_not_sent_twice(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, config: Config
) -> None:
    replies.install(worker_context(replace(config, twilio_timeout=0.5)))  # the app fixture restores its own
    standin.delay = 0.8  # Twilio takes the message after our request has given up
    post(inbound(ALICE, "hi"))
    work()
    assert run_retries_now(redis_conn) == 1
    standin.delay = 0.0
    work()
    assert len(sent_to(standin, ALICE)) == 1
    assert redis_conn.hget("samen:stats:sent", "replies") == b"1"
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_a_send_twilio_answers_long_after_the_timeout_reaches_the_person_once(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, config: Config
) -> None:
    # Twilio answers 2.5 s after a request the client gave up on at 0.5 s: past the timeout plus
    # 1 s, so a single look then finds nothing while the request is still in flight at Twilio.
    replies.install(worker_context(replace(config, twilio_timeout=0.5, twilio_settle=5.0)))
    standin.delay = 2.5
    post(inbound(ALICE, "hi"))
    work()
    deadline = time.monotonic() + 20
    while redis_conn.zcard(line_keys.OWED()) and time.monotonic() < deadline:
        time.sleep(0.3)
        run_retries_now(redis_conn)
        work()
    assert wait_until(lambda: standin.in_flight == 0, timeout=10)
    assert len(sent_to(standin, ALICE)) == 1
    assert redis_conn.zcard(line_keys.OWED()) == 0
    assert redis_conn.hgetall("samen:stats:send_failed") == {}
