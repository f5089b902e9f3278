"""Twilio refusing the line itself (bad credentials, a sender not on the account) is the line's fault.

It is logged as an error and shown by /healthz, the reply stays owed and goes out once the fault
is fixed, and nothing is counted against the person (no give-up, no opt-out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from rq import Queue
from rq.registry import ScheduledJobRegistry

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.sender import LINE_FAULT_CODES
from tests.conftest import (
    ALICE,
    BOB,
    PUBLIC_URL,
    SECRET_KEY,
    WHATSAPP_FROM,
    BurstWorker,
    PostFn,
    Processes,
    inbound,
    sent_to,
    sign,
    wait_until,
    with_config,
)


def health(url: str, strict: bool = False) -> tuple[int, dict[str, Any]]:
    response = requests.get(url + "/healthz" + ("?strict=1" if strict else ""), timeout=5)
    return response.status_code, response.json()


def say(url: str, sender: str, text: str) -> str:
    params = inbound(sender, text)
    signature = sign(PUBLIC_URL + "/twilio/inbound", params)
    headers = {"X-Twilio-Signature": signature}
    return requests.post(url + "/twilio/inbound", data=params, headers=headers, timeout=15).text


def pseudonym(number: str) -> str:
    from samen_sms.core.identity import Keys

    return Keys(SECRET_KEY, None).pseudonym(number)


@pytest.mark.parametrize(
    ("fault", "where"), [(Fault(401, 20003, count=10_000), "account"), (Fault(400, 21606, count=10_000), "sms")]
)
def test_a_refusal_of_the_line_itself_keeps_the_reply_owed_until_fixed(
    processes: Processes, standin: StandinState, redis_conn: redis.Redis, fault: Fault, where: str
) -> None:
    processes.env["SAMEN_SWEEP_INTERVAL"] = "2"
    url = processes.web(free_port(), workers=1)
    processes.worker(processes=1)
    assert wait_until(lambda: health(url)[1]["workers"] == 1, timeout=20), processes.output()  # alive
    standin.faults.append(fault)
    assert say(url, ALICE, "hi").endswith("<Response />")

    # The line says it is degraded, names the code, and the worker logs an error.
    assert wait_until(lambda: health(url)[1]["status"] == "degraded", timeout=20), processes.output()
    status, body = health(url)
    assert status == 200  # a load balancer keeps the web process: it still takes messages in
    assert body["twilio"]["refused"] == {where: {"code": fault.code, "at": body["twilio"]["refused"][where]["at"]}}
    assert health(url, strict=True)[0] == 503  # a monitor that reads status codes sees it
    logged = f"ERROR samen_sms.line.replies: Twilio refuses the line itself (code {fault.code}"
    assert wait_until(lambda: logged in processes.output())
    assert wait_until(lambda: fault.count <= 10_000 - 2, timeout=20)  # retried, with back-off

    # Nothing was held against the person, and the reply is still owed.
    p = pseudonym(ALICE)
    assert redis_conn.hgetall(line_keys.STATS("send_failed")) == {}
    assert not redis_conn.sismember(announce_keys.OPTOUT(), p) and not redis_conn.exists(announce_keys.OPTOUT())
    assert redis_conn.zscore(line_keys.OWED(), p) is not None
    assert redis_conn.llen(line_keys.INFLIGHT(p)) + redis_conn.llen(line_keys.OUTBOX(p)) == 1
    assert sent_to(standin, ALICE) == []

    # Fixed: the reply arrives, once, and the line is healthy again.
    standin.faults.clear()
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1, timeout=60), processes.output()
    assert sent_to(standin, ALICE)[0].startswith("Hello, this is the SAMEN information line.")
    assert wait_until(lambda: health(url)[1]["status"] == "ok", timeout=10)
    assert health(url, strict=True)[0] == 200
    # Nothing is left to send again: nobody is owed, and the reply has left the outbox and the
    # in-flight list (a job sending it right now would still hold it there).
    left = (line_keys.OUTBOX(p), line_keys.INFLIGHT(p))
    assert wait_until(lambda: redis_conn.zcard(line_keys.OWED()) == 0 and not redis_conn.exists(*left), timeout=20)
    assert len(sent_to(standin, ALICE)) == 1
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_the_line_fault_codes_are_the_lines_and_not_the_persons() -> None:
    # 21610 (the person unsubscribed), 21211 (an invalid number) and 63016 (outside the WhatsApp
    # window) are about the person; the line's own setup codes are not.
    assert {21610, 21211, 21614, 63016}.isdisjoint(LINE_FAULT_CODES)
    assert {20003, 21606, 21659, 21212, 21701, 21705, 21910}.issubset(LINE_FAULT_CODES)


def test_while_the_line_is_refused_the_sweep_sends_one_probe_then_everyone(
    post: PostFn, app: Flask, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    from samen_sms.line.worker import sweep

    people = (ALICE, BOB, "whatsapp:+447700900789")
    standin.faults.append(Fault(401, 20003, count=10_000))
    for sender in people:
        post(inbound(sender, "hi"))
    work()
    assert app.test_client().get("/healthz").json["status"] == "degraded"  # type: ignore[index]
    for name in ("samen-urgent", "samen"):  # the retries are spent: their jobs are gone
        registry = ScheduledJobRegistry(queue=Queue(name, connection=redis_conn))
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    assert redis_conn.zcard(line_keys.OWED()) == 3
    assert sweep(min_age=0) == 1  # one probe, not everyone owed
    work()  # the probe is refused too (the worker's own sweep at start probes one at most)
    assert standin.messages == []
    assert redis_conn.zcard(line_keys.OWED()) == 3
    standin.faults.clear()  # the operator fixed the credentials
    rt = app.extensions["samen"]
    BurstWorker([rt.urgent_queue, rt.queue], connection=rt.redis).register_birth()  # a pool alive
    for _ in range(3):  # sweeps: the first reply that goes through clears the fault, then everyone
        sweep(min_age=0)
        work()
    assert app.test_client().get("/healthz").json["status"] == "ok"  # type: ignore[index]
    assert all(len(sent_to(standin, sender)) == 1 for sender in people)
    assert redis_conn.zcard(line_keys.OWED()) == 0
    assert redis_conn.hgetall(line_keys.STATS("send_failed")) == {}


class TestAWhatsAppSenderWithoutItsPrefix:
    """TWILIO_WHATSAPP_FROM set to a bare number: Twilio answers every WhatsApp reply with 21910."""

    @pytest.fixture
    def config(self, config: Config) -> Config:
        return with_config(config, twilio_whatsapp_from=WHATSAPP_FROM.removeprefix("whatsapp:"))

    def test_is_the_lines_fault_and_the_reply_stays_owed(
        self, post: PostFn, app: Flask, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
    ) -> None:
        person = "whatsapp:+447700900789"
        post(inbound(person, "hi"))
        work()
        assert standin.messages == []  # Twilio refused: 'From' and 'To' are not of the same channel
        health = app.test_client().get("/healthz").json
        assert health["status"] == "degraded"  # type: ignore[index]
        assert health["twilio"]["refused"]["whatsapp"]["code"] == 21910  # type: ignore[index]
        assert redis_conn.hgetall(line_keys.STATS("send_failed")) == {}  # nothing held against the person
        assert redis_conn.zcard(line_keys.OWED()) == 1  # the reply stays owed, sent once the sender is fixed
