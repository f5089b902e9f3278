"""A person in your language (issue #21): asking, consent, safety, the relay, closing and erasure, on the line's side.

Real Redis, the real webhook and RQ workers, twilio-python against the stand-in. The helper's side
is driven through `samen_sms.handover.conversations`, as the console drives it.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.replies import Menu, Msg
from samen_sms.core.config import Config
from samen_sms.core.hours import DAYS
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState, in_log, record_inbound
from samen_sms.handover import conversations
from samen_sms.handover import redis_keys as handover_keys
from samen_sms.handover.conversations import Delivery, Ending, State
from samen_sms.handover.model import DAY
from samen_sms.line import backup, replies
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.runtime import Runtime
from samen_sms.line.worker import LineWorker
from tests.conftest import (
    ALICE,
    PUBLIC_URL,
    BurstWorker,
    PostFn,
    inbound,
    line_with_workers,
    sent_to,
    sign,
    wait_until,
    with_config,
)
from tests.conftest import test_env as line_env
from tests.test_durability import on_disk, wait_for_rewrite
from tests.test_privacy import redis_text
from tests.test_twilio_erasure import run_scheduled_now

WA_ALICE = "whatsapp:" + ALICE
HELPER = "account-7"  # a console account id
OTHER = "account-9"
HELLO, ARABIC = "مرحبا", "1"  # the Arabic hello lists Arabic first
PERSON, CLOSE, DELETE = "شخص", "اغلاق", "احذف"
TEMPLATE_TEXT = "رسالة بانتظارك. ردّ على هذه المحادثة لقراءتها."


@pytest.fixture
def config(redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState]) -> Config:
    """The line with helpers at any hour, and the invitation template for Arabic."""
    templates = Path(__file__).resolve().parent.parent / "whatsapp_templates.example.toml"
    env = line_env(redis_server, standin_server[0], SAMEN_HANDOVER_HOURS="", SAMEN_WHATSAPP_TEMPLATES=str(templates))
    return Config.from_env(env)


@pytest.fixture
def rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["samen"]
    return runtime


def screen(rt: Runtime, node: str, channel: Channel = Channel.SMS) -> str:
    return rt.renderer.render("ar", (Menu(node),), channel)


def say(post: PostFn, work: Callable[[], None], standin: StandinState, sender: str, *texts: str) -> None:
    for text in texts:
        params = inbound(sender, text)
        record_inbound(standin, params)  # as Twilio's log keeps it
        assert post(params).status_code == 200
        work()


def ask_and_consent(post: PostFn, work: Callable[[], None], standin: StandinState, sender: str) -> None:
    """Arabic chosen, the person word, yes, safe, any time."""
    say(post, work, standin, sender, HELLO, ARABIC, PERSON, "1", "1", "1", "1")


def the_conversation(rt: Runtime) -> conversations.Conversation:
    [conv] = conversations.every_open(rt.redis)
    return conv


def person_wrote_ago(rt: Runtime, conv: str, seconds: float) -> None:
    """Date the person's last message back: what a test cannot wait for."""
    rt.redis.hset(handover_keys.RECORD(conv), "i", time.time() - seconds)


def kept(conn: redis.Redis) -> list[str]:
    return sorted(k.decode() for k in conn.scan_iter("samen:ho:*") if not k.startswith(b"samen:ho:helpers"))


