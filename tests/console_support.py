"""Helpers for the console's tests: staff accounts made through the real store, signing in by form."""

from __future__ import annotations

import re
import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.console.accounts import Accounts
from samen_sms.console.keys import ConsoleKeys
from samen_sms.reach import mediators
from samen_sms.reach import redis_keys as reach_keys

PASSWORD = "lantern-orchard-47-quietly"


def store(app: Flask) -> Accounts:
    keys: ConsoleKeys = app.extensions["samen.console"]
    return Accounts(app.extensions["samen"].redis, keys, app.extensions["samen.passwords"])


def live_code(app: Flask, code: str) -> str:
    """Register `code` as a live referral code (as `mediators add` would, with a chosen code)."""
    conn = app.extensions["samen"].redis
    if not mediators.is_live(conn, code):
        entry = mediators.Mediator(
            code=code, name=f"Organisation {code}", languages=["en"], regions=["NL"], added=time.time()
        )
        conn.hset(reach_keys.MEDIATORS(), code, entry.dumps())
        conn.sadd(reach_keys.LIVE_CODES(), code)
    return code


def make_staff(app: Flask, email: str, role: str, mediator: str | None = None) -> str:
    """An enrolled account (password PASSWORD); returns its authenticator secret."""
    accounts = store(app)
    if mediator:
        live_code(app, mediator)
    token = accounts.add(email, role, mediator)
    found = accounts.link(token)
    assert found is not None
    secret = found[1]
    assert accounts.complete(token, PASSWORD, secret, 0)
    return secret


def code(secret: str, ahead: int = 0) -> str:
    """The authenticator code `ahead` 30-second steps from now (a used step is refused)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * ahead)


def csrf(client: FlaskClient, path: str = "/console/sign-in") -> str:
    """The CSRF token of a form page."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in(client: FlaskClient, email: str, secret: str, ahead: int = 0, password: str = PASSWORD) -> int:
    """Sign in through the form; returns the status code."""
    token = csrf(client)
    data = {"csrf_token": token, "email": email, "password": password, "code": code(secret, ahead)}
    return client.post("/console/sign-in", data=data).status_code


def staff_client(app: Flask, email: str, role: str, mediator: str | None = None) -> FlaskClient:
    """A test client signed in as a new account of that role."""
    client = app.test_client()
    secret = make_staff(app, email, role, mediator)
    assert sign_in(client, email, secret) == 302
    return client


# A directory entry as the console's form posts it (a fictional clinic).
CLINIC = {
    "id": "clinic_a",
    "name": "Kliniek A",
    "phone": "020-0000000",
    "purpose": "directory.gza",
    "cost": "free",
    "hours": "office",
    "anonymous": "unknown",
    "needs": ["health"],
    "places": "Amsterdam",
    "source": "https://example.org/a",
    "verified": "2026-11-01",
}
