"""Reminders that arrive and sessions that change: scheduled with RQ, run by real workers with their scheduler.

The line's clock for scheduling is given (`reminders.schedule(..., now)`, as `quiet_until` takes
its `now`); the passing of time for RQ is `clock_reaches`: every job scheduled up to that moment
becomes due, and a real worker with its scheduler (what `python -m workers` runs) moves it onto
the queue and runs it. Replies arrive by signed webhook and go out through the Twilio stand-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
import redis
from flask import Flask
from rq.registry import ScheduledJobRegistry

from samen_sms.announce import changes, reminders, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from tests.conftest import ALICE, BOB, BurstWorker, PostFn, inbound, sent_to, with_config

CAROL = "+447700900789"
DAVE = "+447700900321"
SESSION = """
title = {{ nl = "Gezondheid in Nederland", en = "Health in the Netherlands", ar = "الصحة في هولندا" }}
starts = {starts}
place = "Buurthuis, Utrecht"
host = "Stichting Voorbeeld"
languages = ["nl", "en", "ar"]
regions = ["Utrecht"]
"""


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    cfg = with_config(config, quiet_hours="")  # the real clock may be at night; quiet hours are tested elsewhere
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(cfg)):
        yield application


def subscribe(app: Flask, number: str, locale: str) -> str:
    rt = app.extensions["samen"]
    p = str(rt.keys.pseudonym(number))
    sealed = rt.keys.seal(Address(Channel.SMS, number))
    sub = subscriptions.Subscriber("VR09", locale, Channel.SMS, int(time.time()), "d", sealed)
    pipe = rt.redis.pipeline(transaction=True)
    subscriptions.subscribe(pipe, p, sub)
    pipe.execute()
    return p


def add_session(app: Flask, starts: datetime, added: datetime) -> infosessions.InfoSession:
    """What `sessions add` and the console's form do, with the line's clock at `added`."""
    rt = app.extensions["samen"]
    text = SESSION.format(starts=starts.strftime("%Y-%m-%dT%H:%M:%S"))
    session = infosessions.parse_session(text, rt.content.places, list(rt.content.flow.languages))
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    reminders.schedule(rt, stored, pipe, added)
    pipe.execute()
    return stored


def scheduled(app: Flask) -> list[datetime]:
    registry = ScheduledJobRegistry(queue=app.extensions["samen"].queue)
    return sorted(registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids())


def clock_reaches(app: Flask, moment: datetime) -> None:
    """Time passes up to `moment`: every job scheduled until then is due now; a worker with its scheduler runs them."""
    rt = app.extensions["samen"]
    registry = ScheduledJobRegistry(queue=rt.queue)
    for job_id in registry.get_job_ids():
        if registry.get_scheduled_time(job_id) <= moment.astimezone(UTC):
            job = rt.queue.fetch_job(job_id)
            registry.schedule(job, datetime.now(UTC) - timedelta(seconds=1))
    run_workers(app)


def run_workers(app: Flask) -> None:
    rt = app.extensions["samen"]
    worker = BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis)
    worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def reminders_to(standin: StandinState, number: str) -> list[str]:
    starts = ("Reminder:", "Herinnering:", "تذكير:")
    return [body for body in sent_to(standin, number) if body.startswith(starts)]


def test_reminder_time_is_sensible_and_never_now() -> None:
    def session(starts: datetime) -> infosessions.InfoSession:
        return infosessions.InfoSession("1", {"*": "t"}, {}, starts.timestamp(), None, "p", False, "h", ["nl"], ["NL"])

    day = datetime(2030, 3, 5, tzinfo=AMSTERDAM)
    at = lambda d, h, m=0: day.replace(hour=h, minute=m) + timedelta(days=d)  # noqa: E731
    # Added at 14:00 for 19:00 the next day: the day before at 10:00 has passed; the day itself at 10:00.
    assert reminders.reminder_time(session(at(1, 19)), at(0, 14)) == at(1, 10)
    # Added in time: the day before at 10:00.
    assert reminders.reminder_time(session(at(1, 19)), at(0, 8)) == at(0, 10)
    # Added at noon for 19:00 the same day: three hours before.
    assert reminders.reminder_time(session(at(0, 19)), at(0, 12)) == at(0, 16)
    # A morning session added the evening before: three hours before it, quiet hours or not (the job waits them out).
    assert reminders.reminder_time(session(at(1, 11)), at(0, 20)) == at(1, 8)
    # Within three hours: none scheduled (each yes gets it at once).
    assert reminders.reminder_time(session(at(0, 19)), at(0, 17)) is None
    assert reminders.short_notice(session(at(1, 19)), at(0, 8)) is False
    assert reminders.short_notice(session(at(1, 19)), at(0, 14)) == at(1, 10)


def test_a_session_added_at_14_for_19_the_next_day_reminds_all_three_who_said_yes(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, ALICE, "en")
    subscribe(app, BOB, "nl")
    subscribe(app, CAROL, "ar")
    # The scenario's day lies ahead of the real clock, so every time in it is still to come.
    day = datetime.combine(datetime.now(AMSTERDAM).date() + timedelta(days=2), clock(0), tzinfo=AMSTERDAM)
    added, starts = day.replace(hour=14), day.replace(hour=19) + timedelta(days=1)
    session = add_session(app, starts, added)
    remind_at = (day + timedelta(days=1)).replace(hour=10)
    assert scheduled(app) == [remind_at.astimezone(UTC)]  # never "now", never to nobody
    runner = app.test_cli_runner()
    assert "Reminder: scheduled for " + remind_at.strftime("%Y-%m-%d %H:%M") in runner.invoke(
        args=["sessions", "status", session.id]
    ).output
    assert runner.invoke(args=["sessions", "announce", session.id]).exit_code == 0
    work()
    assert [len(sent_to(standin, n)) for n in (ALICE, BOB, CAROL)] == [1, 1, 1]

    # Two say yes in the afternoon, in words; the third at 17:00, after the reminder's old time of "now".
    post(inbound(ALICE, "1"))
    post(inbound(BOB, "Ja, ik kom graag!"))
    clock_reaches(app, day.replace(hour=16))
    post(inbound(CAROL, "نعم سأحضر إن شاء الله"))
    clock_reaches(app, day.replace(hour=17))
    assert sent_to(standin, ALICE)[-1].startswith("Thank you. We will send you a reminder before the session.")
    assert sent_to(standin, BOB)[-1].startswith("Dank je. We sturen je voor de bijeenkomst een herinnering.")
    assert sent_to(standin, CAROL)[-1].startswith("شكرا. سنرسل لكم تذكيرا قبل الجلسة.")
    assert [reminders_to(standin, n) for n in (ALICE, BOB, CAROL)] == [[], [], []]  # not yet: 10:00 tomorrow

    clock_reaches(app, remind_at)
    (to_alice,), (to_bob,), (to_carol,) = (reminders_to(standin, n) for n in (ALICE, BOB, CAROL))
    assert to_alice.startswith("Reminder: Health in the Netherlands") and "Buurthuis, Utrecht" in to_alice
    assert to_bob.startswith("Herinnering: Gezondheid in Nederland") and "Morgen" not in to_bob
    assert to_carol.startswith("تذكير: الصحة في هولندا")

    # Dave says yes after the reminder went: he gets it at once, and nobody gets a second one.
    subscribe(app, DAVE, "en")
    assert runner.invoke(args=["sessions", "announce", session.id]).exit_code == 0
    work()
    post(inbound(DAVE, "yes, I will come"))
    run_workers(app)
    assert any(body.startswith("Thank you. We will send you a reminder") for body in sent_to(standin, DAVE))
    assert len(reminders_to(standin, DAVE)) == 1
    assert [len(reminders_to(standin, n)) for n in (ALICE, BOB, CAROL)] == [1, 1, 1]

    # Moved a day later, to another place: all four are told, in their language, and reminded again.
    later = infosessions.parse_session(
        SESSION.format(starts=(starts + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")).replace(
            "Buurthuis, Utrecht", "Wijkcentrum De Brug, Utrecht"
        ),
        app.extensions["samen"].content.places,
        list(app.extensions["samen"].content.flow.languages),
    )
    told = changes.change(app.extensions["samen"], infosessions.get(redis_conn, session.id), later, remind_at)
    assert told is changes.Told.NOTICE
    run_workers(app)
    notice = sent_to(standin, ALICE)[-1]
    assert notice.startswith("Change: Health in the Netherlands") and "Wijkcentrum De Brug" in notice
    assert "112" in notice and len(notice) <= 320
    assert sent_to(standin, BOB)[-1].startswith("Gewijzigd: Gezondheid in Nederland")
    assert sent_to(standin, CAROL)[-1].startswith("تغيير: الصحة في هولندا")
    assert sent_to(standin, DAVE)[-1].startswith("Change: Health in the Netherlands")
    clock_reaches(app, (starts + timedelta(days=1)).replace(hour=10))
    assert [len(reminders_to(standin, n)) for n in (ALICE, BOB, CAROL, DAVE)] == [2, 2, 2, 2]
    assert "Wijkcentrum De Brug" in reminders_to(standin, ALICE)[-1]


def test_a_cancelled_session_tells_who_is_coming_and_never_reminds(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    subscribe(app, ALICE, "en")
    subscribe(app, BOB, "nl")
    now = datetime.now(AMSTERDAM)
    session = add_session(app, (now + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0), now)
    app.test_cli_runner().invoke(args=["sessions", "announce", session.id])
    work()
    post(inbound(ALICE, "1"))
    post(inbound(BOB, "Nee, ik kan helaas niet"))
    work()
    assert sent_to(standin, BOB)[-1].startswith("Goed, bedankt dat je het laat weten.")
    assert changes.cancel(app.extensions["samen"], session) is changes.Told.NOTICE
    run_workers(app)
    cancelled = sent_to(standin, ALICE)[-1]
    assert cancelled.startswith("Cancelled: Health in the Netherlands") and "112" in cancelled
    assert len(sent_to(standin, BOB)) == 2  # said no: no notice
    clock_reaches(app, datetime.fromtimestamp(session.starts, AMSTERDAM))
    assert reminders_to(standin, ALICE) == []
    # A yes to a cancelled session schedules nothing either.
    assert infosessions.get(redis_conn, session.id).cancelled  # type: ignore[union-attr]