def test_a_person_asks_in_arabic_consents_and_exchanges_messages_with_a_helper_on_sms(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    say(post, work, standin, ALICE, HELLO, ARABIC, PERSON)
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person")
    assert sent_to(standin, ALICE)[-1].startswith("في خطر الآن؟ اتصلوا بـ 112.")
    say(post, work, standin, ALICE, "1")
    consent = sent_to(standin, ALICE)[-1]
    assert consent == screen(rt, "person_consent")
    assert "24 ساعة" in consent and "7 أيام" in consent  # the promised reply time and the retention
    assert conversations.every_open(rt.redis) == []  # consent is its own step: nothing begins before it
    say(post, work, standin, ALICE, "1")
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_safe")
    say(post, work, standin, ALICE, "1")
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_when")
    say(post, work, standin, ALICE, "1")
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_open")

    conv = the_conversation(rt)
    assert (conv.locale, conv.channel, conv.state, conv.safe) == ("ar", Channel.SMS, State.WAITING, True)
    me = conversations.helper(rt.redis, HELPER)
    assert me is not None and [c.id for c in conversations.waiting(rt.redis, me)] == [conv.id]
    assert conversations.waiting_count(rt.redis, me) == 1

    before = len(sent_to(standin, ALICE))
    say(post, work, standin, ALICE, "أريد أن أتكلم مع أحد عن بيتي")
    assert len(sent_to(standin, ALICE)) == before  # no menu, no notice: the helper answers

    assert conversations.take(rt.redis, conv.id, HELPER)
    assert conversations.waiting(rt.redis, me) == []
    texts = conversations.read(rt, conv.id)
    assert [(t.author.value, t.text) for t in texts] == [("person", "أريد أن أتكلم مع أحد عن بيتي")]
    assert conversations.write(rt, conv.id, HELPER, "مرحبا، أنا سارة. كيف يمكنني مساعدتك؟") is Delivery.SENT
    work()
    footer = rt.renderer.message("ar", rt.content.flow.footer, Channel.SMS)
    assert sent_to(standin, ALICE)[-1] == "مرحبا، أنا سارة. كيف يمكنني مساعدتك؟\n" + footer  # 112 on it
    # Nothing Redis holds shows either text in the clear.
    plain = [text for _, text in redis_text(rt.redis) if "سارة" in text or "بيتي" in text]
    assert plain == []


def test_on_whatsapp_outside_the_window_a_template_invites_a_reply_and_the_text_follows_it(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    standin.templates = {"HX00000000000000000000000000000004": TEMPLATE_TEXT}
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, WA_ALICE)
    conv = the_conversation(rt)
    assert conv.channel is Channel.WHATSAPP and conversations.take(rt.redis, conv.id, HELPER)
    # Inside the window: the text itself.
    assert conversations.write(rt, conv.id, HELPER, "أهلا") is Delivery.SENT
    work()
    assert sent_to(standin, WA_ALICE)[-1].startswith("أهلا\n")
    # A day and more after she last wrote: the neutral template, and the texts wait.
    person_wrote_ago(rt, conv.id, 25 * 3600)
    assert conversations.write(rt, conv.id, HELPER, "هل أنت بخير؟") is Delivery.HELD
    assert conversations.write(rt, conv.id, HELPER, "أنا هنا إذا احتجت.") is Delivery.HELD
    work()
    assert sent_to(standin, WA_ALICE)[-1] == TEMPLATE_TEXT  # once, for both
    assert sent_to(standin, WA_ALICE).count(TEMPLATE_TEXT) == 1
    with standin.lock:
        assert standin.messages[-1]["_content_sid"] == "HX00000000000000000000000000000004"
    # The person replies: both texts go, in order, after what they wrote reached the helper.
    say(post, work, standin, WA_ALICE, "نعم")
    assert [m.split("\n")[0] for m in sent_to(standin, WA_ALICE)[-2:]] == ["هل أنت بخير؟", "أنا هنا إذا احتجت."]
    assert conversations.read(rt, conv.id)[-1].text == "نعم"


def test_no_helper_for_the_language_says_so_plainly_and_keeps_nothing(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["fa", "prs"])  # nobody for Arabic
    say(post, work, standin, ALICE, HELLO, ARABIC, PERSON, "1")
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_none")
    say(post, work, standin, ALICE, "1", "1", "1")  # digits after it are the menus' again
    assert kept(rt.redis) == []


def test_out_of_hours_the_line_promises_no_reply(
    config: Config, post: PostFn, standin: StandinState, redis_conn: redis.Redis
) -> None:
    tomorrow = DAYS[(datetime.now(AMSTERDAM).weekday() + 1) % 7]
    with line_with_workers(with_config(config, handover_hours=f"{tomorrow} 09:00-17:00")) as app:
        rt: Runtime = app.extensions["samen"]
        conversations.set_helper(rt.redis, HELPER, ["ar"])
        client = app.test_client()

        def send(text: str) -> None:
            params = inbound(ALICE, text)
            sig = sign(PUBLIC_URL + "/twilio/inbound", params)
            assert client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
            BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING"
            )

        for text in (HELLO, ARABIC, PERSON, "1"):
            send(text)
        assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Menu("person_hours"),), Channel.SMS)
        assert kept(rt.redis) == []


