"""Redis Sentinel: a real primary, a replica and three sentinels; a forced failover under traffic.

The web and the workers find the primary through Sentinel. During the switch the webhook always
answers (the emergency fallback counts as an answer), and afterwards every message it acknowledged
gets its one reply, none twice, from the same worker processes.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.sentinel_cluster import MASTER, Cluster, server_binary
from samen_sms.devtools.standin import StandinState
from tests.conftest import PUBLIC_URL, Processes, holds_for, inbound, sent_to, sign, wait_until
from tests.conftest import test_env as line_env

SENDERS = [f"+447700900{n:03d}" for n in range(700, 900)]


BINARY = server_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="no redis-server binary: `apt-get install redis-server redis-sentinel` (as .ci/run does)"
)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    running = Cluster(Path(tempfile.mkdtemp(prefix="samen-sentinel-"))).start()
    yield running
    running.stop()


def sentinel_env(cluster: Cluster) -> dict[str, str]:
    return {
        "REDIS_URL": "",
        "REDIS_SENTINELS": cluster.addresses,
        "REDIS_SENTINEL_MASTER": MASTER,
    }


def test_config_reads_sentinels() -> None:
    env = line_env("", "http://127.0.0.1:1", REDIS_SENTINELS="10.0.0.1:26379,[::1]:26380", REDIS_SENTINEL_MASTER="m")
    cfg = Config.from_env(env)
    assert cfg.redis_sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (cfg.redis_sentinel_master, cfg.redis_url) == ("m", "redis://")


def test_failover_under_traffic_loses_no_reply_and_sends_none_twice(
    cluster: Cluster, standin_server: tuple[str, StandinState], standin: StandinState
) -> None:
    env = line_env("", standin_server[0], SAMEN_SWEEP_INTERVAL="2", **sentinel_env(cluster))
    procs = Processes(env)
    try:
        url = procs.web(free_port(), workers=2)
        worker = procs.worker(processes=2)
        # The pool is up before the failover (on a loaded machine it takes seconds): "the same worker
        # processes" carry on through it, rather than being born into it.
        primary = redis.Redis(port=cluster.primary)
        assert wait_until(lambda: primary.scard("rq:workers") == 2, timeout=60), procs.output()
        answers: dict[str, tuple[int, str]] = {}
        answered_at: dict[str, float] = {}
        order: list[str] = []
        stop = threading.Event()

        def traffic() -> None:
            for sender in SENDERS:
                if stop.is_set():
                    return
                params = inbound(sender, "hi")
                sig = sign(PUBLIC_URL + "/twilio/inbound", params)
                response = requests.post(
                    url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15
                )
                answers[sender] = (response.status_code, response.text)
                answered_at[sender] = time.monotonic()
                order.append(sender)
                time.sleep(0.2)

        def acked(sender: str) -> bool:
            return answers[sender][1].endswith("<Response />")

        sending = threading.Thread(target=traffic)
        sending.start()
        assert wait_until(lambda: len(order) >= 10, timeout=30)
        before = cluster.failover()
        failed_over_at = time.monotonic()
        assert wait_until(lambda: cluster.primary_port() != before, timeout=15), "no failover"
        switched = len(order)
        # Sentinel demotes the old primary after about 8 s; writes resume once it follows the new one.
        assert wait_until(lambda: len(order) > switched + 5 and all(acked(s) for s in order[-5:]), timeout=40)
        stop.set()
        sending.join(timeout=20)
        assert cluster.primary_port() == cluster.replica

        sent = list(order)
        assert all(answers[s][0] == 200 for s in sent), "the webhook answered every message"
        acknowledged = [s for s in sent if acked(s)]
        fallback = [s for s in sent if not acked(s)]
        assert all("112" in answers[s][1] for s in fallback)

        def unanswered() -> list[tuple[str, float]]:  # acknowledged, no reply: when, from the failover
            return [(s, round(answered_at[s] - failed_over_at, 2)) for s in acknowledged if not sent_to(standin, s)]

        assert wait_until(lambda: all(sent_to(standin, s) for s in acknowledged), timeout=60), (
            unanswered(),
            procs.output()[-5000:],
        )
        assert holds_for(lambda: all(len(sent_to(standin, s)) == 1 for s in acknowledged))
        assert all(len(sent_to(standin, s)) <= 1 for s in fallback)
        print(f"failover: {len(sent)} messages, {len(acknowledged)} acknowledged, {len(fallback)} fallback")
        assert worker.poll() is None, "the worker pool carried on"
    finally:
        procs.stop()
