"""The console's reach figures with real parts: the overview's windows and the mediators' pages as each
role sees them (small numbers hidden as `reach.stats` hides them), the poster, and the sign-in throttle
behind a trusted proxy."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import redis
from flask import Flask

from samen_sms.app import create_app
from samen_sms.console import redis_keys as console_keys
from samen_sms.console.auth import qr_data_uri
from samen_sms.console.keys import ConsoleKeys
from samen_sms.core import tally
from samen_sms.core.config import Config
from samen_sms.reach import forward, mediators
from tests.conftest import with_config
from tests.console_support import csrf, staff_client

DAY = 24 * 3600


def count(conn: redis.Redis, names: list[str], times: int = 1, days_back: int = 0) -> None:
    """Count as the line does (`tally.count`): `times` messages, each adding one to every field."""
    pipe = conn.pipeline()
    for _ in range(times):
        tally.count(pipe, names, time.time() - days_back * DAY)
    pipe.execute()


def reach(conn: redis.Redis, code: str, people: int) -> None:
    """`people` different people write first with the code this week."""
    pipe = conn.pipeline()
    for n in range(people):
        tally.count(pipe, ["first:sms", f"code:{code}"], time.time(), (code, f"pseudonym-{code}-{n}"))
    pipe.execute()


def register(app: Flask, name: str, languages: str) -> str:
    result = app.test_cli_runner().invoke(args=["mediators", "add", name, "--languages", languages, "--region", "NL"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def section(page: str, heading: str) -> str:
    """The part of a page under one <h3> heading, up to the next."""
    return page.split(f"<h3>{heading}</h3>", 1)[1].split("<h3>", 1)[0]


def test_the_overview_shows_today_7_and_30_days_with_a_3_hidden_everywhere(
    app: Flask, redis_conn: redis.Redis
) -> None:
    count(redis_conn, ["first:sms", "language:nl"], times=30)
    count(redis_conn, ["first:whatsapp", "language:ar"], times=3)
    count(redis_conn, ["screen:help_now"], times=8)
    count(redis_conn, ["opted_in:VR13", "delivered"], times=6)
    count(redis_conn, ["first:sms"], times=10, days_back=3)
    client = staff_client(app, "c@example.org", "coordinator")
    page = client.get("/console/").get_data(as_text=True)
    first = page.split("First contacts</th>", 1)[1].split("</tr>", 1)[0]
    assert first == "<td>33</td><td>43</td><td>43</td><td>—</td>"
    assert "Opt-ins to announcements</th><td>6</td><td>6</td><td>6</td>" in page
    assert "Announcements delivered</th><td>6</td>" in page and "Screens opened</th><td>8</td>" in page
    for window in ("today", "7 days", "30 days"):
        # One window at a time (issue 22: the page repeated its blocks three times).
        chosen = client.get(f"/console/?window={window}").get_data(as_text=True)
        shown = chosen.split('id="breakdown-h"', 1)[1].split('id="subscribers-h"', 1)[0]
        assert f'aria-current="page">{window}</a>' in shown
        # The 3 is hidden, and so is the count beside it: the total (33 today) minus 30 would give it back.
        assert "<td>WhatsApp</td><td>&lt;5</td>" in shown and "<td>SMS</td><td>*</td>" in shown
        assert "<td>العربية</td><td>&lt;5</td>" in shown and "<td>Nederlands</td><td>*</td>" in shown
        # Screens by their menu titles, not the flow's ids.
        assert "<td>Help now</td><td>8</td>" in shown and "help_now" not in chosen
        assert 'role="img"' in shown
        assert chosen.count("First contacts by channel</h3>") == 1
    assert "<td>SMS</td><td>30</td>" not in page and "<td>SMS</td><td>40</td>" not in page
    # The per-day chart's table: today's 33 shows, a day with only small counts would say <5.
    assert "<td>33</td>" in section(page, "First contacts per day, last 30 days")


def test_coordinators_see_every_code_and_a_mediator_only_their_own(app: Flask, redis_conn: redis.Redis) -> None:
    mine = register(app, "Stichting Voorbeeld", "ar,ti")
    other = register(app, "Vereniging Fictief", "nl")
    reach(redis_conn, mine, 7)
    reach(redis_conn, other, 3)
    coordinator = staff_client(app, "c@example.org", "coordinator")
    listing = coordinator.get("/console/mediators").get_data(as_text=True)
    assert "Stichting Voorbeeld" in listing and "Vereniging Fictief" in listing
    today = tally.day_of(time.time())
    monday = today - timedelta(days=today.weekday())
    # Weeks as people say them: by their Monday ("7 Dec"), not "W50".
    assert f'<th scope="col">{monday.day} {monday.strftime("%b")}</th>' in listing and "-W" not in listing
    assert tally.week_of(today)[5:] not in listing and "<td>7</td>" in listing and "<td>&lt;5</td>" in listing
    assert "<td>3</td>" not in listing
    assert coordinator.get(f"/console/mediators/{other}").status_code == 200

    mediator = staff_client(app, "m@example.org", "mediator", mine)
    assert mediator.get("/console/mediators").headers["Location"].endswith(f"/console/mediators/{mine}")
    own = mediator.get(f"/console/mediators/{mine.lower()}").get_data(as_text=True)
    assert "Stichting Voorbeeld" in own and "<td>7</td>" in own
    assert other not in own and "Vereniging Fictief" not in own
    texts = forward.forwards(app.extensions["samen"], mediators.get(redis_conn, mine))  # type: ignore[arg-type]
    assert [t.locale for t in texts] == ["ar", "ti"] and all(mine in t.link for t in texts)
    assert texts[0].text in own and texts[0].link.replace("&", "&amp;") in own
    assert qr_data_uri(texts[0].link, scale=4) in own
    for path in (f"/console/mediators/{other}", f"/console/mediators/{other}/poster", "/console/mediators/ZZZ9"):
        assert mediator.get(path).status_code == 403


def test_the_poster_carries_the_code_in_the_qr_and_the_mediators_languages(
    app: Flask, redis_conn: redis.Redis
) -> None:
    code = register(app, "Stichting Voorbeeld", "ar,ti")
    mediator = staff_client(app, "m@example.org", "mediator", code)
    poster = mediator.get(f"/console/mediators/{code}/poster").get_data(as_text=True)
    texts = forward.forwards(app.extensions["samen"], mediators.get(redis_conn, code))  # type: ignore[arg-type]
    assert qr_data_uri(texts[0].link, scale=8) in poster
    assert "+44 7700 900000" in poster and 'lang="ar"' in poster and 'lang="ti"' in poster
    assert 'lang="nl"' not in poster and poster.count(code) >= 2


def _failed_sign_in(app: Flask, forwarded: str) -> list[str]:
    """One failed sign-in through a proxy; the addresses whose throttle counted it."""
    client = app.test_client()
    # A production proxy says the request came by https (samen_sms/line/proxies.py).
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    token = csrf(client)
    data = {"csrf_token": token, "email": "x@example.org", "password": "wrong", "code": "000000"}
    headers = {"X-Forwarded-For": forwarded, "Referer": "https://localhost/console/sign-in"}
    assert client.post("/console/sign-in", data=data, headers=headers).status_code == 401
    keys: ConsoleKeys = app.extensions["samen.console"]
    conn = app.extensions["samen"].redis
    throttled = console_keys.CONSOLE_THROTTLE
    return [a for a in ("127.0.0.1", forwarded) if conn.exists(throttled("address", keys.digest(a)))]


def test_the_sign_in_throttle_counts_the_client_behind_a_trusted_proxy_only_when_told(
    config: Config, redis_conn: redis.Redis
) -> None:
    assert config.trusted_proxies == 0
    assert _failed_sign_in(create_app({"TESTING": True}, config=config), "203.0.113.7") == ["127.0.0.1"]
    redis_conn.flushdb()
    behind = create_app({"TESTING": True}, config=with_config(config, trusted_proxies=1))
    assert _failed_sign_in(behind, "203.0.113.7") == ["203.0.113.7"]


def two_last_week_seven_this_week(app: Flask, conn: redis.Redis) -> str:
    """A mediator's code that reached 2 people last week and 7 this week: its code."""
    mine = register(app, "Stichting Voorbeeld", "ar,ti")
    reach(conn, mine, 7)
    pipe = conn.pipeline()
    for n in range(2):
        tally.count(pipe, ["first:sms", f"code:{mine}"], time.time() - 7 * DAY, (mine, f"pseudonym-last-week-{n}"))
    pipe.execute()
    return mine


