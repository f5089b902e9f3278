"""The outbox's items: the line's references, and text a person wrote, sealed; both sent by a real worker."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from samen_sms.content.hints import LanguageOrder, SecondPage
from samen_sms.content.replies import (
    Greeting,
    Languages,
    Menu,
    Msg,
    Notice,
    Organisations,
    PlacePick,
    Ref,
    Region,
    Services,
    read_ref,
    stored_ref,
)
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.outbox import OutboxItem, References, Template, Written
from tests.conftest import ALICE, PostFn, inbound, sent_to
from tests.test_privacy import redis_text

HELPER_SAYS = "Hello, this is Sanne from the helpline. Are you safe to talk now?"
EVERY_KIND: list[Ref] = [
    Msg("stopped"),
    Menu("main"),
    Languages(SecondPage("Arab")),
    Greeting(LanguageOrder("fa")),
    Notice(None),
    Services("GM0363"),
    PlacePick("bergen"),
    Organisations("VR13"),
    Region("VR13"),
]


@pytest.mark.parametrize("ref", EVERY_KIND, ids=lambda ref: type(ref).__name__)
def test_every_kind_of_reference_is_stored_and_read_back_as_itself(ref: Ref) -> None:
    assert read_ref(*stored_ref(ref)) == ref


@pytest.mark.parametrize(
    ("stored", "ref"),
    [
        (("languages", ""), Languages(None)),
        (("languages", "uk"), Languages(LanguageOrder("uk"))),
        (("languages", "+"), Languages(SecondPage(""))),
        (("languages", "+Arab"), Languages(SecondPage("Arab"))),
        (("greeting", "Arab"), Greeting(LanguageOrder("Arab"))),
        (("notice", ""), Notice(None)),
    ],
    ids=lambda x: "-".join(x) if isinstance(x, tuple) else "",
)
def test_a_language_menu_order_stored_as_a_bare_string_reads_as_its_typed_hint_and_is_stored_the_same(
    stored: tuple[str, str], ref: Ref
) -> None:
    assert read_ref(*stored) == ref
    assert stored_ref(ref) == stored


def test_a_reference_of_a_kind_this_release_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reply part 'video'"):
        read_ref("video", "x")
    with pytest.raises(ValueError, match="no known kind"):
        OutboxItem.loads('{"a":"sealed","l":"en","c":"sms","t":1.0}')


def test_an_item_stored_by_the_release_before_typed_items_reads_as_it_was_meant() -> None:
    raw = '{"a":"sealed","l":"en","r":[["msg","deleted"],["menu","main"]],"c":"sms","t":1764000000.5,"x":1}'
    item = OutboxItem.loads(raw)
    assert item == OutboxItem("sealed", "en", References((Msg("deleted"), Menu("main"))), "sms", 1764000000.5, True)
    assert item.dumps() == raw  # written back byte for byte: a release rolled back reads it too


def owe_written(app: Flask, to: str, text: str, locale: str = "en") -> str:
    """A helper's message to `to`, put in the outbox as the hand-over will; returns the pseudonym."""
    rt = app.extensions["samen"]
    address = Address.parse(to)
    item = OutboxItem(
        rt.keys.seal(address), locale, Written(rt.keys.seal_text(text)), address.channel.value, time.time()
    )
    p: str = rt.keys.pseudonym(address.e164)
    rt.store.owe(p, [item])
    return p


def test_a_whatsapp_template_item_is_stored_and_read_back_as_itself() -> None:
    item = OutboxItem("sealed", "ar", Template("HX" + "4" * 32, "A message is waiting."), "whatsapp", 1.5)
    assert OutboxItem.loads(item.dumps()) == item
    assert json.loads(item.dumps())["k"] == "HX" + "4" * 32


def test_a_template_item_is_sent_by_its_content_sid_without_a_body(
    app: Flask, work: Callable[[], None], standin: StandinState
) -> None:
    rt = app.extensions["samen"]
    standin.templates = {"HX" + "4" * 32: "A message is waiting for you. Reply to this chat to read it."}
    address = Address(Channel.WHATSAPP, ALICE)
    p = rt.keys.pseudonym(ALICE)
    template = Template("HX" + "4" * 32, "A message is waiting for you. Reply to this chat to read it.")
    rt.store.owe(p, [OutboxItem(rt.keys.seal(address), "en", template, "whatsapp", time.time())])
    work()
    with standin.lock:
        [sent] = [m for m in standin.messages if m["to"] == "whatsapp:" + ALICE]
    assert (sent["_content_sid"], sent["body"]) == ("HX" + "4" * 32, template.text)


