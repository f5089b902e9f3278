"""Privacy by design: nothing in Redis or the logs shows a number or a message, and erasure is total."""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.content.effects import Erase
from samen_sms.content.engine import Message, Visit, step
from samen_sms.content.render import Renderer, line_params
from samen_sms.core import redis_keys as core_keys
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach import redis_keys as reach_keys
from tests.conftest import (
    ALICE,
    BOB,
    SMS_FROM,
    WHATSAPP_FROM,
    PostFn,
    Processes,
    inbound,
    line_content,
    line_languages,
    run_retries_now,
    sent_to,
)

WA_BOB = "whatsapp:" + BOB
# What a person might write that must never be kept: free text, in two scripts, and a number.
SECRETS = (
    "Quokkaberg my husband Farid took my passport",
    "زوجي يضربني كل ليلة في زفولة",
    "call me on 0612345678 zebrafinch",
)


def number_forms(e164: str) -> list[str]:
    """Every way a stored number could show: international with and without +, national, WhatsApp."""
    digits = e164.lstrip("+")
    national = "0" + digits[2:]  # the test numbers are all +44 7700 9xxxxx
    return [e164, digits, national, f"{national[:5]} {national[5:]}", national[1:], "whatsapp:" + e164]


def redis_text(conn: redis.Redis) -> Iterator[tuple[str, str]]:
    """Every key and every value in Redis as text, compressed job payloads opened."""
    for raw_key in conn.scan_iter(count=1000):
        kind = conn.type(raw_key).decode()
        values: list[bytes] = []
        if kind == "string":
            values = [conn.get(raw_key) or b""]
        elif kind == "list":
            values = conn.lrange(raw_key, 0, -1)
        elif kind == "set":
            values = list(conn.smembers(raw_key))
        elif kind == "zset":
            values = [member for member, _ in conn.zrange(raw_key, 0, -1, withscores=True)]
        elif kind == "hash":
            values = [part for pair in conn.hgetall(raw_key).items() for part in pair]
        elif kind == "stream":
            values = [part for _, fields in conn.xrange(raw_key) for pair in fields.items() for part in pair]
        key = raw_key.decode(errors="replace")
        yield key, key
        for value in values:
            yield key, value.decode(errors="replace")
            try:
                yield key, zlib.decompress(value).decode("latin-1")
            except zlib.error:
                pass


def leaks(conn: redis.Redis, logs: str, needles: list[str]) -> list[str]:
    found = [f"redis {key}: {needle!r}" for key, text in redis_text(conn) for needle in needles if needle in text]
    return found + [f"logs: {needle!r}" for needle in needles if needle in logs]


CONVERSATION = ["hi", "2", "1", "0", "2", "0", "3", "0", "4", "0", "5", "0", "6", "1", "", "help", "share", "taal"]


