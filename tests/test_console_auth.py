"""The console's accounts and sign-in: one-time links, passwords, authenticator codes, throttling, audit."""

from __future__ import annotations

import re

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.app import create_app
from samen_sms.console import audit, throttle
from samen_sms.console import redis_keys as console_keys
from samen_sms.console.accounts import LINK_TTL
from samen_sms.console.passwords import weakness
from samen_sms.core.config import Config
from tests.console_support import PASSWORD, code, csrf, live_code, make_staff, sign_in, store


def _link_token(output: str) -> str:
    last = output.strip().splitlines()[-1]
    found = re.fullmatch(r"https://line\.example\.org/console/welcome/([A-Za-z0-9_-]+)", last)
    assert found, output
    return found.group(1)


def test_users_add_prints_a_one_time_link_that_sets_password_and_authenticator(
    app: Flask, client: FlaskClient, redis_conn: redis.Redis
) -> None:
    out = app.test_cli_runner().invoke(args=["users", "add", "Ana@Example.org", "--role", "coordinator"])
    assert out.exit_code == 0, out.output
    token = _link_token(out.output)
    link = console_keys.CONSOLE_LINK(__import__("hashlib").sha256(token.encode()).hexdigest())
    assert redis_conn.ttl(link) <= LINK_TTL
    page = client.get(f"/console/welcome/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "data:image/svg+xml;base64," in text
    found = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', text)
    assert found
    secret = found.group(1).replace(" ", "")  # shown in groups of four
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    # A short password is refused, naming the field, and nothing is used up.
    short = client.post(
        f"/console/welcome/{token}",
        data={"csrf_token": token_field, "password": "short", "again": "short", "code": code(secret)},
    )
    assert short.status_code == 200 and "Password: at least 12 characters" in short.get_data(as_text=True)
    done = client.post(
        f"/console/welcome/{token}",
        data={"csrf_token": token_field, "password": PASSWORD, "again": PASSWORD, "code": code(secret)},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200
    # Single use: the same link again is a clear page, nothing else.
    again = client.get(f"/console/welcome/{token}")
    assert again.status_code == 410 and "no longer valid" in again.get_data(as_text=True)
    assert "<form" not in again.get_data(as_text=True).split("<main")[1]
    listed = app.test_cli_runner().invoke(args=["users", "list"])
    assert "ana@example.org" in listed.output and "coordinator" in listed.output and "active" in listed.output


def test_an_expired_or_made_up_link_is_a_clear_page(app: Flask, client: FlaskClient, redis_conn: redis.Redis) -> None:
    token = store(app).add("old@example.org", "mediator", live_code(app, "M01"))
    for key in redis_conn.scan_iter(console_keys.CONSOLE_LINK("*")):
        redis_conn.delete(key)  # what 24 hours do
    for made_up in (token, "x" * 43, "nonsense"):
        page = client.get(f"/console/welcome/{made_up}")
        assert page.status_code == 410 and "expired" in page.get_data(as_text=True)


def test_sign_in_needs_password_and_code_and_answers_the_same_for_every_failure(
    app: Flask, client: FlaskClient
) -> None:
    secret = make_staff(app, "cor@example.org", "coordinator")
    answers = []
    for email, password, totp in (
        ("nobody@example.org", PASSWORD, code(secret)),
        ("cor@example.org", "wrong-password-entirely", code(secret)),
        ("cor@example.org", PASSWORD, "000000"),
    ):
        token = csrf(client)
        page = client.post(
            "/console/sign-in", data={"csrf_token": token, "email": email, "password": password, "code": totp}
        )
        answers.append(
            (page.status_code, re.search(r'<div class="alert".*?</div>', page.get_data(as_text=True), re.S).group(0))
        )  # type: ignore[union-attr]
    assert len(set(answers)) == 1 and answers[0][0] == 401
    assert client.get("/console/").status_code == 302
    assert sign_in(client, "cor@example.org", secret) == 302
    assert client.get("/console/").status_code == 200
    # The same code cannot be used twice (replay).
    other = app.test_client()
    assert sign_in(other, "cor@example.org", secret) == 401


def test_sign_in_is_throttled_per_account_and_per_address(app: Flask, redis_conn: redis.Redis) -> None:
    secret = make_staff(app, "t@example.org", "admin")
    client = app.test_client()
    for _ in range(throttle.PER_PAIR):
        assert sign_in(client, "t@example.org", secret, password="not-the-password-at-all") == 401
    # Now even the right password and code are refused, with the reason.
    token = csrf(client)
    page = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "email": "t@example.org", "password": PASSWORD, "code": code(secret)},
    )
    assert page.status_code == 429 and "Too many failed attempts" in page.get_data(as_text=True)
    # Per address: many accounts tried from one place.
    other = make_staff(app, "u@example.org", "admin")
    for n in range(throttle.PER_ADDRESS):
        sign_in(client, f"guess{n}@example.org", other)
    assert sign_in(client, "u@example.org", other) == 429
    # Keys are digests, never the address or the e-mail.
    names = b" ".join(redis_conn.keys(console_keys.CONSOLE_THROTTLE("*", "*")))
    assert b"example.org" not in names and b"127.0.0.1" not in names


