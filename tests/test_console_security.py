"""The console's defences: CSRF on every form, roles on every page, strict headers, escaped operator text."""

from __future__ import annotations

import re

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.announce import subscriptions
from samen_sms.app import create_app
from samen_sms.console import audit
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from tests.conftest import ALICE
from tests.console_support import CLINIC, code, csrf, make_staff, sign_in, staff_client

PAGES = [
    "/console/",
    "/console/sessions",
    "/console/sessions/new",
    "/console/drafts",
    "/console/mediators",
    "/console/directory",
    "/console/content",
    "/console/review",
    "/console/review/nl",
    "/console/review/nl/edit?key=help_now.body",
    "/console/simulator",
    "/console/audit",
    "/console/accounts",
]
ALLOWED = {
    "admin": set(PAGES),
    "coordinator": set(PAGES) - {"/console/audit", "/console/accounts"},
    # Mediators review translations (they are the native speakers); approving is an admin's.
    "mediator": {"/console/drafts", "/console/mediators", "/console/simulator", "/console/review", "/console/review/nl",
                 "/console/review/nl/edit?key=help_now.body"},
}


@pytest.mark.parametrize("role", ["admin", "coordinator", "mediator"])
def test_every_page_checks_the_role_on_the_server(app: Flask, role: str) -> None:
    client = staff_client(app, f"{role}@example.org", role, "M1" if role == "mediator" else None)
    for path in PAGES:
        status = client.get(path).status_code
        assert status == (200 if path in ALLOWED[role] else 403), (role, path, status)


def test_a_mediator_can_change_nothing_of_sessions_directory_or_accounts(app: Flask) -> None:
    client = staff_client(app, "med@example.org", "mediator", "M2")
    token = csrf(client, "/console/simulator")
    for path in (
        "/console/sessions/new",
        "/console/sessions/1/announce",
        "/console/directory/entry",
        "/console/directory/veilig_thuis/verified",
        "/console/accounts",
    ):
        assert client.post(path, data={"csrf_token": token, "action": "save"}).status_code == 403, path


def test_signed_out_people_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 302 and "/console/sign-in" in page.headers["Location"]


def test_a_form_without_or_with_a_wrong_csrf_token_gets_400(app: Flask) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    for data in ({}, {"csrf_token": "forged"}):
        page = client.post("/console/sessions/new", data={**data, "action": "save"})
        assert page.status_code == 400 and "security token" in page.get_data(as_text=True)
    fresh = app.test_client()
    assert fresh.post("/console/sign-in", data={"email": "c@example.org"}).status_code == 400


def test_headers_and_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    secret = make_staff(app, "h@example.org", "admin")
    token = csrf(client)
    signed = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token,
            "email": "h@example.org",
            "password": "lantern-orchard-47-quietly",
            "code": code(secret),
        },
    )
    cookie = signed.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    for path in ("/console/", "/console/sign-in", "/console/static/console.css", "/console/nowhere"):
        response = client.get(path)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/console/").get_data(as_text=True)
    assert "<script>" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\sstyle=", page) and not re.search(r"\son[a-z]+=", page)


def test_the_twilio_webhooks_need_no_console_token(app: Flask) -> None:
    # CSRF belongs to the console's forms only: Twilio's signed posts are not forms of ours.
    page = app.test_client().post("/twilio/status", data={})
    assert page.status_code == 403  # the signature check answers, not CSRF


XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"'


def test_operator_text_is_escaped_everywhere_it_is_shown(app: Flask, redis_conn: redis.Redis) -> None:
    client = staff_client(app, "x@example.org", "admin")
    token = csrf(client, "/console/sessions/new")
    form = {
        "csrf_token": token,
        "action": "save",
        "title_en": "Evening " + XSS,
        "title_nl": "Avond " + XSS,
        "description_en": XSS,
        "starts": "2099-05-01T19:00",
        "place": "Hall " + XSS,
        "host": "Host " + XSS,
        "languages": ["nl", "en"],
        "regions": "NL",
    }
    saved = client.post("/console/sessions/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    entry = {**CLINIC, "csrf_token": token, "id": "local_x", "name": "Clinic " + XSS, "source": "https://example.org/x"}
    assert client.post("/console/directory/entry", data=entry).status_code == 302
    client.post("/console/simulator", data={"csrf_token": token, "text": XSS, "channel": "sms"})
    audit.record(redis_conn, XSS, "sign-in failed")
    draft = {**form, "action": "save"}
    client.post("/console/drafts", data=draft)
    for path in (
        "/console/",
        "/console/sessions",
        "/console/sessions/1",
        "/console/sessions/1/announce",
        "/console/sessions/1/edit",
        "/console/directory",
        "/console/simulator",
        "/console/audit",
        "/console/drafts",
        "/console/directory/entry?edit=local_x",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/console/sessions/1").get_data(as_text=True)


def test_the_console_never_shows_a_number_or_a_pseudonym(app: Flask, redis_conn: redis.Redis) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    pipe = redis_conn.pipeline()
    subscriptions.subscribe(pipe, p, subscriptions.Subscriber("NL", "ar", Channel.SMS, 1, "d", sealed))
    pipe.execute()
    client = staff_client(app, "n@example.org", "admin")
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert ALICE not in page and ALICE[1:] not in page and p not in page and sealed not in page, path
    assert sign_in(app.test_client(), "n@example.org", "A" * 32) == 401


def test_production_sends_hsts_on_console_and_webhook_answers_and_development_does_not(
    app: Flask, client: FlaskClient, redis_server: str, standin_server: tuple[str, object]
) -> None:
    from tests.conftest import test_env  # imported here: at module level pytest would collect it as a test

    for answer in (client.get("/console/sign-in"), client.post("/twilio/inbound", data={}), client.get("/healthz")):
        assert answer.headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    development = Config.from_env(test_env(redis_server, standin_server[0], SAMEN_ENV="development"))
    local = create_app({"TESTING": True}, config=development).test_client()
    assert "Strict-Transport-Security" not in local.get("/console/sign-in").headers
