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
from samen_sms.handover import records
from samen_sms.handover.model import Times
from tests import conftest
from tests.conftest import ALICE, CHROMIUM, Processes, sent_to, wait_until, with_config
from tests.console_support import PASSWORD, code, csrf, make_staff, staff_client, store

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


def test_a_review_pack_filled_in_the_browser_saves_verdicts_the_import_marks(page: Any, tmp_path: Path) -> None:
    # The pack is a file on the reviewer's computer (file://): no server, no network.
    import shutil

    from samen_sms.authoring import verdicts
    from samen_sms.authoring.review import State, state
    from samen_sms.authoring.reviewpack import write_packs
    from samen_sms.content.catalogue import load_catalogue
    from samen_sms.content.render import Renderer, line_params

    renderer = Renderer(conftest.line_content(), line_params("+447700900000", "whatsapp:+447700900001"))
    (pack,) = write_packs(renderer, ["ar"], tmp_path / "packs")
    page.goto(pack.as_uri())
    # Each cell takes its direction from its own text: the Arabic reads right to left, the English not.
    row = page.locator('tr[data-key="greeting"]')
    assert row.locator('div[lang="ar"]').first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert row.locator('div[lang="en"]').first.evaluate("e => getComputedStyle(e).direction") == "ltr"
    for key in ("help_now.body", "share.body"):
        page.locator(f'tr[data-key="{key}"] input[value="ok"]').check()
    changed = page.locator('tr[data-key="main.intro"]')
    changed.locator('input[value="change"]').check()
    changed.locator('textarea[data-field="suggested_sms"]').fill("نص أقصر, مع فاصلة\nوسطر ثان")
    changed.locator('textarea[data-field="comment"]').fill('"رسمي" جدا')
    assert "3 of " in page.locator("#status").inner_text()
    # Closing and opening the page again loses nothing (the browser keeps it).
    page.reload()
    assert page.locator('tr[data-key="share.body"] input[value="ok"]').is_checked()
    assert "وسطر ثان" in changed.locator('textarea[data-field="suggested_sms"]').input_value()
    with page.expect_download() as saving:
        page.get_by_role("button", name="Save verdicts").click()
    download = saving.value
    assert download.suggested_filename == "ar-verdicts.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    messages = tmp_path / "messages"
    shutil.copytree(Path(__file__).resolve().parent.parent / "messages", messages)
    assert verdicts.main([str(saved), "--lang", "ar", "--messages", str(messages)]) == 0
    english, arabic = load_catalogue(messages / "en.toml"), load_catalogue(messages / "ar.toml")
    marked = {key for key in english.messages if state(arabic, english, key) is State.REVIEWED}
    assert marked == {"help_now.body", "share.body"}


def test_first_sign_in_from_the_link_then_password_and_code(page: Any, live: tuple[str, Flask]) -> None:
    base, app = live
    out = app.test_cli_runner().invoke(args=["users", "add", "ana@example.org", "--role", "admin"])
    link = out.output.strip().splitlines()[-1].replace("https://line.example.org", base)
    page.goto(link)
    shot(page, "welcome")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert page.get_by_role("img", name="QR code for your authenticator app").evaluate("img => img.naturalWidth > 0")
    # On the phone that shows the page: a link that opens the authenticator app, holding the same key.
    app_link = page.get_by_role("link", name="On this phone: open the authenticator app").get_attribute("href")
    assert app_link.startswith("otpauth://totp/") and f"secret={secret}" in app_link
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
        # Keyboard focus stays in the message field: the next message is typed without reaching for it.
        sync_api.expect(page.locator("#sim-text")).to_be_focused(timeout=10000)
        page.keyboard.type("2")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile("#last"))
        page.locator("#last").wait_for()
        sync_api.expect(page.locator("#sim-text")).to_be_focused(timeout=10000)
        shot(page, "simulator-ar-phone")
    finally:
        context.close()


VIEWPORTS = [pytest.param((1366, 768), id="laptop"), pytest.param((390, 844), id="phone")]


def fits(page: Any) -> None:
    """No horizontal scrolling: the page is no wider than the window."""
    page.wait_for_load_state()
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} is {wide} px wide in a {window} px window"


