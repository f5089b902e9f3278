"""Live content without a restart: an edit a reviewer suggests and an admin approves, and a directory entry
a coordinator saves, are in the very next reply a texter gets (the console in one web app, the webhook
in another, a real RQ worker with its own runtime, the Twilio stand-in); an edit that breaks a rule of
the catalogues is refused, naming the problem, and nothing goes live."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.authoring.poimport import import_directory
from samen_sms.console import audit
from samen_sms.console import redis_keys as console_keys
from samen_sms.content.catalogue import Text
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import overlay
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.runtime import Runtime
from tests.conftest import ALICE, BOB, PUBLIC_URL, inbound, make_app, sent_to, sign
from tests.console_support import CLINIC, csrf, staff_client

NEW_BODY = "Nu in gevaar? Bel 112.\nVeilig Thuis 0800-2000: gratis, dag en nacht. Ook voor vragen over thuis."
SMS_BODY = "Nu in gevaar? Bel 112. Veilig Thuis 0800-2000: gratis, dag en nacht."


@pytest.fixture
def webhook(app: Flask) -> FlaskClient:
    """Another web process of the same line (a second gunicorn worker): it takes the texters' messages."""
    return make_app(app.extensions["samen"].config).test_client()


def _text(client: FlaskClient, sender: str, body: str) -> None:
    params = inbound(sender, body)
    signature = sign(PUBLIC_URL + "/twilio/inbound", params)
    assert client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 200


def _suggest(client: FlaskClient, locale: str, key: str, whatsapp: str, sms: str) -> Any:
    token = csrf(client, f"/console/review/{locale}/edit?key={key}")
    data = {"csrf_token": token, "key": key, "whatsapp": whatsapp, "sms": sms}
    return client.post(f"/console/review/{locale}/edit", data=data)


def _approve(client: FlaskClient, locale: str, key: str) -> Any:
    token = csrf(client, f"/console/review/{locale}")
    return client.post(f"/console/review/{locale}/approve", data={"csrf_token": token, "key": key})


def test_an_approved_edit_is_in_the_next_reply_without_a_restart(
    app: Flask,
    webhook: FlaskClient,
    work: Callable[[], None],
    standin: StandinState,
    redis_conn: redis.Redis,
    tmp_path: Path,
) -> None:
    _text(webhook, ALICE, "Hallo")
    _text(webhook, ALICE, "1")  # Nederlands: the main menu
    _text(webhook, ALICE, "1")  # Nu hulp
    work()
    assert sent_to(standin, ALICE)[-1].startswith("Nu in gevaar? Bel 112.\nVeilig Thuis 0800-2000: gratis")
    assert "Ook voor vragen over thuis" not in sent_to(standin, ALICE)[-1]

    mediator = staff_client(app, "m@example.org", "mediator", "AMS01")
    suggested = _suggest(mediator, "nl", "help_now.body", NEW_BODY, SMS_BODY)
    assert suggested.status_code == 302
    page = mediator.get("/console/review/nl").get_data(as_text=True)
    assert "Suggested edit by m@example.org" in page and "Ook voor vragen over thuis" in page
    assert "Approve and make live" not in page  # a mediator suggests, an admin approves
    assert _approve(mediator, "nl", "help_now.body").status_code == 403

    _text(webhook, ALICE, "0")
    _text(webhook, ALICE, "1")
    work()
    assert "Ook voor vragen over thuis" not in sent_to(standin, ALICE)[-1]  # waiting is not live

    admin = staff_client(app, "a@example.org", "admin")
    assert _approve(admin, "nl", "help_now.body").status_code == 302

    _text(webhook, ALICE, "0")
    _text(webhook, ALICE, "1")
    work()
    assert sent_to(standin, ALICE)[-1].startswith(SMS_BODY)
    # The other web process built its content again when the counter moved, read with the message.
    other: Runtime = webhook.application.extensions["samen"]
    assert other.renderer.message("nl", "help_now.body", Channel.WHATSAPP) == NEW_BODY
    # A WhatsApp texter gets the full form.
    whatsapp_bob = "whatsapp:" + BOB
    for body in ("Hallo", "1", "1"):
        _text(webhook, whatsapp_bob, body)
    work()
    assert sent_to(standin, whatsapp_bob)[-1].startswith(NEW_BODY)

    # Marked reviewed for the reviewer who wrote it; audited; exported for the repository.
    actions = [(e.actor, e.action, e.target) for e in audit.recent(redis_conn)]
    assert ("a@example.org", "translation edit approved (live)", "nl help_now.body by m@example.org") in actions
    assert ("m@example.org", "translation edit suggested", "nl help_now.body") in actions
    po = admin.get("/console/review/nl.po").get_data(as_text=True)
    assert 'msgctxt "help_now.body#sms"' in po and "Ook voor vragen over thuis" in po
    entry = po[po.index('msgctxt "help_now.body#whatsapp"') - 40 : po.index('msgctxt "help_now.body#whatsapp"')]
    assert "#, reviewed" in entry
    assert redis_conn.hlen(console_keys.CONSOLE_SUGGESTIONS()) == 0

    # The PO file imports cleanly into the repository's catalogue: the text and its review mark.
    rt: Runtime = app.extensions["samen"]
    folder = tmp_path / "po"
    folder.mkdir()
    (folder / "nl.po").write_text(po, encoding="utf-8")
    planned, refusals = import_directory(rt.base_content, rt.renderer.params, rt.config.messages_dir, folder)
    assert refusals == []
    toml = planned[rt.config.messages_dir / "nl.toml"]
    assert "Ook voor vragen over thuis" in toml and "[review]" in toml and '"help_now.body" = ' in toml


