"""A person in your language (#21) in a real browser: an Arabic helper takes a conversation, writes on SMS
and on WhatsApp (also outside the 24-hour window), and after the delete word nothing is left.

Playwright drives Debian's Chromium against the app served over HTTP; an RQ worker process sends
through the Twilio stand-in; the person writes through the signed webhook. Without JavaScript the
pages work the same (they are plain forms); this test runs with it on, as a helper would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from samen_sms.content.replies import Menu
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState, record_inbound
from samen_sms.handover import conversations
from samen_sms.line.runtime import Runtime
from tests import conftest
from tests.conftest import ALICE, BOB, PUBLIC_URL, Processes, inbound, sent_to, sign, wait_until
from tests.console_support import make_staff, store
from tests.test_console_browser import live, page, shot, sign_in  # noqa: F401  (fixtures)
from tests.test_handover import ARABIC, DELETE, HELLO, PERSON, TEMPLATE_TEXT, person_wrote_ago
from tests.test_privacy import redis_text

TEMPLATES = Path(__file__).resolve().parent.parent / "whatsapp_templates.example.toml"
WA_BOB = "whatsapp:" + BOB


def env(redis_server: str, standin_url: str) -> dict[str, str]:
    return conftest.test_env(
        redis_server,
        standin_url,
        SAMEN_HANDOVER_HOURS="",
        SAMEN_WHATSAPP_TEMPLATES=str(TEMPLATES),
        SAMEN_QUIET_HOURS="",
    )


@pytest.fixture
def config(redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState]) -> Config:
    """Helpers at any hour, the Arabic invitation template (the `live` app is built from it)."""
    return Config.from_env(env(redis_server, standin_server[0]))


def helper(app: Flask, email: str, languages: list[str]) -> str:
    secret = make_staff(app, email, "coordinator")
    offered = frozenset(app.extensions["samen"].content.flow.languages)
    store(app).grant_helper(email, languages, [], "Stichting Voorbeeld", offered)
    return secret


def person(app: Flask, standin: StandinState, sender: str, *texts: str) -> None:
    """The person writes (signed, as Twilio posts); each reply reaches the stand-in before the next text."""
    client = app.test_client()
    for text in texts:
        before = len(sent_to(standin, sender))
        params = inbound(sender, text)
        record_inbound(standin, params)
        sig = sign(PUBLIC_URL + "/twilio/inbound", params)
        assert client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
        wait_until(lambda b=before: len(sent_to(standin, sender)) > b, timeout=3)  # none when relayed


def reaches(standin: StandinState, to: str, start: str) -> bool:
    return wait_until(lambda: bool(sent_to(standin, to)) and sent_to(standin, to)[-1].startswith(start), timeout=30)


def test_an_arabic_helper_answers_on_sms_and_whatsapp_and_the_delete_word_leaves_nothing(
    page: Any,  # noqa: F811
    live: tuple[str, Flask],  # noqa: F811
    redis_server: str,
    standin_server: tuple[str, StandinState],
    standin: StandinState,
) -> None:
    base, app = live
    rt: Runtime = app.extensions["samen"]
    standin.templates = {"HX00000000000000000000000000000004": TEMPLATE_TEXT}
    sara = helper(app, "sara@example.org", ["ar"])
    dara = helper(app, "dara@example.org", ["fa"])
    procs = Processes(env(redis_server, standin_server[0]))
    try:
        procs.worker()
        person(app, standin, ALICE, HELLO, ARABIC, PERSON, "1", "1", "1", "1")
        assert reaches(standin, ALICE, "شكرا."), procs.output()  # the conversation waits
        person(app, standin, ALICE, "أريد أن أتكلم مع أحد عن بيتي")
        [conv] = conversations.every_open(rt.redis)

        # A Farsi helper is refused the Arabic conversation, in the console's words.
        sign_in(page, base, "dara@example.org", dara)
        page.wait_for_url(re.compile(r".*/console/.*"))
        page.goto(f"{base}/console/conversations/{conv.id}")
        assert page.get_by_text("This conversation is in a language or region you do not take.").is_visible()
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, base, "sara@example.org", sara, ahead=1)
        page.goto(f"{base}/console/conversations")
        assert page.locator("#waiting-count").inner_text() == "1"
        assert ALICE[1:] not in page.content() and "بيتي" not in page.content()
        shot(page, "conversations-inbox")
        page.get_by_role("button", name="Take").click()
        page.wait_for_url(f"{base}/console/conversations/{conv.id}")
        assert page.get_by_text("أريد أن أتكلم مع أحد عن بيتي").is_visible()
        assert ALICE[1:] not in page.content()
        page.get_by_label("Your message").fill("مرحبا، أنا سارة. كيف يمكنني مساعدتك؟")
        page.get_by_role("button", name="Send").click()
        assert page.locator("#said").get_by_text("Sent. The line adds 112 under it.").is_visible()
        assert reaches(standin, ALICE, "مرحبا، أنا سارة."), procs.output()
        assert "112" in sent_to(standin, ALICE)[-1]
        page.get_by_label("A screen").select_option("help_now")
        page.get_by_role("button", name="Insert screen").click()
        assert reaches(standin, ALICE, rt.renderer.render("ar", (Menu("help_now"),), Channel.SMS)[:30])
        person(app, standin, ALICE, "شكرا لك")
        page.get_by_role("link", name="Reload").click()
        assert page.get_by_text("شكرا لك").is_visible()
        shot(page, "conversation-sms")

        # On WhatsApp, a day after the person last wrote: an invitation to reply, then the text.
        person(app, standin, WA_BOB, HELLO, ARABIC, PERSON, "1", "1", "1", "1")
        assert reaches(standin, WA_BOB, "شكرا.")
        wa = next(c for c in conversations.every_open(rt.redis) if c.id != conv.id)
        page.goto(f"{base}/console/conversations/{wa.id}")
        page.get_by_role("button", name="Take").click()
        page.wait_for_url(f"{base}/console/conversations/{wa.id}")
        person_wrote_ago(rt, wa.id, 25 * 3600)
        page.reload()
        assert page.locator("#window").is_visible()
        page.get_by_label("Your message").fill("هل أنت بخير؟")
        page.get_by_role("button", name="Send").click()
        assert (
            page.locator("#said")
            .get_by_text("They get that invitation; your message goes when they reply.")
            .is_visible()
        )
        assert wait_until(lambda: sent_to(standin, WA_BOB)[-1] == TEMPLATE_TEXT, timeout=30), procs.output()
        person(app, standin, WA_BOB, "نعم")
        assert reaches(standin, WA_BOB, "هل أنت بخير؟")
        shot(page, "conversation-whatsapp")

        # The delete word: the helper's page says the conversation is gone, and Redis keeps nothing of it.
        person(app, standin, ALICE, DELETE)
        page.goto(f"{base}/console/conversations/{conv.id}")
        assert page.get_by_text("This conversation is closed or gone: nothing of it is kept.").is_visible()
        assert conversations.get(rt.redis, conv.id) is None
        p = rt.keys.pseudonym(ALICE)
        left = [key for key, text in redis_text(rt.redis) if conv.id in key + text or p in key + text]
        # The rate counter, and the audit log naming who read and wrote the conversation by its random id.
        assert [k for k in left if not k.startswith("samen:r:") and k != "samen:console:audit"] == []
        assert [key for key, text in redis_text(rt.redis) if "بيتي" in text or "سارة" in text] == []
    finally:
        procs.stop()


def test_without_javascript_two_helpers_take_at_once_and_the_later_one_is_told_plainly(
    browser: Any,
    live: tuple[str, Flask],  # noqa: F811
    redis_server: str,
    standin_server: tuple[str, StandinState],
    standin: StandinState,
) -> None:
    base, app = live
    rt: Runtime = app.extensions["samen"]
    secrets = {email: helper(app, email, ["ar"]) for email in ("sara@example.org", "noor@example.org")}
    tabs = {}
    for email, secret in secrets.items():
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-GB")
        tabs[email] = context.new_page()
        sign_in(tabs[email], base, email, secret)
        tabs[email].wait_for_url(re.compile(r".*/console/.*"))
    procs = Processes(env(redis_server, standin_server[0]))
    try:
        procs.worker()
        person(app, standin, ALICE, HELLO, ARABIC, PERSON, "1", "1", "1", "1")
        assert reaches(standin, ALICE, "شكرا."), procs.output()
        [conv] = conversations.every_open(rt.redis)
        sara, noor = tabs["sara@example.org"], tabs["noor@example.org"]
        for tab in (sara, noor):
            tab.goto(f"{base}/console/conversations")
            assert tab.locator("#waiting-count").inner_text() == "1"
        sara.get_by_role("button", name="Take").click()
        sara.wait_for_url(f"{base}/console/conversations/{conv.id}")
        noor.get_by_role("button", name="Take").click()  # her page still showed it waiting
        assert noor.get_by_text("Another helper took this conversation a moment ago.").is_visible()
        assert noor.get_by_role("heading", name=re.compile("Someone else was quicker")).is_visible()
        sara.get_by_label("Your message").fill("مرحبا")
        sara.get_by_role("button", name="Send").click()
        assert sara.locator("#said").is_visible()
        assert reaches(standin, ALICE, "مرحبا\n"), procs.output()
        assert conversations.get(rt.redis, conv.id).helper is not None  # type: ignore[union-attr]
        sara.get_by_role("button", name="Close the conversation").click()
        sara.wait_for_url(f"{base}/console/conversations")
        assert conversations.get(rt.redis, conv.id) is None
    finally:
        procs.stop()
        for tab in tabs.values():
            tab.context.close()
