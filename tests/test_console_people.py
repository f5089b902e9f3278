"""The console's people and figures without a shell: funder reports (CSV and print), accounts invited
and disabled, mediators added, edited and retired with their account, forms and refusals in plain words."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import redis
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.console import audit
from samen_sms.core import tally
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.reach import mediators as registry
from tests.console_support import csrf, live_code, staff_client, store


def _count(conn: redis.Redis, day: date, fields: list[str], times: int) -> None:
    pipe = conn.pipeline(transaction=False)
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM).timestamp()
    for _ in range(times):
        tally.count(pipe, fields, moment)
    pipe.execute()


def _seed_two_months(conn: redis.Redis) -> None:
    # November: 30 first contacts in Dutch by SMS, 8 in Arabic by WhatsApp, 3 in Tigrinya by SMS;
    # December: 12 in Dutch by WhatsApp.
    _count(conn, date(2026, 11, 4), ["first:sms", "language:nl"], 30)
    _count(conn, date(2026, 11, 5), ["first:whatsapp", "language:ar"], 8)
    _count(conn, date(2026, 11, 6), ["first:sms", "language:ti"], 3)
    _count(conn, date(2026, 12, 2), ["first:whatsapp", "language:nl"], 12)


def test_a_funder_report_as_csv_shows_months_languages_and_channels_with_small_numbers_hidden(
    app: Flask, redis_conn: redis.Redis
) -> None:
    _seed_two_months(redis_conn)
    client = staff_client(app, "cor@example.org", "coordinator")
    got = client.get("/console/reports/figures.csv?from=2026-11-01&to=2026-12-31")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert 'filename="samen-figures-2026-11-01-2026-12-31.csv"' in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert rows[0] == ["from", "to", "breakdown", "month", "value", "figure", "count"]
    cell = {(r[2], r[3], r[4], r[5]): r[6] for r in rows[1:] if len(r) == 7}
    # The plain figures by month: what a funder would quote.
    assert cell[("all", "2026-11", "all", "first")] == "41"
    assert cell[("all", "2026-12", "all", "first")] == "12"
    assert cell[("all", "total", "all", "first")] == "53"
    assert cell[("channel", "2026-11", "SMS", "first")] == "33"
    assert cell[("channel", "total", "WhatsApp", "first")] == "20"
    # Three Tigrinya choices are <5; Arabic is hidden too, or 41 - 30 - 8 would give the 3 back.
    assert cell[("language", "2026-11", "ትግርኛ", "chosen")] == "<5"
    assert cell[("language", "2026-11", "العربية", "chosen")] == "*"
    assert cell[("language", "2026-11", "Nederlands", "chosen")] == "30"
    assert cell[("language", "total", "all", "chosen")] == "53"
    assert ("code", "total", "all", "people") in cell
    assert rows[-1][0].startswith("<5: a count from 1 to 4, hidden.")
    logged = audit.recent(redis_conn, 5)
    assert ("cor@example.org", "report downloaded", "2026-11-01 to 2026-12-31") in [
        (e.actor, e.action, e.target) for e in logged
    ]


def test_the_printable_report_shows_the_same_cells_and_refuses_dates_in_plain_words(
    app: Flask, redis_conn: redis.Redis
) -> None:
    _seed_two_months(redis_conn)
    client = staff_client(app, "cor@example.org", "coordinator")
    page = client.get("/console/reports/print?from=2026-11-01&to=2026-12-31").get_data(as_text=True)
    assert "figures from 2026-11-01 to 2026-12-31" in page
    assert "<td>ትግርኛ</td><td>&lt;5</td>" in page and "<td>العربية</td><td>*</td>" in page
    assert '<th scope="row">November 2026</th><td>41</td>' in page
    assert '<th scope="col">Conversations with a code</th>' in page
    backwards = client.get("/console/reports/print?from=2026-12-31&to=2026-11-01&lang=nl")
    assert backwards.status_code == 400
    assert "De eerste dag ligt na de laatste dag." in backwards.get_data(as_text=True)
    too_long = client.get("/console/reports/figures.csv?from=2025-01-01&to=2026-12-31")
    assert too_long.status_code == 400
    assert "400" in too_long.get_data(as_text=True)
    mediator = staff_client(app, "med@example.org", "mediator", "AMS02")
    assert mediator.get("/console/reports/figures.csv?from=2026-11-01&to=2026-12-31").status_code == 403
    assert client.get("/console/reports").status_code == 200


def _invite(client: FlaskClient, **fields: str) -> tuple[int, str]:
    data = {"csrf_token": csrf(client, "/console/accounts"), **fields}
    got = client.post("/console/accounts/invite", data=data)
    return got.status_code, got.get_data(as_text=True)


def test_an_admin_invites_accounts_in_the_browser_and_disables_one_only_after_confirming(
    app: Flask, redis_conn: redis.Redis
) -> None:
    admin = staff_client(app, "boss@example.org", "admin")
    status, page = _invite(admin, email="Nieuw@Example.org", role="coordinator")
    assert status == 200
    link = re.search(r'id="new-link" value="([^"]+)"', page)
    assert link and "/console/welcome/" in link.group(1)
    token = link.group(1).rsplit("/", 1)[1]
    assert app.test_client().get(f"/console/welcome/{token}").status_code == 200
    assert store(app).get("nieuw@example.org").role.value == "coordinator"  # type: ignore[union-attr]
    # Shown once: the accounts page does not show it again.
    assert token not in admin.get("/console/accounts").get_data(as_text=True)
    # Faults in plain words, in the console's language, the form kept.
    admin.get("/console/accounts?lang=nl")
    status, page = _invite(admin, email="nieuw@example.org", role="coordinator")
    assert status == 422 and "Er is al een account voor dit e-mailadres" in page
    status, page = _invite(admin, email="med@example.org", role="mediator")
    assert status == 422 and "Kies de code van de mediator of organisatie" in page
    assert store(app).get("med@example.org") is None
    live_code(app, "AMS02")
    status, page = _invite(admin, email="med@example.org", role="mediator", mediator="AMS02")
    assert status == 200 and store(app).get("med@example.org").mediator == "AMS02"  # type: ignore[union-attr]
    # Disable asks first; nothing happens until the second step.
    data = {"csrf_token": csrf(admin, "/console/accounts"), "email": "nieuw@example.org", "action": "disable"}
    asked = admin.post("/console/accounts", data=data)
    assert asked.status_code == 200 and "nieuw@example.org uitschakelen?" in asked.get_data(as_text=True)
    assert not store(app).get("nieuw@example.org").disabled  # type: ignore[union-attr]
    assert admin.post("/console/accounts", data={**data, "confirm": "yes"}).status_code == 200
    assert store(app).get("nieuw@example.org").disabled  # type: ignore[union-attr]
    logged = [(e.actor, e.action, e.target) for e in audit.recent(redis_conn, 10)]
    assert ("boss@example.org", "account invited", "nieuw@example.org (coordinator)") in logged
    assert ("boss@example.org", "account invited", "med@example.org (mediator AMS02)") in logged
    assert ("boss@example.org", "account disable", "nieuw@example.org") in logged


def test_a_coordinator_adds_changes_and_retires_a_mediator_with_their_account_in_one_flow(
    app: Flask, redis_conn: redis.Redis
) -> None:
    coordinator = staff_client(app, "cor@example.org", "coordinator")
    token = csrf(coordinator, "/console/mediators/new")
    # Faults named at their field, in plain words; nothing registered.
    bad = coordinator.post("/console/mediators/new", data={"csrf_token": token, "name": "", "regions": "Atlantis"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Type the name of the mediator or organisation." in text
    assert "Choose at least one language they work in." in text
    assert "We do not know “Atlantis”" in text and "field '" not in text
    assert registry.all_mediators(redis_conn) == []
    data = {"csrf_token": token, "name": "Stichting Voorbeeld", "languages": ["ar", "ti"], "regions": "Amsterdam, VR13",
            "email": "Amal@Example.org"}
    added = coordinator.post("/console/mediators/new", data=data)
    page = added.get_data(as_text=True)
    assert added.status_code == 200
    [mediator] = registry.all_mediators(redis_conn)
    assert mediator.live and mediator.languages == ["ar", "ti"] and mediator.regions == ["VR13"]
    assert f"Stichting Voorbeeld has the code {mediator.code}" in page
    link = re.search(r'id="new-link" value="[^"]+/console/welcome/([^"]+)"', page)
    assert link and app.test_client().get(f"/console/welcome/{link.group(1)}").status_code == 200
    account = store(app).get("amal@example.org")
    assert account is not None and account.role.value == "mediator" and account.mediator == mediator.code
    # Change the name and languages; the code stays.
    edit = {"csrf_token": token, "name": "Stichting Voorbeeld Oost", "languages": ["ar"], "regions": "NL"}
    assert coordinator.post(f"/console/mediators/{mediator.code}/edit", data=edit).status_code == 302
    changed = registry.get(redis_conn, mediator.code)
    assert changed and changed.name == "Stichting Voorbeeld Oost" and changed.languages == ["ar"]
    assert changed.regions == ["NL"]
    # Retiring asks first, then stops the code and disables its account.
    asked = coordinator.post(f"/console/mediators/{mediator.code}/retire", data={"csrf_token": token})
    assert asked.status_code == 200 and "amal@example.org" in asked.get_data(as_text=True)
    assert registry.is_live(redis_conn, mediator.code)
    done = coordinator.post(f"/console/mediators/{mediator.code}/retire", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302
    assert not registry.is_live(redis_conn, mediator.code)
    assert store(app).get("amal@example.org").disabled  # type: ignore[union-attr]
    logged = [(e.action, e.target) for e in audit.recent(redis_conn, 10)]
    for entry in [("mediator added", f"{mediator.code} (Stichting Voorbeeld)"),
                  ("account invited", f"amal@example.org (mediator {mediator.code})"),
                  ("mediator changed", f"{mediator.code} (Stichting Voorbeeld Oost)"),
                  ("mediator retired", f"{mediator.code} (Stichting Voorbeeld Oost)"),
                  ("account disable", "amal@example.org")]:
        assert entry in logged, logged
    # A mediator may not manage codes, not even their own.
    own = staff_client(app, "med@example.org", "mediator", "AMS02")
    assert own.get("/console/mediators/new").status_code == 403
    assert own.get("/console/mediators/AMS02/edit").status_code == 403


SESSION = {
    "title_en": "Health and safety in the Netherlands",
    "title_ar": "الصحة والأمان في هولندا",
    "description_en": "With a GP. Free.",
    "starts": "2099-01-14T14:00",
    "place": "Buurthuis De Pijp, Amsterdam",
    "host": "Stichting Voorbeeld",
    "languages": ["ar", "en"],
    "regions": "Amsterdam",
}


def _session_error(client: FlaskClient, field: str, **changes: str) -> str:
    data = {**SESSION, **changes, "action": "save", "csrf_token": csrf(client, "/console/drafts")}
    got = client.post("/console/sessions/new", data=data)
    found = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', got.get_data(as_text=True))
    return found.group(1) if found else ""


def test_a_too_long_arabic_description_says_by_how_many_characters_to_shorten_it_and_that_is_enough(
    anytime_app: Flask,
) -> None:
    client = staff_client(anytime_app, "c@example.org", "coordinator")
    long = ("مع طبيب عام، مجاناً. " * 20).strip()
    said = _session_error(client, "description_ar", description_ar=long)
    too_long = r"The announcement in العربية is too long for (\d) text messages: shorten it by (\d+) characters?\."
    found = re.fullmatch(too_long, said)
    assert found, said
    over = int(found.group(2))
    # Shorter by exactly that many characters, the same session is taken; one fewer is still too long.
    assert _session_error(client, "description_ar", description_ar=long[: len(long) - over]) == ""
    one_more = _session_error(client, "description_ar", description_ar=long[: len(long) - over + 1])
    assert one_more.endswith("shorten it by 1 character.")
    # In the Dutch console, in Dutch; no field names and no encodings.
    client.get("/console/drafts?lang=nl")
    dutch = _session_error(client, "description_ar", description_ar=long)
    assert dutch.startswith("De aankondiging (العربية) is te lang voor") and "UCS-2" not in dutch
    assert _session_error(client, "host", host="") == "Vul de organisator in: de organisatie die de bijeenkomst houdt."
    assert _session_error(client, "starts", starts="2020-01-01T10:00").startswith("Het begin ligt in het verleden")


def test_a_mediator_kept_out_of_a_page_reads_why_in_dutch_and_is_led_back_to_their_own_page(app: Flask) -> None:
    mediator = staff_client(app, "med@example.org", "mediator", "AMS02")
    mediator.get("/console/mediators?lang=nl")
    refused = mediator.get("/console/")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "Niet voor jouw rol" in page and "Jouw rol mag deze pagina niet openen." in page
    back = re.search(r'<a href="([^"]+)">Terug naar je startpagina</a>', page)
    assert back and back.group(1) == "/console/mediators"
    assert mediator.get(back.group(1), follow_redirects=True).status_code == 200


def test_an_admin_invites_a_helper_with_their_languages_and_the_list_names_the_permission(
    app: Flask, redis_conn: redis.Redis
) -> None:
    admin = staff_client(app, "boss@example.org", "admin")
    # The helper permission comes with its languages (and, without a mediator code, an organisation).
    status, page = _invite(admin, email="helper@example.org", role="coordinator", permissions="helper")
    assert status == 422 and "A helper needs the languages they write in" in page
    assert store(app).get("helper@example.org") is None
    status, page = _invite(
        admin, email="helper@example.org", role="coordinator", permissions="helper", languages="ar,fa",
        org="Stichting Voorbeeld",
    )
    assert status == 200
    made = store(app).get("helper@example.org")
    assert made is not None and made.helper is not None
    assert (made.helper.locales, made.helper.org, made.permissions) == (
        ("ar", "fa"), "Stichting Voorbeeld", frozenset({"helper"})
    )
    listed = admin.get("/console/accounts").get_data(as_text=True)
    assert "Coordinator, Helper" in listed
    logged = [(e.actor, e.action, e.target) for e in audit.recent(redis_conn, 10)]
    assert ("boss@example.org", "account invited", "helper@example.org (coordinator helper)") in logged
    # Taken away on the same page, the list no longer names it.
    data = {"csrf_token": csrf(admin, "/console/accounts"), "email": "helper@example.org", "action": "helper-remove"}
    assert admin.post("/console/accounts", data=data).status_code == 200
    assert store(app).get("helper@example.org").permissions == frozenset()  # type: ignore[union-attr]
    assert "Coordinator, Helper" not in admin.get("/console/accounts").get_data(as_text=True)
