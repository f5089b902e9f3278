"""A person in your language (#21), the console's side: helpers, the inbox, a conversation's page, notices, counts.

The real console (Flask test clients signed in through the form), Redis, RQ workers and the Twilio
stand-in; the person's side is the line's webhook, as in tests/test_handover.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.console import audit
from samen_sms.content.replies import Entry, Menu, Msg
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.handover import conversations
from samen_sms.line.runtime import Runtime
from tests.conftest import ALICE, BOB, PUBLIC_URL, BurstWorker, PostFn, line_with_workers, sent_to, sign, with_config
from tests.conftest import test_env as line_env
from tests.console_support import csrf, make_staff, staff_client, store
from tests.test_handover import ARABIC, DELETE, HELLO, PERSON, TEMPLATE_TEXT, WA_ALICE, kept, person_wrote_ago, say
from tests.test_privacy import redis_text

ARABIC_HELPER, FARSI_HELPER, OTHER_ARABIC = "sara@example.org", "dara@example.org", "noor@example.org"


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


def helper_client(app: Flask, email: str, languages: list[str], role: str = "coordinator", **kw: str) -> FlaskClient:
    """A signed-in account with the helper permission for these languages."""
    client = staff_client(app, email, role, kw.get("mediator"))
    offered = frozenset(app.extensions["samen"].content.flow.languages)
    store(app).grant_helper(email, languages, [], kw.get("org", "Stichting Voorbeeld"), offered)
    return client


def asked(post: PostFn, work: Callable[[], None], standin: StandinState, sender: str = ALICE) -> None:
    """Arabic, the person word, yes, safe, any time: a conversation waits."""
    say(post, work, standin, sender, HELLO, ARABIC, PERSON, "1", "1", "1", "1")


def only_conversation(rt: Runtime) -> str:
    [conv] = conversations.every_open(rt.redis)
    return conv.id


def form(client: FlaskClient, path: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf(client, path), **fields}


def test_an_arabic_helper_takes_reads_writes_inserts_and_after_the_delete_word_nothing_is_left(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    admin = staff_client(app, "ana@example.org", "admin")
    sara = staff_client(app, ARABIC_HELPER, "coordinator")
    # Not a helper yet: the conversations are not hers to open.
    assert sara.get("/console/conversations").status_code == 403
    given = admin.post(
        "/console/accounts",
        data=form(
            admin, "/console/accounts", email=ARABIC_HELPER, action="helper", languages="ar", org="Stichting Voorbeeld"
        ),
    )
    assert given.status_code == 200
    assert "Conversations" in sara.get("/console/conversations").get_data(as_text=True)

    asked(post, work, standin)
    say(post, work, standin, ALICE, "أريد أن أتكلم مع أحد عن بيتي")
    conv = only_conversation(rt)
    inbox = sara.get("/console/conversations").get_data(as_text=True)
    assert re.search(r'id="waiting-count"[^>]*>1<', inbox)  # the neutral count in the menu
    assert f"/console/conversations/{conv}" in inbox and "العربية" in inbox
    assert ALICE not in inbox and ALICE[1:] not in inbox and "بيتي" not in inbox  # no number, no words in the list

    path = f"/console/conversations/{conv}"
    assert sara.post(f"{path}/take", data=form(sara, path)).status_code == 302
    page = sara.get(path).get_data(as_text=True)
    assert "أريد أن أتكلم مع أحد عن بيتي" in page and ALICE[1:] not in page
    assert not re.search(r'id="waiting-count"', page)  # nothing waits any more

    wrote = sara.post(f"{path}/write", data=form(sara, path, text="مرحبا، أنا سارة. كيف يمكنني مساعدتك؟"))
    assert wrote.status_code == 302 and "said=sent" in wrote.headers["Location"]
    work()
    footer = rt.renderer.message("ar", rt.content.flow.footer, Channel.SMS)
    assert sent_to(standin, ALICE)[-1] == "مرحبا، أنا سارة. كيف يمكنني مساعدتك؟\n" + footer
    assert sara.post(f"{path}/insert", data=form(sara, path, screen="help_now")).status_code == 302
    work()
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Menu("help_now"),), Channel.SMS)
    csg = next(s for s in rt.content.directory.services if s.phone == "0800-0188")
    assert sara.post(f"{path}/insert", data=form(sara, path, entry=csg.id)).status_code == 302
    work()
    assert sent_to(standin, ALICE)[-1] == rt.renderer.render("ar", (Entry(csg.id),), Channel.SMS)
    assert sent_to(standin, ALICE)[-1].startswith(
        rt.renderer.service("ar", csg, Channel.SMS)
    )  # in Arabic, 112 under it
    assert sara.post(f"{path}/insert", data=form(sara, path, entry="no_such")).status_code == 400
    say(post, work, standin, ALICE, "شكرا")
    page = sara.get(path).get_data(as_text=True)
    assert page.index("مرحبا، أنا سارة") < page.index("شكرا")  # in order

    # The audit log names who opened, took, read and wrote: never what was written.
    entries = [(e.actor, e.action, e.target) for e in audit.recent(rt.redis)]
    assert (ARABIC_HELPER, "conversation taken", conv) in entries
    assert (ARABIC_HELPER, "conversation read", conv) in entries
    assert (ARABIC_HELPER, "conversation wrote", conv) in entries
    assert (ARABIC_HELPER, "conversation inserted", f"{conv} menu") in entries
    assert not [e for e in entries if "سارة" in e[2] or "شكرا" in e[2] or ALICE in e[2]]

    p = rt.keys.pseudonym(ALICE)
    say(post, work, standin, ALICE, DELETE)
    # Nothing of the conversation is left in Redis: only the day's counts by language (numbers).
    assert [k for k in kept(rt.redis) if not k.startswith("samen:ho:n:")] == []
    left = [key for key, text in redis_text(rt.redis) if conv in key or conv in text or p in key]
    # The rate counter, and the audit log: who read and wrote which conversation, by its random id only.
    assert [k for k in left if not k.startswith("samen:r:") and k != "samen:console:audit"] == []
    assert [key for key, text in redis_text(rt.redis) if p in text and not key.startswith("samen:r:")] == []
    assert [key for key, text in redis_text(rt.redis) if "بيتي" in text or "سارة" in text] == []
    gone = sara.get(path)
    assert gone.status_code == 410 and "closed or gone" in gone.get_data(as_text=True)
    assert "You hold no conversation." in sara.get("/console/conversations").get_data(as_text=True)


def test_on_whatsapp_outside_the_window_the_helper_is_told_the_person_gets_an_invitation_to_reply(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    standin.templates = {"HX00000000000000000000000000000004": TEMPLATE_TEXT}
    sara = helper_client(app, ARABIC_HELPER, ["ar"])
    asked(post, work, standin, WA_ALICE)
    conv = only_conversation(rt)
    path = f"/console/conversations/{conv}"
    sara.post(f"{path}/take", data=form(sara, path))
    assert sara.post(f"{path}/write", data=form(sara, path, text="أهلا")).status_code == 302
    work()
    assert sent_to(standin, WA_ALICE)[-1].startswith("أهلا\n")
    person_wrote_ago(rt, conv, 25 * 3600)
    assert 'id="window"' in sara.get(path).get_data(as_text=True)  # told before writing
    held = sara.post(f"{path}/write", data=form(sara, path, text="هل أنت بخير؟"))
    assert "said=held" in held.headers["Location"]
    told = sara.get(held.headers["Location"]).get_data(as_text=True)
    assert "They get that invitation; your message goes when they reply." in told
    work()
    assert sent_to(standin, WA_ALICE)[-1] == TEMPLATE_TEXT
    say(post, work, standin, WA_ALICE, "نعم")
    assert sent_to(standin, WA_ALICE)[-1].startswith("هل أنت بخير؟\n")


def test_a_mediator_helper_of_another_language_gets_403_and_a_helperless_account_too(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    helper_client(app, ARABIC_HELPER, ["ar"])  # someone takes Arabic, so the line offers a person
    dara = helper_client(app, FARSI_HELPER, ["fa"], role="mediator", mediator="M7", org="")
    plain = staff_client(app, "kim@example.org", "mediator", "M8")
    asked(post, work, standin)
    conv = only_conversation(rt)
    path = f"/console/conversations/{conv}"
    assert "Nothing waits in your languages." in dara.get("/console/conversations").get_data(as_text=True)
    refused = dara.get(path)
    assert refused.status_code == 403 and "a language or region you do not take" in refused.get_data(as_text=True)
    assert dara.post(f"{path}/take", data=form(dara, "/console/conversations")).status_code == 403
    assert conversations.get(rt.redis, conv).state is conversations.State.WAITING  # type: ignore[union-attr]
    # In Dutch when the console is in Dutch.
    dutch = dara.get(path + "?lang=nl")
    assert dutch.status_code == 403 and "een taal of regio die u niet behandelt" in dutch.get_data(as_text=True)
    for page in ("/console/conversations", path):
        assert plain.get(page).status_code == 403
    assert plain.post(f"{path}/write", data=form(plain, "/console/mediators", text="hi")).status_code == 403
    assert "Conversations" not in plain.get("/console/mediators").get_data(as_text=True)


def test_of_two_helpers_taking_at_once_one_wins_and_the_other_is_told_plainly(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    clients = {
        ARABIC_HELPER: helper_client(app, ARABIC_HELPER, ["ar"]),
        OTHER_ARABIC: helper_client(app, OTHER_ARABIC, ["ar", "en"]),
    }
    asked(post, work, standin)
    conv = only_conversation(rt)
    path = f"/console/conversations/{conv}"
    tokens = {email: csrf(client, "/console/conversations") for email, client in clients.items()}
    start = threading.Barrier(2)
    answers: dict[str, tuple[int, str]] = {}

    def take(email: str) -> None:
        start.wait()
        got = clients[email].post(f"{path}/take", data={"csrf_token": tokens[email]})
        answers[email] = (got.status_code, got.get_data(as_text=True))

    threads = [threading.Thread(target=take, args=(email,)) for email in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in answers.values()) == [302, 409]
    loser = next(email for email, (code, _) in answers.items() if code == 409)
    winner = next(email for email in clients if email != loser)
    assert "Another helper took this conversation a moment ago." in answers[loser][1]
    assert clients[loser].get(path).status_code == 403
    assert clients[winner].get(path).status_code == 200

    # An admin gives it to the other helper.
    admin = staff_client(app, "ana@example.org", "admin")
    listing = admin.get("/console/conversations").get_data(as_text=True)
    ids = dict((email, hid) for hid, email in re.findall(r'<option value="([0-9a-f]+)">([^<]+)</option>', listing))
    assert list(ids) == [loser]  # only the helpers who do not hold it are offered
    moved = admin.post(f"{path}/reassign", data=form(admin, "/console/conversations", helper=ids[loser]))
    assert moved.status_code == 302
    assert clients[loser].get(path).status_code == 200 and clients[winner].get(path).status_code == 403
    assert ("ana@example.org", "conversation reassigned", f"{conv} to {loser}") in [
        (e.actor, e.action, e.target) for e in audit.recent(rt.redis)
    ]
    assert (
        clients[winner].post(f"{path}/reassign", data=form(clients[winner], "/console/conversations")).status_code
        == 403
    )


def test_a_danger_word_puts_the_conversation_first_marked_urgent_and_the_helper_closes_it(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    sara = helper_client(app, ARABIC_HELPER, ["ar"])
    asked(post, work, standin)
    calm = only_conversation(rt)
    asked(post, work, standin, BOB)
    urgent = next(c.id for c in conversations.every_open(rt.redis) if c.id != calm)
    say(post, work, standin, BOB, "معه سكين")
    inbox = sara.get("/console/conversations").get_data(as_text=True)
    assert inbox.index(urgent) < inbox.index(calm) and "Urgent" in inbox
    path = f"/console/conversations/{urgent}"
    sara.post(f"{path}/take", data=form(sara, path))
    assert 'id="urgent"' in sara.get(path).get_data(as_text=True)
    assert sara.post(f"{path}/close", data=form(sara, path)).status_code == 302
    work()
    assert sent_to(standin, BOB)[-1] == rt.renderer.render("ar", (Msg("person.closed"),), Channel.SMS)
    assert conversations.get(rt.redis, urgent) is None
    assert sara.get(path).status_code == 410
    assert (ARABIC_HELPER, "conversation closed", urgent) in [
        (e.actor, e.action, e.target) for e in audit.recent(rt.redis)
    ]


def test_the_overview_counts_conversations_by_language_waiting_time_and_outcome_small_numbers_hidden(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    sara = helper_client(app, ARABIC_HELPER, ["ar"])
    asked(post, work, standin)
    conv = only_conversation(rt)
    path = f"/console/conversations/{conv}"
    sara.post(f"{path}/take", data=form(sara, path))
    sara.post(f"{path}/close", data=form(sara, path))
    admin = staff_client(app, "ana@example.org", "admin")
    page = admin.get("/console/").get_data(as_text=True)
    section = page[page.index('id="handover-figures"') :]
    row = re.search(r'<tr><th scope="row">العربية</th>(.*?)</tr>', section)
    assert row, section[:800]
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    # began, waited <1h, <4h, <1d, >=1d, closed by the helper, by the person, expired, erased
    assert cells == ["&lt;5", "&lt;5", "0", "0", "0", "&lt;5", "0", "0", "0"]


def test_users_helper_gives_and_takes_the_permission_and_refuses_an_unlinked_account(
    app: Flask, rt: Runtime, redis_conn: redis.Redis
) -> None:
    make_staff(app, ARABIC_HELPER, "coordinator")
    runner = app.test_cli_runner()
    unlinked = runner.invoke(args=["users", "helper", ARABIC_HELPER, "--languages", "ar"])
    assert unlinked.exit_code != 0 and "--org NAME" in unlinked.output
    wrong = runner.invoke(args=["users", "helper", ARABIC_HELPER, "--languages", "xx", "--org", "Stichting Voorbeeld"])
    assert wrong.exit_code != 0 and "languages must be one or more of" in wrong.output
    given = runner.invoke(
        args=["users", "helper", ARABIC_HELPER, "--languages", "ar,fa", "--org", "Stichting Voorbeeld"]
    )
    assert given.exit_code == 0, given.output
    account = store(app).get(ARABIC_HELPER)
    assert account is not None and account.helper is not None and account.helper.locales == ("ar", "fa")
    found = conversations.helper(rt.redis, account.helper.id)
    assert found is not None and found.locales == {"ar", "fa"}
    assert ARABIC_HELPER not in str(redis_conn.hgetall("samen:ho:helpers"))  # no address in the hand-over's keys
    assert "helper: ar,fa" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "helper", ARABIC_HELPER, "--remove"]).exit_code == 0
    assert conversations.helper(rt.redis, account.helper.id) is None
    # A disabled account is a helper no more, and a reset does not bring the permission back.
    assert runner.invoke(args=["users", "helper", ARABIC_HELPER, "--languages", "ar", "--org", "X"]).exit_code == 0
    again = store(app).get(ARABIC_HELPER).helper  # type: ignore[union-attr]
    assert again is not None and conversations.helper(rt.redis, again.id) is not None
    assert runner.invoke(args=["users", "disable", ARABIC_HELPER]).exit_code == 0
    assert conversations.helper(rt.redis, again.id) is None
    assert runner.invoke(args=["users", "reset", ARABIC_HELPER]).exit_code == 0
    assert store(app).get(ARABIC_HELPER).helper is None  # type: ignore[union-attr]
    actions = [(e.action, e.target) for e in audit.recent(rt.redis)]
    assert ("helper permission given", f"{ARABIC_HELPER} (ar,fa)") in actions
    assert ("helper permission removed", ARABIC_HELPER) in actions


# E-mail notices, against a local SMTP server.


@pytest.fixture
def mailbox() -> Iterator[tuple[int, list[tuple[list[str], str]]]]:
    """An SMTP server on a free loopback port that keeps what it receives (aiosmtpd)."""
    controller_mod = pytest.importorskip("aiosmtpd.controller", reason="pip install -r requirements-dev.txt (aiosmtpd)")
    received: list[tuple[list[str], str]] = []

    class Keep:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 (aiosmtpd's name)
            received.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))  # type: ignore[attr-defined]
            return "250 OK"

    port = free_port()
    controller = controller_mod.Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_helpers_get_an_email_saying_only_that_a_conversation_is_waiting(
    config: Config, standin: StandinState, mailbox: tuple[int, list[tuple[list[str], str]]]
) -> None:
    port, received = mailbox
    mailed = with_config(config, smtp_host="127.0.0.1", smtp_port=port, smtp_from="console@example.org")
    with line_with_workers(mailed) as app:
        rt: Runtime = app.extensions["samen"]
        helper_client(app, ARABIC_HELPER, ["ar"])
        helper_client(app, FARSI_HELPER, ["fa"])
        client = app.test_client()

        def post(params: dict[str, str]) -> object:
            sig = sign(PUBLIC_URL + "/twilio/inbound", params)
            return client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig})

        def work() -> None:
            BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING"
            )

        say(post, work, standin, ALICE, HELLO, ARABIC, PERSON, "1", "1", "1")
        assert received == []
        say(post, work, standin, ALICE, "1")
        say(post, work, standin, ALICE, "أريد أن أتكلم مع أحد عن بيتي")
    assert [to for to, _ in received] == [[ARABIC_HELPER]]  # once, and not to the Farsi helper
    mail = received[0][1]
    assert "A conversation is waiting." in mail and "https://" in mail and "/console/conversations" in mail
    assert "Subject: SAMEN console" in mail
    for revealing in (ALICE, ALICE[1:], "بيتي", "Arabic", "العربية", " ar"):
        assert revealing not in mail


def test_no_email_without_smtp_settings_and_the_line_still_works(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    assert rt.config.smtp_host == ""
    sara = helper_client(app, ARABIC_HELPER, ["ar"])
    asked(post, work, standin)
    assert re.search(r'id="waiting-count"[^>]*>1<', sara.get("/console/conversations").get_data(as_text=True))


def test_a_helper_text_too_long_with_its_112_footer_is_refused_saying_by_how_much_and_nothing_is_sent(
    app: Flask, rt: Runtime, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    sara = helper_client(app, ARABIC_HELPER, ["ar"])
    asked(post, work, standin)
    conv = only_conversation(rt)
    path = f"/console/conversations/{conv}"
    assert sara.post(f"{path}/take", data=form(sara, path)).status_code == 302
    before = len(sent_to(standin, ALICE))
    # Under Twilio's 1600 alone, over it once the footer with 112 is under it, as the worker sends it.
    footer = rt.renderer.message("ar", rt.content.flow.footer, Channel.SMS)
    text = "ا" * (1600 - len(footer))
    refused = sara.post(f"{path}/write", data=form(sara, path, text=text))
    assert refused.status_code == 400 and "shorten it by 1 characters" in refused.get_data(as_text=True)
    fits = sara.post(f"{path}/write", data=form(sara, path, text=text[:-1]))
    assert fits.status_code == 302
    work()
    assert len(sent_to(standin, ALICE)) == before + 1 and len(sent_to(standin, ALICE)[-1]) == 1600
