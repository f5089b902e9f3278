"""Opting in to announcements and out again, by SMS and WhatsApp, in Dutch and English."""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import subscriptions
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line import replies
from tests.conftest import ALICE, BOB, PUBLIC_URL, BurstWorker, PostFn, inbound, sent_to, sign, with_config


def talk(post: PostFn, work: Callable[[], None], standin: StandinState, sender: str, *texts: str) -> list[str]:
    """Send each text and run the worker; returns the replies that came back."""
    before = len(sent_to(standin, sender))
    for text in texts:
        assert post(inbound(sender, text)).status_code == 200
        work()
    return sent_to(standin, sender)[before:]


def pseudonym(app: Flask, number: str) -> str:
    return str(app.extensions["samen"].keys.pseudonym(number))


def test_sms_opt_in_in_english_needs_an_explicit_digit(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    replies = talk(post, work, standin, ALICE, "hi", "1", "sessions")
    assert "You get a few messages a month at most" in replies[-1]
    assert "send UNSUB" in replies[-1]
    assert "1 Get announcements" in replies[-1]
    (ask,) = talk(post, work, standin, ALICE, "1")
    assert ask.startswith("Where do you live?")
    (confirm,) = talk(post, work, standin, ALICE, "'s-Gravenhage")
    assert confirm.startswith("Region: Haaglanden.")
    assert "Send 1 if you want announcements" in confirm
    # On SMS a whole-message YES is Twilio's opt-in word: the engine stays silent and subscribes nobody.
    assert talk(post, work, standin, ALICE, "YES") == []
    p = pseudonym(app, ALICE)
    assert subscriptions.find(redis_conn, p) is None
    (done,) = talk(post, work, standin, ALICE, "1")
    assert done.startswith("You are signed up.")
    assert "UNSUB" in done and "STOP" in done
    sub = subscriptions.find(redis_conn, p)
    assert sub is not None
    assert (sub.region, sub.locale, sub.channel, sub.how) == ("VR15", "en", Channel.SMS, "d")
    assert app.extensions["samen"].keys.open(sub.sealed) == Address(Channel.SMS, ALICE)
    # Nothing in Redis holds the number in the clear.
    digits = ALICE.lstrip("+")
    for key in redis_conn.scan_iter(count=1000):
        assert digits.encode() not in key
        if redis_conn.type(key) == b"hash":
            assert all(digits.encode() not in v for v in redis_conn.hvals(key))
        elif redis_conn.type(key) == b"string":
            assert digits.encode() not in (redis_conn.get(key) or b"")


def test_whatsapp_opt_in_in_dutch_for_the_whole_country_with_a_yes_word(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    bob = "whatsapp:" + BOB
    talk(post, work, standin, bob, "Hallo", "1")
    replies = talk(post, work, standin, bob, "bijeenkomsten", "1", "1")
    assert replies[0].startswith("Informatiebijeenkomsten zijn gratis bijeenkomsten")
    assert replies[-1].startswith("Regio: heel Nederland.")
    (done,) = talk(post, work, standin, bob, "Ja!")
    assert done.startswith("Je bent aangemeld.")
    sub = subscriptions.find(redis_conn, pseudonym(app, BOB))
    assert sub is not None
    assert (sub.region, sub.locale, sub.channel, sub.how) == ("NL", "nl", Channel.WHATSAPP, "w")
    assert subscriptions.within_whatsapp_window(redis_conn, pseudonym(app, BOB))


def test_unknown_place_asks_again_and_no_means_no(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    talk(post, work, standin, ALICE, "hi", "1", "sessions", "1")
    (again,) = talk(post, work, standin, ALICE, "Atlantis")
    assert again.startswith("I do not know that place.")
    talk(post, work, standin, ALICE, "Amsterdam")
    (declined,) = talk(post, work, standin, ALICE, "2")
    assert declined.startswith("All right, you will not get announcements.")
    assert subscriptions.find(redis_conn, pseudonym(app, ALICE)) is None


def test_opting_out_by_keyword_menu_stop_word_and_21610(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    p = pseudonym(app, ALICE)
    talk(post, work, standin, ALICE, "hi", "1", "sessions", "1", "Utrecht", "1")
    assert subscriptions.find(redis_conn, p) is not None
    (left,) = talk(post, work, standin, ALICE, "unsub")
    assert left.startswith("You will get no more announcements")
    assert subscriptions.find(redis_conn, p) is None
    # Through the menu: sessions, then 2.
    talk(post, work, standin, ALICE, "sessions", "1", "Utrecht", "1")
    assert subscriptions.find(redis_conn, p) is not None
    talk(post, work, standin, ALICE, "sessions", "2")
    assert subscriptions.find(redis_conn, p) is None
    # Twilio's STOP (no reply on SMS) marks the person opted out; START brings them back.
    talk(post, work, standin, ALICE, "sessions", "1", "Utrecht", "1")
    assert talk(post, work, standin, ALICE, "STOP") == []
    assert subscriptions.find(redis_conn, p) is None
    assert redis_conn.sismember(announce_keys.OPTOUT(), p)
    talk(post, work, standin, ALICE, "START")
    assert subscriptions.find(redis_conn, p) is not None
    # A reply Twilio refuses with 21610 (they sent STOP to Twilio itself) marks them opted out too.
    with standin.lock:
        standin.faults.append(Fault(400, 21610, count=1, to=ALICE))
    assert talk(post, work, standin, ALICE, "menu") == []
    assert subscriptions.find(redis_conn, p) is None


def test_erase_removes_everything_announcements_keep(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    bob = "whatsapp:" + BOB
    talk(post, work, standin, bob, "hello", "1", "sessions", "1", "1", "yes")
    p = pseudonym(app, BOB)
    assert subscriptions.describe(redis_conn, p)["subscribed"]
    redis_conn.sadd(announce_keys.OPTOUT(), p)
    pipe = redis_conn.pipeline(transaction=True)
    subscriptions.erase(pipe, p)
    pipe.execute()
    assert subscriptions.describe(redis_conn, p) == {
        "subscribed": False,
        "region": None,
        "locale": None,
        "channel": None,
        "consent_at": None,
        "consent_how": None,
        "opted_out": False,
        "rsvp_sessions": [],
    }
    assert not redis_conn.exists(announce_keys.WHATSAPP_WINDOW(p))
    # The line's own "delete" keyword erases the subscription too.
    talk(post, work, standin, bob, "sessions", "1", "1", "yes")
    assert subscriptions.find(redis_conn, p) is not None
    talk(post, work, standin, bob, "delete")
    assert subscriptions.describe(redis_conn, p)["subscribed"] is False


def test_place_and_region_names_find_the_safety_region(app) -> None:
    places = app.extensions["samen"].content.places
    assert places.find_region("'s-Hertogenbosch") == places.find_region("Den Bosch") == "VR21"
    assert places.find_region("Flevoland") == "VR25"
    assert places.find_region("Atlantis") is None


def test_the_sessions_stop_word_works_after_the_line_forgot_the_persons_language(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    """A subscription is kept; the chosen language only 90 days after the last message (then they are new)."""
    p = pseudonym(app, ALICE)
    talk(post, work, standin, ALICE, "hi", "2", "bijeenkomsten", "1", "Utrecht", "1")
    assert subscriptions.find(redis_conn, p) is not None
    redis_conn.delete(line_keys.PROFILE(p), line_keys.CONVERSATION(p))  # as after months of quiet
    (left,) = talk(post, work, standin, ALICE, "UITSCHRIJVEN")
    assert left.startswith("Je krijgt geen aankondigingen van bijeenkomsten meer"), left
    assert subscriptions.find(redis_conn, p) is None
    (left,) = talk(post, work, standin, BOB, "UNSUB")  # never subscribed: told the same, nothing kept
    assert left.startswith("You will get no more announcements")
    assert not redis_conn.exists(line_keys.PROFILE(pseudonym(app, BOB)))


def test_the_opt_in_states_the_quiet_hours_the_line_keeps_in_every_language(
    config: Config, standin: StandinState
) -> None:
    # One setting: the hours announcements hold back for are the hours the opt-in promises.
    cfg = with_config(config, quiet_hours="22:00-08:30")
    app = create_app({"TESTING": True}, config=cfg)
    rt = app.extensions["samen"]
    for locale in rt.content.flow.languages:
        for channel in (Channel.SMS, Channel.WHATSAPP):
            done = rt.renderer.message(locale, "subscribe.done", channel)
            assert "22:00" in done and "08:30" in done, (locale, channel, done)
    with replies.using(worker_context(cfg)):
        client = app.test_client()
        for text in ("hi", "1", "sessions", "1", "Utrecht", "1"):
            params = inbound(ALICE, text)
            signature = sign(PUBLIC_URL + "/twilio/inbound", params)
            client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature})
            BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING"
            )
    done = sent_to(standin, ALICE)[-1]
    assert done.startswith("You are signed up.") and "never between 22:00 and 08:30" in done
    assert "evening" not in done