def test_disabled_and_reset_accounts_are_signed_out_at_once(app: Flask) -> None:
    secret = make_staff(app, "m@example.org", "mediator", "M7")
    client = app.test_client()
    assert sign_in(client, "m@example.org", secret) == 302
    assert client.get("/console/simulator").status_code == 200
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "disable", "m@example.org"]).exit_code == 0
    assert client.get("/console/simulator").status_code == 302
    assert sign_in(client, "m@example.org", secret, ahead=1) == 401
    out = runner.invoke(args=["users", "reset", "m@example.org"])
    assert out.exit_code == 0 and _link_token(out.output)
    assert sign_in(client, "m@example.org", secret, ahead=1) == 401  # the old authenticator is gone


def test_users_commands_refuse_bad_input_with_the_reason(app: Flask) -> None:
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "add", "not-an-email", "--role", "admin"])
    assert bad.exit_code != 0 and "is not an e-mail address" in bad.output
    role = runner.invoke(args=["users", "add", "a@example.org", "--role", "king"])
    assert role.exit_code != 0 and "king" in role.output
    mediator = runner.invoke(args=["users", "add", "b@example.org", "--role", "mediator"])
    assert mediator.exit_code != 0 and "--mediator" in mediator.output
    assert runner.invoke(args=["users", "add", "c@example.org", "--role", "admin"]).exit_code == 0
    twice = runner.invoke(args=["users", "add", "C@example.org", "--role", "admin"])
    assert twice.exit_code != 0 and "exists already" in twice.output
    assert runner.invoke(args=["users", "disable", "nobody@example.org"]).exit_code != 0


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("short", True),
        ("password1234", True),
        ("Wachtwoord123!", True),
        ("aaaaaaaaaaaaaaaa", True),
        ("ana.devries-2026", True),
        ("lantern-orchard-47-quietly", False),
    ],
)
def test_passwords_are_long_and_not_common(password: str, refused: bool) -> None:
    assert (weakness(password, "ana.devries@example.org") is not None) is refused


def test_passwords_are_stored_as_argon2_and_secrets_sealed(app: Flask, redis_conn: redis.Redis) -> None:
    secret = make_staff(app, "h@example.org", "admin")
    stored = redis_conn.hgetall(console_keys.CONSOLE_ACCOUNT("h@example.org"))
    assert stored[b"password"].startswith(b"$argon2id$")
    assert PASSWORD.encode() not in b"".join(stored.values())
    assert secret.encode() not in b"".join(stored.values())


def test_the_audit_log_records_sign_ins_and_failures(app: Flask, client: FlaskClient, redis_conn: redis.Redis) -> None:
    secret = make_staff(app, "adm@example.org", "admin")
    sign_in(client, "adm@example.org", secret, password="not-the-password-at-all")
    sign_in(client, "adm@example.org", secret)
    actions = [(e.actor, e.action) for e in audit.recent(redis_conn)]
    assert ("adm@example.org", "signed in") in actions and ("adm@example.org", "sign-in failed") in actions
    page = client.get("/console/audit").get_data(as_text=True)
    assert "sign-in failed" in page


