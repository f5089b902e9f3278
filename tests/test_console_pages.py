"""The console's pages with real parts: sessions made, previewed, announced and sent; drafts, directory,
content, simulator and overview as staff see them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import subscriptions
from samen_sms.console import redis_keys as console_keys
from samen_sms.content.replies import Menu
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach.stats import shown
from tests.conftest import ALICE, BOB, sent_to, wait_until
from tests.console_support import CLINIC, csrf, staff_client

GOOD = {
    "title_en": "Health and safety in the Netherlands",
    "title_nl": "Gezondheid en veiligheid in Nederland",
    "description_en": "With a GP. Free.",
    "starts": "2099-01-14T14:00",
    "place": "Buurthuis De Pijp, Amsterdam",
    "host": "Stichting Voorbeeld",
    "languages": ["nl", "en"],
    "regions": "Amsterdam, Zaanstad",
}


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    """The app with quiet hours off, so an announcement goes out whatever the time of the test."""
    return anytime_app


def _post(client: Any, path: str, **changes: Any) -> Any:
    data = {**GOOD, **changes, "csrf_token": csrf(client, "/console/drafts")}
    return client.post(path, data={k: v for k, v in data.items() if v is not None})


def _subscribe(app: Flask, redis_conn: redis.Redis, number: str, locale: str, region: str = "NL") -> None:
    rt = app.extensions["samen"]
    sub = subscriptions.Subscriber(region, locale, Channel.SMS, 1, "d", rt.keys.seal(Address(Channel.SMS, number)))
    pipe = redis_conn.pipeline()
    subscriptions.subscribe(pipe, rt.keys.pseudonym(number), sub)
    pipe.execute()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        # In plain words, no field names or encodings (issue 22): what to do, and by how much.
        ({"starts": "2020-01-01T10:00"}, "starts", "The start is in the past: a session must lie ahead."),
        ({"regions": "Atlantis"}, "regions", "We do not know “Atlantis”: type a town, a safety region (like VR13)"),
        ({"languages_other": "xx-notalang"}, "languages_other", "xx-notalang is not a language code"),
        ({"title_en": "Violence at home: what now"}, "title_en", "The title in English shows “viol"),
        ({"title_nl": "Huiselijk geweld, een avond"}, "title_nl", "The title in Nederlands shows “geweld"),
        ({"place": None, "online": "http://meet.example.org/x"}, "online", "The online link must begin with https://."),
        ({"place": None}, "place", "Fill in either the place or the online link: one of the two."),
        ({"host": ""}, "host", "Fill in the host: the organisation holding the session."),
        ({"title_en": "", "title_nl": ""}, "title_nl", "Fill in the title."),
        ({"title_en": "Meeting on {day}"}, "title_en", "{day} cannot stand in a text: braces may only hold {date}"),
        ({"description_nl": "Koffie {"}, "description_nl", "A lone {: for a brace itself, write it twice."),
        ({"description_en": "With a GP. " * 160}, "description_en", "would be too long for one message: shorten it by"),
        ({"description_en": "With a GP. " * 60}, "description_en", "is too long for 3 text messages: shorten it by"),
        ({"host": "Stichting " * 60}, "host", "text messages: shorten it by"),
        ({"title_en": "Health\x00 and safety"}, "title_en", "invisible character (often from copying): type it again"),
        # As `sessions add` refuses it: the announcement, as sent, shows the host's name the title names
        # (cut short: "Informatiebijeenkomst: Bij Centrum Seksu"; the stem seks catches it).
        (
            {"title_nl": "Bij {host}", "host": "Centrum Seksueel Geweld"},
            "host",
            "The announcement in Nederlands shows “seks",
        ),
    ],
)
def test_a_bad_session_is_refused_naming_the_field_and_keeping_what_was_typed(
    app: Flask, redis_conn: redis.Redis, changes: dict[str, Any], field: str, reason: str
) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    page = _post(client, "/console/sessions/new", action="save", **changes)
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    error = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', text)
    assert error and reason in error.group(1).replace("&#39;", "'"), text[text.find('class="alert"') :][:600]
    assert "field '" not in text and "UCS-2" not in text and "GSM-7" not in text
    assert 'value="Stichting Voorbeeld"' in text or field == "host"
    assert redis_conn.zcard(announce_keys.SESSIONS()) == 0


def test_create_preview_announce_and_watch_it_reach_the_standin(
    app: Flask, redis_conn: redis.Redis, standin: StandinState, work: Callable[[], None]
) -> None:
    _subscribe(app, redis_conn, ALICE, "nl")
    _subscribe(app, redis_conn, BOB, "ar")  # Arabic is not spoken there: not announced to
    client = staff_client(app, "c@example.org", "coordinator")
    preview = _post(client, "/console/sessions/preview").get_data(as_text=True)
    assert "Informatiebijeenkomst: Gezondheid en veiligheid" in preview and "1 segment" not in preview
    assert re.search(r"\d segments?", preview) and "discreet" in preview
    saved = _post(client, "/console/sessions/new", action="save")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/console/sessions/1")
    assert redis_conn.zcard(announce_keys.SESSIONS()) == 1
    confirm = client.get("/console/sessions/1/announce").get_data(as_text=True)
    assert "1 person will get this announcement" in confirm and "Nederlands" in confirm
    token = csrf(client, "/console/sessions/1")
    assert client.post("/console/sessions/1/announce", data={"csrf_token": token}).status_code == 400
    sent = client.post("/console/sessions/1/announce", data={"csrf_token": token, "confirm": "yes"})
    assert sent.status_code == 302
    work()
    bodies = sent_to(standin, ALICE)
    assert len(bodies) == 1 and "Gezondheid en veiligheid in Nederland" in bodies[0]
    assert sent_to(standin, BOB) == []
    progress = client.get("/console/sessions/1/progress.json").get_json()
    # Small counts are shown as `stats` shows them: 1 to 4 as <5, never exactly (issue 24, item 12).
    assert progress["announcement"]["sent"] == "<5" and progress["announcement"]["phase"] == "done"
    assert progress["announcement"]["total"] == "<5" and progress["announcement"]["tenths"] == 10
    page = client.get("/console/sessions/1").get_data(as_text=True)
    assert 'data-k="announcement.sent">&lt;5<' in page and '<progress max="10" value="10"' in page
    listed = client.get("/console/sessions").get_data(as_text=True)
    assert "sent &lt;5 / &lt;5" in listed
    redis_conn.hset(announce_keys.RSVP("1"), "a-pseudonym", 1)  # one person replied 1
    page = client.get("/console/sessions/1").get_data(as_text=True)
    assert 'data-k="interested">&lt;5<' in page
    assert client.get("/console/sessions/1/progress.json").get_json()["interested"] == "<5"
    # Announced, it can still change until it starts (issue 22): the form says who will be told.
    assert "Edit or move" in page and "Cancel session" in page
    form = client.get("/console/sessions/1/edit")
    assert form.status_code == 200 and 'id="change-note"' in form.get_data(as_text=True)


def test_edit_a_session_before_it_is_announced(app: Flask, redis_conn: redis.Redis) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    _post(client, "/console/sessions/new", action="save")
    form = client.get("/console/sessions/1/edit").get_data(as_text=True)
    assert 'value="Stichting Voorbeeld"' in form and 'value="2099-01-14T14:00"' in form
    assert _post(client, "/console/sessions/1/edit", action="save", host="Buurtwerk Noord").status_code == 302
    stored = json.loads(redis_conn.get(announce_keys.SESSION("1")) or b"{}")
    assert stored["host"] == "Buurtwerk Noord" and redis_conn.zcard(announce_keys.SESSIONS()) == 1


def test_a_mediator_drafts_and_a_coordinator_approves(app: Flask, redis_conn: redis.Redis) -> None:
    mediator = staff_client(app, "m@example.org", "mediator", "M3")
    assert _post(mediator, "/console/drafts", action="save").status_code == 302
    assert redis_conn.zcard(announce_keys.SESSIONS()) == 0
    coordinator = staff_client(app, "c@example.org", "coordinator")
    listing = coordinator.get("/console/drafts").get_data(as_text=True)
    draft = re.search(r"/console/sessions/new\?draft=([0-9a-f]+)", listing)
    assert draft and "m@example.org" in listing
    form = coordinator.get(f"/console/sessions/new?draft={draft.group(1)}").get_data(as_text=True)
    assert 'value="Stichting Voorbeeld"' in form
    assert _post(coordinator, "/console/sessions/new", action="save", draft=draft.group(1)).status_code == 302
    assert redis_conn.zcard(announce_keys.SESSIONS()) == 1 and redis_conn.hlen(console_keys.CONSOLE_DRAFTS()) == 0


def test_the_simulator_speaks_arabic_counts_nothing_and_forgets(app: Flask, redis_conn: redis.Redis) -> None:
    client = staff_client(app, "m@example.org", "mediator", "M4")
    token = csrf(client, "/console/simulator")
    before = set(redis_conn.keys())
    client.post("/console/simulator", data={"csrf_token": token, "action": "language", "locale": "ar"})
    client.post("/console/simulator", data={"csrf_token": token, "text": "مرحبا", "channel": "sms"})
    client.post("/console/simulator", data={"csrf_token": token, "text": "1", "channel": "sms"})
    page = client.get("/console/simulator").get_data(as_text=True)
    assert "112" in page and 'lang="ar" dir="rtl"' in page
    rt = app.extensions["samen"]
    assert rt.renderer.render("ar", [Menu("help_now")], Channel.SMS).split("\n")[0] in page.replace("&#39;", "'")
    new = set(redis_conn.keys()) - before
    assert len(new) == 1 and new.pop().startswith(console_keys.CONSOLE_SIMULATOR("").encode())
    assert not redis_conn.keys(line_keys.STATS("*"))
    sim_key = redis_conn.keys(console_keys.CONSOLE_SIMULATOR("*"))[0]
    assert 0 < redis_conn.ttl(sim_key) <= 30 * 60


def test_the_overview_shows_small_numbers_as_under_five(app: Flask, redis_conn: redis.Redis) -> None:
    for n, number in enumerate(["+447700900201", "+447700900202", "+447700900203"]):
        _subscribe(app, redis_conn, number, "ar" if n else "nl")
    for n in range(7):
        _subscribe(app, redis_conn, f"+4477009003{n:02d}", "uk")
    redis_conn.hset(line_keys.STATS("sent"), "replies", 1234)
    client = staff_client(app, "c@example.org", "coordinator")
    first = client.get("/console/").get_data(as_text=True)  # starts the count, does not wait for it
    assert "being counted" in first and "<p class=\"big\">10</p>" in first
    assert wait_until(lambda: redis_conn.exists(console_keys.CONSOLE_FIGURES("mix")) == 1)
    page = client.get("/console/").get_data(as_text=True)
    assert "1234" in page and "<td>Українська</td><td>7</td>" in page
    assert "<td>العربية</td><td>&lt;5</td>" in page and "<td>Nederlands</td><td>&lt;5</td>" in page
    assert shown(0) == "0" and shown(4) == "<5" and shown(5) == "5"


def test_directory_verify_add_and_export(app: Flask, redis_conn: redis.Redis) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    token = csrf(client, "/console/directory")
    confirmed = {"csrf_token": token, "confirm": "yes"}
    assert client.post("/console/directory/csg/verified", data=confirmed).status_code == 302
    bad = {**CLINIC, "csrf_token": token, "source": "http://example.org"}
    refused = client.post("/console/directory/entry", data=bad)
    assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
    assert 'value="Kliniek A"' in refused.get_data(as_text=True)
    assert client.post("/console/directory/entry", data={**bad, "source": "https://example.org/a"}).status_code == 302
    listing = client.get("/console/directory").get_data(as_text=True)
    assert "Kliniek A" in listing
    export = client.get("/console/directory/export.toml").get_data(as_text=True)
    assert 'id = "clinic_a"' in export and 'places = ["GM0363"]' in export and "# csg: verified =" in export
    import tomllib

    assert tomllib.loads(export)["service"][0]["name"] == "Kliniek A"


def test_content_page_and_dutch(app: Flask) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    page = client.get("/console/content").get_data(as_text=True)
    assert page.count("<strong>no</strong>") == 15
    dutch = client.get("/console/content?lang=nl").get_data(as_text=True)
    assert 'lang="nl"' in dutch and "Afmelden" in dutch and "Inhoud" in dutch


def test_mediator_page_has_forward_texts_qr_and_poster(app: Flask) -> None:
    client = staff_client(app, "m@example.org", "mediator", "M5")
    page = client.get("/console/mediators?l=ar&l=nl").get_data(as_text=True)
    assert "M5" in page and "data:image/svg+xml;base64," in page and "wa.me" in page
    poster = client.get("/console/mediators/poster?l=ar").get_data(as_text=True)
    assert "+44 7700 900000" in poster and 'lang="ar"' in poster  # as people write it


def test_every_console_text_has_a_dutch_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "samen_sms" / "console"
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    found = {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(root, method_map, keywords=keywords)}
    with (root / "translations" / "nl.po").open("rb") as fh:
        dutch = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(fh)}
    missing = sorted(t for t in found if t and not dutch.get(t))
    assert not missing, missing


def test_a_directory_entry_keeps_its_id_and_another_cannot_take_it(app: Flask, redis_conn: redis.Redis) -> None:
    client = staff_client(app, "c@example.org", "coordinator")
    token = csrf(client, "/console/directory")
    entry = {**CLINIC, "csrf_token": token}
    assert client.post("/console/directory/entry", data=entry).status_code == 302
    # A second entry with the same id is refused at the id; it used to replace Kliniek A without a word.
    again = client.post("/console/directory/entry", data={**entry, "name": "Huisarts B"})
    text = again.get_data(as_text=True)
    assert again.status_code == 422
    taken = r'<p class="error" id="e-id">[^<]*An entry added in the console already has this short name'
    assert re.search(taken, text), text
    listing = client.get("/console/directory").get_data(as_text=True)
    assert "Kliniek A" in listing and "Huisarts B" not in listing
    # An id with a space or a slash could never be marked verified (its address breaks): refused at the id.
    odd = client.post("/console/directory/entry", data={**entry, "id": "clinic b/2"})
    assert odd.status_code == 422 and 'id="e-id"' in odd.get_data(as_text=True)
    # Editing keeps the entry's id: a changed id in the post neither copies nor renames it.
    renamed = {**entry, "edit": "clinic_a", "id": "clinic_z", "name": "Kliniek AA"}
    edited = client.post("/console/directory/entry", data=renamed)
    assert edited.status_code == 302
    listing = client.get("/console/directory").get_data(as_text=True)
    assert "Kliniek AA" in listing and "clinic_z" not in listing
    export = client.get("/console/directory/export.toml").get_data(as_text=True)
    assert export.count("[[service]]") == 1 and 'id = "clinic_a"' in export
    asked = client.post("/console/directory/clinic_a/verified", data={"csrf_token": token})
    assert asked.status_code == 200 and "Kliniek AA" in asked.get_data(as_text=True)  # asks first
    confirmed = {"csrf_token": token, "confirm": "yes"}
    assert client.post("/console/directory/clinic_a/verified", data=confirmed).status_code == 302


def test_the_overview_s_subscriber_total_never_gives_back_a_language_hidden_as_under_five(
    app: Flask, redis_conn: redis.Redis
) -> None:
    # 12 in Dutch and 3 in Arabic: "Nederlands 12", "العربية <5" and a total of 15 would say the <5 is 3.
    for n in range(12):
        _subscribe(app, redis_conn, f"+4477009004{n:02d}", "nl")
    for n in range(3):
        _subscribe(app, redis_conn, f"+4477009005{n:02d}", "ar")
    client = staff_client(app, "c@example.org", "coordinator")
    client.get("/console/")  # starts the count of languages and channels
    assert wait_until(lambda: redis_conn.exists(console_keys.CONSOLE_FIGURES("mix")) == 1)
    page = client.get("/console/").get_data(as_text=True)
    assert '<p class="big">15</p>' in page
    assert "<td>العربية</td><td>&lt;5</td>" in page and "<td>Nederlands</td><td>*</td>" in page
    assert "<td>Nederlands</td><td>12</td>" not in page and "<td>SMS</td><td>15</td>" in page
