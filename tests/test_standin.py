"""The Twilio stand-in behaves as Twilio's API description says, seen through the real twilio-python client."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask, request
from twilio.base.exceptions import TwilioException, TwilioRestException
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


def test_wrong_credentials_are_twilios_401_20003_everywhere(config: Config, twilio: Client) -> None:
    """Twilio checks the auth token, not only the account SID: a wrong one sends nothing and reads nothing."""
    sent = send(twilio, ALICE, "with the right token")
    for sid, token in ((config.twilio_account_sid, "not-the-token"), ("AC" + "2" * 32, AUTH_TOKEN)):
        wrong = Client(sid, token)
        wrong.api.base_url = config.twilio_api_url
        attempts: tuple[Callable[[Client], Any], ...] = (
            lambda c: send(c, ALICE, "with a wrong token"),
            lambda c: c.messages(sent.sid).fetch(),
            lambda c: c.messages(sent.sid).delete(),
        )
        for attempt in attempts:
            with pytest.raises(TwilioRestException) as caught:
                attempt(wrong)
            assert (caught.value.status, caught.value.code) == (401, 20003)
        with pytest.raises(TwilioException) as listing:  # twilio-python: "Unable to fetch page", the response
            wrong.messages.list(to=ALICE)
        assert listing.value.args[1].status_code == 401 and '"code":20003' in listing.value.args[1].text
    assert [m.body for m in twilio.messages.list(to=ALICE)] == ["with the right token"]
    # The body twilio-python reads those from: Twilio's error shape.
    url = f"{config.twilio_api_url}/2010-04-01/Accounts/{config.twilio_account_sid}/Messages.json"
    answer = requests.get(url, auth=(config.twilio_account_sid, "not-the-token"), timeout=5)
    assert answer.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


@pytest.mark.parametrize(
    ("to", "from_", "body", "code"),
    [
        ("", SMS_FROM, "hi", 21604),  # To missing
        (ALICE, None, "hi", 21603),  # From (and a Messaging Service) missing
        (ALICE, SMS_FROM, None, 21602),  # Body (and ContentSid, MediaUrl) missing
        ("0612345678", SMS_FROM, "hi", 21211),  # not E.164
        ("+44 ", SMS_FROM, "hi", 21211),
        ("whatsapp:hello", WHATSAPP_FROM, "hi", 21211),
        (ALICE, "not a number!", "hi", 21212),
        (ALICE, SMS_FROM, "x" * 1601, 21617),  # over 1,600 characters
        (ALICE, WHATSAPP_FROM, "hi", 21910),  # WhatsApp sender, SMS recipient
        ("whatsapp:" + ALICE, SMS_FROM, "hi", 21910),  # and the other way round
    ],
)
def test_a_refused_send_is_twilios_400_and_reaches_nobody(
    twilio: Client, standin: StandinState, to: str, from_: str | None, body: str | None, code: int
) -> None:
    extra = {k: v for k, v in (("from_", from_), ("body", body)) if v is not None}
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=to, **extra)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert standin.messages == []


def test_numbers_twilio_accepts_are_accepted(twilio: Client, standin: StandinState) -> None:
    send(twilio, ALICE, "x" * 1600)  # exactly the limit
    twilio.messages.create(to=ALICE, from_="SAMEN", body="from an alphanumeric sender ID")
    twilio.messages.create(to="whatsapp:" + BOB, from_=WHATSAPP_FROM, body="on WhatsApp")
    assert [m["to"] for m in standin.messages] == [ALICE, ALICE, "whatsapp:" + BOB]


def test_status_callbacks_carry_the_messages_account_and_sender(
    config: Config, twilio: Client, standin: StandinState
) -> None:
    """As Twilio posts them: the account that sent it (not a placeholder), From, and the older Sms* names."""
    forms: list[dict[str, str]] = []
    receiver = Flask("receiver")

    @receiver.post("/status")
    def status() -> str:
        valid = RequestValidator(AUTH_TOKEN).validate(
            request.url, request.form.to_dict(), request.headers.get("X-Twilio-Signature", "")
        )
        forms.append(request.form.to_dict() | {"valid": str(valid)})
        return ""

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        standin.callbacks = True
        created = send(twilio, ALICE, "hello", status_callback=f"http://127.0.0.1:{server.server_port}/status")
        assert wait_until(lambda: len(forms) == 2, timeout=3)
    finally:
        server.shutdown()
    for form, status in zip(forms, ("sent", "delivered"), strict=True):
        assert form["valid"] == "True" and form["AccountSid"] == config.twilio_account_sid
        assert (form["MessageSid"], form["SmsSid"]) == (created.sid, created.sid)
        assert (form["MessageStatus"], form["SmsStatus"]) == (status, status)
        assert (form["To"], form["From"], form["ApiVersion"]) == (ALICE, SMS_FROM, "2010-04-01")
