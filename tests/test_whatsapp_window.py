"""WhatsApp's 24-hour window at its edge: when Twilio says it is closed (63016), the line believes it.

The line keeps a WhatsApp subscriber's window open for 24 hours after their last message. Twilio
may still refuse free text with 63016 (its clock, a message the line never saw counted otherwise):
then the announcement goes as the approved template where there is one, or is skipped for want of
one, and the line stops sending free text to that person until they write again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import BOB, PUBLIC_URL, PostFn, inbound, run_retries_now, sent_to, sign
from tests.test_sessions_broadcast import CAROL, app, cli, session_file, subscribe

__all__ = ["app"]  # the fixture with an approved Dutch announcement template

OUTSIDE_WINDOW = 63016


def announce(app: Flask, tmp_path: Path, work: Callable[[], None], year: int | None = None) -> str:
    path = session_file(tmp_path) if year is None else session_file(tmp_path, year=year)
    sid = cli(app, "add", str(path))[1].strip().splitlines()[-1]
    assert cli(app, "announce", sid)[0] == 0
    work()
    return sid


def test_free_text_refused_as_outside_the_window_goes_as_the_template(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    bob = subscribe(app, BOB, Channel.WHATSAPP, "NL", "nl", window=True)
    standin.faults.append(Fault(400, OUTSIDE_WINDOW, to="whatsapp:" + BOB))
    sid = announce(app, tmp_path, work)
    with standin.lock:
        (got,) = [m for m in standin.messages if m["to"] == "whatsapp:" + BOB]
    assert got["_content_sid"] == "HX" + "a" * 32
    assert json.loads(got["_content_variables"])["1"] == "Gezondheid in Nederland"
    assert "total 1, sent 1, delivered 0, failed 0, skipped 0" in cli(app, "status", sid)[1]
    assert not redis_conn.exists(announce_keys.WHATSAPP_WINDOW(bob))  # the next one goes as a template at once


def test_free_text_refused_as_outside_the_window_without_a_template_is_skipped_for_that_reason(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, BOB, Channel.WHATSAPP, "NL", "en", window=True)  # no English template
    standin.faults.append(Fault(400, OUTSIDE_WINDOW, to="whatsapp:" + BOB))
    sid = announce(app, tmp_path, work)
    assert sent_to(standin, "whatsapp:" + BOB) == []
    status = cli(app, "status", sid)[1]
    assert "total 1, sent 0, delivered 0, failed 0, skipped 1 (whatsapp_window_closed_no_template 1)" in status


def test_a_reply_refused_as_outside_the_window_closes_it_for_announcements(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    carol = subscribe(app, CAROL, Channel.WHATSAPP, "NL", "nl")
    post(inbound("whatsapp:" + CAROL, "hallo"))
    assert redis_conn.exists(announce_keys.WHATSAPP_WINDOW(carol))
    standin.faults.append(Fault(400, OUTSIDE_WINDOW, to="whatsapp:" + CAROL))
    work()
    assert run_retries_now(redis_conn) == 0  # refused for good: not retried
    assert redis_conn.hgetall(line_keys.STATS("send_failed")) == {b"63016": b"1"}
    assert not redis_conn.exists(announce_keys.WHATSAPP_WINDOW(carol))


def test_an_announcement_reported_failed_outside_the_window_closes_it(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    # WhatsApp usually takes the free text and reports 63016 afterwards, by status callback.
    bob = subscribe(app, BOB, Channel.WHATSAPP, "NL", "nl", window=True)
    sid = announce(app, tmp_path, work)
    with standin.lock:
        (got,) = [m for m in standin.messages if m["to"] == "whatsapp:" + BOB]
    assert got["_content_sid"] is None  # free text: the line thought the window open
    params = {"MessageSid": got["sid"], "MessageStatus": "failed", "ErrorCode": str(OUTSIDE_WINDOW)}
    signature = sign(PUBLIC_URL + "/twilio/status", params)
    response = app.test_client().post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert not redis_conn.exists(announce_keys.WHATSAPP_WINDOW(bob))
    # The next announcement goes to Bob as the approved template.
    announce(app, tmp_path, work, year=datetime.now().year + 2)
    with standin.lock:
        ways = [m["_content_sid"] for m in standin.messages if m["to"] == "whatsapp:" + BOB]
    assert ways == [None, "HX" + "a" * 32]
    assert "total 1, sent 1, delivered 0, failed 1," in cli(app, "status", sid)[1]  # as Twilio reported it
