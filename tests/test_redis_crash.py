"""Redis killed with SIGKILL mid-traffic and started again on its files: what it acknowledged survives.

Subscriptions (with consent), opt-out marks and the replies queued before the kill are all there
after the restart, and every message the webhook acknowledged with an empty answer gets its one
reply, once. Messages that came in while Redis was down were answered with the emergency numbers.

The bound: with `appendfsync everysec`, Redis may answer writes it has not yet handed to the
kernel while a slow disk is still syncing the last second, for at most 2 s. A write acknowledged
in the 2 s before a SIGKILL may be lost (the person's message then gets no reply, never two);
anything older survives. `appendfsync always` closes that window at the cost of a sync per write.
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
SENDERS = [f"+4477009005{n:02d}" for n in range(100)]
AFTER_RESTART = 5  # messages acknowledged after the restart before the traffic stops
SUBSCRIBE = ("hi", "1", "sessions", "1", "'s-Gravenhage", "1")
AOF_WINDOW = 2.2  # seconds Redis may hold back an acknowledged write while a slow fsync runs


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
        time.sleep(AOF_WINDOW)  # acknowledged longer ago than Redis may hold a write back

        answers: dict[str, str] = {}
        answered_at: dict[str, float] = {}

        kill = {"at": float("inf")}

        def traffic() -> None:
            # Until a few are acknowledged after the restart: how many come before the kill depends
            # on how fast the webhook is.
            for sender in SENDERS:
                answers[sender] = say(url, sender, "hi")
                answered_at[sender] = time.monotonic()
                after = [s for s, at in answered_at.items() if at > kill["at"] and answers[s].endswith("<Response />")]
                if len(after) >= AFTER_RESTART:
                    return
                time.sleep(0.05)

        sending = threading.Thread(target=traffic)
        sending.start()
        time.sleep(AOF_WINDOW + 1.5)  # some of what came before the kill is older than the window
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGKILL)  # no shutdown, no final fsync
        killed_at = kill["at"] = time.monotonic()
        own_redis.process.wait()
        time.sleep(0.3)
        own_redis.start()
        sending.join(timeout=60)
        said = list(answers)
        acknowledged = [s for s in said if answers[s].endswith("<Response />")]
        fallback = [s for s in said if "112" in answers[s]]
        assert len(acknowledged) + len(fallback) == len(said)
        assert any(answered_at[s] > killed_at for s in acknowledged), "traffic went on after the restart"

        conn = redis.Redis(port=own_redis.port)
        sub = subscriptions.find(conn, keys.pseudonym(ALICE))
        assert sub is not None and (sub.region, sub.how) == ("VR15", "d"), "subscription and consent survived"
        assert subscriptions.describe(conn, keys.pseudonym("+447700900456"))["opted_out"], "opt-out survived"

        # The replies were queued while no worker ran: one started now finds every one of them.
        procs.worker(processes=1)
        # Owed for sure: acknowledged over 2 s before the kill, or after the restart.
        owed = [s for s in acknowledged if answered_at[s] < killed_at - AOF_WINDOW or answered_at[s] > killed_at]
        window = [s for s in acknowledged if s not in owed]

        def all_sent() -> bool:
            return all(sent_to(standin, s) for s in owed) and len(sent_to(standin, ALICE)) == len(SUBSCRIBE)

        def missing() -> list[tuple[str, float]]:
            return [(s, round(answered_at[s] - killed_at, 2)) for s in owed if not sent_to(standin, s)]

        assert wait_until(all_sent, timeout=30), (missing(), procs.output()[-3000:])
        assert any(answered_at[s] < killed_at - AOF_WINDOW for s in owed), "some were queued well before the kill"
        assert holds_for(lambda: all(len(sent_to(standin, s)) == 1 for s in owed))
        assert all(len(sent_to(standin, s)) <= 1 for s in [*window, *fallback]), "nobody gets two replies"
        assert len(sent_to(standin, ALICE)) == len(SUBSCRIBE)
        lost = [s for s in window if not sent_to(standin, s)]
        print(f"SIGKILL: {len(owed)} owed and sent once, {len(window)} in the 2 s window ({len(lost)} lost)")
    finally:
        procs.stop()