def test_the_audit_log_keeps_one_year(redis_conn: redis.Redis) -> None:
    import time

    old = int((time.time() - audit.KEEP - 3600) * 1000)
    redis_conn.xadd(console_keys.CONSOLE_AUDIT(), {"actor": "a", "action": "old", "target": ""}, id=f"{old}-0")
    audit.record(redis_conn, "b@example.org", "session created", "#1")
    assert [e.action for e in audit.recent(redis_conn)] == ["session created"]


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_an_authenticator_code_typed_in_arabic_or_persian_digits_is_read_as_its_digits(
    app: Flask, client: FlaskClient
) -> None:
    # A phone with an Arabic or Persian keyboard types ١٢٣٤٥٦; it was a 500 (a traceback) after the right password.
    secret = make_staff(app, "ar@example.org", "coordinator")
    typed = code(secret, ahead=1).translate(ARABIC_INDIC)
    page = client.post(
        "/console/sign-in",
        data={"csrf_token": csrf(client), "email": "ar@example.org", "password": PASSWORD, "code": typed},
    )
    assert page.status_code == 302 and client.get("/console/").status_code == 200
    # A wrong code in those digits is the usual answer, not an error page.
    other = app.test_client()
    wrong = other.post(
        "/console/sign-in",
        data={"csrf_token": csrf(other), "email": "ar@example.org", "password": PASSWORD, "code": "١٢٣٤٥٦"},
    )
    assert wrong.status_code == 401 and "E-mail, password or code is not right." in wrong.get_data(as_text=True)
    # The first sign-in link takes them too.
    token = store(app).add("fa@example.org", "mediator", live_code(app, "M02"))
    found = store(app).link(token)
    assert found is not None
    welcome = f"/console/welcome/{token}"
    done = client.post(
        welcome,
        data={
            "csrf_token": csrf(client, welcome),
            "password": PASSWORD,
            "again": PASSWORD,
            "code": code(found[1]).translate(PERSIAN),
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/mediators")


def test_an_admin_cannot_reset_or_disable_their_own_account_by_typing_it_in_capitals(app: Flask) -> None:
    secret = make_staff(app, "boss@example.org", "admin")
    client = app.test_client()
    assert sign_in(client, "boss@example.org", secret) == 302
    for action in ("reset", "disable"):
        data = {"csrf_token": csrf(client, "/console/accounts"), "email": " Boss@Example.org ", "action": action}
        page = client.post("/console/accounts", data=data)
        assert page.status_code == 400 and "your own account" in page.get_data(as_text=True)
    # Still signed in, with the password and authenticator they had.
    assert client.get("/console/accounts").status_code == 200
    assert sign_in(app.test_client(), "boss@example.org", secret, ahead=1) == 302


def test_production_hashes_passwords_at_full_cost_and_only_an_app_under_test_cheaply(
    app: Flask, config: Config, redis_conn: redis.Redis
) -> None:
    production = create_app(config=config)  # no test config: as gunicorn and `flask users` build it
    make_staff(production, "ana@example.org", "coordinator")
    stored = store(production).get("ana@example.org")
    assert stored is not None and stored.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # The tests' own app hashes its accounts at Argon2's cheapest, which production never does.
    make_staff(app, "bo@example.org", "coordinator")
    cheap = store(app).get("bo@example.org")
    assert cheap is not None and cheap.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def _welcome(client: FlaskClient, token: str) -> int:
    """Follow a sign-in link and set PASSWORD with its authenticator; the status of the answer."""
    page = client.get(f"/console/welcome/{token}")
    if page.status_code != 200:
        return page.status_code
    text = page.get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', text).group(1)  # type: ignore[union-attr]
    secret = secret.replace(" ", "")
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token_field, "password": PASSWORD, "again": PASSWORD, "code": code(secret)}
    return client.post(f"/console/welcome/{token}", data=data).status_code


def test_a_reset_or_disable_revokes_every_open_link_and_a_link_never_re_enables(app: Flask) -> None:
    make_staff(app, "keep@example.org", "admin")  # so the account below is not the last admin
    runner = app.test_cli_runner()
    first = _link_token(runner.invoke(args=["users", "add", "lk@example.org", "--role", "coordinator"]).output)
    second = _link_token(runner.invoke(args=["users", "reset", "lk@example.org"]).output)
    # The reset revoked the first link; the second still works until the account is disabled.
    assert _welcome(app.test_client(), first) == 410
    assert runner.invoke(args=["users", "disable", "lk@example.org"]).exit_code == 0
    assert _welcome(app.test_client(), second) == 410
    account = store(app).get("lk@example.org")
    assert account is not None and account.disabled and not account.ready
    # A link being filled in when the account is disabled: the form is refused, nothing re-enabled.
    third = _link_token(runner.invoke(args=["users", "reset", "lk@example.org"]).output)
    client = app.test_client()
    page = client.get(f"/console/welcome/{third}").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', page).group(1)  # type: ignore[union-attr]
    secret = secret.replace(" ", "")
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert runner.invoke(args=["users", "disable", "lk@example.org"]).exit_code == 0
    data = {"csrf_token": token_field, "password": PASSWORD, "again": PASSWORD, "code": code(secret)}
    assert client.post(f"/console/welcome/{third}", data=data).status_code == 410
    assert store(app).get("lk@example.org").disabled  # type: ignore[union-attr]
    assert client.get("/console/").status_code == 302


def test_the_last_active_admin_cannot_be_disabled(app: Flask) -> None:
    make_staff(app, "only@example.org", "admin")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["users", "disable", "only@example.org"])
    assert refused.exit_code != 0 and "last active admin" in refused.output
    assert not store(app).get("only@example.org").disabled  # type: ignore[union-attr]
    # With a second admin, one may be disabled; then the other is the last one, also on the page.
    other = make_staff(app, "second@example.org", "admin")
    client = app.test_client()
    assert sign_in(client, "second@example.org", other) == 302
    data = {"csrf_token": csrf(client, "/console/accounts"), "email": "only@example.org", "action": "disable"}
    data["confirm"] = "yes"  # the page asks first (without it, nothing is disabled)
    assert client.post("/console/accounts", data=data).status_code == 200
    assert runner.invoke(args=["users", "disable", "second@example.org"]).exit_code != 0
    assert sign_in(app.test_client(), "second@example.org", other, ahead=1) == 302


