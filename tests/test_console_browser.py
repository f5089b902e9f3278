"""The console in a real browser (Playwright driving Debian's Chromium): sign in with an authenticator
code, create and announce a session and watch it reach the Twilio stand-in, the overview's reach
figures and every code, a mediator seeing their own code and poster and kept out of the sessions, the
simulator in Arabic. Set SAMEN_SCREENSHOTS=docs/screenshots to keep the pages' pictures.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import redis
from flask import Flask

from samen_sms.announce import subscriptions
from samen_sms.app import create_app
from samen_sms.console import redis_keys as console_keys
from samen_sms.core import tally
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from tests import conftest
from tests.conftest import ALICE, CHROMIUM, Processes, sent_to, wait_until, with_config
from tests.console_support import PASSWORD, code, make_staff

if not CHROMIUM.exists():
    pytest.skip(
        "browser tests skipped: no Chromium at /usr/bin/chromium (Debian: apt-get install chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt (playwright)")
SHOTS = os.environ.get("SAMEN_SCREENSHOTS")


@pytest.fixture
def live(config: Config) -> Iterator[tuple[str, Flask]]:
    """The app served over HTTP on a free loopback port (production settings, no quiet hours)."""
    from werkzeug.serving import make_server

    app = create_app({"TESTING": True}, config=with_config(config, quiet_hours=""))
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}", app
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    context.close()
    # A Content-Security-Policy violation (an inline script or style) shows up as a console error.
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, email: str, secret: str, ahead: int = 0) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code(secret, ahead))
    page.get_by_role("button", name="Sign in").click()


def reach_figures(app: Flask, conn: redis.Redis) -> str:
    """Two organisations with codes, a month of first contacts and people reached; returns the first's code."""
    codes = []
    for name, languages in (("Stichting Voorbeeld", "ar,ti"), ("Vereniging Fictief", "nl")):
        out = app.test_cli_runner().invoke(args=["mediators", "add", name, "--languages", languages, "--region", "NL"])
        codes.append(out.output.strip().splitlines()[-1])
    pipe = conn.pipeline()
    for back in range(30):
        when = time.time() - back * 86400
        for n in range(12 + back % 7 * 3):
            channel = "whatsapp" if n % 3 else "sms"
            language = ("ar", "nl", "uk", "ti")[n % 4]
            tally.count(pipe, [f"first:{channel}", f"language:{language}", "screen:help_now"], when)
    for n in range(9):
        tally.count(pipe, ["first:sms", f"code:{codes[0]}"], time.time(), (codes[0], f"someone-{n}"))
    pipe.execute()
    return codes[0]


def test_first_sign_in_from_the_link_then_password_and_code(page: Any, live: tuple[str, Flask]) -> None:
    base, app = live
    out = app.test_cli_runner().invoke(args=["users", "add", "ana@example.org", "--role", "admin"])
    link = out.output.strip().splitlines()[-1].replace("https://line.example.org", base)
    page.goto(link)
    shot(page, "welcome")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert page.get_by_role("img", name="QR code for your authenticator app").evaluate("img => img.naturalWidth > 0")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_label("The 6-digit code the app now shows").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Save and sign in").click()
    page.wait_for_url(f"{base}/console/")
    assert page.get_by_role("heading", name="Overview").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/sign-in"))
    sign_in(page, base, "ana@example.org", secret, ahead=1)  # the enrolment's code is used up
    page.wait_for_url(f"{base}/console/")
    page.goto(link)
    assert page.get_by_role("heading", name="This sign-in link is no longer valid").is_visible()