def said(week: str) -> str:
    """An ISO week as the mediator's page names it: "week of 7 December" (its Monday)."""
    from datetime import date

    from babel.dates import format_date

    year, number = week.split("-W")
    return "week of " + format_date(date.fromisocalendar(int(year), int(number), 1), "d MMMM", locale="en")


def test_a_code_s_total_never_gives_back_a_week_hidden_as_under_five(app: Flask, redis_conn: redis.Redis) -> None:
    # 2 people last week, 7 this week: "<5", "7" and "all weeks: 9" would say the <5 is 2.
    mine = two_last_week_seven_this_week(app, redis_conn)
    this_week = tally.week_of(tally.day_of(time.time()))
    last_week = tally.week_of(tally.day_of(time.time() - 7 * DAY))
    mediator = staff_client(app, "m@example.org", "mediator", mine)
    own = mediator.get(f"/console/mediators/{mine}").get_data(as_text=True)
    assert f"<td>{said(last_week)}</td><td>&lt;5</td>" in own
    assert f"<td>{said(this_week)}</td><td>*</td>" in own and "All weeks</th><td>9</td>" in own
    assert "<td>7</td>" not in own and "* where the total would give one back" in own
    coordinator = staff_client(app, "c@example.org", "coordinator")
    listing = coordinator.get("/console/mediators").get_data(as_text=True)
    row = listing.split(f">{mine}</a></th>", 1)[1].split("</tr>")[0]
    assert row.endswith("<td>&lt;5</td><td>*</td><td>9</td>"), row


def test_the_stats_command_hides_a_week_its_code_total_would_give_back(
    app: Flask, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    # As on the console's pages: 2 people last week, 7 this week and 9 in all would say the <5 is 2.
    mine = two_last_week_seven_this_week(app, redis_conn)
    days = [tally.day_of(time.time() - back * DAY).isoformat() for back in (7, 0)]
    out = tmp_path / "reach.csv"
    args = ["stats", "--from", days[0], "--to", days[1], "--by", "week", "--group", "code", "--csv", str(out)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8").splitlines()
    people = {tuple(row.split(",")[:2]): row.split(",")[-1] for row in rows[1:]}
    weeks = sorted({period for period, code in people if code == mine and period != "total"})
    shown = [people[(week, mine)] for week in weeks] + [people[("total", mine)]]
    assert shown.count("<5") == 1 and "*" in shown, shown
