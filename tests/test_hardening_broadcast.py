"""Announcements under adversarial conditions (issue #9): failures said plainly, erasure mid-broadcast."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from rq.registry import ScheduledJobRegistry

from samen_sms.announce import broadcast, subscriptions
from samen_sms.announce import redis_keys as announce_keys
from samen_sms.assembly import worker_context
from samen_sms.core.identity import Address, Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line import replies
from tests.conftest import ALICE, BOB, PostFn, inbound, sent_to, sessions_cli, wait_until, with_config

SESSION = f"""
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }}
starts = {datetime.now().year + 1}-03-05T19:30:00
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en"]
regions = ["Utrecht"]
"""


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    return anytime_app


cli = sessions_cli


def add_session(app: Flask, tmp_path: Path) -> str:
    path = tmp_path / "session.toml"
    path.write_text(SESSION)
    code, output = cli(app, "add", str(path))
    assert code == 0, output
    return output.strip().splitlines()[-1]


def subscribe(app: Flask, number: str, locale: str = "en") -> str:
    rt = app.extensions["samen"]
    p = str(rt.keys.pseudonym(number))
    sealed = rt.keys.seal(Address(Channel.SMS, number))
    sub = subscriptions.Subscriber("VR09", locale, Channel.SMS, int(time.time()), "d", sealed)
    pipe = rt.redis.pipeline(transaction=True)
    subscriptions.subscribe(pipe, p, sub)
    pipe.execute()
    return p


def announcement_line(app: Flask, sid: str) -> list[str]:
    """The status lines about the announcement (not the reminder)."""
    lines = cli(app, "status", sid)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Announcement:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Reminder:"))
    return lines[start:end]


def test_an_announcement_whose_every_send_failed_says_failed_with_the_codes(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState
) -> None:
    subscribe(app, ALICE)
    subscribe(app, BOB, "nl")
    standin.faults.append(Fault(400, 21617, count=10))  # the body is too long: never retried
    sid = add_session(app, tmp_path)
    assert cli(app, "announce", sid)[0] == 0
    work()
    lines = announcement_line(app, sid)
    assert lines[0].startswith("Announcement: failed. total 2, sent 0, delivered 0, failed 2,"), lines
    assert "by error code: 21617 2" in lines[1]


def test_an_announcement_with_some_failures_says_so(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState
) -> None:
    subscribe(app, ALICE)
    subscribe(app, BOB, "nl")
    standin.faults.append(Fault(400, 21211, count=10, to=ALICE))
    sid = add_session(app, tmp_path)
    assert cli(app, "announce", sid)[0] == 0
    work()
    lines = announcement_line(app, sid)
    assert lines[0].startswith("Announcement: done with failures. total 2, sent 1, delivered 0, failed 1,"), lines
    assert "by error code: 21211 1" in lines[1]
    assert len(sent_to(standin, BOB)) == 1


def test_a_message_that_cannot_be_prepared_is_counted_as_failed(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    # A subscription record the worker cannot read: preparing the message raises.
    redis_conn.hset(announce_keys.SUBSCRIBERS("VR09"), "0" * 32, "en|s|not-a-time|d|sealed")
    sid = add_session(app, tmp_path)
    assert cli(app, "announce", sid)[0] == 0
    work()
    lines = announcement_line(app, sid)
    assert lines[0].startswith("Announcement: failed. total 1, sent 0, delivered 0, failed 1,"), lines
    assert "by error code: error 1" in lines[1]
    assert standin.messages == []


def keys_naming(conn: redis.Redis, p: str) -> list[str]:
    """Keys named by, or holding, the pseudonym; the rate counter outlives erasure on purpose."""
    found = []
    for raw in conn.scan_iter("samen:*"):
        name = raw.decode()
        if name.startswith(line_keys.RATE(p, "")):
            continue
        kind = conn.type(raw).decode()
        members: list[bytes] = []
        if kind == "hash":
            members = list(conn.hkeys(raw))
        elif kind == "set":
            members = list(conn.smembers(raw))
        elif kind == "zset":
            members = list(conn.zrange(raw, 0, -1))
        if p in name or p.encode() in members:
            found.append(name)
    return sorted(found)


def test_erasure_while_an_announcement_waits_out_quiet_hours(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    rt = app.extensions["samen"]
    alice = subscribe(app, ALICE)
    subscribe(app, BOB, "nl")
    sid = add_session(app, tmp_path)
    now = datetime.now(AMSTERDAM)
    around_now = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    with replies.using(worker_context(with_config(rt.config, quiet_hours=around_now))):
        assert cli(app, "announce", sid)[0] == 0
        work()
    assert standin.messages == []
    assert redis_conn.sismember(announce_keys.BROADCAST_TODO(f"{sid}:a"), alice)
    post(inbound(ALICE, "delete"))
    assert not redis_conn.sismember(announce_keys.BROADCAST_TODO(f"{sid}:a"), alice)
    # Quiet hours end: the scheduler would now queue the rest of the broadcast.
    scheduled = ScheduledJobRegistry(queue=rt.queue)
    for job_id in scheduled.get_job_ids():
        job = rt.queue.fetch_job(job_id)
        if job is not None and job.func_name == broadcast.JOB and job.args[1] == "a":
            rt.queue.enqueue_job(job)
            scheduled.remove(job_id)
    work()
    assert sent_to(standin, ALICE) == [rt.renderer.message("en", "deleted", Channel.SMS)]
    assert len(sent_to(standin, BOB)) == 1
    assert keys_naming(redis_conn, alice) == []
    assert "Announcement: done. total 1, sent 1" in cli(app, "status", sid)[1]


def test_someone_erased_while_their_announcement_is_in_flight_is_not_recorded(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    rt = app.extensions["samen"]
    alice = subscribe(app, ALICE)
    sid = add_session(app, tmp_path)
    done = announce_keys.BROADCAST_DONE(f"{sid}:a")
    standin.delay = 1.5  # Twilio is slow today: the send is in flight while Alice erases
    assert cli(app, "announce", sid)[0] == 0
    answers: list[int] = []

    def in_flight() -> bool:
        # Claimed, and the stand-in holds the send: a claim alone comes before the message is made,
        # and an erasure then would rightly stop it (a loaded machine lets this thread in that early).
        with standin.lock:
            sending = standin.in_flight > 0
        return sending and (redis_conn.hget(done, alice) or b"").startswith(b"c:")

    def erase_while_in_flight() -> None:
        # RQ's worker wants the main thread (signals): Alice writes from this one.
        if wait_until(in_flight, timeout=20):
            answers.append(post(inbound(ALICE, "delete")).status_code)

    alice_writes = threading.Thread(target=erase_while_in_flight)
    alice_writes.start()
    work()
    alice_writes.join(timeout=30)
    assert answers == [200]
    work()  # the erasure's confirmation, if the burst worker finished before it was queued
    assert len(sent_to(standin, ALICE)) == 2  # the announcement already on its way, then the confirmation
    assert sent_to(standin, ALICE)[-1] == rt.renderer.message("en", "deleted", Channel.SMS)
    # Nothing of hers was written back: not in the done hash, no reply step, no remembered language.
    assert keys_naming(redis_conn, alice) == []
