"""After a worker dies mid-announcement, a WhatsApp template is recognised by its text, never by any message."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import Fault, StandinState, template_texts
from samen_sms.line import replies
from tests.conftest import PostFn, Processes, inbound, wait_until, with_config
from tests.test_sessions_broadcast import CAROL, SESSION, cli, subscribe

CAROL_WA = "whatsapp:" + CAROL
TEMPLATE = """
[announcement.nl]
content_sid = "HX{sid}"
variables = ["title", "date", "place"]
text = "Informatiebijeenkomst: {{{{1}}}}\\nWanneer: {{{{2}}}}\\nWaar: {{{{3}}}}"
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    path = tmp_path / "templates.toml"
    path.write_text(TEMPLATE.format(sid="b" * 32))
    return path


@pytest.fixture
def app(config: Config, templates: Path, standin: StandinState) -> Iterator[Flask]:
    cfg = with_config(config, quiet_hours="", whatsapp_templates=templates)
    standin.templates = template_texts(templates)  # Twilio knows the approved text by its Content SID
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(cfg)):
        yield application


def start_announcement(app: Flask, processes: Processes, templates: Path, tmp_path: Path) -> str:
    """Carol (WhatsApp, window closed: the template) is announced to by a worker this test can kill."""
    subscribe(app, CAROL, Channel.WHATSAPP, "VR09", "nl")
    session = tmp_path / "session.toml"
    session.write_text(SESSION.format(starts=f"{datetime.now().year + 1}-03-05T19:30:00"))
    sid = cli(app, "add", str(session))[1].strip().splitlines()[-1]
    processes.env.update(
        SAMEN_QUIET_HOURS="", SAMEN_BROADCAST_LEASE="2", SAMEN_WHATSAPP_TEMPLATES=str(templates)
    )
    return sid


def crash_then_carol_writes(
    app: Flask, processes: Processes, standin: StandinState, sid: str, sending: Callable[[], bool]
) -> None:
    worker = processes.worker(processes=1)
    assert cli(app, "announce", sid)[0] == 0
    assert wait_until(sending, timeout=20), processes.output()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    assert wait_until(lambda: standin.in_flight == 0, timeout=10)
    standin.delay = standin.hold = 0.0


def finish(app: Flask, processes: Processes, redis_conn: redis.Redis, sid: str) -> None:
    """The operator starts a worker and announces again; the broadcast ends with Carol sent to."""
    processes.worker(processes=1)
    lease = announce_keys.BROADCAST_LEASE(f"{sid}:a")
    assert wait_until(lambda: not redis_conn.exists(lease), timeout=10)  # the dead job's lease runs out
    assert cli(app, "announce", sid)[0] == 0
    state = announce_keys.BROADCAST_STATE(f"{sid}:a")
    assert wait_until(lambda: redis_conn.hget(state, "phase") == b"done", timeout=30), processes.output()
    assert redis_conn.hvals(announce_keys.BROADCAST_DONE(f"{sid}:a")) == [b"s"]


def carols(standin: StandinState) -> list[dict[str, str]]:
    with standin.lock:
        return [m for m in standin.messages if m["to"] == CAROL_WA]


def test_a_template_twilio_took_before_the_crash_is_not_sent_again(
    app: Flask,
    processes: Processes,
    standin: StandinState,
    redis_conn: redis.Redis,
    post: PostFn,
    work: Callable[[], None],
    templates: Path,
    tmp_path: Path,
) -> None:
    sid = start_announcement(app, processes, templates, tmp_path)
    standin.hold = 1.5  # Twilio has the template; its answer has not reached the worker when it dies
    crash_then_carol_writes(app, processes, standin, sid, lambda: len(carols(standin)) == 1)
    post(inbound(CAROL_WA, "hallo"))  # Carol writes in meanwhile: the line answers (and her window opens)
    work()
    assert len(carols(standin)) == 2
    finish(app, processes, redis_conn, sid)
    got = carols(standin)
    assert len(got) == 2, [m["body"] for m in got]  # the template and the reply; no second announcement
    assert got[0]["_content_sid"] == "HX" + "b" * 32
    assert got[0]["body"].startswith("Informatiebijeenkomst: Gezondheid in Nederland\nWanneer: ")


def test_a_reply_sent_after_the_claim_does_not_count_as_the_template(
    app: Flask,
    processes: Processes,
    standin: StandinState,
    redis_conn: redis.Redis,
    post: PostFn,
    work: Callable[[], None],
    templates: Path,
    tmp_path: Path,
) -> None:
    sid = start_announcement(app, processes, templates, tmp_path)
    standin.delay = 1.5  # Twilio is slow, then refuses: the template never reaches it
    standin.faults.append(Fault(status=503, code=20503, count=1, to=CAROL_WA))
    crash_then_carol_writes(app, processes, standin, sid, lambda: standin.in_flight > 0)
    post(inbound(CAROL_WA, "hallo"))  # the line answers Carol after the claim, before the recovery
    work()
    (reply,) = carols(standin)
    assert reply["_content_sid"] is None
    p = app.extensions["samen"].keys.pseudonym(CAROL)
    redis_conn.delete(announce_keys.WHATSAPP_WINDOW(p))  # the worker is back only a day later: window closed
    finish(app, processes, redis_conn, sid)
    got = carols(standin)
    assert len(got) == 2, [m["body"] for m in got]  # the reply, then the announcement, once
    assert got[1]["_content_sid"] == "HX" + "b" * 32