def test_a_mediator_account_refuses_a_code_that_is_not_live(app: Flask, redis_conn: redis.Redis) -> None:
    runner = app.test_cli_runner()
    made_up = runner.invoke(args=["users", "add", "mm@example.org", "--role", "mediator", "--mediator", "K7Q2"])
    assert made_up.exit_code != 0 and "not a live referral code" in made_up.output
    assert store(app).get("mm@example.org") is None
    live_code(app, "K7Q2")
    assert (
        runner.invoke(args=["users", "add", "mm@example.org", "--role", "mediator", "--mediator", "k7q2"]).exit_code
        == 0
    )
    assert store(app).get("mm@example.org").mediator == "K7Q2"  # type: ignore[union-attr]


def test_signing_out_ends_the_session_on_the_server_and_no_session_outlives_12_hours(
    app: Flask, redis_conn: redis.Redis
) -> None:
    secret = make_staff(app, "so@example.org", "admin")
    client = app.test_client()
    assert sign_in(client, "so@example.org", secret) == 302
    copied = client.get_cookie("samen_console", path="/console")
    assert copied is not None and client.get("/console/accounts").status_code == 200
    assert client.post("/console/sign-out", data={"csrf_token": csrf(client, "/console/accounts")}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("samen_console", copied.value, path="/console")
    assert thief.get("/console/accounts").status_code == 302  # the copied cookie opens nothing
    # However active, a session ends 12 hours after signing in (the server's record expires then too).
    active = app.test_client()
    assert sign_in(active, "so@example.org", secret, ahead=1) == 302
    ttls = [redis_conn.ttl(k) for k in redis_conn.scan_iter(console_keys.CONSOLE_SESSION("*"))]
    assert ttls and all(0 < t <= 12 * 3600 for t in ttls)
    with active.session_transaction("/console/") as cookie:
        cookie["since"] -= 12 * 3600 + 60
    assert active.get("/console/accounts").status_code == 302


def _try(client: FlaskClient, email: str, password: str, secret: str, place: str, ahead: int = 0) -> int:
    """One sign-in from the address `place`; the status of the answer."""
    data = {"csrf_token": csrf(client), "email": email, "password": password, "code": code(secret, ahead)}
    return client.post("/console/sign-in", data=data, environ_base={"REMOTE_ADDR": place}).status_code


def test_a_stranger_cannot_lock_an_admin_out(app: Flask) -> None:
    secret = make_staff(app, "admin@example.org", "admin")
    assert _try(app.test_client(), "admin@example.org", PASSWORD, secret, "192.0.2.10", ahead=-1) == 302  # their place
    stranger = app.test_client()
    # Typed by anyone, in any case and with spaces: counted against the same account.
    for _ in range(throttle.PER_PAIR):
        assert _try(stranger, " ADMIN@example.org ", "not-the-password-at-all", secret, "198.51.100.1") == 401
    assert _try(stranger, "admin@example.org", "not-the-password-at-all", secret, "198.51.100.1") == 429
    # The admin, from their own place, is not locked out.
    assert _try(app.test_client(), "admin@example.org", PASSWORD, secret, "192.0.2.10") == 302
    # Strangers from many addresses reach the account's limit: new places are refused, the admin's is not.
    for n in range(throttle.PER_ACCOUNT // throttle.PER_PAIR):
        for _ in range(throttle.PER_PAIR):
            _try(app.test_client(), "Admin@example.org", "not-the-password-at-all", secret, f"198.51.100.{n + 2}")
    assert _try(app.test_client(), "admin@example.org", PASSWORD, secret, "203.0.113.7", ahead=1) == 429
    assert _try(app.test_client(), "admin@example.org", PASSWORD, secret, "192.0.2.10", ahead=1) == 302


def test_parallel_guesses_get_exactly_the_limit(app: Flask) -> None:
    import threading

    make_staff(app, "race@example.org", "admin")
    clients = [app.test_client() for _ in range(16)]
    tokens = [csrf(c) for c in clients]
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        data = {
            "csrf_token": token,
            "email": "race@example.org",
            "password": "not-the-password-at-all",
            "code": "000000",
        }
        start.wait()
        answers.append(
            client.post("/console/sign-in", data=data, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code
        )

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [401] * throttle.PER_PAIR + [429] * (16 - throttle.PER_PAIR)


def test_sign_ins_without_an_account_cannot_flood_the_audit_log(app: Flask, redis_conn: redis.Redis) -> None:
    secret = make_staff(app, "flood@example.org", "admin")
    before = redis_conn.xlen(console_keys.CONSOLE_AUDIT())
    # 120 attempts from 30 addresses, the "e-mail" a password typed in the wrong box: failures, then refusals.
    for n in range(120):
        _try(app.test_client(), f"hunter2-secret-{n}", "x", secret, f"198.51.100.{n % 30}")
    entries = audit.recent(redis_conn)[: redis_conn.xlen(console_keys.CONSOLE_AUDIT()) - before]
    assert 1 <= len(entries) <= 4  # once a minute for failures and once for refusals (a minute may turn)
    assert all(e.actor == "an unknown e-mail" and "hunter2" not in e.target for e in entries)
    assert not any(b"hunter2" in b"".join(f) for _, f in redis_conn.xrange(console_keys.CONSOLE_AUDIT()))
    # An existing account's failures still name it.
    _try(app.test_client(), "Flood@example.org ", "not-the-password-at-all", secret, "192.0.2.44")
    assert ("flood@example.org", "sign-in failed") in [(e.actor, e.action) for e in audit.recent(redis_conn, 1)]


def test_the_audit_log_is_capped_by_size_as_well_as_age(redis_conn: redis.Redis) -> None:
    assert audit.CAP <= 200_000
    for n in range(30):
        audit.record(redis_conn, "b@example.org", f"session created #{n}", cap=20)
    assert redis_conn.xlen(console_keys.CONSOLE_AUDIT()) == 20
    assert audit.recent(redis_conn, 1)[0].action == "session created #29"
