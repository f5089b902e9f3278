"""Referral codes and anonymous reach figures: a code counted once and read out of the message; small figures hidden."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import redis
from flask import Flask

from samen_sms.announce import sessions as infosessions
from samen_sms.content import referral
from samen_sms.core import redis_keys as core_keys
from samen_sms.core import tally
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach import redis_keys as reach_keys
from samen_sms.reach import stats
from samen_sms.reach.mediators import Mediator
from tests.conftest import ALICE, PostFn, inbound, sent_to

# Fictional people (Ofcom's range), one pair per script: one texts with the code, one without.
PEOPLE = [f"+4477009002{i:02d}" for i in range(20)]


def mediators(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["mediators", *args])
    return result.exit_code, result.output


def register(app: Flask, name: str = "Stichting Voorbeeld", languages: str = "ar,ti") -> str:
    code, output = mediators(app, "add", name, "--languages", languages, "--region", "Amsterdam")
    assert code == 0, output
    return output.strip().splitlines()[-1]


def today(conn: redis.Redis) -> dict[str, int]:
    raw = conn.hgetall(core_keys.REACH_DAY(tally.day_of(time.time()).isoformat()))
    return {k.decode(): int(v) for k, v in raw.items()}


def people(conn: redis.Redis, code: str) -> int:
    return int(conn.pfcount(core_keys.REACH_PEOPLE(tally.week_of(tally.day_of(time.time())), code)))


def test_mediator_gets_a_code_and_forward_texts_in_their_languages(app: Flask, redis_conn: redis.Redis) -> None:
    code, output = mediators(app, "add", "Stichting Voorbeeld", "--languages", "ar,ti", "--region", "Amsterdam")
    assert code == 0, output
    lines = output.strip().splitlines()
    new = lines[-1]
    assert re.fullmatch(f"[{referral.ALPHABET}]{{3,5}}", new) and not set(new) & set("0O1IL")
    assert referral.normal(new.lower()) == new
    arabic = f"أسئلة عن الصحة والأمان؟ معلومات مجانية بلغتكم. أرسلوا مرحبا {new} برسالة SMS إلى +447700900000"
    assert f"[ar] {arabic}" in output
    assert f"https://wa.me/447700900001?text=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7%20{new}" in output
    assert any(line.startswith("[ti] ") and f"ሰላም {new}" in line for line in lines)
    assert not any(line.startswith("[en]") for line in lines)
    listed = mediators(app, "list")[1]
    assert new in listed and "Stichting Voorbeeld" in listed and "VR13" in listed and "live" in listed
    assert redis_conn.sismember(reach_keys.LIVE_CODES(), new)


def test_registration_names_the_missing_field_and_stores_nothing(app: Flask, redis_conn: redis.Redis) -> None:
    cases = [
        (["add", "Stichting Voorbeeld", "--region", "Amsterdam"], "'languages'"),
        (["add", "Stichting Voorbeeld", "--languages", "ar"], "'region'"),
        (["add", "Stichting Voorbeeld", "--languages", "xx", "--region", "Amsterdam"], "'languages'"),
        (["add", "Stichting Voorbeeld", "--languages", "ar", "--region", "Atlantis"], "'region'"),
        (["add", "Stichting Voorbeeld", "--languages", "ar", "--region", "Amsterdam", "--list"], "'consented'"),
        (["add", "Stichting\x00Voorbeeld", "--languages", "ar", "--region", "Amsterdam"], "'name'"),
        (["add", "Stichting Voorbeeld", "--languages", "ar", "--region", "Amsterdam", "--list", "--consented",
          "2099-01-01", "--source", "https://example.org", "--phone", "020-0000000"], "'consented'"),
    ]
    for args, field in cases:
        code, output = mediators(app, *args)
        assert code != 0 and field in output, (args, output)
    assert not redis_conn.exists(reach_keys.MEDIATORS(), reach_keys.LIVE_CODES())


def test_a_code_in_a_first_message_of_every_script_counts_once_and_changes_nothing(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    code = register(app)
    bodies = [
        (f"hi {code.lower()}", "hi"),
        (f"{code} مرحبا", "مرحبا"),
        (f"Hallo {code}!", "Hallo"),
        (f"ሰላም {code}", "ሰላም"),
        (f"привіт {code}", "привіт"),
        (code, ""),
    ]
    answered_as_without_the_code(post, work, standin, bodies)
    counts = today(redis_conn)
    assert counts[f"code:{code}"] == len(bodies)
    assert counts["first:sms"] == 2 * len(bodies)
    assert people(redis_conn, code) == len(bodies)


def answered_as_without_the_code(
    post: PostFn, work: Callable[[], None], standin: StandinState, bodies: list[tuple[str, str]]
) -> None:
    """Each message with a code gets one reply, the one the same message without the code gets."""
    for i, (with_code, without) in enumerate(bodies):
        coded, plain = PEOPLE[2 * i], PEOPLE[2 * i + 1]
        post(inbound(coded, with_code))
        post(inbound(plain, without))
        work()
        assert sent_to(standin, coded) == sent_to(standin, plain), with_code
        assert sent_to(standin, coded), with_code  # one reply (a greeting may go as an SMS of its own)


def test_a_code_typed_on_another_keyboard_or_after_a_comma_counts_and_changes_nothing(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    # An Arabic keyboard types ٧ for 7, a Persian one ۷; a Ukrainian or Greek one types К for K, Р for P.
    code = "K7P"
    redis_conn.hset(reach_keys.MEDIATORS(), code, Mediator(code, "Stichting Voorbeeld", ["ar"], ["VR13"], 0.0).dumps())
    redis_conn.sadd(reach_keys.LIVE_CODES(), code)
    bodies = [
        ("مرحبا K٧P", "مرحبا"),
        ("سلام k۷p", "سلام"),
        ("привіт К7Р", "привіт"),
        ("привет к7р", "привет"),
        ("Γεια Κ7Ρ", "Γεια"),
        ("hallo,K7P", "hallo,"),  # no space after the comma
        ("Hi:k7p!", "Hi:!"),
    ]
    answered_as_without_the_code(post, work, standin, bodies)
    assert today(redis_conn)[f"code:{code}"] == len(bodies)
    assert people(redis_conn, code) == len(bodies)


def test_reach_is_once_per_person_per_week_per_code_and_later_codes_count_nothing(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    code = register(app, languages="en")
    other = register(app, "Vereniging Voorbeeld", languages="en")
    post(inbound(ALICE, f"hi {code}"))
    post(inbound(ALICE, "1"))
    post(inbound(ALICE, code))  # later in the conversation: ordinary text
    post(inbound(ALICE, f"hi {other}"))  # the first word decides: the menu keyword, no new count
    work()
    replies = sent_to(standin, ALICE)
    assert replies[2].startswith("Sorry, I did not understand that.")
    assert today(redis_conn)[f"code:{code}"] == 1 and f"code:{other}" not in today(redis_conn)
    # Her conversation expires; she comes back with the code: a conversation begun, the same person.
    rt = app.extensions["samen"]
    redis_conn.delete(line_keys.CONVERSATION(rt.keys.pseudonym(ALICE)))
    post(inbound(ALICE, f"hi {code}"))
    counts = today(redis_conn)
    assert counts[f"code:{code}"] == 2 and counts["first:sms"] == 1
    assert people(redis_conn, code) == 1
    # Another week is another count.
    next_week = time.time() + 7 * 86400
    pipe = redis_conn.pipeline(transaction=True)
    tally.count(pipe, [f"code:{code}"], next_week, (code, rt.keys.pseudonym(ALICE)))
    pipe.execute()
    week = tally.week_of(tally.day_of(next_week))
    assert redis_conn.pfcount(core_keys.REACH_PEOPLE(week, code)) == 1
    assert people(redis_conn, code) == 1


def test_unknown_and_retired_codes_are_ordinary_text(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    code = register(app)
    assert mediators(app, "retire", code.lower())[0] == 0
    assert "retired" in mediators(app, "list")[1]
    post(inbound(PEOPLE[0], f"hi {code}"))
    post(inbound(PEOPLE[1], "hi ZZ9"))
    post(inbound(PEOPLE[2], "hi"))
    work()
    assert sent_to(standin, PEOPLE[0]) == sent_to(standin, PEOPLE[1]) == sent_to(standin, PEOPLE[2])
    assert [k for k in today(redis_conn) if k.startswith("code:")] == []
    assert people(redis_conn, code) == 0
    assert mediators(app, "retire", "ZZ9")[0] != 0


def test_screens_languages_lookups_and_erasure_are_counted_without_a_person(
    app: Flask, post: PostFn, work: Callable[[], None], redis_conn: redis.Redis
) -> None:
    for body in ("hi", "2", "2", "8", "Amsterdam", "0", "1", "0", "5", "delete"):
        post(inbound(ALICE, body))
    work()
    counts = today(redis_conn)
    assert counts == {
        "first:sms": 1,
        "language:nl": 1,
        "screen:services": 1,
        "screen:services_place": 1,
        "region:VR13": 1,
        "screen:help_now": 1,
        "screen:share": 1,
        "erase": 1,
    }, counts
    # Counters expire after 400 days; none is named by or holds a pseudonym.
    for key in redis_conn.scan_iter(core_keys.REACH_DAY("*")):
        assert 399 * 86400 < redis_conn.ttl(key) <= tally.KEEP


def seed(conn: redis.Redis, day: date, field: str, times: int) -> None:
    pipe = conn.pipeline(transaction=False)
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM).timestamp()
    for _ in range(times):
        tally.count(pipe, [field], moment)
    pipe.execute()


def hidden_lines(rows: list[list[str]], columns: int) -> list[int]:
    """How many cells each row and each column (totals included) hides."""
    counts = [sum(cell in ("<5", "*") for cell in row) for row in rows]
    return counts + [sum(row[j] in ("<5", "*") for row in rows) for j in range(columns)]


def test_small_numbers_are_hidden_and_cannot_be_worked_out_from_totals(redis_conn: redis.Redis) -> None:
    first = date(2026, 11, 2)
    second = first + timedelta(days=1)
    seed(redis_conn, first, "first:sms", 30)
    seed(redis_conn, first, "first:whatsapp", 3)
    seed(redis_conn, second, "first:sms", 12)
    seed(redis_conn, second, "first:whatsapp", 9)
    table = stats.table(redis_conn, first, second, "day", "channel", hosts=infosessions.hosts)
    assert table.columns == ["period", "channel", "first"]
    cells = {(row[0], row[1]): row[2] for row in table.rows}
    assert cells[("2026-11-02", "whatsapp")] == "<5"
    # Alone, 33 - 30 would give the 3 back: the smallest other count in each line is hidden too.
    hidden = [key for key, value in cells.items() if value in ("<5", "*")]
    assert len(hidden) >= 4
    grid = [[cells[(p, v)] for v in ("sms", "whatsapp", "all")] for p in ("2026-11-02", "2026-11-03", "total")]
    assert 1 not in hidden_lines(grid, 3)
    assert cells[("total", "all")] == "54"
    plain = stats.table(redis_conn, first, second, "day", hosts=infosessions.hosts)
    first_column = {row[0]: row[1] for row in plain.rows}
    assert first_column == {p: cells[(p, "all")] for p in ("2026-11-02", "2026-11-03", "total")}
    # A lone small count is hidden wherever it shows.
    seed(redis_conn, second, "erase", 2)
    weekly = stats.table(redis_conn, first, second, "week", hosts=infosessions.hosts)
    assert {row[0]: row[-1] for row in weekly.rows} == {
        "2026-W45": "<5",
        "total": "<5",
    }
    assert stats.suppress([[4, 0, 4], [0, 0, 0], [4, 0, 4]]) == [["<5", "0", "<5"], ["0", "0", "0"], ["<5", "0", "<5"]]


def test_stats_command_writes_csv_for_a_report(app: Flask, redis_conn: redis.Redis, tmp_path: Path) -> None:
    day = date(2026, 11, 2)
    for field, times in (("code:K7Q", 6), ("replied:1", 2), ("screen:help_now", 8)):
        seed(redis_conn, day, field, times)
    out = tmp_path / "reach.csv"
    november = ["stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "month"]
    result = app.test_cli_runner().invoke(args=[*november, "--group", "code", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["period", "code", "conversations", "replied", "people"]
    assert ["2026-11", "K7Q", "6", "0", "0"] in rows
    assert ["2026-11", "none", "0", "<5", "0"] in rows
    printed = app.test_cli_runner().invoke(args=november)
    assert "<5: a count from 1 to 4, hidden." in printed.output
    header = printed.output.splitlines()[0].split()
    assert header == ["period", *stats.METRICS]


def test_a_returning_person_with_a_code_gets_what_the_rest_of_the_message_asks(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    code = register(app, languages="en")
    rt = app.extensions["samen"]
    for who, body in ((PEOPLE[0], f"{code} help"), (PEOPLE[1], "help"), (PEOPLE[2], f"STOP {code}")):
        post(inbound(who, "hi"))
        post(inbound(who, "1"))
        redis_conn.delete(line_keys.CONVERSATION(rt.keys.pseudonym(who)))  # their conversation expired
        post(inbound(who, body))
    work()
    assert sent_to(standin, PEOPLE[0])[-1] == sent_to(standin, PEOPLE[1])[-1]
    assert sent_to(standin, PEOPLE[0])[-1].startswith("Danger now? Call 112.")
    assert len(sent_to(standin, PEOPLE[2])) == 3  # "STOP K7Q" is no stop word: it is answered
    assert today(redis_conn)[f"code:{code}"] == 2


def _reached(conn: redis.Redis, day: date, code: str, people: int, prefix: str = "p") -> None:
    pipe = conn.pipeline(transaction=False)
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM).timestamp()
    for n in range(people):
        tally.count(pipe, ["first:sms", f"code:{code}"], moment, (code, f"{prefix}-{code}-{n}"))
    pipe.execute()


def _printed(app: Flask, *args: str) -> list[list[str]]:
    result = app.test_cli_runner().invoke(args=["stats", "--from", "2026-11-01", "--to", "2026-11-30", *args])
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()[:-1]]


def test_stats_by_code_counts_the_same_people_by_day_week_and_month_under_plain_headers(
    app: Flask, redis_conn: redis.Redis
) -> None:
    # Six people wrote with K7Q in the week of 2 November, twelve with M4R over two weeks (5 + 7), two with Z9X.
    _reached(redis_conn, date(2026, 11, 2), "K7Q", 6)
    _reached(redis_conn, date(2026, 11, 3), "M4R", 5)
    _reached(redis_conn, date(2026, 11, 10), "M4R", 7, prefix="q")
    _reached(redis_conn, date(2026, 11, 11), "Z9X", 2)
    people = {}
    for by in ("day", "week", "month"):
        rows = _printed(app, "--group", "code", "--by", by)
        assert rows[0] == ["period", "code", "conversations", "replied", "people"], rows[0]
        totals = {row[1]: row for row in rows if row[0] == "total"}
        people[by] = {code: totals[code][4] for code in ("K7Q", "M4R", "Z9X", "all")}
    # By day there is no count per day, but the total is the one the weeks give (it said 0).
    assert people["day"] == people["week"] == people["month"], people
    # Z9X's two are hidden, and so is the next smallest in the total row, so 20 - 6 - 12 does not give them back.
    assert people["week"] == {"K7Q": "*", "M4R": "12", "Z9X": "<5", "all": "20"}
    weekly = {(row[0], row[1]): row[4] for row in _printed(app, "--group", "code", "--by", "week")[1:]}
    assert weekly[("2026-W46", "Z9X")] == "<5"
    daily = {(row[0], row[1]): row[4] if len(row) > 4 else "" for row in _printed(app, "--group", "code")[1:]}
    assert daily[("2026-11-02", "K7Q")] == ""
