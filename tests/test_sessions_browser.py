"""A session's life in the console, in a real browser (Playwright on Debian's Chromium), on a laptop and on a phone.

A coordinator moves an announced session (the person who said yes gets a notice in Dutch), duplicates
it (the form warns when the reminder cannot go the day before), cancels it (a notice again), and finds
it among the upcoming and past sessions. The phone runs without JavaScript: every job is a form.
Each page is measured: no horizontal overflow, and a visible focus ring on the first link.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from flask import Flask

from samen_sms.announce import reminders, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.assembly import worker_context
from samen_sms.console import audit
from samen_sms.core.identity import Address, Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from tests.conftest import ALICE, PUBLIC_URL, BurstWorker, inbound, sent_to, sign
from tests.console_support import PASSWORD, code, make_staff
from tests.test_console_browser import browser, live  # noqa: F401  (fixtures; the module skips without Chromium)

SESSION = """
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }}
starts = {starts}
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en"]
regions = ["Utrecht"]
"""
SCREENS = [pytest.param((1366, 768, True), id="laptop"), pytest.param((390, 844, False), id="phone-no-script")]


@pytest.fixture
def screen(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:  # noqa: F811
    width, height, script = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500, java_script_enabled=script, locale="en-GB"
    )
    tab = context.new_page()
    yield tab
    context.close()


def work(app: Flask) -> None:
    rt = app.extensions["samen"]
    with replies.using(worker_context(rt.config)):
        BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )


def add(app: Flask, starts: datetime) -> str:
    rt = app.extensions["samen"]
    text = SESSION.format(starts=starts.strftime("%Y-%m-%dT%H:%M:%S"))
    session = infosessions.parse_session(text, rt.content.places, list(rt.content.flow.languages))
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    reminders.schedule(rt, stored, pipe, datetime.now(AMSTERDAM))
    pipe.execute()
    return stored.id


def measured(page: Any) -> None:
    """No horizontal overflow, and the first link in the page's main part shows a focus ring."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)
    ring = page.evaluate(
        """() => { const a = document.querySelector('main a, main button'); a.focus();
        const s = getComputedStyle(a); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""
    )
    assert ring, page.url


def sign_in(page: Any, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")


@pytest.mark.parametrize("screen", SCREENS, indirect=True)
def test_move_duplicate_and_cancel_an_announced_session(
    screen: Any, live: tuple[str, Flask], redis_conn: redis.Redis, standin: StandinState  # noqa: F811
) -> None:
    base, app = live
    page = screen
    rt = app.extensions["samen"]
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    pipe = redis_conn.pipeline()
    alice = subscriptions.Subscriber("NL", "nl", Channel.SMS, 1, "d", sealed)
    subscriptions.subscribe(pipe, rt.keys.pseudonym(ALICE), alice)
    pipe.execute()
    starts = (datetime.now(AMSTERDAM) + timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    first = add(app, starts)
    gone = add(app, datetime.now(AMSTERDAM) + timedelta(hours=6))
    session = infosessions.get(redis_conn, gone)
    assert session is not None
    # A session that has taken place (its start put in the past, as time would).
    past = infosessions.InfoSession(**{**session.__dict__, "starts": time.time() - 86400})
    pipe = redis_conn.pipeline()
    infosessions.replace(past, pipe)
    pipe.execute()
    secret = make_staff(app, "cor@example.org", "coordinator")
    sign_in(page, base, "cor@example.org", secret)

    # Announce it, and Alice says yes.
    page.goto(f"{base}/console/sessions/{first}")
    page.get_by_role("link", name="Announce…").click()
    page.get_by_role("button", name="Yes, announce it now").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    work(app)
    params = inbound(ALICE, "Ja, ik kom!")
    client = app.test_client()
    signature = sign(PUBLIC_URL + "/twilio/inbound", params)
    client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature})
    work(app)
    assert sent_to(standin, ALICE)[-1].startswith("Dank je. We sturen je voor de bijeenkomst een herinnering.")

    # Move it: a day later, another place. The form says who will be told.
    page.goto(f"{base}/console/sessions/{first}")
    measured(page)
    page.get_by_role("link", name="Edit or move").click()
    assert "People who said they would come: <5" in page.locator("#change-note").inner_text()
    measured(page)
    page.get_by_label("Starts (Amsterdam time)").fill((starts + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place (address)").fill("Wijkcentrum De Brug, Utrecht")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    work(app)
    moved = sent_to(standin, ALICE)[-1]
    assert moved.startswith("Gewijzigd: Gezondheid in Nederland") and "Wijkcentrum De Brug" in moved
    assert "112" in moved
    page.reload()
    assert "done" in page.locator("#change-state").inner_text()
    assert "scheduled" in page.locator("#reminder-state").inner_text()

    # Duplicate it: everything but the date; a start within three hours is warned about.
    page.get_by_role("link", name="Duplicate").click()
    page.wait_for_url(re.compile(r".*/console/sessions/new\?copy=" + first))
    assert page.get_by_label("Title (nl)").input_value() == "Gezondheid in Nederland"
    assert page.get_by_label("Starts (Amsterdam time)").input_value() == ""
    soon = datetime.now(AMSTERDAM) + timedelta(hours=2)
    page.get_by_label("Starts (Amsterdam time)").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Preview").click()
    assert "no reminder is scheduled" in page.locator("#reminder-note").inner_text()
    measured(page)
    page.get_by_label("Starts (Amsterdam time)").fill((starts + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save session").click()
    page.wait_for_url(re.compile(r".*/console/sessions/\d+$"))
    copy_id = page.url.rsplit("/", 1)[1]
    copied = infosessions.get(redis_conn, copy_id)
    assert copied is not None and copied.place == "Wijkcentrum De Brug, Utrecht" and copy_id != first

    # Cancel the first: a confirm step, then a notice.
    page.goto(f"{base}/console/sessions/{first}")
    page.get_by_role("link", name="Cancel session…").click()
    assert "<5" in page.locator("#cancel-summary").inner_text()
    measured(page)
    page.get_by_role("button", name="Yes, cancel the session").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    assert "(cancelled)" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("link", name="Edit or move").count() == 0
    work(app)
    cancelled = sent_to(standin, ALICE)[-1]
    assert cancelled.startswith("Gaat niet door: Gezondheid in Nederland") and "112" in cancelled
    assert len(sent_to(standin, ALICE)) == 4  # announcement, thanks, move, cancellation

    # The list: upcoming (the copy, the cancelled one marked) and past.
    page.goto(f"{base}/console/sessions")
    measured(page)
    upcoming = page.get_by_role("table", name="Upcoming sessions, soonest first").inner_text()
    assert "(cancelled)" in upcoming and f"\n{copy_id}\t" in f"\n{upcoming}"
    assert "Health in the Netherlands" in page.get_by_role("table", name="Past sessions, latest first").inner_text()
    actions = [(e.action, e.target) for e in audit.recent(redis_conn)]
    assert ("session moved, notice to those coming", f"#{first}") in actions
    assert ("session cancelled, notice to those coming", f"#{first}") in actions
    assert (f"session created as a copy of #{first}", f"#{copy_id}") in actions
