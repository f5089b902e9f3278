"""Erasure that reaches Twilio: the delete word removes the person's messages from Twilio's log.

The stand-in keeps messages in (as Twilio's log does) and out, and deletes them like Twilio: 204,
404 for an unknown one, refused while a message is still sending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from twilio.base.exceptions import TwilioRestException

from samen_sms.core.config import Config
from samen_sms.devtools.standin import StandinState, Timings, in_log, record_inbound
from samen_sms.line import erasure
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.replies import current
from samen_sms.line.sender import build_client
from tests.conftest import ALICE, BOB, PostFn, inbound, sent_to

DONE = Timings(sending=0.0, sent=0.0, delivered=0.0)  # a message Twilio has delivered


def talk(post: PostFn, standin: StandinState, sender: str, text: str) -> None:
    """A message in, as Twilio logs it and then posts it to the webhook."""
    params = inbound(sender, text)
    record_inbound(standin, params)
    assert post(params).status_code == 200


def with_person(standin: StandinState, number: str) -> list[dict[str, object]]:
    with standin.lock:
        return [m for m in in_log(standin) if number in (m["to"], m["from"])]


def run_scheduled_now(app: Flask) -> int:
    """Queue every scheduled job now: the minutes they wait for have passed."""
    rt = app.extensions["samen"]
    registry = ScheduledJobRegistry(queue=rt.queue)
    ids = registry.get_job_ids()
    for job_id in ids:
        registry.remove(job_id)
        rt.queue.enqueue_job(Job.fetch(job_id, connection=rt.redis))
    return len(ids)


def test_delete_word_deletes_the_persons_messages_at_twilio_once_final(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    for text in ("hi", "1"):
        talk(post, standin, BOB, text)
    work()
    # Alice's replies stay on their way for a minute: Twilio will not delete them yet.
    standin.timings = Timings(sending=0.0, sent=60.0, delivered=61.0)
    for text in ("hi", "1"):
        talk(post, standin, ALICE, text)
    work()
    assert len(with_person(standin, ALICE)) == 4  # two in, two replies
    bob_before = with_person(standin, BOB)
    talk(post, standin, ALICE, "delete")
    work()
    left = with_person(standin, ALICE)
    assert {m["direction"] for m in left} == {"outbound-api"}, "Twilio deleted the messages in right away"
    assert len(left) == 3  # two replies and the confirmation, all still sending
    assert sent_to(standin, ALICE)[-1] == left[-1]["body"]
    with standin.lock:
        for message in standin.messages:
            message["_timings"] = DONE  # delivered by now
    assert run_scheduled_now(app) == 2  # the replies' retry and the confirmation's own deletion
    work()
    assert with_person(standin, ALICE) == []
    assert with_person(standin, BOB) == bob_before
    assert not app.extensions["samen"].redis.exists(line_keys.INBOUND_BY(app.extensions["samen"].keys.pseudonym(ALICE)))


def with_voice_note(sender: str) -> dict[str, str]:
    return inbound(sender, "") | {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM1/Media/ME1",
        "MediaContentType0": "audio/ogg",
    }


def test_delete_word_deletes_the_voice_notes_a_person_sent_at_twilio_too(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    for sender in (ALICE, BOB):
        params = with_voice_note(sender)
        record_inbound(standin, params)
        assert post(params).status_code == 200
    work()
    assert len(standin.media) == 2  # Twilio keeps a voice note apart from its message
    talk(post, standin, ALICE, "delete")
    work()
    with standin.lock:
        left = [m["parent_sid"] for m in standin.media]
        bobs = [m["sid"] for m in standin.messages if m["from"] == BOB and m["direction"] == "inbound"]
    assert left == bobs, "Alice's voice note stays at Twilio after the delete word"


def test_twilio_delete_after_purges_the_accounts_old_messages_hourly(
    app: Flask, config: Config, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    talk(post, standin, ALICE, "hi")
    talk(post, standin, BOB, "hi")
    record_inbound(standin, with_voice_note(ALICE))  # a voice note too, kept apart from its message
    work()
    hours_ago = time.time() - 3 * 3600
    with standin.lock:
        for message in standin.messages:
            if ALICE in (message["to"], message["from"]):
                message["_at"] = hours_ago  # ALICE's conversation was three hours ago
    ctx = current()
    ctx.runtime.config = replace(config, twilio_delete_after=2)
    work()  # a worker's maintenance queues the clean-up, and runs it
    assert with_person(standin, ALICE) == []
    assert standin.media == [], "the voice note stays at Twilio"
    assert len(with_person(standin, BOB)) == 2
    assert not erasure.purge_if_due(ctx), "once an hour for all workers"


def test_standin_deletes_like_twilio(config: Config, standin: StandinState) -> None:
    client = build_client(config)
    standin.timings = Timings(sending=0.0, sent=60.0, delivered=61.0)
    message = client.messages.create(to=ALICE, from_=config.twilio_sms_from, body="x")
    assert client.messages(message.sid).fetch().status == "sending"
    with pytest.raises(TwilioRestException) as refused:
        client.messages(message.sid).delete()
    assert refused.value.status == 409
    with standin.lock:
        standin.messages[-1]["_timings"] = DONE  # delivered now
    assert client.messages(message.sid).delete()
    with pytest.raises(TwilioRestException) as missing:
        client.messages(message.sid).fetch()
    assert missing.value.status == 404
    with pytest.raises(TwilioRestException) as gone:
        client.messages(message.sid).delete()
    assert gone.value.status == 404


def test_a_message_twilio_will_not_delete_for_an_hour_is_an_error_without_the_clean_up(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, caplog: pytest.LogCaptureFixture
) -> None:
    standin.timings = Timings(sending=0.0, sent=float("inf"), delivered=float("inf"))  # stuck at Twilio
    talk(post, standin, ALICE, "hi")
    work()
    (stuck,) = [m["sid"] for m in with_person(standin, ALICE) if m["direction"] == "outbound-api"]
    # The last of the hour's tries: the message stays, and with SAMEN_TWILIO_DELETE_AFTER off nothing
    # will ever delete it, which the operator must hear about.
    assert erasure.forget_at_twilio([str(stuck)], tries=erasure.MAX_TRIES - 1) == 0
    assert [m["sid"] for m in with_person(standin, ALICE) if m["direction"] == "outbound-api"] == [stuck]
    (record,) = [r for r in caplog.records if r.name == "samen_sms.line.erasure" and r.levelname == "ERROR"]
    assert "SAMEN_TWILIO_DELETE_AFTER is off" in record.getMessage()
    assert str(stuck) not in record.getMessage()
