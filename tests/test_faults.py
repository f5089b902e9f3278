"""Never silent: Redis down, Redis hanging, Redis restarted; the line answers and recovers by itself."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker
from tests.conftest import (
    ALICE,
    BOB,
    PUBLIC_URL,
    Processes,
    inbound,
    sent_to,
    sign,
    wait_until,
)
from tests.conftest import test_env as line_env

EMERGENCY = ("112", "0800-2000", "0800-0188")


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, which it may stop, freeze or restart."""
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-fault-redis-"))).start()
    yield server
    if server.process and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.fixture
def own_app(own_redis: EmbeddedRedis, config: Config) -> Iterator[Flask]:
    cfg = replace(config, redis_url=own_redis.url)
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(cfg)):
        yield application


def post_to(client: FlaskClient, params: dict[str, str]) -> tuple[int, str]:
    sig = sign(PUBLIC_URL + "/twilio/inbound", params)
    response = client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig})
    return response.status_code, response.data.decode()


def fallback_in(app: Flask, locales: list[str]) -> list[str]:
    """The fallback texts of these languages, as the catalogues word them."""
    rt = app.extensions["samen"]
    return [rt.renderer.message(loc, "fallback", Channel.SMS) for loc in locales]


@pytest.mark.parametrize(
    ("body", "locales"),
    [
        ("hi", ["nl", "en"]),
        ("", ["nl", "en"]),
        ("مرحبا، أحتاج مساعدة", ["ar", "fa"]),  # Arabic letters: Arabic and Farsi readers alike
        ("Привіт", ["uk"]),
        ("ሰላም", ["ti"]),
    ],
)
def test_redis_down_the_webhook_still_answers_with_emergency_numbers(
    own_app: Flask, own_redis: EmbeddedRedis, body: str, locales: list[str]
) -> None:
    own_redis.stop()
    status, twiml = post_to(own_app.test_client(), inbound(ALICE, body))
    assert status == 200
    assert "<Message>" in twiml
    for number in EMERGENCY:
        assert number in twiml
    for text in fallback_in(own_app, locales):
        assert text in twiml


def test_redis_hanging_the_webhook_answers_before_twilio_gives_up(own_app: Flask, own_redis: EmbeddedRedis) -> None:
    client = own_app.test_client()
    assert post_to(client, inbound(ALICE, "hi"))[0] == 200  # a pooled connection exists, as in production
    assert own_redis.process is not None
    os.kill(own_redis.process.pid, signal.SIGSTOP)  # Redis accepts connections but never answers
    try:
        started = time.monotonic()
        status, twiml = post_to(client, inbound(ALICE, "1"))
        took = time.monotonic() - started
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    assert status == 200
    assert all(number in twiml for number in EMERGENCY)
    assert took < 10, f"Twilio waits 15 s at most; the webhook took {took:.1f} s"
    # Redis answers again: the next message is handled normally.
    status, twiml = post_to(client, inbound(ALICE, "2"))
    assert (status, twiml.endswith("<Response />")) == (200, True)


def test_redis_restart_in_process_recovers_without_restarting_anything(
    own_app: Flask, own_redis: EmbeddedRedis, standin: StandinState
) -> None:
    client = own_app.test_client()
    rt = own_app.extensions["samen"]

    def work() -> None:
        LineWorker([rt.urgent_queue, rt.queue], connection=rt.redis).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )

    assert post_to(client, inbound(ALICE, "hi"))[1].endswith("<Response />")
    work()
    own_redis.restart()
    status, twiml = post_to(client, inbound(ALICE, "1"))
    assert (status, twiml.endswith("<Response />")) == (200, True)  # answered through the queue, not the fallback
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 2
    assert replies[1].startswith("Reply with a number:")  # the language chosen before the restart survived


def test_redis_restart_under_gunicorn_and_workers(
    own_redis: EmbeddedRedis, standin_server: tuple[str, StandinState], standin: StandinState
) -> None:
    procs = Processes(line_env(own_redis.url, standin_server[0], SAMEN_SWEEP_INTERVAL="2"))
    try:
        url = procs.web(free_port(), workers=1)
        procs.worker(processes=1)

        def say(sender: str, text: str) -> str:
            params = inbound(sender, text)
            sig = sign(PUBLIC_URL + "/twilio/inbound", params)
            return requests.post(
                url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15
            ).text

        assert say(ALICE, "hi").endswith("<Response />")
        assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1, timeout=20), procs.output()
        own_redis.restart()
        assert say(ALICE, "1").endswith("<Response />")
        assert say(BOB, "hallo").endswith("<Response />")
        assert wait_until(lambda: len(sent_to(standin, ALICE)) == 2 and len(sent_to(standin, BOB)) == 1, 30), (
            procs.output()
        )
        assert sent_to(standin, ALICE)[1].startswith("Reply with a number:")
    finally:
        procs.stop()


def test_a_failing_step_after_redis_answered_still_gets_the_emergency_numbers(
    app: Flask, client: FlaskClient, redis_conn: redis.Redis
) -> None:
    def broken_effect(*_: object) -> None:
        raise RuntimeError("a module's effect hook failed")

    app.extensions["samen"].registry.on_message.append(broken_effect)
    status, twiml = post_to(client, inbound(ALICE, "hi"))
    assert status == 200
    assert all(number in twiml for number in EMERGENCY)
    assert redis_conn.llen("rq:queue:samen") == redis_conn.llen("rq:queue:samen-urgent") == 0  # nothing half-queued
