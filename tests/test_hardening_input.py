"""What an adversarial test of the line broke (issue #9): rate limit and keywords, erasure, addresses."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import subscriptions
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import ALICE, BOB, PostFn, inbound, sent_to

WA_BOB = "whatsapp:" + BOB
LIMIT = 30  # SAMEN_RATE_LIMIT's default, as the tests' line runs with it


def subscribe(app: Flask, number: str, channel: Channel) -> str:
    """A subscription to announcements for the whole country, as the opt-in dialogue would store it."""
    rt = app.extensions["samen"]
    p = str(rt.keys.pseudonym(number))
    sub = subscriptions.Subscriber("NL", "en", channel, int(time.time()), "d", rt.keys.seal(Address(channel, number)))
    pipe = rt.redis.pipeline(transaction=True)
    subscriptions.subscribe(pipe, p, sub)
    pipe.execute()
    return p


def person_keys_left(conn: redis.Redis, p: str) -> list[str]:
    """Keys that still name or hold the pseudonym (the rate counter is expected to stay)."""
    left = []
    for raw in conn.scan_iter("samen:*"):
        name = raw.decode()
        kind = conn.type(raw).decode()
        members: list[bytes] = []
        if kind == "hash":
            members = list(conn.hkeys(raw))
        elif kind in ("set",):
            members = list(conn.smembers(raw))
        elif kind == "zset":
            members = list(conn.zrange(raw, 0, -1))
        if p in name or p.encode() in members:
            left.append(name.replace(p, "{p}"))
    return sorted(left)


def rate_key(p: str) -> str:
    return line_keys.RATE(p, "*").replace(p, "{p}").replace("*", "{window}")


def test_stop_start_and_delete_take_effect_past_the_rate_limit_on_whatsapp(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    rt = app.extensions["samen"]
    p = subscribe(app, BOB, Channel.WHATSAPP)
    for _ in range(LIMIT + 1):
        assert post(inbound(WA_BOB, "hi")).status_code == 200
    work()  # before the delete word, which also erases replies still owed
    post(inbound(WA_BOB, "stop"))
    assert subscriptions.find(redis_conn, p) is None
    assert redis_conn.sismember(announce_keys.OPTOUT(), p)
    post(inbound(WA_BOB, "start"))
    assert subscriptions.find(redis_conn, p) is not None
    post(inbound(WA_BOB, "delete"))
    work()
    # Every effect happened; the replies stayed within the window's limit plus its one notice.
    replies = sent_to(standin, WA_BOB)
    assert len(replies) == LIMIT + 1
    assert replies[-1] == rt.renderer.message("en", "rate_limited", Channel.WHATSAPP)
    assert subscriptions.find(redis_conn, p) is None
    assert person_keys_left(redis_conn, p) == [rate_key(p).replace("{window}", _window(rt))]


def test_twilio_stop_word_on_sms_past_the_limit_opts_out_silently(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    p = subscribe(app, ALICE, Channel.SMS)
    for _ in range(LIMIT + 5):
        post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "STOP"))
    work()
    assert redis_conn.sismember(announce_keys.OPTOUT(), p)
    assert len(sent_to(standin, ALICE)) == LIMIT + 1


def test_the_first_message_past_the_limit_gets_the_keywords_own_reply(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    rt = app.extensions["samen"]
    p = subscribe(app, ALICE, Channel.SMS)
    for _ in range(LIMIT):
        post(inbound(ALICE, "hi"))
    work()
    post(inbound(ALICE, "delete"))  # the one reply the window still allows: the neutral confirmation
    post(inbound(ALICE, "hi"))
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == LIMIT + 1
    assert replies[-1] == rt.renderer.message("en", "deleted", Channel.SMS)
    assert subscriptions.find(redis_conn, p) is None


def test_a_flood_of_delete_words_stays_within_the_rate_limit(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    for n in range(60):
        assert post(inbound(ALICE, "delete")).status_code == 200
        if n < LIMIT + 3:
            work()  # each confirmation goes out before the next delete word could erase it
    work()
    replies = sent_to(standin, ALICE)
    assert replies == [rt.renderer.message("en", "deleted", Channel.SMS)] * (LIMIT + 1)
    # Everything but the count is gone; the count holds the pseudonym only and expires with its window.
    assert person_keys_left(redis_conn, p) == [rate_key(p).replace("{window}", _window(rt))]
    counter = redis_conn.get(line_keys.RATE(p, _window(rt)))
    assert counter == b"60"
    assert 0 < redis_conn.ttl(line_keys.RATE(p, _window(rt))) <= rt.config.rate_limit_window


def _window(rt: object) -> str:
    return str(int(time.time() // rt.config.rate_limit_window))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("messenger:" + ALICE, "channel 'messenger'"),
        ("fb:1234567890", "channel 'fb'"),
        ("rcs:" + ALICE, "channel 'rcs'"),
        ("0800FLOWERS", "not an E.164"),
        ("+31800FLOWERS", "not an E.164"),
        ("0612345678", "not an E.164"),
        ("+31 6 1234 5678", "not an E.164"),
        ("whatsapp:0800FLOWERS", "not an E.164"),
        ("+\uff14\uff14" + ALICE[3:], "not an E.164"),  # fullwidth digits
    ],
)
def test_other_channels_and_numbers_made_of_letters_are_refused(
    sender: str,
    reason: str,
    post: PostFn,
    work: Callable[[], None],
    standin: StandinState,
    redis_conn: redis.Redis,
) -> None:
    response = post(inbound(sender, "hi"))
    assert response.status_code == 400
    assert reason in response.json["reason"]
    work()
    assert standin.messages == []
    # Only the worker's own upkeep marker (the scheduled AOF rewrite), nothing about the request.
    assert [k for k in redis_conn.scan_iter("samen:*") if k != line_keys.AOF_REWRITE().encode()] == []


def test_sms_and_whatsapp_numbers_in_e164_are_answered(
    post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    assert post(inbound(ALICE, "hi")).status_code == 200
    assert post(inbound(WA_BOB, "hi")).status_code == 200
    work()
    assert len(sent_to(standin, ALICE)) == 1
    assert len(sent_to(standin, WA_BOB)) == 1