def test_a_person_who_never_consents_starts_nothing(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    say(post, work, standin, ALICE, HELLO, ARABIC, PERSON, "1", "2")
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_declined")
    assert kept(rt.redis) == []
    # Nor does one who leaves the question unanswered: the asking ends with the menus' conversation.
    say(post, work, standin, ALICE, PERSON, "1")
    pointer = [k for k in kept(rt.redis) if k.startswith("samen:ho:p:")]
    assert len(pointer) == 1 and 0 < rt.redis.ttl(pointer[0]) <= rt.config.conversation_ttl
    assert conversations.every_open(rt.redis) == []


def test_of_two_helpers_taking_one_conversation_at_once_one_wins(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    conversations.set_helper(rt.redis, OTHER, ["ar", "en"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    start = threading.Barrier(2)
    won: dict[str, bool] = {}

    def grab(account: str) -> None:
        conn = redis.Redis(connection_pool=rt.redis.connection_pool)
        start.wait()
        won[account] = conversations.take(conn, conv.id, account)

    threads = [threading.Thread(target=grab, args=(a,)) for a in (HELPER, OTHER)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won.values()) == [False, True]
    winner = next(a for a, ok in won.items() if ok)
    loser = OTHER if winner == HELPER else HELPER
    assert conversations.get(rt.redis, conv.id).helper == winner  # type: ignore[union-attr]
    with pytest.raises(conversations.NotYours):
        conversations.write(rt, conv.id, loser, "hello")
    # An admin gives it to the other helper; only they may write now.
    assert conversations.reassign(rt.redis, conv.id, loser)
    assert [c.id for c in conversations.held_by(rt.redis, loser)] == [conv.id]
    assert conversations.held_by(rt.redis, winner) == []


def test_a_danger_word_during_the_conversation_sends_help_now_at_once_and_marks_it_urgent(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    assert not conv.urgent
    say(post, work, standin, ALICE, "معه سكين الآن")
    assert rt.renderer.render("ar", (Menu("help_now"),), Channel.SMS) in sent_to(standin, ALICE)[-1]
    assert conversations.get(rt.redis, conv.id).urgent  # type: ignore[union-attr]
    assert conversations.read(rt, conv.id)[-1].text == "معه سكين الآن"
    me = conversations.helper(rt.redis, HELPER)
    assert me is not None and conversations.waiting(rt.redis, me)[0].urgent


def test_the_close_word_closes_the_conversation_and_erases_it(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "شكرا لك على كل شيء")
    assert conversations.take(rt.redis, conv.id, HELPER)
    say(post, work, standin, ALICE, CLOSE)
    assert sent_to(standin, ALICE)[-1] == screen(rt, "person_closed")
    assert kept(rt.redis) == [k for k in kept(rt.redis) if k.startswith("samen:ho:n:")]
    assert conversations.figures(rt.redis).by_locale["ar"][Ending.PERSON.value] == "<5"
    # Afterwards what the person writes reaches the menus again.
    say(post, work, standin, ALICE, "0")
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Menu("main"),), Channel.SMS)


def test_a_conversation_without_messages_for_n_days_expires(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "سأكتب لاحقا")
    ttls = [rt.redis.ttl(k) for k in kept(rt.redis) if conv.id in k or k.startswith("samen:ho:p:")]
    assert ttls and all(6 * DAY < ttl <= 7 * DAY for ttl in ttls)  # SAMEN_HANDOVER_RETENTION_DAYS, 7
    assert conversations.expire(rt, now=time.time() + 6 * DAY) == 0
    assert conversations.expire(rt, now=time.time() + 7 * DAY + 60) == 1
    assert [k for k in kept(rt.redis) if not k.startswith("samen:ho:n:")] == []
    assert conversations.figures(rt.redis).by_locale["ar"][Ending.EXPIRED.value] == "<5"


def test_the_delete_word_leaves_nothing_of_the_conversation_in_redis_nor_at_twilio(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "أريد أن أتكلم مع أحد")
    assert conversations.take(rt.redis, conv.id, HELPER)
    conversations.write(rt, conv.id, HELPER, "أنا هنا")
    work()
    p = rt.keys.pseudonym(ALICE)
    say(post, work, standin, ALICE, DELETE)
    assert sent_to(standin, ALICE)[-1].startswith(rt.renderer.message("ar", "deleted", Channel.SMS)[:20])
    left = [key for key, text in redis_text(rt.redis) if conv.id in key or conv.id in text or p in key]
    assert [k for k in left if not k.startswith("samen:r:")] == []  # the rate counter only
    assert conversations.get(rt.redis, conv.id) is None and conversations.held_by(rt.redis, HELPER) == []

    def logged() -> list[dict[str, str]]:
        with standin.lock:
            return [m for m in in_log(standin) if ALICE in (m["to"], m["from"])]

    assert [m["body"] for m in logged() if m["direction"] != "outbound-api"] == []  # what she wrote, gone

    def settled() -> bool:
        # Replies Twilio still called sending are deleted once final, by a job scheduled for then.
        run_scheduled_now(app)
        work()
        return logged() == []

    assert wait_until(settled, timeout=15)


def test_stop_and_menu_words_work_as_always_during_the_conversation(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "قائمة")
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Menu("main"),), Channel.SMS)
    assert conversations.every_open(rt.redis)  # the conversation stays open
    # A hello is a menu word too: the menu comes, and the helper sees the hello.
    say(post, work, standin, ALICE, "مرحبا")
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Menu("main"),), Channel.SMS)
    assert [t.text for t in conversations.read(rt, conv.id)] == ["قائمة", "مرحبا"]
    # A close word inside a sentence is no close word; the stop word works as always.
    say(post, work, standin, ALICE, "اغلاق الباب لا يعمل")
    assert conversations.read(rt, conv.id)[-1].text == "اغلاق الباب لا يعمل"
    sent = len(sent_to(standin, ALICE))
    say(post, work, standin, ALICE, "توقف")
    assert len(sent_to(standin, ALICE)) == sent + 1 and sent_to(standin, ALICE)[-1] == rt.renderer.message(
        "ar", "stopped", Channel.SMS
    )
    assert conversations.read(rt, conv.id)[-1].text == "اغلاق الباب لا يعمل"


