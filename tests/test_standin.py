"""The Twilio stand-in behaves as Twilio's API description says, seen through the real twilio-python client."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import make_server

from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState, Timings
from samen_sms.line.sender import Sender, build_client
from tests.conftest import ALICE, AUTH_TOKEN, BOB, SMS_FROM, WHATSAPP_FROM, wait_until


@pytest.fixture
def twilio(config: Config, standin: StandinState) -> Client:
    return build_client(config)


def send(client: Client, to: str, body: str, **extra: str) -> Any:
    return client.messages.create(to=to, from_=SMS_FROM, body=body, **extra)


def test_a_message_is_queued_without_date_sent_until_it_is_sent(twilio: Client, standin: StandinState) -> None:
    standin.timings = Timings(sending=0.0, sent=0.4, delivered=0.8)
    created = send(twilio, ALICE, "one")
    assert created.status == "queued" and created.date_sent is None
    assert twilio.messages(created.sid).fetch().status == "sending"
    assert twilio.messages(created.sid).fetch().date_sent is None
    assert wait_until(lambda: twilio.messages(created.sid).fetch().status == "sent", timeout=2)
    assert twilio.messages(created.sid).fetch().date_sent is not None
    assert wait_until(lambda: twilio.messages(created.sid).fetch().status == "delivered", timeout=2)


def test_fetching_an_unknown_message_is_twilios_20404(twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages("SM" + "0" * 32).fetch()
    assert caught.value.status == 404 and caught.value.code == 20404


def test_lists_are_newest_first_paged_and_followed_by_the_client(twilio: Client, standin: StandinState) -> None:
    for i in range(120):
        send(twilio, ALICE, f"m{i}")
    send(twilio, BOB, "for bob")
    first = twilio.messages.page(to=ALICE)
    assert len(list(first)) == 50 and first.next_page_url  # PageSize defaults to 50
    found = [m.body for m in twilio.messages.list(to=ALICE, limit=110)]
    assert found == [f"m{i}" for i in range(119, 9, -1)]  # newest first, across three pages
    assert len(list(twilio.messages.stream(to=ALICE, page_size=7))) == 120
    assert [m.body for m in twilio.messages.list(from_=SMS_FROM, limit=1)] == ["for bob"]


def test_date_sent_filters_skip_messages_not_yet_sent(twilio: Client, standin: StandinState) -> None:
    send(twilio, ALICE, "sent")
    assert wait_until(lambda: twilio.messages.list(to=ALICE)[0].date_sent is not None, timeout=2)
    standin.timings = Timings(sending=math.inf, sent=math.inf, delivered=math.inf)
    send(twilio, ALICE, "still queued")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert [m.body for m in twilio.messages.list(to=ALICE)] == ["still queued", "sent"]
    assert [m.body for m in twilio.messages.list(to=ALICE, date_sent_after=hour_ago)] == ["sent"]
    assert [m.body for m in twilio.messages.list(to=ALICE, date_sent=datetime.now(UTC))] == ["sent"]  # that day
    assert twilio.messages.list(to=ALICE, date_sent_before=datetime.now(UTC) - timedelta(days=1)) == []


def test_a_template_shows_its_text_filled_in_as_body(twilio: Client, standin: StandinState) -> None:
    standin.templates = {"HX" + "a" * 32: "Session: {{1}} on {{2}}."}
    message = twilio.messages.create(
        to="whatsapp:" + ALICE,
        from_=WHATSAPP_FROM,
        content_sid="HX" + "a" * 32,
        content_variables='{"1": "Health", "2": "1 May"}',
    )
    assert message.body == "Session: Health on 1 May."


@pytest.fixture
def callbacks() -> Iterator[tuple[str, list[tuple[str, float, bool]]]]:
    """A receiver for status callbacks: (status, time, signature valid) as they arrive."""
    got: list[tuple[str, float, bool]] = []
    receiver = Flask("receiver")

    @receiver.post("/status")
    def status() -> str:
        valid = RequestValidator(AUTH_TOKEN).validate(
            request.url, request.form.to_dict(), request.headers.get("X-Twilio-Signature", "")
        )
        got.append((request.form["MessageStatus"], time.time(), valid))
        return ""

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/status", got
    server.shutdown()


def test_status_callbacks_report_each_status_when_it_happens(
    twilio: Client, standin: StandinState, callbacks: tuple[str, list[tuple[str, float, bool]]]
) -> None:
    url, got = callbacks
    standin.callbacks = True
    standin.timings = Timings(sending=0.0, sent=0.2, delivered=0.6)
    started = time.time()
    send(twilio, ALICE, "hello", status_callback=url)
    assert wait_until(lambda: len(got) == 2, timeout=3)
    (sent, at_sent, ok_sent), (delivered, at_delivered, ok_delivered) = got
    assert (sent, delivered) == ("sent", "delivered") and ok_sent and ok_delivered
    assert 0.15 < at_sent - started < 0.5 and 0.55 < at_delivered - started < 1.0


def test_reply_recovery_finds_a_queued_message_and_one_pages_down(
    config: Config, twilio: Client, standin: StandinState
) -> None:
    """`Sender.already_sent` (after a crash) looks by creation time, follows pages, needs no date_sent."""
    sender = Sender(twilio, config)
    alice = Address(Channel.SMS, ALICE)
    since = time.time()
    standin.timings = Timings(sending=math.inf, sent=math.inf, delivered=math.inf)
    sender.send(alice, "the reply")  # Twilio has it, queued: no date_sent yet
    assert sender.already_sent(alice, "the reply", since)
    for i in range(60):  # then many more to the same person (a load test, a busy broadcast day)
        sender.send(alice, f"later {i}")
    assert sender.already_sent(alice, "the reply", since)  # the 61st newest: on the second page
    assert not sender.already_sent(alice, "never sent", since)
    assert not sender.already_sent(alice, "the reply", time.time() + 60)  # older than asked: not walked to
