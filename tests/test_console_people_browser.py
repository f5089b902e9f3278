"""A coordinator's and an admin's jobs in a real browser (Playwright on Debian's Chromium), on a laptop
(1366 x 768) and a phone (390 x 844): invite and disable accounts, add, change and retire a mediator
with their account, read the overview, take a funder report, be refused in plain words; no page is
wider than the screen. Set SAMEN_SCREENSHOTS=docs/screenshots to keep the pages' pictures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from samen_sms.reach import mediators as registry
from tests.console_support import PASSWORD, code, make_staff, store

# The live server and the helpers of the console's first browser tests (skips without Chromium).
from tests.test_console_browser import live, reach_figures, shot  # noqa: F401

SCREENS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    """A tab of that size (a phone's is a mobile one), checked for CSP errors at the end."""
    name = request.param
    context = browser.new_context(viewport=SCREENS[name], is_mobile=name == "phone", locale="en-GB")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield name, tab
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def fits(page: Any) -> None:
    """The page is no wider than the screen (nothing to scroll sideways)."""
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{page.url} is {wide[0]} px wide on a {wide[1]} px screen"


def enter(page: Any, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/console/(mediators.*)?$"))


def test_an_admin_invites_a_coordinator_and_disables_an_account_after_confirming(
    screen: tuple[str, Any], live: tuple[str, Flask]  # noqa: F811
) -> None:
    size, page = screen
    base, app = live
    make_staff(app, "leaving@example.org", "coordinator")
    enter(page, base, "boss@example.org", make_staff(app, "boss@example.org", "admin"))
    page.goto(f"{base}/console/accounts")
    fits(page)
    assert page.get_by_text("flask --app app").count() == 0  # no shell needed any more
    page.get_by_label(re.compile(r"^E-mail")).fill("new@example.org")
    page.get_by_role("radio", name=re.compile("Coordinator")).check()
    page.get_by_role("button", name="Invite and make the link").click()
    link = page.get_by_label("Sign-in link")
    link.wait_for()
    assert "/console/welcome/" in link.input_value()
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    fits(page)
    shot(page, f"accounts-invited-{size}")
    page.get_by_role("button", name="Disable (leaving@example.org)").click()
    page.get_by_role("heading", name="Disable leaving@example.org?").wait_for()
    assert not store(app).get("leaving@example.org").disabled  # type: ignore[union-attr]
    fits(page)
    page.get_by_role("button", name="Yes, disable the account").click()
    page.get_by_role("row", name=re.compile("leaving@example.org.*disabled")).wait_for()
    assert store(app).get("leaving@example.org").disabled  # type: ignore[union-attr]
    assert store(app).get("new@example.org").role.value == "coordinator"  # type: ignore[union-attr]
    fits(page)


def test_a_coordinator_adds_changes_and_retires_a_mediator_with_their_account(
    screen: tuple[str, Any], live: tuple[str, Flask], redis_conn: redis.Redis  # noqa: F811
) -> None:
    size, page = screen
    base, app = live
    enter(page, base, "cor@example.org", make_staff(app, "cor@example.org", "coordinator"))
    page.goto(f"{base}/console/mediators")
    page.get_by_role("link", name="Add a mediator or organisation").click()
    fits(page)
    # Nothing filled in: each field says what to do, in plain words.
    page.get_by_role("button", name="Add and make the code").click()
    page.get_by_text("Type the name of the mediator or organisation.").first.wait_for()
    assert page.get_by_text("field '").count() == 0
    fits(page)
    page.get_by_label("Name of the mediator or organisation").fill("Stichting Voorbeeld")
    page.get_by_label("العربية").check()
    page.get_by_label("ትግርኛ").check()
    page.get_by_label("Where they work").fill("Amsterdam")
    page.get_by_label("E-mail for their console account (optional)").fill("amal@example.org")
    page.get_by_role("button", name="Add and make the code").click()
    page.get_by_role("heading", name=re.compile("Stichting Voorbeeld has the code")).wait_for()
    [added] = registry.all_mediators(redis_conn)
    assert "/console/welcome/" in page.get_by_label("Sign-in link").input_value()
    assert store(app).get("amal@example.org").mediator == added.code  # type: ignore[union-attr]
    fits(page)
    shot(page, f"mediator-added-{size}")
    page.get_by_role("link", name="Open their page").click()
    page.get_by_role("link", name="Change or retire").click()
    page.get_by_label("Name of the mediator or organisation").fill("Stichting Voorbeeld Oost")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/console/mediators/{added.code}")
    assert page.get_by_role("heading", name=re.compile("Stichting Voorbeeld Oost")).is_visible()
    page.get_by_role("link", name="Change or retire").click()
    page.get_by_role("button", name="Retire this code…").click()
    page.get_by_role("heading", name=re.compile(f"Retire {added.code}")).wait_for()
    assert registry.is_live(redis_conn, added.code)
    fits(page)
    page.get_by_role("button", name="Yes, retire the code").click()
    page.wait_for_url(f"{base}/console/mediators/{added.code}")
    assert not registry.is_live(redis_conn, added.code)
    assert store(app).get("amal@example.org").disabled  # type: ignore[union-attr]


def test_a_coordinator_reads_a_compact_overview_and_takes_a_funder_report(
    screen: tuple[str, Any], live: tuple[str, Flask], redis_conn: redis.Redis  # noqa: F811
) -> None:
    size, page = screen
    base, app = live
    reach_figures(app, redis_conn)
    enter(page, base, "cor@example.org", make_staff(app, "cor@example.org", "coordinator"))
    page.goto(f"{base}/console/")
    fits(page)
    text = page.locator("main").inner_text()
    assert "help_now" not in text and "UTC" not in text and "-W" not in text
    assert page.get_by_role("heading", name="First contacts by channel").count() == 1
    height = page.evaluate("() => document.documentElement.scrollHeight")
    # It was 2,800 px on a laptop and 6,000 on a phone.
    assert height <= (1700 if size == "laptop" else 3600), height
    shot(page, f"overview-{size}")
    page.get_by_role("link", name="7 days").click()
    page.wait_for_url(re.compile(r".*window=7"))
    fits(page)
    page.get_by_role("link", name="Reports for funders").click()
    fits(page)
    page.get_by_label("First day").fill("2026-11-01")
    page.get_by_label("Last day").fill("2026-12-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV").click()
    saved = download.value
    assert saved.suggested_filename == "samen-figures-2026-11-01-2026-12-31.csv"
    page.get_by_role("button", name="Show the report to print").click()
    page.get_by_role("heading", name=re.compile("figures from 2026-11-01 to 2026-12-31")).wait_for()
    assert page.get_by_role("heading", name="By mediator or organisation code").is_visible()
    fits(page)
    shot(page, f"report-{size}")


def test_a_mediator_kept_out_reads_why_in_dutch_and_goes_back_to_their_page(
    screen: tuple[str, Any], live: tuple[str, Flask], redis_conn: redis.Redis  # noqa: F811
) -> None:
    _size, page = screen
    base, app = live
    mine = reach_figures(app, redis_conn)
    enter(page, base, "med@example.org", make_staff(app, "med@example.org", "mediator", mine))
    page.goto(f"{base}/console/mediators/{mine}?lang=nl")
    response = page.goto(f"{base}/console/")
    assert response.status == 403
    assert page.get_by_role("heading", name=re.compile("Niet voor jouw rol")).is_visible()
    assert page.get_by_text("Jouw rol mag deze pagina niet openen.").is_visible()
    fits(page)
    page.get_by_role("link", name="Terug naar je startpagina").click()
    page.wait_for_url(f"{base}/console/mediators/{mine}")


def test_verified_today_asks_first(screen: tuple[str, Any], live: tuple[str, Flask]) -> None:  # noqa: F811
    _size, page = screen
    base, app = live
    enter(page, base, "cor@example.org", make_staff(app, "cor@example.org", "coordinator"))
    page.goto(f"{base}/console/directory")
    page.get_by_role("button", name=re.compile("^Verified today")).first.click()
    page.get_by_role("heading", name=re.compile("^Did you check .* today\\?")).wait_for()
    fits(page)
    page.get_by_role("button", name="Yes, I checked it today").click()
    page.wait_for_url(f"{base}/console/directory")