@pytest.mark.system  # a Redis server of its own, with its append-only file
def test_the_delete_word_takes_the_sealed_texts_out_of_the_append_only_file_after_the_rewrite(
    config: Config, standin: StandinState
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="samen-handover-")) / "redis"
    server = EmbeddedRedis(port=free_port(), data_dir=data_dir).start()
    try:
        cfg = replace(config, redis_url=server.url)
        app = create_app({"TESTING": True}, config=cfg)
        rt: Runtime = app.extensions["samen"]
        client = app.test_client()

        def run() -> None:
            LineWorker([rt.urgent_queue, rt.queue], connection=rt.redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING"
            )

        def send(text: str) -> None:
            params = inbound(ALICE, text)
            sig = sign(PUBLIC_URL + "/twilio/inbound", params)
            assert client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
            run()

        with replies.using(worker_context(cfg)):
            conversations.set_helper(rt.redis, HELPER, ["ar"])
            for text in (HELLO, ARABIC, PERSON, "1", "1", "1", "1", "أريد أن أتكلم مع أحد"):
                send(text)
            conv = the_conversation(rt)
            assert conversations.take(rt.redis, conv.id, HELPER)
            conversations.write(rt, conv.id, HELPER, "أنا هنا")
            run()
            sealed = [json.loads(raw)["w"].encode() for raw in rt.redis.lrange(handover_keys.TEXTS(conv.id), 0, -1)]
            assert len(sealed) == 2
            assert wait_until(lambda: all(token in on_disk(data_dir) for token in sealed)), "in the append-only file"
            send(DELETE)
            assert conversations.get(rt.redis, conv.id) is None
            assert any(token in on_disk(data_dir) for token in sealed), "erased in memory, on disk until the rewrite"
            rt.redis.delete(line_keys.AOF_REWRITE())  # a day later: the workers' scheduled rewrite is due
            run()
            wait_for_rewrite(rt.redis)
        disk = on_disk(data_dir)
        assert [token for token in sealed if token in disk] == []
        assert conv.id.encode() not in disk
    finally:
        server.stop()


