"""Many replies in flight per worker process (issue #23): each person's still in order and once, at Twilio's pace."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import redis

from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import PostFn, Processes, holds_for, inbound, sent_to, wait_until

GREETING = "Hello, this is the SAMEN information line."
MENU = "Reply with a number:"  # the statement came with the greeting: not repeated
PEOPLE = [f"+447700900{n:03d}" for n in range(200, 260)]  # 60 people, Ofcom's fiction range


def children(pid: int) -> list[int]:
    """The worker processes of a pool (its children that are not RQ's scheduler)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"scheduler" not in cmdline:
                found.append(int(entry.name))
    return found


def greeted_then_menu(standin: StandinState, people: list[str]) -> list[str]:
    """Who did not get exactly the greeting, then the menu: nothing lost, doubled or out of order."""
    wrong = []
    for person in people:
        replies = sent_to(standin, person)
        if len(replies) != 2 or not replies[0].startswith(GREETING) or not replies[1].startswith(MENU):
            wrong.append(person)
    return wrong


def test_replies_stay_in_order_and_once_while_50_are_in_flight_and_a_worker_is_killed(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    # Each of 60 people is owed two replies, in order. Twilio takes 0.6 s to record a send and
    # 0.4 s more to answer, so a worker killed mid-send leaves replies Twilio never got beside
    # replies it has (and the worker never heard of): the one to send again, the other not.
    for person in PEOPLE:
        post(inbound(person, "hi"))
        post(inbound(person, "1"))
    standin.delay, standin.hold = 0.6, 0.4
    processes.env.update(
        SAMEN_SENDS_PER_WORKER="32",
        SAMEN_ACCOUNT_MPS="1000",
        SAMEN_SMS_MPS="1000",
        SAMEN_TWILIO_TIMEOUT="2",  # the dead worker's locks expire after 2 * 2 + 5 s
        SAMEN_SWEEP_INTERVAL="2",
    )
    pool = processes.worker(processes=2)
    assert wait_until(lambda: standin.in_flight >= 50, timeout=30), (standin.max_in_flight, processes.output())
    workers = children(pool.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)  # one worker dies with its sends in flight; the pool goes on
    standin.delay, standin.hold = 0.05, 0.0
    assert wait_until(lambda: not greeted_then_menu(standin, PEOPLE), timeout=90), (
        greeted_then_menu(standin, PEOPLE)[:5],
        processes.output()[-3000:],
    )
    assert wait_until(lambda: redis_conn.zcard(line_keys.OWED()) == 0, timeout=20)
    assert holds_for(lambda: not greeted_then_menu(standin, PEOPLE), seconds=1.0), "a reply was sent twice"
    assert standin.max_in_flight >= 50


def test_sends_keep_to_the_account_rate_with_no_burst_above_it(
    post: PostFn, processes: Processes, standin: StandinState
) -> None:
    people = PEOPLE[:40]
    for person in people:
        post(inbound(person, "hi"))
    processes.env.update(SAMEN_SENDS_PER_WORKER="16", SAMEN_ACCOUNT_MPS="10", SAMEN_SMS_MPS="100")
    processes.worker(processes=2)
    assert wait_until(lambda: all(sent_to(standin, p) for p in people), timeout=60), processes.output()[-3000:]
    with standin.lock:
        arrived = sorted(m["_received"] for m in standin.messages)
    # 40 sends at 10 a second take about 4 s (without the rate, two workers send them within one).
    # Slots are 0.1 s apart on Redis's clock; threads woken late on a loaded machine may bunch a few
    # together, but no second holds a burst.
    most = max(sum(1 for t in arrived[i:] if t < start + 1) for i, start in enumerate(arrived))
    assert most <= 15, most
    assert arrived[-1] - arrived[0] >= 3.5


def test_a_429_holds_every_send_for_its_retry_after_and_loses_nothing(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    people = PEOPLE[:30]
    for person in people:
        post(inbound(person, "hi"))
        post(inbound(person, "1"))
    standin.rate = 10  # Twilio refuses past 10 a second with 429 and Retry-After: 1
    processes.env.update(SAMEN_SENDS_PER_WORKER="16", SAMEN_ACCOUNT_MPS="100", SAMEN_SMS_MPS="100")
    processes.worker(processes=2)
    assert wait_until(lambda: not greeted_then_menu(standin, people), timeout=60), (
        greeted_then_menu(standin, people)[:5],
        processes.output()[-3000:],
    )
    assert standin.throttled > 0
    assert holds_for(lambda: not greeted_then_menu(standin, people), seconds=1.0), "a reply was sent twice"
    # A 429 is a pause, not a failure: no reply counts an attempt against the person, none was given up.
    assert not redis_conn.hgetall("samen:stats:send_failed")
    assert "slow down (429)" in processes.output()
