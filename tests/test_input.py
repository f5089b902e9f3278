"""Bad input and abuse: a clear 4xx with a reason, or a helpful reply to the texter; never a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import redis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from samen_sms.content.engine import Message, Visit, step
from samen_sms.content.reading import TWILIO_START_WORDS, TWILIO_STOP_WORDS
from samen_sms.content.replies import split_messages
from samen_sms.content.said import Said
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.webhook import parse_inbound
from tests.conftest import ALICE, BOB, PUBLIC_URL, PostFn, inbound, sent_to, sign


def test_flooding_number_gets_one_notice_then_silence_and_others_are_not_slowed(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    rt = app.extensions["samen"]
    for _ in range(35):
        assert post(inbound(ALICE, "hi")).status_code == 200
    assert post(inbound(BOB, "hi")).status_code == 200
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 31  # 30 answers, one notice, then nothing
    # No language chosen yet: the notice is in the language "hi" put first in her language menu.
    assert replies[-1] == rt.renderer.message("en", "rate_limited", Channel.SMS)
    assert replies.count(replies[-1]) == 1
    assert len(sent_to(standin, BOB)) == 1
    # Once the window has passed (here: its counter expired), Alice is answered again.
    for key in redis_conn.scan_iter("samen:r:*"):
        redis_conn.delete(key)
    post(inbound(ALICE, "hi"))
    work()
    assert len(sent_to(standin, ALICE)) == 32


def test_odd_bodies_get_a_helpful_reply(post: PostFn, work: Callable[[], None], standin: StandinState) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))  # English
    post(inbound(ALICE, "help me " * 400))  # 3,200 characters: read as far as Twilio's 1,600 limit
    post(inbound(ALICE, "x" * 2000))
    post(inbound(ALICE, ""))
    post(inbound(ALICE, "", NumMedia="1", MediaUrl0="https://api.twilio.com/m/1", MediaContentType0="image/jpeg"))
    post(inbound(ALICE, "\x00\u202e\ufffd"))
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 7
    assert replies[2].startswith("Danger now? Call 112.")
    assert replies[3].startswith("Sorry, I did not understand that.")
    assert replies[4].startswith("Sorry, I did not understand that.")
    assert replies[5] == "This line can only read text. Please send a word or a number. Danger now? Call 112."
    assert replies[6].startswith("Sorry, I did not understand that.")


def test_invalid_encoding_is_answered(client: FlaskClient, work: Callable[[], None], standin: StandinState) -> None:
    params = inbound(ALICE, "%FF%FE hi")  # bytes that are no UTF-8 stay as they were sent
    raw = "&".join(f"{k}={quote(v)}" for k, v in params.items() if k != "Body") + "&Body=%FF%FE+hi"
    response = client.post(
        "/twilio/inbound",
        data=raw.encode(),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)},
    )
    assert response.status_code == 200
    work()
    assert len(sent_to(standin, ALICE)) == 1


def test_oversized_request_is_413_with_a_reason(post: PostFn) -> None:
    response = post(inbound(ALICE, "x" * 70_000))
    assert response.status_code == 413
    assert response.json["reason"]


def test_missing_body_and_non_form_requests_are_answered_with_4xx(client: FlaskClient, post: PostFn) -> None:
    params = inbound(ALICE, "hi")
    del params["Body"]
    assert post(params).status_code == 200  # no Body: answered like an empty message
    response = client.post("/twilio/inbound", json={"From": ALICE}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403
    assert client.put("/twilio/inbound").status_code == 405
    assert client.get("/twilio/status").status_code == 405


FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "NumSegments", "WaId", "ButtonPayload"]
HEADERS = ["X-Twilio-Signature", "X-Forwarded-Proto", "Host", "X-Other"]
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
values = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"(whatsapp:)?\+?[0-9 ]{0,18}", fullmatch=True),
    st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True),
    st.sampled_from(["0", "1", "-1", "99999999999999999999", "delete", "stop", "wis", "6", "٣", "hi"]),
)
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response />'
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), values, max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=forms,
    signed=st.booleans(),
    path=st.sampled_from(["/twilio/inbound", "/twilio/status"]),
    headers=st.dictionaries(
        st.sampled_from(["X-Twilio-Signature", "X-Forwarded-Proto", "Host", "X-Other"]), header_text
    ),
    ok_sender=st.booleans(),
)
# Three words are free text: the notice goes alone, then the language menu (two messages, one reply).
@example(form={"Body": "0 0 0"}, signed=True, path="/twilio/inbound", headers={}, ok_sender=True)
def test_random_requests_never_get_a_5xx(
    client: FlaskClient,
    app: Flask,
    redis_conn: redis.Redis,
    form: dict[str, str],
    signed: bool,
    path: str,
    headers: dict[str, str],
    ok_sender: bool,
) -> None:
    redis_conn.flushdb()  # each example starts as a first message: no rate limit, no earlier state
    if ok_sender:  # a real sender and message id, so the other fields reach the flow and Redis
        real = inbound(ALICE, "")
        form = {**real, **form, "From": ALICE, "MessageSid": real["MessageSid"]}
        form.setdefault("MessageStatus", "delivered")
    if signed:
        headers = {**headers, "X-Twilio-Signature": sign(PUBLIC_URL + path, form)}
    # TESTING propagates exceptions, so an unhandled one fails this test rather than becoming a 500.
    response = client.post(path, data=form, headers=headers)
    assert response.status_code < 500, response.data
    # A Host header no server can read (".", "a b") is refused by Werkzeug with a 400 before the line
    # sees the request: that request is not valid input.
    bad_host = "Host" in headers and response.status_code == 400 and b"could not understand" in response.data
    readable_host = not bad_host
    if ok_sender and signed and path == "/twilio/inbound" and readable_host:
        # Valid input must go through the engine, not the emergency fallback (which the webhook
        # answers with when anything raises): an empty TwiML answer, and one reply queued, unless
        # the body is one of the carrier words Twilio answers itself (a deliberate silence).
        assert response.status_code == 200, response.data
        assert response.data == EMPTY_TWIML, response.data
        rt = app.extensions["samen"]
        queued = redis_conn.llen(line_keys.OUTBOX(rt.keys.pseudonym(ALICE)))
        carrier_word = Said.read(form.get("Body", "")).whole in TWILIO_STOP_WORDS | TWILIO_START_WORDS
        # One reply, as many messages as the engine's answer to a first message has (free text gets
        # the automatic-line notice alone, then the language menu), read as the webhook reads it.
        with app.test_request_context(path, method="POST", data=form):
            msg = parse_inbound()
        first = step(rt.content, Visit(), Message(msg.said, msg.address.channel, msg.num_media))
        assert queued == (0 if carrier_word else len(split_messages(first.replies))), form.get("Body")
        assert carrier_word or queued >= 1, form.get("Body")