def test_the_file_wins_once_it_changed_after_the_edit(app: Flask) -> None:
    rt: Runtime = app.extensions["samen"]
    base = rt.base_content
    assert base is not None
    in_file = base.catalogues["nl"].messages["help_now.title"]
    edit = Text("Hulp nu", "Hulp nu")
    key = ("nl", "help_now.title")
    approved = overlay.Overlay({key: edit}, {key: overlay.fingerprint(in_file)})
    live = overlay.apply(base, approved)
    assert live.catalogues["nl"].messages["help_now.title"] == edit
    # The catalogue changed since the approval (another import): its own text stands.
    moved = overlay.Overlay({("nl", "help_now.title"): edit}, {("nl", "help_now.title"): overlay.fingerprint(edit)})
    assert overlay.apply(base, moved).catalogues["nl"].messages["help_now.title"] == in_file


@pytest.mark.parametrize(
    ("key", "whatsapp", "sms", "problem"),
    [
        ("help_now.body", "Bel de politie.", "Bel de politie.", "must keep the emergency number 112"),
        (
            "share.forward_text",
            "Vragen over gezondheid? {line_name}: gratis informatie. WhatsApp: {whatsapp_hello}",
            "Vragen over gezondheid? {line_name}: gratis informatie. WhatsApp: {whatsapp_hello}",
            "must keep {sms_number} exactly as written",
        ),
        ("help_now.body", "Huiselijk geweld? Bel 112.", "Huiselijk geweld? Bel 112.", "shows geweld in its first 40"),
        ("help_now.body", "Bel 112. {name}", "Bel 112.", "has {name}, which the English does not have"),
        ("help_now.body", "Bel 112.", "Bel 112. " + "Veilig Thuis helpt. " * 40, "SMS, more than the 3 allowed"),
        ("help_now.body", "Bel 112.", "", "The short (SMS) form is empty"),
    ],
)
def test_an_edit_that_breaks_a_rule_is_refused_naming_the_problem(
    app: Flask, redis_conn: redis.Redis, key: str, whatsapp: str, sms: str, problem: str
) -> None:
    admin = staff_client(app, "a@example.org", "admin")
    refused = _suggest(admin, "nl", key, whatsapp, sms)
    page = refused.get_data(as_text=True).replace("&#39;", "'")
    assert refused.status_code == 422
    assert "This edit cannot go live:" in page and problem in page, page
    assert redis_conn.hlen(console_keys.CONSOLE_SUGGESTIONS()) == 0
    assert redis_conn.get(line_keys.OVERLAY_VERSION()) is None