def test_no_number_and_no_message_text_is_kept_or_logged(
    post: PostFn,
    work: Callable[[], None],
    standin: StandinState,
    redis_conn: redis.Redis,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    standin.faults.append(Fault(status=429, code=20429, count=2, to=ALICE))
    standin.faults.append(Fault(status=400, code=21211, count=1, to=WA_BOB))
    for sender in (ALICE, WA_BOB):
        for text in [*CONVERSATION[:3], *SECRETS, *CONVERSATION[3:]]:
            assert post(inbound(sender, text, ProfileName="Farid Quokkaberg")).status_code == 200
        post(inbound(sender, "", NumMedia="1", MediaUrl0="https://api.twilio.com/media/x"))
    work()  # Alice's first reply meets 429 and waits for a retry; Bob's first is refused for good
    needles = [*number_forms(ALICE), *number_forms(BOB), *SECRETS, "Quokkaberg", "Farid"]
    assert leaks(redis_conn, caplog.text + "".join(capfd.readouterr()), needles) == []
    run_retries_now(redis_conn)
    work()
    run_retries_now(redis_conn)
    work()
    # Everyone was answered: every message but Bob's refused first one.
    # Share ("5" and "share") is two messages each: the text to forward goes alone.
    per_person = len(CONVERSATION) + len(SECRETS) + 1 + 2
    assert len(sent_to(standin, ALICE)) == per_person
    assert len(sent_to(standin, WA_BOB)) == per_person - 1
    assert redis_conn.zcard(line_keys.OWED()) == 0
    assert leaks(redis_conn, caplog.text + "".join(capfd.readouterr()), needles) == []


def test_every_person_key_expires(post: PostFn, work: Callable[[], None], redis_conn: redis.Redis) -> None:
    for text in ("hi", "2", "1"):
        post(inbound(ALICE, text))
    # Before the worker runs: session, profile, outbox, rate counter, de-dup markers, queued jobs.
    shared = (line_keys.OWED().encode(), b"rq:queue:samen", b"rq:queue:samen-urgent", b"rq:queues")
    forever = sorted(key for key in redis_conn.scan_iter() if redis_conn.ttl(key) == -1 and key not in shared)
    assert forever == []
    work()
    forever = sorted(key for key in redis_conn.scan_iter() if redis_conn.ttl(key) == -1)
    assert all(key.startswith((b"rq:", b"samen:stats:")) for key in forever), forever
    assert [key for key in redis_conn.scan_iter("rq:job:*")] == []  # job results are not kept


def test_delete_erases_everything_and_confirms_neutrally(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    p = app.extensions["samen"].keys.pseudonym(BOB)
    registered: list[str] = []

    def erase_subscriptions(conn: redis.Redis, pipe: object, person: str, config: object) -> None:
        registered.append(person)
        pipe.delete(f"samen:sub:{person}")  # type: ignore[attr-defined]

    app.extensions["samen"].registry.erasers.append(erase_subscriptions)  # a feature of this app only
    for text in ("hallo", "1", "1"):
        post(inbound(WA_BOB, text))
    work()
    redis_conn.set(f"samen:sub:{p}", "session-42")  # what another module keeps about Bob
    post(inbound(WA_BOB, "2"))  # a reply still queued when Bob asks to be forgotten
    post(inbound(WA_BOB, "wis"))
    work()
    replies = sent_to(standin, WA_BOB)
    assert len(replies) == 4  # the queued reply to "2" was erased with the rest
    assert replies[-1] == "Klaar. Deze lijn bewaart niets meer over dit nummer. Nu in gevaar? Bel 112."
    assert registered == [p]
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []
    # The line no longer knows Bob's language: a new message starts at the language menu.
    post(inbound(WA_BOB, "1"))
    work()
    assert sent_to(standin, WA_BOB)[-1].startswith(
        "Hallo, dit is de SAMEN informatielijn. Automatische lijn. Iemand kan terugschrijven: stuur PERSOON.\n"
        "Hello, this is the SAMEN information line. Automatic line. A person can write back: send PERSON.\n\n"
        "Stuur het nummer"
    )


def is_rate_counter(key: str, p: str) -> bool:
    """The rate counter outlives erasure on purpose: a count under the pseudonym, gone with its window."""
    return key.startswith(line_keys.RATE(p, ""))


def delete_words() -> list[tuple[str, str]]:
    """Every delete word of every language the line offers, as its catalogue lists it."""
    content = line_content()
    return [(loc, word) for loc in content.flow.languages for word in content.catalogues[loc].keywords["delete"]]


def one_delete_word_per_script() -> list[tuple[str, str]]:
    """The first delete word of each script's first language: the few the whole line is tried with."""
    content = line_content()
    firsts: dict[str, tuple[str, str]] = {}
    for loc, word in delete_words():
        firsts.setdefault(content.catalogues[loc].script, (loc, word))
    return list(firsts.values())


@pytest.mark.parametrize("locale", line_languages())
def test_every_delete_word_of_every_language_erases_in_the_engine(locale: str) -> None:
    content = line_content()
    renderer = Renderer(content, line_params(SMS_FROM, WHATSAPP_FROM, "SAMEN"))
    words = content.catalogues[locale].keywords["delete"]
    assert words, locale
    for word in words:
        for visit, written, channel in [
            (Visit(node="advice_self", locale="en"), word.upper(), Channel.SMS),
            (Visit(node="services", locale="en"), f"{word}!", Channel.WHATSAPP),
            (Visit(), word, Channel.SMS),  # the very first message
        ]:
            outcome = step(content, visit, Message.of(written, channel))
            assert outcome.effects == (Erase(),), (locale, written, visit)
            if visit.locale:
                assert outcome.reply_locale == visit.locale, (locale, written)
            said = renderer.render_messages(outcome.reply_locale, outcome.replies, channel)
            assert said == [renderer.message(outcome.reply_locale, "deleted", channel)], (locale, written)


@pytest.mark.parametrize(("locale", "word"), one_delete_word_per_script())
def test_delete_word_of_every_script_erases(
    locale: str, word: str, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app
) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    for text in ("hi", "1", "1", word.upper()):
        post(inbound(ALICE, text))
    work()
    assert sent_to(standin, ALICE)[-1] == rt.renderer.message("en", "deleted", Channel.SMS)
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []


def test_reach_figures_hold_no_pseudonym_number_or_text(
    app: Flask, post: PostFn, work: Callable[[], None], redis_conn: redis.Redis
) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(args=["mediators", "add", "Stichting Voorbeeld", "--languages", "en", "--region", "NL"])
    code = added.output.strip().splitlines()[-1]
    rt = app.extensions["samen"]
    for sender in (ALICE, WA_BOB):
        for text in [f"hi {code}", "1", "2", "8", "Zwolle", *SECRETS, "0", "4", "1", "Zwolle", "1", "delete"]:
            assert post(inbound(sender, text)).status_code == 200
    work()
    pseudonyms = [rt.keys.pseudonym(ALICE), rt.keys.pseudonym(BOB)]
    reach = [k for k in redis_conn.scan_iter("samen:reach*")]
    assert len(reach) == 2  # today's counts and this week's HyperLogLog for the code
    needles = [*pseudonyms, *number_forms(ALICE), *number_forms(BOB), *SECRETS, "Quokkaberg", "Zwolle", "zwolle"]
    found = [
        f"{key}: {needle!r}"
        for key, text in redis_text(redis_conn)
        if key.startswith("samen:reach") or key in (reach_keys.MEDIATORS(), reach_keys.LIVE_CODES())
        for needle in needles
        if needle in text
    ]
    assert found == []
    counts = {k.decode(): int(v) for k, v in redis_conn.hgetall(next(k for k in reach if b"people" not in k)).items()}
    allowed = re.compile(r"^(first|code|language|screen|region|opted_in|replied):\w+$|^(optout|erase|sent|delivered)$")
    assert [name for name in counts if not allowed.match(name)] == []
    assert counts["erase"] == 2 and counts[f"code:{code}"] == 2 and counts["opted_in:VR04"] == 2
    # Erasure left only the numbers: nothing under either pseudonym but the rate counter, which keeps
    # counting until its window ends so the delete word cannot bypass the rate limit.
    left = [k.decode() for k in redis_conn.scan_iter() if any(p.encode() in k for p in pseudonyms)]
    assert [k for k in left if not any(is_rate_counter(k, p) for p in pseudonyms)] == []


def test_json_logs_of_web_and_workers_hold_no_number_or_text(processes: Processes, standin: StandinState) -> None:
    """`SAMEN_LOG_FORMAT=json`: one object per line with time, level, logger, event and request id."""
    import json

    import requests

    from samen_sms.devtools.embedded_redis import free_port
    from tests.conftest import PUBLIC_URL, sign, wait_until

    processes.env["SAMEN_LOG_FORMAT"] = "json"
    standin.faults.append(Fault(status=400, code=21211, count=1, to=WA_BOB))  # a refusal is logged
    url = processes.web(free_port(), workers=1)
    processes.worker(processes=1)
    texts = ["hi", *SECRETS, "2"]
    for sender in (ALICE, WA_BOB):
        for text in texts:
            params = inbound(sender, text, ProfileName="Farid Quokkaberg")
            headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)}
            assert requests.post(url + "/twilio/inbound", data=params, headers=headers, timeout=10).ok
    # Every message is answered (a sentence may get the automatic-line notice as a message of its own).
    assert wait_until(lambda: len(sent_to(standin, ALICE)) >= len(texts), timeout=30), processes.output()
    assert wait_until(lambda: "21211" in processes.output(), timeout=10), processes.output()
    output = processes.output()
    needles = [*number_forms(ALICE), *number_forms(BOB), *SECRETS, "Quokkaberg", "Farid"]
    assert [needle for needle in needles if needle in output] == []
    # gunicorn's and RQ's own start-up lines aside, the line's records are JSON objects.
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert records, output
    assert all({"time", "level", "logger", "event", "request_id"} <= set(r) for r in records)
    assert any(r["logger"] == "samen_sms.line.replies" and "21211" in r["event"] for r in records)


