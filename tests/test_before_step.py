"""The before-step phase: a feature takes a message before the engine, with the engine's reading at hand."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from flask import Flask

from samen_sms.content.effects import Erase, Start, Stop
from samen_sms.content.engine import Content, Message, Outcome, Visit, reply_locale, step
from samen_sms.content.loader import load_content
from samen_sms.content.reading import TWILIO_START_WORDS, TWILIO_STOP_WORDS, read
from samen_sms.content.replies import Msg
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.core.keyspace import Key
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.registry import Arrived, Registry
from samen_sms.line.runtime import Runtime
from tests.conftest import ALICE, PostFn, inbound, sent_to
from tests.test_webhook import RedisCost

# A key of this test's feature only: while it is set, the feature answers the person itself.
HELD = Key("test:held:{p}", "set while a test feature holds the conversation", "the test", "tests", person=True)
WHOLE_EFFECTS = {"stop": Stop(), "start": Start(), "delete": Erase()}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(Config.from_env({"SAMEN_ENV": "development"}))


# The engine's reading, pure.


def test_every_whole_message_keyword_reads_as_the_action_the_engine_takes(content: Content) -> None:
    for locale, catalogue in content.catalogues.items():
        visit = Visit("main", locale)
        for action, effect in WHOLE_EFFECTS.items():
            for word in catalogue.keywords.get(action, ()):
                message = Message.of(word, Channel.WHATSAPP)
                assert read(content.lexicon, visit, message).keyword == action, (locale, word)
                if word in catalogue.ask_first:
                    # An everyday word too ("dur": wait): the engine asks; the word again stops.
                    asked = step(content, visit, message)
                    assert asked.node == "stop_confirm" and effect not in asked.effects, (locale, word)
                    visit_asked = Visit(asked.node, asked.locale, asked.hint)
                    assert effect in step(content, visit_asked, message).effects, (locale, word)
                    continue
                assert effect in step(content, visit, message).effects, (locale, word)


def test_twilios_own_words_read_as_stop_and_start_on_sms_only(content: Content) -> None:
    visit = Visit("main", "en")
    for words, action in ((TWILIO_STOP_WORDS, "stop"), (TWILIO_START_WORDS, "start")):
        for word in words:
            assert read(content.lexicon, visit, Message.of(word.upper(), Channel.SMS)).keyword == action, word
    assert read(content.lexicon, visit, Message.of("cancel", Channel.WHATSAPP)).keyword is None


def test_a_danger_word_anywhere_is_read_in_every_language(content: Content) -> None:
    for locale, catalogue in content.catalogues.items():
        visit = Visit("main", locale)
        for word in catalogue.keywords["danger"]:
            reading = read(content.lexicon, visit, Message.of(f"x {word} y", Channel.SMS))
            assert (reading.keyword, reading.danger is not None, reading.for_engine) == (None, True, True), word


def test_a_delete_word_carrying_a_live_code_at_first_contact_reads_as_delete(content: Content) -> None:
    message = replace(Message.of("delete K7Q", Channel.SMS), codes=frozenset({"K7Q"}))
    assert read(content.lexicon, Visit(), message).keyword == "delete"
    assert Erase() in step(content, Visit(), message).effects
    # Inside a conversation a code is not read out, by the engine nor by the reading.
    assert read(content.lexicon, Visit("main", "en"), message).keyword is None


def test_plain_text_is_left_to_whoever_holds_the_conversation_but_not_a_flood(content: Content) -> None:
    visit = Visit("main", "en")
    plain = read(content.lexicon, visit, Message.of("can someone call me back", Channel.SMS, recent=3, limit=20))
    assert (plain.keyword, plain.danger, plain.past_limit, plain.for_engine) == (None, None, False, False)
    flood = read(content.lexicon, visit, Message.of("can someone call me back", Channel.SMS, recent=21, limit=20))
    assert (flood.past_limit, flood.for_engine) == (True, True)


def test_a_before_step_key_is_one_per_person() -> None:
    with pytest.raises(ValueError, match="one per person"):
        Registry().before(line_keys.OWED, lambda arrived, value: None)


# A feature holding conversations, in a real app with a real Redis.


@pytest.fixture
def holding(app: Flask) -> Iterator[list[Arrived]]:
    """Register, in this app only, a feature that answers a held person itself; yields what it saw."""
    rt: Runtime = app.extensions["samen"]
    seen: list[Arrived] = []

    def hold(arrived: Arrived, value: str | None) -> Outcome | None:
        seen.append(arrived)
        if value is None or arrived.reading.for_engine:
            return None
        visit, content = arrived.visit, arrived.content
        refs = (Msg(content.flow.messages["text_only"]),)
        locale = reply_locale(content, visit, arrived.message.said)
        return Outcome(visit.node, visit.locale, locale, refs, hint=visit.hint)

    def erase(conn: redis.Redis, pipe: Any, p: str, config: Config) -> None:
        pipe.delete(HELD(p))

    rt.registry.before(HELD, hold)
    rt.registry.erasers.append(erase)
    yield seen


def conversation(conn: redis.Redis, rt: Runtime) -> Any:
    raw = conn.get(line_keys.CONVERSATION(rt.keys.pseudonym(ALICE)))
    return json.loads(raw) if raw else None


def test_a_held_persons_message_is_answered_by_the_feature_once_and_the_menus_stay_as_they_were(
    app: Flask, holding: list[Arrived], post: PostFn, work: Callable[[], None], standin: StandinState,
    redis_conn: redis.Redis,
) -> None:
    rt: Runtime = app.extensions["samen"]
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "2"))  # Nederlands: the main menu
    work()
    before = conversation(redis_conn, rt)
    assert before == {"n": "main"} and len(sent_to(standin, ALICE)) == 2

    redis_conn.set(HELD(rt.keys.pseudonym(ALICE)), "1")
    post(inbound(ALICE, "3"))
    work()
    replies = sent_to(standin, ALICE)
    assert replies[2:] == [rt.renderer.message("nl", rt.content.flow.messages["text_only"], Channel.SMS)]
    assert conversation(redis_conn, rt) == before  # the engine never saw the "3"
    assert holding[-1].visit == Visit("main", "nl") and holding[-1].message.said.digit == 3

    redis_conn.delete(HELD(rt.keys.pseudonym(ALICE)))
    post(inbound(ALICE, "3"))
    work()
    assert len(sent_to(standin, ALICE)) == 4
    assert conversation(redis_conn, rt) != before  # the engine took it: the third option of the main menu


def test_a_danger_word_and_the_delete_word_still_reach_the_engine_while_held(
    app: Flask, holding: list[Arrived], post: PostFn, work: Callable[[], None], standin: StandinState,
    redis_conn: redis.Redis,
) -> None:
    rt: Runtime = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))  # English
    redis_conn.set(HELD(p), "1")
    post(inbound(ALICE, "he has a knife"))
    assert conversation(redis_conn, rt) == {"n": rt.content.flow.keywords["help"]}
    work()  # the delete word drops replies still owed: these go first
    assert len(sent_to(standin, ALICE)) == 3
    post(inbound(ALICE, "delete"))
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 4
    assert replies[-1] == rt.renderer.message("en", "deleted", Channel.SMS)
    assert [arrived.reading.keyword for arrived in holding[-2:]] == [None, "delete"]
    assert holding[-2].reading.danger == "en"
    assert redis_conn.exists(line_keys.CONVERSATION(p), line_keys.PROFILE(p), HELD(p)) == 0


def test_twilios_stop_word_reaches_the_engine_while_held(
    app: Flask, holding: list[Arrived], post: PostFn, work: Callable[[], None], standin: StandinState,
    redis_conn: redis.Redis,
) -> None:
    rt: Runtime = app.extensions["samen"]
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))
    redis_conn.set(HELD(rt.keys.pseudonym(ALICE)), "1")
    post(inbound(ALICE, "CANCEL"))
    work()
    assert len(sent_to(standin, ALICE)) == 2  # Twilio answers its own stop word; the line stays silent
    assert conversation(redis_conn, rt) is None  # the engine's stop: out of the menus


def test_a_before_step_hook_costs_no_round_trip_held_or_not(
    app: Flask, holding: list[Arrived], post: PostFn, monkeypatch: pytest.MonkeyPatch, redis_conn: redis.Redis
) -> None:
    rt: Runtime = app.extensions["samen"]
    post(inbound(ALICE, "hi"))  # the connection is open and healthy, as in production
    cost = RedisCost(monkeypatch)
    for body in ("1", "2"):
        trips, commands = cost.of(post, inbound(ALICE, body))
        assert (trips, commands <= 12) == (2, True), (body, trips, commands)
    redis_conn.set(HELD(rt.keys.pseudonym(ALICE)), "1")
    for body in ("3", "can someone call me"):
        trips, commands = cost.of(post, inbound(ALICE, body))
        assert (trips, commands <= 12) == (2, True), (body, trips, commands)
    assert len(holding) == 5