def test_helpers_are_told_neutrally_when_a_conversation_waits_and_when_it_turns_urgent(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    told: list[tuple[str, int]] = []

    def notify(runtime: Runtime, locale: str) -> None:  # what the console plugs in
        for who in conversations.helpers(runtime.redis):
            if locale in who.locales:
                told.append((who.account, conversations.waiting_count(runtime.redis, who)))

    replies.current().runtime.registry.notify_helpers = notify  # the worker's runtime runs the job
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    conversations.set_helper(rt.redis, OTHER, ["en"])
    say(post, work, standin, ALICE, HELLO, ARABIC, PERSON, "1", "1", "1")
    assert told == []
    say(post, work, standin, ALICE, "1")
    assert told == [(HELPER, 1)]
    say(post, work, standin, ALICE, "معه سكين")
    assert told == [(HELPER, 1), (HELPER, 1)]


def test_only_right_after_i_write_holds_a_helpers_text_until_the_person_writes(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    say(post, work, standin, ALICE, HELLO, ARABIC, PERSON, "1", "1", "2", "3")  # not safe; only after I write
    conv = the_conversation(rt)
    assert (conv.safe, conv.times) == (False, conversations.Times.AFTER_I_WRITE)
    assert conversations.take(rt.redis, conv.id, HELPER)
    sent = len(sent_to(standin, ALICE))
    person_wrote_ago(rt, conv.id, 2 * 3600)
    assert conversations.write(rt, conv.id, HELPER, "مرحبا") is Delivery.HELD
    work()
    assert len(sent_to(standin, ALICE)) == sent  # nothing reaches the phone two hours after she wrote
    assert conversations.release_due(rt) == 0  # nor at the workers' maintenance
    say(post, work, standin, ALICE, "أنا هنا الآن")
    assert sent_to(standin, ALICE)[-1].startswith("مرحبا\n")
    assert len(sent_to(standin, ALICE)) == sent + 1
    # Within the hour after she wrote, a text goes at once.
    assert conversations.write(rt, conv.id, HELPER, "كيف حالك؟") is Delivery.SENT


def test_a_helper_closing_the_conversation_tells_the_person_and_erases_it(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "شكرا")
    assert conversations.take(rt.redis, conv.id, HELPER)
    assert conversations.close(rt, conv.id, Ending.HELPER)
    work()
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Msg("person.closed"),), Channel.SMS)
    assert [k for k in kept(rt.redis) if not k.startswith("samen:ho:n:")] == []
    assert conversations.read(rt, conv.id) == [] and not conversations.close(rt, conv.id)
    figures = conversations.figures(rt.redis).by_locale["ar"]
    assert (figures["began"], figures[Ending.HELPER.value], figures["wait<1h"]) == ("<5", "<5", "<5")


def test_a_backup_never_holds_a_conversation(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    say(post, work, standin, ALICE, "أريد أن أتكلم مع أحد")
    path = Path(tempfile.mkdtemp(prefix="samen-handover-backup-")) / "backup.jsonl"
    backup.export(rt.redis, rt.config, path, rt.registry.keys)
    written = path.read_text(encoding="utf-8")
    assert "samen:ho:" not in written and conv.id not in written
    assert rt.keys.pseudonym(ALICE) not in written


def test_a_helper_inserts_a_screen_in_the_persons_language(
    rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversations.set_helper(rt.redis, HELPER, ["ar"])
    ask_and_consent(post, work, standin, ALICE)
    conv = the_conversation(rt)
    assert conversations.take(rt.redis, conv.id, HELPER)
    assert conversations.insert(rt, conv.id, HELPER, (Menu("services_home"),)) is Delivery.SENT
    work()
    shown = rt.renderer.render("ar", (Menu("services_home"),), Channel.SMS)
    assert sent_to(standin, ALICE)[-1] == shown
    [text] = conversations.read(rt, conv.id)
    assert (text.author, text.text, text.helper) == (conversations.Author.LINE, shown, HELPER)