def signed_in_tab(browser: Any, base: str, email: str, secret: str, size: tuple[int, int], ahead: int = 0) -> Any:
    """A new window of that size, signed in."""
    viewport = {"width": size[0], "height": size[1]}
    context = browser.new_context(viewport=viewport, locale="en-GB", is_mobile=size[0] < 500)
    tab = context.new_page()
    sign_in(tab, base, email, secret, ahead)
    tab.wait_for_load_state()
    return tab


@pytest.mark.parametrize("size", VIEWPORTS)
def test_review_a_translation_suggest_an_edit_and_approve_it_live(
    browser: Any, live: tuple[str, Flask], size: tuple[int, int]
) -> None:
    base, app = live
    mediator_secret = make_staff(app, "m@example.org", "mediator", "AMS03")
    mediator = signed_in_tab(browser, base, "m@example.org", mediator_secret, size)
    admin_secret = make_staff(app, "a@example.org", "admin")
    try:
        mediator.get_by_role("link", name="Translations").click()
        mediator.get_by_role("heading", name="Review translations").wait_for()
        fits(mediator)
        mediator.get_by_role("link", name=re.compile(r"Nederlands \(nl\)")).click()
        mediator.get_by_role("heading", name=re.compile("Review: Nederlands")).wait_for()
        fits(mediator)
        block = mediator.locator("#m-help_now\\.title")
        assert block.get_by_role("heading", name="English").is_visible()
        assert block.get_by_text("Nu hulp").first.is_visible() and block.get_by_text("Help now").first.is_visible()
        block.get_by_role("button", name="Mark reviewed").click()
        mediator.wait_for_load_state()
        assert mediator.locator("#m-help_now\\.title").count() == 0  # reviewed: no longer in the to-do list
        mediator.get_by_role("link", name="Show every message").click()
        assert mediator.locator("#m-help_now\\.title .state").first.inner_text() == "reviewed"
        mediator.locator("#m-help_now\\.body").get_by_role("link", name="Suggest an edit").click()
        mediator.get_by_role("heading", name=re.compile("Suggest an edit")).wait_for()
        fits(mediator)
        # A first try that drops 112 is refused, naming the problem; the text typed stays.
        mediator.get_by_label("Full form (WhatsApp)").fill("Nu in gevaar? Bel de politie.")
        mediator.get_by_label("Short form (SMS)").fill("Nu in gevaar? Bel de politie.")
        mediator.get_by_role("button", name="Suggest this edit").click()
        mediator.get_by_text("The full (WhatsApp) form must keep the emergency number 112.").wait_for()
        fits(mediator)
        full = "Nu in gevaar? Bel 112.\nVeilig Thuis 0800-2000: dag en nacht."
        mediator.get_by_label("Full form (WhatsApp)").fill(full)
        mediator.get_by_label("Short form (SMS)").fill("Nu in gevaar? Bel 112. Veilig Thuis 0800-2000.")
        mediator.get_by_role("button", name="Suggest this edit").click()
        mediator.locator("#m-help_now\\.body .pending").wait_for()
        assert mediator.locator("#m-help_now\\.body").get_by_role("button", name=re.compile("Approve")).count() == 0
        shot(mediator, f"review-suggested-{size[0]}")
        fits(mediator)

        admin = signed_in_tab(browser, base, "a@example.org", admin_secret, size)
        admin.goto(f"{base}/console/review/nl")
        admin.locator("#m-help_now\\.body").get_by_role("button", name=re.compile("Approve and make live")).click()
        admin.wait_for_load_state()
        live_badge = admin.locator("#m-help_now\\.body .state.live")
        assert live_badge.inner_text() == "edited here, live"
        fits(admin)
        shot(admin, f"review-approved-{size[0]}")
        rt = app.extensions["samen"]
        short = rt.renderer.message("nl", "help_now.body", Channel.SMS)
        assert short == "Nu in gevaar? Bel 112. Veilig Thuis 0800-2000."
        admin.context.close()
    finally:
        mediator.context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_add_a_directory_entry_in_plain_words_and_it_is_live(
    browser: Any, live: tuple[str, Flask], size: tuple[int, int]
) -> None:
    base, app = live
    tab = signed_in_tab(browser, base, "c@example.org", make_staff(app, "c@example.org", "coordinator"), size)
    try:
        tab.goto(f"{base}/console/directory")
        fits(tab)
        tab.get_by_role("link", name="Add a local or community entry").click()
        tab.get_by_role("heading", name="Add a local or community entry").wait_for()
        fits(tab)
        tab.get_by_label("Short name for the entry").fill("clinic_east")
        tab.get_by_label(re.compile("^Name")).fill("Kliniek Oost")
        tab.get_by_label("Phone").fill("020-0000000")
        tab.get_by_label("What it is for").select_option(label="Doctor for asylum seekers with a COA care number")
        tab.get_by_label("What a call costs").select_option(label="Free to call")
        tab.get_by_label("When it can be reached").select_option(label="Office hours (Monday to Friday, 9 to 17)")
        tab.get_by_label("Can people stay anonymous?").select_option(label="With your name")
        tab.get_by_label("Health care: asylum, no papers").check()
        tab.get_by_label("Municipalities").fill("Atlantis")
        tab.get_by_label("Source").fill("https://example.org/oost")
        tab.get_by_role("button", name="Save entry").click()
        tab.get_by_text("Atlantis is not a Dutch municipality").first.wait_for()
        fits(tab)
        tab.get_by_label("Municipalities").fill("Amsterdam")
        tab.get_by_role("button", name="Save entry").click()
        tab.wait_for_url(f"{base}/console/directory")
        assert tab.get_by_role("cell", name=re.compile("^Kliniek Oost")).is_visible()
        fits(tab)
        shot(tab, f"directory-added-{size[0]}")
        rt = app.extensions["samen"]
        assert [s.name for s in rt.content.directory.local("GM0363")] == ["Kliniek Oost"]
    finally:
        tab.context.close()

