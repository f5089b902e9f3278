"""Redis killed with SIGKILL mid-traffic and started again on its files: nothing acknowledged is lost.

Subscriptions (with consent), opt-out marks and the replies queued before the kill are all there
after the restart, and every message the webhook acknowledged with an empty answer gets its one
reply, once. Messages that came in while Redis was down were answered with the emergency numbers.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from samen_sms.announce import subscriptions
from samen_sms.core.identity import Keys
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, PUBLIC_URL, SECRET_KEY, Processes, holds_for, inbound, sent_to, sign, wait_until
from tests.conftest import test_env as line_env

BOB_WHATSAPP = "whatsapp:+447700900456"
SENDERS = [f"+4477009005{n:02d}" for n in range(40)]
SUBSCRIBE = ("hi", "1", "sessions", "1", "'s-Gravenhage", "1")


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-crash-redis-"))).start()
    yield server
    server.stop()


def say(url: str, sender: str, text: str) -> str:
    params = inbound(sender, text)
    sig = sign(PUBLIC_URL + "/twilio/inbound", params)
    response = requests.post(url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15)
    assert response.status_code == 200
    return response.text


def test_sigkill_mid_traffic_loses_no_subscription_opt_out_or_owed_reply(
    own_redis: EmbeddedRedis, standin_server: tuple[str, StandinState], standin: StandinState
) -> None:
    procs = Processes(line_env(own_redis.url, standin_server[0], SAMEN_SWEEP_INTERVAL="2"))
    keys = Keys(SECRET_KEY)
    conn = redis.Redis(port=own_redis.port)
    try:
        url = procs.web(free_port(), workers=1)
        for text in SUBSCRIBE:
            assert say(url, ALICE, text).endswith("<Response />")
        assert say(url, BOB_WHATSAPP, "hi").endswith("<Response />")
        assert say(url, BOB_WHATSAPP, "stop").endswith("<Response />")
        assert subscriptions.find(conn, keys.pseudonym(ALICE)) is not None
        assert subscriptions.describe(conn, keys.pseudonym("+447700900456"))["opted_out"]

        answers: dict[str, str] = {}
        halfway = threading.Event()

        def traffic() -> None:
            for n, sender in enumerate(SENDERS):
                answers[sender] = say(url, sender, "hi")
                if n == len(SENDERS) // 3:
                    halfway.set()
                time.sleep(0.02)

        sending = threading.Thread(target=traffic)
        sending.start()
        assert halfway.wait(timeout=20)
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGKILL)  # no shutdown, no final fsync
        own_redis.process.wait()
        time.sleep(0.3)
        own_redis.start()
        sending.join(timeout=60)
        acknowledged = [s for s in SENDERS if answers[s].endswith("<Response />")]
        fallback = [s for s in SENDERS if "112" in answers[s]]
        assert len(acknowledged) + len(fallback) == len(SENDERS)
        assert len(acknowledged) > len(SENDERS) // 3, "traffic went on after the restart"

        conn = redis.Redis(port=own_redis.port)
        sub = subscriptions.find(conn, keys.pseudonym(ALICE))
        assert sub is not None and (sub.region, sub.how) == ("VR15", "d"), "subscription and consent survived"
        assert subscriptions.describe(conn, keys.pseudonym("+447700900456"))["opted_out"], "opt-out survived"

        # The replies were queued while no worker ran: one started now finds every one of them.
        procs.worker(processes=1)
        everyone = [*acknowledged, ALICE]

        def all_sent() -> bool:
            return all(sent_to(standin, s) for s in acknowledged) and len(sent_to(standin, ALICE)) == len(SUBSCRIBE)

        assert wait_until(all_sent, timeout=30), procs.output()
        assert holds_for(lambda: all(len(sent_to(standin, s)) == 1 for s in acknowledged))
        assert all(len(sent_to(standin, s)) <= 1 for s in fallback)
        assert len(sent_to(standin, ALICE)) == len(SUBSCRIBE)
        assert len(everyone) == len(set(everyone))
    finally:
        procs.stop()