def test_text_a_person_wrote_is_sent_by_a_worker_with_112_and_never_stored_in_the_clear(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "2"))  # English
    work()
    before = len(sent_to(standin, ALICE))
    p = owe_written(app, ALICE, HELPER_SAYS)
    stored = redis_conn.lrange(line_keys.OUTBOX(p), 0, -1)
    assert len(stored) == 1 and "w" in json.loads(stored[0])
    assert [key for key, text in redis_text(redis_conn) if "Sanne" in text or "safe to talk" in text] == []
    work()
    sent = sent_to(standin, ALICE)[before:]
    assert sent == [f"{HELPER_SAYS}\n0 Menu - 112 Danger now"]
    assert [key for key, text in redis_text(redis_conn) if "Sanne" in text or "safe to talk" in text] == []
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_text_a_person_wrote_goes_with_the_rest_of_the_outbox_at_the_delete_word(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "2"))
    work()
    before = len(sent_to(standin, ALICE))
    owe_written(app, ALICE, HELPER_SAYS)
    post(inbound(ALICE, "delete"))
    work()
    sent = sent_to(standin, ALICE)[before:]
    assert len(sent) == 1 and HELPER_SAYS not in sent[0]  # only the erasure's confirmation


def test_text_a_person_wrote_is_erased_from_the_in_flight_slot_at_the_delete_word(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "2"))
    work()
    p = owe_written(app, ALICE, HELPER_SAYS)
    # A worker took it and crashed while handing it to Twilio: it waits in the in-flight slot.
    redis_conn.lmove(line_keys.OUTBOX(p), line_keys.INFLIGHT(p), "LEFT", "RIGHT")
    (raw,) = redis_conn.lrange(line_keys.INFLIGHT(p), 0, -1)
    sealed = json.loads(raw)["w"]
    post(inbound(ALICE, "delete"))
    work()
    assert [key for key, text in redis_text(redis_conn) if sealed in text] == []
    assert not any(HELPER_SAYS in text for text in sent_to(standin, ALICE))


@pytest.mark.parametrize("fault", [Fault(500, 20500), Fault(400, 21211)], ids=["retried", "refused"])
def test_text_a_person_wrote_is_never_logged_when_its_send_fails(
    app: Flask,
    post: PostFn,
    work: Callable[[], None],
    standin: StandinState,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "2"))
    work()
    caplog.set_level(logging.DEBUG)
    standin.faults.append(Fault(fault.status, fault.code, count=1, to=ALICE))
    owe_written(app, ALICE, HELPER_SAYS)
    work()
    assert caplog.records  # the failure was logged, without the text
    assert "Sanne" not in caplog.text and "safe to talk" not in caplog.text


@pytest.mark.parametrize(
    "unreadable",
    [
        {"l": "en", "q": "a kind of a newer release", "c": "sms", "t": 1.0},  # no kind this release knows
        {"a": "gAAAAAB-sealed-with-a-replaced-key", "l": "en", "r": [["msg", "stopped"]], "c": "sms", "t": 1.0},
    ],
)
def test_a_reply_this_release_cannot_read_is_dropped_and_never_holds_the_next_ones(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis,
    unreadable: dict[str, object],
) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    redis_conn.rpush(line_keys.OUTBOX(p), json.dumps(unreadable))
    post(inbound(ALICE, "112"))  # in danger, after a release was rolled back or a key replaced
    work()
    sent = sent_to(standin, ALICE)
    assert len(sent) == 1 and "112" in sent[0]
    assert redis_conn.llen(line_keys.OUTBOX(p)) == 0 and redis_conn.llen(line_keys.INFLIGHT(p)) == 0
    assert redis_conn.zcard(line_keys.OWED()) == 0
    assert redis_conn.hget(line_keys.STATS("send_failed"), "unreadable") == b"1"