# Issue 22: a session's life (move, duplicate, cancel after announcing), on a laptop and on a phone without script.
SESSION_FILE = """
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }}
starts = {starts}
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en"]
regions = ["Utrecht"]
"""
SESSION_SCREENS = [pytest.param((1366, 768, True), id="laptop"), pytest.param((390, 844, False), id="phone-no-script")]


@pytest.fixture
def session_screen(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width, height, script = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500, java_script_enabled=script, locale="en-GB"
    )
    tab = context.new_page()
    yield tab
    context.close()


def _work_now(app: Flask) -> None:
    from samen_sms.assembly import worker_context
    from samen_sms.line import replies

    rt = app.extensions["samen"]
    with replies.using(worker_context(rt.config)):
        conftest.BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )


def _add_session(app: Flask, starts: Any) -> str:
    from datetime import datetime

    from samen_sms.announce import reminders
    from samen_sms.announce import sessions as infosessions
    from samen_sms.core.quiet import AMSTERDAM

    rt = app.extensions["samen"]
    text = SESSION_FILE.format(starts=starts.strftime("%Y-%m-%dT%H:%M:%S"))
    session = infosessions.parse_session(text, rt.content.places, list(rt.content.flow.languages))
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    reminders.schedule(rt, stored, pipe, datetime.now(AMSTERDAM))
    pipe.execute()
    return stored.id


def _measured(page: Any) -> None:
    """No horizontal overflow, and the first link in the page's main part shows a focus ring."""
    page.wait_for_load_state("load")  # the stylesheet applied: a form posted without script is a new page
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(w) => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w)
        .slice(0, 5).map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""",
        page.viewport_size["width"],
    )
    assert width <= page.viewport_size["width"], (page.url, width, wide)
    ring = page.evaluate(
        """() => { const a = document.querySelector('main a, main button'); a.focus();
        const s = getComputedStyle(a); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""
    )
    assert ring, page.url


