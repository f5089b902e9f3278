"""/healthz tells the truth about workers after Redis lost its data."""

from __future__ import annotations

from typing import Any

import redis
import requests

from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, PUBLIC_URL, Processes, inbound, sent_to, sign, wait_until


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
