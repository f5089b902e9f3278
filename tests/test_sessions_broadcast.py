"""Session files, the operator's commands, announcements, replies and reminders, with a real worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from rq.registry import ScheduledJobRegistry

from samen_sms.announce import broadcast, subscriptions
from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.ratelimit import SharedRate
from samen_sms.announce.templates import load_templates
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.smscost import cost, is_gsm7
from samen_sms.core import redis_keys as core_keys
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from samen_sms.core.quiet import AMSTERDAM, quiet_until
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import replies
from tests.conftest import ALICE, BOB, PUBLIC_URL, PostFn, inbound, sent_to, sign, with_config

CAROL = "+447700900789"
DAVE = "+447700900321"
ERIN = "+447700900654"
SESSION = """
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands" }}
starts = {starts}
description = "Hosted by {{host}} in {{place}}."
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en"]
regions = ["Utrecht"]
"""


@pytest.fixture
def app(config: Config, tmp_path: Path) -> Iterator[Flask]:
    templates = tmp_path / "templates.toml"
    templates.write_text('[announcement.nl]\ncontent_sid = "HX' + "a" * 32 + '"\nvariables = ["title", "date"]\n')
    cfg = with_config(config, quiet_hours="", whatsapp_templates=templates)
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(cfg)):
        yield application


def session_file(tmp_path: Path, body: str | None = None, year: int = datetime.now().year + 1) -> Path:
    path = tmp_path / "session.toml"
    path.write_text(body if body is not None else SESSION.format(starts=f"{year}-03-05T19:30:00"))
    return path


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["sessions", *args])
    return result.exit_code, result.output


def subscribe(app: Flask, number: str, channel: Channel, region: str, locale: str, window: bool = False) -> str:
    rt = app.extensions["samen"]
    p = str(rt.keys.pseudonym(number))
    sealed = rt.keys.seal(Address(channel, number))
    pipe = rt.redis.pipeline(transaction=True)
    subscriptions.subscribe(pipe, p, subscriptions.Subscriber(region, locale, channel, int(time.time()), "d", sealed))
    if window:
        pipe.set(announce_keys.WHATSAPP_WINDOW(p), 1, ex=subscriptions.WHATSAPP_WINDOW)
    pipe.execute()
    return p


def test_bad_session_files_name_the_field_and_create_nothing(
    app: Flask, tmp_path: Path, redis_conn: redis.Redis
) -> None:
    good = SESSION.format(starts="2030-03-05T19:30:00")
    cases = {
        good.replace('host = "Stichting Voorbeeld"\n', ""): "'host'",
        good.replace("starts = 2030-03-05T19:30:00", 'starts = "next tuesday"'): "'starts'",
        good.replace('["Utrecht"]', '["Atlantis"]'): "'regions'",
        good.replace('["nl", "en"]', '["nl", "xx-nope"]'): "'languages'",
        good.replace('en = "Health in the Netherlands"', 'fr = "Santé"'): "'title'",
        good + 'colour = "red"\n': "'colour'",
        good.replace('"Gezondheid in Nederland"', '"Over {phone}"'): "unknown variable",
        good.replace("2030", "2001"): "'starts' is in the past",
        "title = [": "not valid TOML",
        # Operator texts are checked like the line's own: a locked phone shows the first 40 characters.
        good.replace('"Gezondheid in Nederland"', '"Huiselijk geweld en hulp"'): "the title in 'nl' shows geweld",
        good.replace('en = "Health in the Netherlands"', 'en = "Suicide prevention"'): "shows suicid",
    }
    for text, field in cases.items():
        code, output = cli(app, "add", str(session_file(tmp_path, text)))
        assert code != 0 and field in output, (field, output)
    assert infosessions.all_sessions(redis_conn) == []
    code, output = cli(app, "add", str(Path(__file__).parent.parent / "sessions" / "example.toml"))
    assert code == 0, output
    assert output.strip().splitlines()[-1] == "1"


def test_announcement_goes_once_to_each_match_in_their_language(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    alice = subscribe(app, ALICE, Channel.SMS, "VR09", "en")  # Utrecht region
    subscribe(app, BOB, Channel.WHATSAPP, "NL", "nl", window=True)  # whole country, free text
    subscribe(app, CAROL, Channel.WHATSAPP, "VR09", "nl")  # outside the window: template
    subscribe(app, DAVE, Channel.WHATSAPP, "VR09", "en")  # outside the window, no English template
    subscribe(app, ERIN, Channel.SMS, "VR01", "en")  # Groningen: not for them
    code, output = cli(app, "add", str(session_file(tmp_path)))
    assert code == 0, output
    sid = output.strip().splitlines()[-1]
    assert len(ScheduledJobRegistry(queue=app.extensions["samen"].queue)) == 1  # the reminder
    code, output = cli(app, "announce", sid, "--dry-run")
    lines = [line.split() for line in output.splitlines()]
    assert ["en", "sms", "1", "2", "SMS", "segment(s)", "each,", "2", "in", "all"] in lines, output
    assert ["en", "whatsapp-skip", "1"] in [line[:3] for line in lines]
    assert ["nl", "whatsapp", "1"] in [line[:3] for line in lines]
    assert ["nl", "whatsapp-template", "1"] in [line[:3] for line in lines]
    assert "Would send 3 message(s); 2 SMS segment(s)." in output
    assert standin.messages == []

    assert cli(app, "announce", sid)[0] == 0
    work()
    (to_alice,) = sent_to(standin, ALICE)
    assert to_alice.startswith("Information session: Health in the Netherlands")
    assert "Buurthuis, Utrecht" in to_alice and "Send 1" in to_alice
    assert "Hosted by Stichting Voorbeeld in Buurthuis, Utrecht." in to_alice
    (to_bob,) = sent_to(standin, "whatsapp:" + BOB)
    assert to_bob.startswith("Informatiebijeenkomst: Gezondheid in Nederland")
    assert "maart" in to_bob  # a Dutch date, by Babel
    with standin.lock:
        (carol,) = [m for m in standin.messages if m["to"] == "whatsapp:" + CAROL]
    assert carol["_content_sid"].startswith("HX")
    assert json.loads(carol["_content_variables"])["1"] == "Gezondheid in Nederland"
    assert sent_to(standin, "whatsapp:" + DAVE) == [] and sent_to(standin, ERIN) == []

    code, output = cli(app, "status", sid)
    assert "total 4, sent 3, delivered 0, failed 0, skipped 1 (whatsapp_window_closed_no_template 1)" in output
    # Twilio reports a delivery: counted once, even when the callback comes twice.
    with standin.lock:
        first_sid = standin.messages[0]["sid"]
    params = {"MessageSid": first_sid, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    for _ in range(2):
        sig = sign(PUBLIC_URL + "/twilio/status", params)
        assert (
            app.test_client().post("/twilio/status", data=params, headers={"X-Twilio-Signature": sig}).status_code
            == 200
        )
    assert "delivered 1," in cli(app, "status", sid, "--wait")[1]

    # Announcing again sends nothing more.
    cli(app, "announce", sid)
    work()
    assert len(standin.messages) == 3

    # Alice replies 1: interest counted (never who), and she gets the reminder the day before.
    post(inbound(ALICE, "1"))
    work()
    assert sent_to(standin, ALICE)[-1].startswith("Thank you. We will send you a reminder")
    assert redis_conn.hexists(announce_keys.RSVP(sid), alice)
    assert "Interested (replied to the announcement): 1" in cli(app, "status", sid)[1]
    assert "interested <5" in cli(app, "list")[1]  # 1 to 4 as `stats` shows them
    broadcast.enqueue(app.extensions["samen"], sid, BroadcastKind.REMINDER)
    work()
    assert sent_to(standin, ALICE)[-1].startswith("Reminder: Health in the Netherlands")
    assert sent_to(standin, "whatsapp:" + BOB) == [to_bob]
    # What the broadcast kept about who got it, and who replied, expires (the consent itself stays).
    for name in (broadcast.key(f"{sid}:a", "done"), broadcast.key(f"{sid}:r", "done"), announce_keys.RSVP(sid)):
        assert redis_conn.ttl(name) > 0, name


def test_opted_out_or_refused_subscribers_get_nothing(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    bob = subscribe(app, BOB, Channel.SMS, "VR09", "nl")
    subscribe(app, CAROL, Channel.SMS, "VR09", "nl")
    post(inbound(ALICE, "STOP"))
    standin.faults.append(Fault(400, 21610, to=BOB))
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    cli(app, "announce", sid)
    work()
    assert sent_to(standin, ALICE) == [] and sent_to(standin, BOB) == []
    assert len(sent_to(standin, CAROL)) == 1
    assert redis_conn.sismember(announce_keys.OPTOUT(), bob)
    output = cli(app, "status", sid)[1]
    assert "total 3, sent 1, delivered 0, failed 1, skipped 1 (opted_out 1)" in output


def test_quiet_hours_hold_the_announcement(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState
) -> None:
    subscribe(app, ALICE, Channel.SMS, "VR09", "en")
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    rt = app.extensions["samen"]
    now = datetime.now(AMSTERDAM)
    around_now = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    replies.install(worker_context(with_config(rt.config, quiet_hours=around_now)))  # the fixture restores it
    broadcast.enqueue(rt, sid, BroadcastKind.ANNOUNCEMENT)
    work()
    assert standin.messages == []
    assert "waiting for quiet hours to end until" in cli(app, "status", sid)[1]
    assert len(ScheduledJobRegistry(queue=rt.queue)) == 2  # the reminder, and the rest of this broadcast


def test_quiet_hours_windows() -> None:
    night = datetime(2026, 12, 1, 23, 30, tzinfo=AMSTERDAM)
    morning = datetime(2026, 12, 2, 8, 59, tzinfo=AMSTERDAM)
    day = datetime(2026, 12, 2, 12, 0, tzinfo=AMSTERDAM)
    assert quiet_until("21:00-09:00", night) == datetime(2026, 12, 2, 9, 0, tzinfo=AMSTERDAM)
    assert quiet_until("21:00-09:00", morning) == datetime(2026, 12, 2, 9, 0, tzinfo=AMSTERDAM)
    assert quiet_until("21:00-09:00", day) is None
    assert quiet_until("", night) is None
    assert quiet_until("12:00-13:00", day) == datetime(2026, 12, 2, 13, 0, tzinfo=AMSTERDAM)
    with pytest.raises(ValueError):
        quiet_until("late", day)


def test_segments() -> None:
    assert cost("a" * 160).segments == 1
    assert cost("a" * 161).segments == 2
    assert cost("€" * 80).segments == 1 and cost("€" * 81).segments == 2
    assert cost("ë" * 70).segments == 1 and cost("ë" * 71).segments == 2


def test_shared_rate_reserves_evenly_spaced_slots(redis_conn: redis.Redis) -> None:
    rate = SharedRate(redis_conn, "test", rate=1.0, max_wait=3.0)
    waits = [rate.reserve() for _ in range(5)]
    # Slots one second apart on Redis's clock; beyond max_wait the caller is told to come back.
    assert [round(w) for w in waits[:4]] == [0, 1, 2, 3]
    assert waits[4] < 0


def test_templates_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('[announcement.nl]\ncontent_sid = "nope"\n')
    with pytest.raises(ValueError, match="content_sid"):
        load_templates(bad)
    bad.write_text('[announcement.nl]\ncontent_sid = "HX1"\nvariables = ["phone"]\n')
    with pytest.raises(ValueError, match="variables"):
        load_templates(bad)
    bad.write_text('[announcement.nl]\ncontent_sid = "HX1"\nvariables = ["title"]\ntext = 3\n')
    with pytest.raises(ValueError, match="text"):
        load_templates(bad)
    example = load_templates(Path(__file__).parent.parent / "whatsapp_templates.example.toml")
    assert example[(BroadcastKind.ANNOUNCEMENT, "en")].rendered({"title": "T", "date": "D", "place": "P"}) == (
        "Information session: T\nWhen: D\nWhere: P\nReply 1 if you would like to come."
    )
    assert load_templates(None) == {}


def test_a_session_hosted_by_a_mediator_counts_its_replies_in_their_reach(
    app: Flask, tmp_path: Path, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(args=["mediators", "add", "Stichting Voorbeeld", "--languages", "en", "--region", "Utrecht"])
    code = added.output.strip().splitlines()[-1]
    year = datetime.now().year + 1
    body = SESSION.format(starts=f"{year}-03-05T19:30:00") + f'host_code = "{code.lower()}"\n'
    unknown = SESSION.format(starts=f"{year}-03-05T19:30:00") + 'host_code = "ZZ9"\n'
    refused, output = cli(app, "add", str(session_file(tmp_path, unknown)))
    assert refused != 0 and "'host_code'" in output and not redis_conn.exists(announce_keys.SESSIONS())
    status, output = cli(app, "add", str(session_file(tmp_path, body)))
    assert status == 0, output
    assert f"Hosted by: Stichting Voorbeeld (code {code})" in output
    sid = output.strip().splitlines()[-1]
    assert f"host Stichting Voorbeeld ({code})" in cli(app, "list")[1]
    people = [ALICE, BOB, CAROL, DAVE, ERIN, "+447700900111"]
    for number in people:
        subscribe(app, number, Channel.SMS, "VR09", "en")
    assert cli(app, "announce", sid)[0] == 0
    work()
    assert all(sent_to(standin, n)[0].startswith("Information session") for n in people)
    with standin.lock:
        first_sid = standin.messages[0]["sid"]
    params = {"MessageSid": first_sid, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    sig = sign(PUBLIC_URL + "/twilio/status", params)
    app.test_client().post("/twilio/status", data=params, headers={"X-Twilio-Signature": sig})
    for number in people:
        post(inbound(number, "1"))
    work()
    day = redis_conn.hgetall(core_keys.REACH_DAY(datetime.now(AMSTERDAM).date().isoformat()))
    assert day[b"sent"] == b"6" and day[b"delivered"] == b"1" and day[f"replied:{sid}".encode()] == b"6"
    listed = runner.invoke(args=["mediators", "list"]).output
    row = next(line for line in listed.splitlines() if line.startswith(code))
    assert row.split()[-1] == "6"  # session replies, attributed to the host's code


def sorani_session(titles: str, languages: str) -> str:
    """The session file in March, with these titles and languages (TOML)."""
    text = SESSION.format(starts=f"{datetime.now().year + 1}-03-05T19:30:00")
    text = text.replace('nl = "Gezondheid in Nederland", en = "Health in the Netherlands"', titles)
    return text.replace('languages = ["nl", "en"]', f"languages = {languages}")


def test_a_sorani_session_in_march_is_not_refused_for_its_month(app: Flask, tmp_path: Path) -> None:
    # Babel writes March in Sorani ئازار, which holds the Farsi stem for abuse (آزار): a date is no subject.
    code, output = cli(app, "add", str(session_file(tmp_path, sorani_session('ckb = "تەندروستی"', '["ckb"]'))))
    assert code == 0, output
    # The Farsi word itself, in a Sorani title, is still refused.
    code, output = cli(app, "add", str(session_file(tmp_path, sorani_session('ckb = "آزار"', '["ckb"]'))))
    assert code != 0 and "the title in 'ckb' shows" in output, output


def test_a_dutch_announcement_naming_sorani_stays_one_gsm7_sms(app: Flask, tmp_path: Path) -> None:
    # Babel calls Sorani "Soranî" in Dutch: one î would make the whole Dutch SMS UCS-2 (and refused).
    both = sorani_session('nl = "Gezondheid in Nederland", ckb = "تەندروستی"', '["nl", "ckb"]')
    code, output = cli(app, "add", str(session_file(tmp_path, both)))
    assert code == 0, output
    rt = app.extensions["samen"]
    (session,) = infosessions.all_sessions(rt.redis)
    text = infosessions.render(rt.renderer, session, "nl", Channel.SMS, BroadcastKind.ANNOUNCEMENT)
    assert "Talen: Nederlands, Sorani." in text
    assert is_gsm7(text)


def test_broadcast_kinds_keep_the_values_stored_in_redis_and_in_jobs() -> None:
    assert [(kind.value, kind.label) for kind in BroadcastKind] == [
        ("a", "announcement"),
        ("r", "reminder"),
        ("c", "change"),
        ("x", "cancellation"),
    ]
    assert BroadcastKind.ANNOUNCEMENT.of("12") == "12:a" and BroadcastKind.REMINDER.of("12") == "12:r"
    assert BroadcastKind.read("r") is BroadcastKind.REMINDER and BroadcastKind.read("z") is None
    assert BroadcastKind.from_label("reminder") is BroadcastKind.REMINDER and BroadcastKind.from_label("a") is None


def test_a_queued_broadcast_job_carries_its_kind_as_plain_text(app: Flask, tmp_path: Path) -> None:
    # Plain text, not the enum: the release before this one reads the job, as this one reads its jobs.
    rt = app.extensions["samen"]
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]
    job = rt.queue.fetch_job(broadcast.enqueue(rt, sid, BroadcastKind.ANNOUNCEMENT))
    assert (type(job.args[1]), job.args[1]) == (str, "a")