def test_an_edit_that_no_longer_passes_is_not_approved(app: Flask, redis_conn: redis.Redis) -> None:
    # Waiting edits are checked again at approval (the English or the rules may have changed meanwhile).
    stored = {"locale": "nl", "key": "help_now.body", "sms": "Bel de politie.", "whatsapp": "Bel de politie.",
              "by": "m@example.org", "at": 0.0}
    redis_conn.hset(console_keys.CONSOLE_SUGGESTIONS(), "nl|help_now.body", json.dumps(stored))
    admin = staff_client(app, "a@example.org", "admin")
    refused = _approve(admin, "nl", "help_now.body")
    assert refused.status_code == 422
    assert "must keep the emergency number 112" in refused.get_data(as_text=True)
    assert redis_conn.get(line_keys.OVERLAY_VERSION()) is None
    rt: Runtime = app.extensions["samen"]
    assert "112" in rt.renderer.message("nl", "help_now.body", Channel.SMS)


def test_a_saved_directory_entry_is_in_the_next_reply_without_a_restart(
    app: Flask, webhook: FlaskClient, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    for body in ("hi", "1", "2", "8", "Amsterdam"):  # English, support services, near you, a place
        _text(webhook, ALICE, body)
    work()
    assert "Kliniek A" not in sent_to(standin, ALICE)[-1]

    coordinator = staff_client(app, "c@example.org", "coordinator")
    token = csrf(coordinator, "/console/directory/entry")
    assert coordinator.post("/console/directory/entry", data={**CLINIC, "csrf_token": token}).status_code == 302

    _text(webhook, ALICE, "Amsterdam")
    work()
    reply = sent_to(standin, ALICE)[-1]
    assert reply.startswith("Near Amsterdam, region Amsterdam-Amstelland:\nKliniek A 020-0000000"), reply
    _text(webhook, ALICE, "Utrecht")
    work()
    assert "Kliniek A" not in sent_to(standin, ALICE)[-1]

    # An edit is live on save too.
    edited = {**CLINIC, "csrf_token": token, "edit": "clinic_a", "name": "Kliniek Oost"}
    assert coordinator.post("/console/directory/entry", data=edited).status_code == 302
    _text(webhook, ALICE, "Amsterdam")
    work()
    assert "Kliniek Oost 020-0000000" in sent_to(standin, ALICE)[-1] and "Kliniek A " not in sent_to(standin, ALICE)[-1]
    actions = [(e.actor, e.action, e.target) for e in audit.recent(redis_conn)]
    assert ("c@example.org", "directory entry added (live)", "clinic_a") in actions
    assert ("c@example.org", "directory entry changed (live)", "clinic_a") in actions


def test_the_directory_form_speaks_plain_words_in_the_console_s_language(app: Flask) -> None:
    coordinator = staff_client(app, "c@example.org", "coordinator")
    page = coordinator.get("/console/directory/entry?lang=nl").get_data(as_text=True)
    assert ">directory.113<" not in page and ">local_rate<" not in page and "> health<" not in page
    assert "Lokaal tarief: kost een gewoon gesprek" in page and "Praat met iemand over gedachten aan zelfdoding" in page
    token = csrf(coordinator, "/console/directory/entry")
    bad = {**CLINIC, "csrf_token": token, "places": "Atlantis", "source": "http://example.org", "needs": []}
    refused = coordinator.post("/console/directory/entry", data=bad)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Atlantis is geen Nederlandse gemeente" in text
    assert "Geef het https://-adres van de pagina waar je dit controleerde." in text
    assert "Kies minstens één menuscherm waar de vermelding op hoort." in text
    assert "field '" not in text
