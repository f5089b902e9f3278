"""/healthz tells the truth: workers alive, replies waiting too long, Redis that stopped persisting."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line.health import PERSISTENCE_EVERY
from tests.conftest import (
    ALICE,
    PUBLIC_URL,
    Processes,
    inbound,
    line_with_workers,
    sent_to,
    sign,
    wait_until,
    with_config,
)


def health(url: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(url + "/healthz", timeout=5).json()
    return body


def test_workers_are_counted_again_after_redis_lost_its_data(
    processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    processes.env["SAMEN_WORKER_TTL"] = "16"  # RQ heartbeats every worker_ttl - 15 s when idle
    url = processes.web(free_port(), workers=1)
    processes.worker(processes=1)
    assert wait_until(lambda: health(url)["workers"] == 1, timeout=20), processes.output()
    redis_conn.flushdb()  # as a Redis restarted without its data
    assert wait_until(lambda: health(url)["workers"] == 1, timeout=15), processes.output()
    # And the worker it counts does deliver.
    params = inbound(ALICE, "hi")
    signature = sign(PUBLIC_URL + "/twilio/inbound", params)
    requests.post(url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}, timeout=15)
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1, timeout=20), processes.output()


def test_a_pool_killed_with_sigkill_makes_health_degraded_within_the_heartbeat(
    processes: Processes, redis_conn: redis.Redis
) -> None:
    ttl = 10
    processes.env["SAMEN_WORKER_TTL"] = str(ttl)
    url = processes.web(free_port(), workers=1)
    pool = processes.worker(processes=2)
    assert wait_until(lambda: health(url)["workers"] == 2, timeout=30), processes.output()
    assert health(url)["status"] == "ok", health(url)
    os.killpg(pool.pid, signal.SIGKILL)  # the whole pool: its parent and both workers
    killed = time.monotonic()
    # RQ's set of workers still names both: only their expired heartbeats tell they are dead.
    assert redis_conn.scard("rq:workers") == 2
    assert wait_until(lambda: health(url)["status"] == "degraded", timeout=ttl + 10, interval=0.2), health(url)
    figure = time.monotonic() - killed
    print(f"\nkill -9 of the worker pool to a degraded /healthz: {figure:.1f} s (SAMEN_WORKER_TTL={ttl})")
    body = health(url)
    assert body["workers"] == 0 and "no worker alive" in body["problems"]
    assert requests.get(url + "/healthz?strict=1", timeout=5).status_code == 503
    assert figure <= ttl + 2


def test_a_reply_owed_too_long_makes_health_degraded(config: Config, redis_conn: redis.Redis) -> None:
    with line_with_workers(with_config(config, health_max_wait=1)) as app:
        client = app.test_client()
        params = inbound(ALICE, "hi")
        headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)}
        assert client.post("/twilio/inbound", data=params, headers=headers).status_code == 200
        body = client.get("/healthz").json
        assert body["replies_owed"] == 1 and not any("waiting" in p for p in body["problems"])
        time.sleep(1.5)  # nobody takes the reply: it waits past SAMEN_HEALTH_MAX_WAIT
        body = client.get("/healthz").json
        assert body["status"] == "degraded"
        assert "waiting over 1 s: owed, urgent" in body["problems"], body
        assert body["oldest_seconds"]["owed"] >= 1 and body["oldest_seconds"]["urgent"] >= 1
        assert client.get("/healthz?strict=1").status_code == 503


@pytest.mark.system  # a Redis server of its own, whose persistence the test turns off
def test_a_redis_that_stops_persisting_at_runtime_makes_health_degraded(config: Config) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="samen-health-")) / "redis"
    server = EmbeddedRedis(port=free_port(), data_dir=data_dir).start()
    try:
        with line_with_workers(replace(config, redis_url=server.url)) as app:
            client = app.test_client()
            assert client.get("/healthz").json["persistence"] == "ok"
            # As a Redis restarted with `appendonly no` (the line checked it only at start).
            redis.Redis(port=server.port).config_set("appendonly", "no")
            app.extensions["samen_health"]["at"] -= PERSISTENCE_EVERY  # the cached look has aged
            body = client.get("/healthz").json
            assert body["status"] == "degraded" and body["persistence"] == "appendonly no"
            assert "Redis no longer persists (appendonly no)" in body["problems"]
    finally:
        server.stop()