def test_delete_after_stop_at_twilio_leaves_no_opt_out_mark(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    """STOP (Twilio blocks the number), then the delete word: Twilio refuses the confirmation (21610).

    The refusal must not write the person back into the opt-out set, which is kept for good.
    """
    p = app.extensions["samen"].keys.pseudonym(ALICE)
    for text in ("hi", "1", "STOP"):
        post(inbound(ALICE, text))
        work()
    assert redis_conn.sismember(announce_keys.OPTOUT(), p)
    replies = len(sent_to(standin, ALICE))
    standin.faults.append(Fault(status=400, code=21610, to=ALICE))  # Twilio refuses every send now
    post(inbound(ALICE, "delete"))
    work()
    assert len(sent_to(standin, ALICE)) == replies  # the confirmation never reached the phone
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []


@pytest.mark.parametrize("word", ["Oubliez moi", "oubliez-moi!", "FORGET ME"])
def test_a_delete_word_of_two_words_erases_with_or_without_its_hyphen(
    word: str, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    for text in ("bonjour", "1", "1", word):
        post(inbound(ALICE, text))
    work()
    assert sent_to(standin, ALICE)[-1] == rt.renderer.message("fr", "deleted", Channel.SMS)
    assert [key for key, text in redis_text(redis_conn) if p in text and not is_rate_counter(key, p)] == []


def test_a_referral_hyperloglog_does_not_tell_whether_an_erased_person_was_counted(
    app: Flask, post: PostFn, work: Callable[[], None], redis_conn: redis.Redis
) -> None:
    """Adding a pseudonym to a copy of the week's HyperLogLog must not show it was counted."""
    from samen_sms.core import tally

    runner = app.test_cli_runner()
    added = runner.invoke(args=["mediators", "add", "Stichting Voorbeeld", "--languages", "en", "--region", "NL"])
    code = added.output.strip().splitlines()[-1]
    p = app.extensions["samen"].keys.pseudonym(ALICE)
    for text in (f"hi {code}", "delete"):
        post(inbound(ALICE, text))
    work()
    week = tally.week_of(tally.day_of(time.time()))
    people = core_keys.REACH_PEOPLE(week, code)
    assert redis_conn.pfcount(people) == 1  # Alice still counts among the people the code reached
    redis_conn.copy(people, "probe")
    assert redis_conn.pfadd("probe", p) == 1, "the HyperLogLog already held Alice's pseudonym"
    # The week's salt, which would tell, goes within an hour of the week's end.
    salt_ttl = redis_conn.ttl(core_keys.REACH_SALT(week))
    assert 0 < salt_ttl <= 7 * 24 * 3600 + tally.SALT_MARGIN