def _sign_in_and_wait(page: Any, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")


@pytest.mark.parametrize("session_screen", SESSION_SCREENS, indirect=True)
def test_move_duplicate_and_cancel_an_announced_session(
    session_screen: Any, live: tuple[str, Flask], redis_conn: redis.Redis, standin: StandinState
) -> None:
    from datetime import datetime, timedelta

    from samen_sms.announce import sessions as infosessions
    from samen_sms.console import audit
    from samen_sms.core.quiet import AMSTERDAM
    from tests.conftest import PUBLIC_URL, inbound, sign

    base, app = live
    page = session_screen
    rt = app.extensions["samen"]
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    pipe = redis_conn.pipeline()
    alice = subscriptions.Subscriber("NL", "nl", Channel.SMS, 1, "d", sealed)
    subscriptions.subscribe(pipe, rt.keys.pseudonym(ALICE), alice)
    pipe.execute()
    starts = (datetime.now(AMSTERDAM) + timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    first = _add_session(app, starts)
    gone = _add_session(app, datetime.now(AMSTERDAM) + timedelta(hours=6))
    session = infosessions.get(redis_conn, gone)
    assert session is not None
    # A session that has taken place (its start put in the past, as time would).
    past = infosessions.InfoSession(**{**session.__dict__, "starts": time.time() - 86400})
    pipe = redis_conn.pipeline()
    infosessions.replace(past, pipe)
    pipe.execute()
    secret = make_staff(app, "cor@example.org", "coordinator")
    _sign_in_and_wait(page, base, "cor@example.org", secret)

    # Announce it, and Alice says yes.
    page.goto(f"{base}/console/sessions/{first}")
    page.get_by_role("link", name="Announce…").click()
    page.get_by_role("button", name="Yes, announce it now").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    _work_now(app)
    params = inbound(ALICE, "Ja, ik kom!")
    client = app.test_client()
    signature = sign(PUBLIC_URL + "/twilio/inbound", params)
    client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature})
    _work_now(app)
    assert sent_to(standin, ALICE)[-1].startswith("Dank je. We sturen je voor de bijeenkomst een herinnering.")

    # Move it: a day later, another place. The form says who will be told.
    page.goto(f"{base}/console/sessions/{first}")
    _measured(page)
    page.get_by_role("link", name="Edit or move").click()
    assert "People who said they would come: <5" in page.locator("#change-note").inner_text()
    _measured(page)
    page.get_by_label("Starts (Amsterdam time)").fill((starts + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place (address)").fill("Wijkcentrum De Brug, Utrecht")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    _work_now(app)
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
    _measured(page)
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
    _measured(page)
    page.get_by_role("button", name="Yes, cancel the session").click()
    page.wait_for_url(f"{base}/console/sessions/{first}")
    assert "(cancelled)" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("link", name="Edit or move").count() == 0
    _work_now(app)
    cancelled = sent_to(standin, ALICE)[-1]
    assert cancelled.startswith("Gaat niet door: Gezondheid in Nederland") and "112" in cancelled
    assert len(sent_to(standin, ALICE)) == 4  # announcement, thanks, move, cancellation

    # The list: upcoming (the copy, the cancelled one marked) and past.
    page.goto(f"{base}/console/sessions")
    _measured(page)
    upcoming = page.get_by_role("table", name="Upcoming sessions, soonest first").inner_text()
    assert "(cancelled)" in upcoming and f"\n{copy_id}\t" in f"\n{upcoming}"
    assert "Health in the Netherlands" in page.get_by_role("table", name="Past sessions, latest first").inner_text()
    actions = [(e.action, e.target) for e in audit.recent(redis_conn)]
    assert ("session moved, notice to those coming", f"#{first}") in actions
    assert ("session cancelled, notice to those coming", f"#{first}") in actions
    assert (f"session created as a copy of #{first}", f"#{copy_id}") in actions

# Every console page a role can open, found in the app's url_map (so a new page is crawled without
# being named here); files (.json, .po, .toml, .csv) and POST-only routes are not pages.
NOT_PAGES = (".json", ".po", ".toml", ".csv")
# Pages that open on a query (a message to edit): endpoint -> its query.
QUERIES = {"console.review_edit": {"key": "help_now.body"}}

# A focus indicator measured on the element the keyboard reached: its outline (or box-shadow) colour
# against the background behind it, WCAG's relative luminance (1.4.11 asks 3:1).
FOCUS_CHECK = """() => {
  const lum = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,\\/]+/).map(Number);
    if (a === 0) return null;
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (lum(c) !== null) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const reachable = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const focusable = [...document.querySelectorAll(reachable)]
    .filter((e) => !e.disabled && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden');
  const bad = [];
  for (const el of focusable) {
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    let colour = null;
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) colour = s.outlineColor;
    else if (s.boxShadow && s.boxShadow !== 'none') colour = (s.boxShadow.match(/rgba?\\([^)]+\\)/) || [null])[0];
    const label = (el.innerText || el.value || el.name || '').trim().slice(0, 30);
    const name = el.tagName.toLowerCase() + ' "' + label + '"';
    if (!colour) { bad.push(name + ': no focus indicator'); continue; }
    const r = ratio(colour, behind(el));
    if (r < 3) bad.push(name + ': focus ' + colour + ' on ' + behind(el) + ' is ' + r.toFixed(1) + ':1');
  }
  return [focusable.length, bad];
}"""


WIDER = """(screen) => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > screen + 1 && !e.closest('.scroll'))
  .slice(0, 3)
  .map((e) => e.tagName.toLowerCase() + '.' + e.className + ' to ' + Math.round(e.getBoundingClientRect().right))"""


def console_pages(app: Flask, values: dict[str, str]) -> list[str]:
    """The console's GET pages from the url_map, their arguments filled from `values`."""
    with app.test_request_context():
        from flask import url_for

        found = []
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("console.") or rule.endpoint == "console.static":
                continue
            if "GET" not in (rule.methods or ()) or rule.rule.endswith(NOT_PAGES):
                continue
            missing = [a for a in rule.arguments if a not in values]
            assert not missing, f"{rule.rule}: give the crawl a value for {missing}"
            query = QUERIES.get(rule.endpoint, {})
            found.append(url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}, **query))
        return sorted(set(found))