def test_create_and_announce_a_session_and_watch_it_reach_the_standin(
    page: Any,
    live: tuple[str, Flask],
    redis_conn: redis.Redis,
    redis_server: str,
    standin_server: tuple[str, StandinState],
    standin: StandinState,
) -> None:
    base, app = live
    rt = app.extensions["samen"]
    sub = subscriptions.Subscriber("NL", "nl", Channel.SMS, 1, "d", rt.keys.seal(Address(Channel.SMS, ALICE)))
    pipe = redis_conn.pipeline()
    subscriptions.subscribe(pipe, rt.keys.pseudonym(ALICE), sub)
    # Others, in languages not spoken at this session: counted on the overview, not announced to.
    for n, (locale, count) in enumerate([("ar", 14), ("uk", 9), ("ti", 6), ("fa", 3)]):
        for i in range(count):
            number = f"+4477009005{n}{i:01d}" if i < 10 else f"+447700900{600 + 10 * n + i}"
            channel = Channel.WHATSAPP if i % 3 == 0 else Channel.SMS
            other = subscriptions.Subscriber(
                f"VR{13 + i % 3}", locale, channel, 1, "d", rt.keys.seal(Address(channel, number))
            )
            subscriptions.subscribe(pipe, rt.keys.pseudonym(number), other)
    pipe.execute()
    secret = make_staff(app, "cor@example.org", "coordinator")
    sign_in(page, base, "cor@example.org", secret)
    page.wait_for_url(f"{base}/console/")
    page.goto(f"{base}/console/sessions/new")
    page.get_by_label("Title (nl)").fill("Geweld thuis")
    page.get_by_label("Title (en)").fill("Health and safety in the Netherlands")
    page.get_by_label("Starts (Amsterdam time)").fill("2099-01-14T14:00")
    page.get_by_label("Place (address)").fill("Buurthuis De Pijp, Amsterdam")
    page.get_by_label("Host (organisation)").fill("Stichting Voorbeeld")
    page.get_by_label("Regions").fill("Amsterdam")
    # The preview follows the typing (script on) and flags the revealing Dutch title.
    page.locator("#preview").get_by_text("reveals: geweld").first.wait_for()
    page.get_by_label("Title (nl)").fill("Gezondheid en veiligheid in Nederland")
    page.locator("#preview").get_by_text("Informatiebijeenkomst: Gezondheid").first.wait_for()
    shot(page, "session-form")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_url(f"{base}/console/sessions/1")
    page.get_by_role("link", name="Announce…").click()
    assert "1 person will get this announcement" in page.locator("#confirm-summary").inner_text()
    shot(page, "announce-confirm")
    page.get_by_role("button", name="Yes, announce it now").click()
    page.wait_for_url(f"{base}/console/sessions/1")
    procs = Processes(conftest.test_env(redis_server, standin_server[0], SAMEN_QUIET_HOURS=""))
    try:
        procs.worker()
        assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1, timeout=30), procs.output()
        # The page's numbers move without a reload (1 to 4 shown as `stats` shows them).
        page.locator('[data-k="announcement.sent"]', has_text="<5").wait_for(timeout=15000)
        page.locator('[data-k="announcement.phase"]', has_text="done").wait_for(timeout=15000)
    finally:
        procs.stop()
    assert "Gezondheid en veiligheid in Nederland" in sent_to(standin, ALICE)[0]
    shot(page, "session-progress")
    reach_figures(app, redis_conn)
    page.goto(f"{base}/console/")  # starts the count of subscriptions by language
    assert wait_until(lambda: redis_conn.exists(console_keys.CONSOLE_FIGURES("mix")) == 1)
    page.goto(f"{base}/console/")
    assert page.get_by_role("img", name="Subscribers by language").is_visible()
    assert page.get_by_role("img", name="First contacts per day, last 30 days").is_visible()
    assert page.get_by_role("img", name="First contacts by channel").first.is_visible()
    shot(page, "overview")
    page.goto(f"{base}/console/mediators")
    assert page.get_by_role("cell", name="Stichting Voorbeeld").is_visible()
    shot(page, "mediators-codes")
    page.goto(f"{base}/console/sessions")
    shot(page, "sessions")
    page.goto(f"{base}/console/directory")
    shot(page, "directory")
    page.goto(f"{base}/console/content?lang=nl")
    assert page.get_by_role("heading", name="Inhoud: controle per taal").is_visible()
    shot(page, "content-nl")


def test_a_mediator_sees_their_own_code_and_poster_and_not_the_sessions_page(
    page: Any, live: tuple[str, Flask], redis_conn: redis.Redis
) -> None:
    base, app = live
    mine = reach_figures(app, redis_conn)
    secret = make_staff(app, "med@example.org", "mediator", mine)
    sign_in(page, base, "med@example.org", secret)
    page.wait_for_url(f"{base}/console/mediators/{mine}")
    assert page.get_by_role("link", name="Sessions").count() == 0
    assert page.get_by_role("img", name="People reached per week").is_visible()
    assert page.get_by_text("Vereniging Fictief").count() == 0
    # The QR codes are drawn (an SVG without its namespace would show as a broken image).
    qr = page.get_by_role("img", name=re.compile("QR code: opens WhatsApp")).first
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "mediators")
    page.get_by_role("link", name="Poster (print)").click()
    page.wait_for_url(f"{base}/console/mediators/{mine}/poster")
    assert page.get_by_role("img", name=re.compile("WhatsApp")).evaluate("img => img.naturalWidth > 0")
    shot(page, "poster")
    response = page.goto(f"{base}/console/sessions")
    assert response.status == 403
    assert page.get_by_role("heading", name=re.compile("Not for your role")).is_visible()


def test_the_simulator_in_arabic_on_a_phone(browser: Any, live: tuple[str, Flask]) -> None:
    base, app = live
    secret = make_staff(app, "sim@example.org", "mediator", "AMS02")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{base}/console/sign-in")
        page.get_by_label("E-mail").fill("sim@example.org")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit je authenticator-app").fill(code(secret))
        page.get_by_role("button", name="Aanmelden").click()
        page.wait_for_url(f"{base}/console/mediators")
        page.goto(f"{base}/console/simulator")
        page.get_by_label("Opnieuw beginnen in").select_option("ar")
        page.get_by_role("button", name="Beginnen").click()
        page.get_by_label("Bericht").fill("مرحبا")
        page.get_by_role("button", name="Versturen").click()
        last = page.locator("#last")
        last.wait_for()
        assert last.get_attribute("lang") == "ar" and last.get_attribute("dir") == "rtl"
        assert "112" in last.inner_text()
        page.get_by_label("Bericht").fill("١")
        page.get_by_role("button", name="Versturen").click()
        page.locator("#last").wait_for()
        assert "112" in page.locator("#last").inner_text()
        shot(page, "simulator-ar-phone")
    finally:
        context.close()
