"""Session files an operator might get wrong, or an adversary might write (issue #9): one line, exit 1.

The parser (`sessions.read_session`) is tried with every kind of wrong file, without Redis; `sessions
add` with a few, for its exit status, its one line and nothing stored.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from flask import Flask

from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.content.render import Renderer, line_params
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, BOB, SMS_FROM, WHATSAPP_FROM, line_content, sent_to, sessions_cli

NEXT_YEAR = datetime.now().year + 1
GOOD = f"""
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }}
description = "Hosted by {{host}} in {{place}}."
starts = {NEXT_YEAR}-03-05T19:30:00
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en"]
regions = ["Utrecht"]
"""
EN_TITLE = 'en = "Health in the Netherlands"'


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    return anytime_app


cli = sessions_cli


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "session.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(app: Flask, path: Path, redis_conn: redis.Redis) -> str:
    """Add a file that must be refused: exit status 1, one line of reason, nothing stored."""
    code, output = cli(app, "add", str(path))
    assert code == 1, output
    assert len(output.strip().splitlines()) == 1 and output.startswith("Error: "), output
    assert "Traceback" not in output
    assert infosessions.all_sessions(redis_conn) == []
    return output


def refusal(path: Path) -> str:
    """Why the parser refuses a file: one line, what `sessions add` prints after "Error: "."""
    content = line_content()
    renderer = Renderer(content, line_params(SMS_FROM, WHATSAPP_FROM, "SAMEN"))
    with pytest.raises(infosessions.SessionFileError) as refused:
        infosessions.read_session(path, content.places, list(content.flow.languages), renderer)
    reason = str(refused.value)
    assert reason and len(reason.splitlines()) == 1, reason
    return reason


@pytest.mark.parametrize("title", ["{host:d}", "{}", "{host!z}", "{host:{place}}", "{host:>99999999}", "100% {"])
def test_titles_with_anything_but_bare_variables_are_refused(title: str, tmp_path: Path) -> None:
    output = refusal(write(tmp_path, GOOD.replace("Health in the Netherlands", f"Health {title}")))
    assert "'title'" in output and "the en text" in output


def test_bare_variables_and_escaped_braces_are_filled_in(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, ALICE, "en")
    text = GOOD.replace("Health in the Netherlands", "Health {{ask}} with {host}")
    code, output = cli(app, "add", str(write(tmp_path, text)))
    assert code == 0, output
    assert cli(app, "announce", output.strip().splitlines()[-1])[0] == 0
    work()
    (body,) = sent_to(standin, ALICE)
    assert body.startswith("Information session: Health {ask} with Stichting Voorbeeld\n")


def test_a_stored_title_with_a_format_spec_is_sent_as_written(
    app: Flask, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    """A session stored before titles were checked: the dry run and the worker render it, never crash."""
    rt = app.extensions["samen"]
    subscribe(app, ALICE, "en")
    subscribe(app, BOB, "nl")
    checked = infosessions.parse_session(GOOD, rt.content.places, ["nl", "en"])
    session = replace(checked, title={"en": "Health {host!z}", "nl": "Gezondheid {}"})
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    pipe.execute()
    code, output = cli(app, "announce", stored.id, "--dry-run")
    assert code == 0 and "Would send 2 message(s)" in output, output
    assert cli(app, "announce", stored.id)[0] == 0
    work()
    assert sent_to(standin, ALICE)[0].startswith("Information session: Health {host!z}\n")
    assert sent_to(standin, BOB)[0].startswith("Informatiebijeenkomst: Gezondheid {}\n")
    code, output = cli(app, "status", stored.id)
    assert "sent 2" in output, output


def subscribe(app: Flask, number: str, locale: str) -> None:
    rt = app.extensions["samen"]
    address = Address(Channel.SMS, number)
    sub = subscriptions.Subscriber("VR09", locale, Channel.SMS, int(time.time()), "d", rt.keys.seal(address))
    pipe = rt.redis.pipeline(transaction=True)
    subscriptions.subscribe(pipe, rt.keys.pseudonym(number), sub)
    pipe.execute()


def test_a_title_longer_than_twilio_takes_is_refused_naming_the_language(tmp_path: Path) -> None:
    text = GOOD.replace(EN_TITLE, 'en = "' + "Health " * 1500 + '"')  # 10,500 characters
    output = refusal(write(tmp_path, text))
    assert "the en announcement would be" in output and "at most 1600" in output


@pytest.mark.parametrize(
    ("description", "language", "budget"),
    [
        ('{ nl = "Kort.", en = "' + "A GP answers questions. " * 12 + '" }', "en", 3),  # GSM-7: 3 SMS
        ('{ nl = "' + "Een huisarts beantwoordt vragen. " * 10 + '", en = "Short." }', "nl", 3),
    ],
)
def test_an_announcement_over_the_languages_sms_budget_is_refused(
    description: str, language: str, budget: int, tmp_path: Path
) -> None:
    text = GOOD.replace('description = "Hosted by {host} in {place}."', f"description = {description}")
    output = refusal(write(tmp_path, text))
    assert f"the {language} announcement would cost" in output and f"at most {budget} in {language}" in output


def test_an_arabic_announcement_over_six_segments_is_refused(tmp_path: Path) -> None:
    text = (
        GOOD.replace('languages = ["nl", "en"]', 'languages = ["nl", "en", "ar"]')
        .replace(EN_TITLE, EN_TITLE + ', ar = "الصحة في هولندا"')
        .replace(
            'description = "Hosted by {host} in {place}."',
            'description = { nl = "Kort.", en = "Short.", ar = "' + "طبيب عام يجيب على الأسئلة. " * 8 + '" }',
        )
    )
    output = refusal(write(tmp_path, text))
    assert "the ar announcement would cost" in output and "at most 6 in ar" in output


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    text = GOOD.replace('description = "Hosted by {host} in {place}."', 'description = "' + "x" * 30_000_000 + '"')
    output = refusal(write(tmp_path, text))
    assert "larger than 64 KiB" in output


def test_the_example_session_file_is_accepted(app: Flask, redis_conn: redis.Redis) -> None:
    code, output = cli(app, "add", str(Path(__file__).parent.parent / "sessions" / "example.toml"))
    assert code == 0, output


BAD_FILES = pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: write(d, "title = " + "[" * 30_000 + "]" * 30_000 + "\n"), "nested too deeply"),
        (lambda d: write(d, "title = " + "{a = " * 10_000 + "1" + "}" * 10_000 + "\n"), "nested too deeply"),
        (lambda d: write(d, GOOD.encode("utf-16")), "is not a text file"),
        (lambda d: write(d, GOOD.encode("utf-8").replace(b"Voorbeeld", b"Voorb\xe9eld")), "is not UTF-8"),
        (lambda d: write(d, bytes(range(256)) * 4), "is not a text file"),
        (lambda d: write(d, GOOD.replace(f"{NEXT_YEAR}-03-05", "0001-01-01")), "'starts': the year 1 is out of range"),
        (lambda d: write(d, GOOD + "ends = 9999-12-31T23:59:59\n"), "'ends': the year 9999 is out of range"),
        (lambda d: write(d, GOOD.replace('["Utrecht"]', '["' + "a" * 5000 + '"]')), "'regions': 'aaaa"),
        (lambda d: d, "is a directory"),
        (lambda d: d / "missing.toml", "no such file"),
        (lambda d: write(d, "") and d / "session.toml" / "x", "no such file"),
    ],
    ids=[
        "nested-arrays",
        "nested-tables",
        "utf-16",
        "latin-1",
        "binary",
        "year-1",
        "year-9999",
        "long-region",
        "directory",
        "missing",
        "under-a-file",
    ],
)


@BAD_FILES
def test_every_bad_file_gets_one_line(make: Callable[[Path], Path], reason: str, tmp_path: Path) -> None:
    output = refusal(make(tmp_path))
    assert reason in output
    assert len(output) < 300  # a reason, not the file


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"\xff\xfe" + bytes(range(256)), "is not a text file"),  # refused as it is read
        ("title = " + "[" * 30_000 + "]" * 30_000 + "\n", "nested too deeply"),  # as it is parsed
        (GOOD.replace(EN_TITLE, 'en = "' + "Health " * 1500 + '"'), "at most 1600"),  # as it is rendered
    ],
    ids=["read", "parsed", "rendered"],
)
def test_sessions_add_refuses_a_bad_file_with_one_line_and_exit_status_1(
    text: str | bytes, reason: str, app: Flask, tmp_path: Path, redis_conn: redis.Redis
) -> None:
    output = refused(app, write(tmp_path, text), redis_conn)
    assert reason in output
    assert len(output) < 300  # a reason, not the file


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_gets_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    assert "cannot be read" in refusal(path)


@pytest.mark.parametrize(
    ("month", "reason"),
    [(3, "02:30 does not exist in Europe/Amsterdam"), (10, "02:30 happens twice in Europe/Amsterdam")],
    ids=["spring-forward", "fall-back"],
)
def test_a_start_in_the_hour_the_clocks_change_is_refused(month: int, reason: str, tmp_path: Path) -> None:
    # The last Sunday of March or October: at 02:00 the clocks go to 03:00, or at 03:00 back to 02:00.
    last = datetime(NEXT_YEAR, month, 31, tzinfo=ZoneInfo("Europe/Amsterdam"))
    sunday = last.replace(day=31 - (last.weekday() + 1) % 7)
    text = GOOD.replace(f"{NEXT_YEAR}-03-05T19:30:00", f"{sunday:%Y-%m-%d}T02:30:00")
    output = refusal(write(tmp_path, text))
    assert "field 'starts'" in output and reason in output, output


def test_language_codes_in_capitals_still_reach_the_subscribers_of_that_language(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, ALICE, "en")
    subscribe(app, BOB, "nl")
    # Written as they are in `regions = ["NL"]`: the line's codes are lower case; once stored as "NL",
    # no subscriber matched and the session was announced to nobody, without a word.
    text = GOOD.replace('["nl", "en"]', '["NL", "En"]').replace(
        '{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }', '"Health / Gezondheid"'
    )
    code, output = cli(app, "add", str(write(tmp_path, text)))
    assert code == 0 and "languages: nl, en" in output, output
    session_id = output.strip().splitlines()[-1]
    assert "Would send 2 message(s)" in cli(app, "announce", session_id, "--dry-run")[1]
    assert cli(app, "announce", session_id)[0] == 0
    work()
    assert sent_to(standin, ALICE)[0].startswith("Information session: Health / Gezondheid\n")
    assert sent_to(standin, BOB)[0].startswith("Informatiebijeenkomst: Health / Gezondheid\n")


def test_a_session_in_no_language_of_the_line_is_refused_as_reaching_nobody(tmp_path: Path) -> None:
    text = GOOD.replace('languages = ["nl", "en"]', 'languages = ["de"]').replace(
        'title = { nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }', 'title = "Gesundheit"'
    )
    output = refusal(write(tmp_path, text))
    assert "field 'languages': none of 'de' is a language of the line" in output and "nobody" in output