def looks_right(tab: Any) -> list[str]:
    """What is wrong with the page in this window: wider than the window, a focus one cannot see."""
    tab.wait_for_load_state()
    # Against the screen, not innerWidth: a phone widens its layout viewport to a page that overflows.
    wide, window = tab.evaluate("[document.documentElement.scrollWidth, Math.min(window.innerWidth, screen.width)]")
    wrong = [f"{wide} px wide on a {window} px screen"] if wide > window else []
    if wrong:  # which elements stick out, to say where to look
        wrong += tab.evaluate(WIDER, window)
    tab.keyboard.press("Tab")  # keyboard modality: what follows is focus as a keyboard user sees it
    count, bad = tab.evaluate(FOCUS_CHECK)
    return wrong + bad + ([] if count else ["nothing to reach with the keyboard"])


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_page_each_role_can_open_fits_the_screen_and_shows_focus(
    browser: Any, live: tuple[str, Flask], redis_conn: redis.Redis, size: tuple[int, int]
) -> None:
    base, app = live
    mine = reach_figures(app, redis_conn)
    coordinator = staff_client(app, "crawl-c@example.org", "coordinator")
    from tests.test_console_pages import GOOD

    saved = coordinator.post(
        "/console/sessions/new", data={**GOOD, "action": "save", "csrf_token": csrf(coordinator, "/console/drafts")}
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    session_id = saved.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    token = store(app).add("new@example.org", "coordinator", None)
    # A conversation waiting for a helper who takes Arabic (the hand-over), for its page.
    rt = app.extensions["samen"]
    conv = records.new_id()
    pipe = redis_conn.pipeline()
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    p = rt.keys.pseudonym(ALICE)
    records.open_on(pipe, conv, p, sealed, Channel.SMS, "ar", "", Times.ANY, True, 3600, time.time())
    pipe.execute()
    values = {"code": mine, "session_id": session_id, "locale": "ar", "token": token, "conv_id": conv}
    pages = console_pages(app, values)
    assert f"/console/mediators/{mine}/poster" in pages and "/console/" in pages
    problems: dict[str, list[str]] = {}
    opened: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    roles = [("admin", None), ("coordinator", None), ("mediator", mine), ("helper", mine)]
    viewport = {"width": size[0], "height": size[1]}
    context = browser.new_context(viewport=viewport, locale="en-GB", is_mobile=size[0] < 500)
    try:
        tab = context.new_page()
        for path in (p for p in pages if "/welcome/" in p or p.endswith("/sign-in")):
            tab.goto(base + path)
            problems.update({f"anyone {path}": bad for bad in [looks_right(tab)] if bad})
        for role, code_ in roles:
            email = f"crawl-{role}@example.org"
            if role == "helper":  # a mediator of an Arabic-speaking organisation who takes conversations
                secret = make_staff(app, email, "mediator", code_)
                store(app).grant_helper(email, ["ar"], [], "", frozenset(rt.content.flow.languages))
            else:
                secret = make_staff(app, email, role, code_)
            context.clear_cookies()
            sign_in(tab, base, email, secret)
            tab.wait_for_load_state()
            for path in pages:
                if "/welcome/" in path or path.endswith("/sign-in"):
                    continue
                response = tab.goto(base + path)
                if response.status == 403:
                    continue
                assert response.status == 200, f"{role} {path}: {response.status}"
                opened[role] = opened.get(role, 0) + 1
                seen.add((role, path))
                bad = looks_right(tab)
                if bad:
                    problems[f"{role} {path}"] = bad
    finally:
        context.close()
    assert opened.get("mediator", 0) >= 4 and opened.get("admin", 0) > opened.get("coordinator", 0), opened
    assert ("helper", f"/console/conversations/{conv}") in seen, "the helper never saw the conversation's page"
    assert not problems, "\n".join(f"{page}: {'; '.join(bad[:4])}" for page, bad in problems.items())


def test_a_mediator_s_phone_page_and_her_poster(browser: Any, live: tuple[str, Flask], redis_conn: redis.Redis) -> None:
    base, app = live
    mine = reach_figures(app, redis_conn)  # an organisation working in Arabic and Tigrinya
    secret = make_staff(app, "med@example.org", "mediator", mine)
    tab = signed_in_tab(browser, base, "med@example.org", secret, (390, 844))
    try:
        tab.wait_for_url(f"{base}/console/mediators/{mine}")
        fits(tab)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        arabic = tab.locator('section.card[lang="ar"]')
        # The link as people read it (an Arabic hello), its href still encoded; a share intent; a copy button.
        shown = arabic.locator("a.url")
        assert "مرحبا" in shown.inner_text() and "%D9" in (shown.get_attribute("href") or "")
        share = arabic.get_by_role("link", name="Share on WhatsApp").get_attribute("href") or ""
        assert share.startswith("https://wa.me/?text=") and mine in share
        assert arabic.get_by_role("button", name="Copy the text").is_visible()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(Path(SHOTS) / "mediator-phone.png"), full_page=True)
        # Weeks as people say them, not 2026-W50.
        assert tab.get_by_role("cell", name=re.compile(r"^week of \d{1,2} [A-Z][a-z]+$")).count() == WEEKS_SHOWN
        assert tab.get_by_text(re.compile(r"\d{4}-W\d\d")).count() == 0
        # Tigrinya in the self-hosted Ethiopic font, not boxes.
        assert tab.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"SAMEN Sans\"', 'ሰላም'))")
        assert tab.evaluate(
            "[...document.fonts].some(f => f.family.includes('SAMEN Sans') && f.status === 'loaded'"
            " && f.unicodeRange.includes('U+1200'))"
        )
        tab.get_by_role("link", name="Poster (print)").click()
        tab.wait_for_url(f"{base}/console/mediators/{mine}/poster")
        assert tab.get_by_role("heading", level=1).inner_text().startswith("Questions about health and safety?")
        assert tab.get_by_text("Scan to open WhatsApp").is_visible()
        number = tab.locator(".number").inner_text()
        assert "+44 7700 900" in number and "+447700900" not in number  # as people write it
        line = tab.locator('.line[lang="ar"]')
        assert line.locator('bdi[dir="ltr"]').first.inner_text().startswith("+44 7700 900")
        assert "%D9" not in line.inner_text() and "مرحبا" in line.inner_text()
        assert tab.get_by_role("button", name="Print").is_visible()
        if SHOTS:  # the poster as printed on A4 (794 x 1123 CSS pixels)
            tab.set_viewport_size({"width": 794, "height": 1123})
            tab.emulate_media(media="print")
            tab.screenshot(path=str(Path(SHOTS) / "poster-a4.png"))
            tab.emulate_media(media="screen")
            tab.set_viewport_size({"width": 390, "height": 844})
        tab.get_by_role("link", name="A5").click()
        tab.wait_for_url(re.compile(r"size=a5"))
        assert tab.locator("body.poster.a5").count() == 1
        fits(tab)
    finally:
        tab.context.close()


WEEKS_SHOWN = 12
