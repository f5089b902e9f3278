"""Announcements and reminders: the delete word reaches those Twilio keeps, and a reminder keeps to its session.

Twilio's log keeps every message with the number it went to: an information session's
announcement there ties the number to the line as much as a reply does.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.announce import broadcast
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, BOB, PostFn, sent_to, wait_until
from tests.test_privacy import is_rate_counter, redis_text
from tests.test_sessions_broadcast import cli, session_file, subscribe
from tests.test_twilio_erasure import DONE, run_scheduled_now, talk, with_person


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    """The app with quiet hours off, so an announcement goes out whatever the time of the test."""
    return anytime_app


def delivered_by_now(standin: StandinState) -> None:
    with standin.lock:
        for message in standin.messages:
            message["_timings"] = DONE


def announced_and_alice_interested(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState
) -> str:
    """A session added and announced, and Alice's 1: she gets the reminder the day before. Its id."""
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    cli(app, "announce", sid)
    work()
    talk(post, standin, ALICE, "1")
    work()
    return sid


def test_delete_word_deletes_the_announcement_and_reminder_at_twilio(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    p = subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    subscribe(app, BOB, Channel.SMS, "VR09", "nl")
    sid = announced_and_alice_interested(app, tmp_path, post, work, standin)
    broadcast.enqueue(app.extensions["samen"], sid, BroadcastKind.REMINDER)
    work()
    announcement, thanks, reminder = sent_to(standin, ALICE)
    assert announcement.startswith("Information session:") and reminder.startswith("Reminder:")
    bob_before = with_person(standin, BOB)
    talk(post, standin, ALICE, "delete")
    work()
    delivered_by_now(standin)
    run_scheduled_now(app)  # the confirmation's own deletion, a few minutes after it was sent
    work()
    assert with_person(standin, ALICE) == []
    assert with_person(standin, BOB) == bob_before  # Bob's announcement stays
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []


def test_an_announcement_at_twilio_when_the_delete_word_comes_is_deleted_there_too(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    p = subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    standin.hold = 2.0  # Twilio has the announcement; its answer takes 2 s to come back
    job = threading.Thread(target=broadcast.run, args=(sid, "a"))
    job.start()
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1)
    talk(post, standin, ALICE, "delete")  # erased while the announcement is on its way
    standin.hold = 0.0
    job.join(timeout=30)
    work()
    delivered_by_now(standin)
    run_scheduled_now(app)
    work()
    assert with_person(standin, ALICE) == []
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []


def test_an_announcement_that_raced_erasures_counts_what_went_out(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    from samen_sms.announce import progress

    subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    subscribe(app, BOB, Channel.SMS, "VR09", "nl")
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    standin.hold = 2.0  # Twilio's answers take 2 s to come back
    job = threading.Thread(target=broadcast.run, args=(sid, "a"))
    job.start()
    assert wait_until(lambda: len(sent_to(standin, ALICE)) + len(sent_to(standin, BOB)) == 1)
    first = ALICE if sent_to(standin, ALICE) else BOB
    talk(post, standin, first, "delete")  # erased while the announcement is on its way to them
    standin.hold = 0.0
    job.join(timeout=30)
    work()
    talk(post, standin, BOB if first == ALICE else ALICE, "delete")  # erased after it was recorded
    work()
    went_out = len(sent_to(standin, ALICE)[:1]) + len(sent_to(standin, BOB)[:1])
    n = progress.numbers(app.extensions["samen"], sid, BroadcastKind.ANNOUNCEMENT)
    assert went_out == 2
    assert (n["sent"], n["total"]) == (2, 2), n  # before: sent 1 / total 0
    assert n["erased"] == 2


def test_a_reminder_scheduled_before_the_session_moved_sends_nothing(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    # Moved a day later (as the console's edit does, which schedules a reminder of its own), the
    # reminder scheduled for the old start would come two days early; one after the start is no use.
    subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    sid = announced_and_alice_interested(app, tmp_path, post, work, standin)
    session = infosessions.get(redis_conn, sid)
    assert session is not None
    moved = dataclasses.replace(session, starts=session.starts + 86400)

    def store(changed: infosessions.InfoSession) -> None:
        pipe = redis_conn.pipeline()
        infosessions.replace(changed, pipe)
        pipe.execute()

    def reminders() -> list[str]:
        return [text for text in sent_to(standin, ALICE) if text.startswith("Reminder:")]

    store(moved)
    assert broadcast.run(sid, "r", True, session.starts) == 0 and reminders() == []
    store(dataclasses.replace(session, starts=time.time() - 60))  # it has begun
    assert broadcast.run(sid, "r", True) == 0 and reminders() == []
    store(moved)
    assert broadcast.run(sid, "r", True, moved.starts) == 1 and len(reminders()) == 1  # its own reminder
