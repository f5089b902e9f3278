"""A broadcast to 1,000 subscribers survives a worker killed half-way: exactly one message each."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import datetime

from flask import Flask

from samen_sms.announce import broadcast, subscriptions
from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import sessions as infosessions
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import Processes, holds_for, wait_until

MATCHING = 1000


def _number(i: int) -> str:
    return f"+3161{i:07d}"


def _subscribers(app: Flask) -> tuple[set[str], set[str]]:
    """1,000 who match (SMS and WhatsApp), plus opted-out and non-matching ones; returns Twilio `To`s."""
    rt = app.extensions["samen"]
    wanted, unwanted = set(), set()
    pipe = rt.redis.pipeline(transaction=False)
    for i in range(MATCHING + 150):
        channel = Channel.WHATSAPP if i % 4 == 0 else Channel.SMS
        address = Address(channel, _number(i))
        p = rt.keys.pseudonym(address.e164)
        region, locale = ("VR09" if i % 2 else "NL"), ("en" if i % 3 else "nl")
        if MATCHING <= i < MATCHING + 50:
            region = "VR01"  # Groningen: not for them
        sub = subscriptions.Subscriber(region, locale, channel, int(time.time()), "d", rt.keys.seal(address))
        subscriptions.subscribe(pipe, p, sub)
        if channel is Channel.WHATSAPP:
            pipe.set(announce_keys.WHATSAPP_WINDOW(p), 1, ex=subscriptions.WHATSAPP_WINDOW)
        if i >= MATCHING + 50:
            subscriptions.opt_out(pipe, p)  # 100 said STOP
        (wanted if i < MATCHING else unwanted).add(address.twilio)
    pipe.execute()
    return wanted, unwanted


def test_killed_worker_and_repeated_announce_send_each_subscriber_exactly_once(
    app: Flask, processes: Processes, standin: StandinState, tmp_path
) -> None:
    wanted, unwanted = _subscribers(app)
    session = tmp_path / "s.toml"
    session.write_text(
        'title = "Health"\nstarts = ' + f"{datetime.now().year + 1}-02-01T14:00:00\n"
        'place = "Utrecht"\nhost = "Org"\nlanguages = ["nl", "en"]\nregions = ["VR09"]\n'
    )
    runner = app.test_cli_runner()
    sid = runner.invoke(args=["sessions", "add", str(session)]).output.strip().splitlines()[-1]
    standin.delay = 0.02
    processes.env.update(SAMEN_QUIET_HOURS="", SAMEN_SMS_MPS="300", SAMEN_WHATSAPP_MPS="300", SAMEN_BROADCAST_LEASE="2")
    worker = processes.worker(processes=1)
    assert runner.invoke(args=["sessions", "announce", sid]).exit_code == 0
    assert wait_until(lambda: len(standin.messages) >= MATCHING // 3, timeout=60), processes.output()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    halfway = len(standin.messages)
    assert halfway < MATCHING, "the broadcast finished before the worker was killed"
    rt = app.extensions["samen"]
    done = broadcast.key(f"{sid}:a", "done")
    claimed = sum(1 for v in rt.redis.hvals(done) if v.startswith(b"c:"))
    print(f"killed after {halfway} messages with {claimed} claims in flight")

    # The operator starts a worker again and re-runs the announcement: it continues where it stopped.
    processes.worker(processes=2)
    # The dead job's lease runs out (SAMEN_BROADCAST_LEASE=2 s) before announcing again can take over.
    assert wait_until(lambda: not rt.redis.exists(broadcast.key(f"{sid}:a", "lease")), timeout=10)
    assert runner.invoke(args=["sessions", "announce", sid]).exit_code == 0
    done_key = broadcast.key(f"{sid}:a", "state")
    assert wait_until(lambda: rt.redis.hget(done_key, "phase") == b"done", timeout=90), processes.output()
    per_address = Counter(m["to"] for m in standin.messages)
    assert set(per_address) == wanted
    assert all(n == 1 for n in per_address.values()), [n for n in per_address.values() if n > 1]
    assert not set(per_address) & unwanted
    assert not any(v.startswith(b"c:") for v in rt.redis.hvals(done))  # every claim resolved

    # Announcing once more sends nothing more.
    assert runner.invoke(args=["sessions", "announce", sid]).exit_code == 0
    assert wait_until(lambda: rt.redis.hget(done_key, "phase") == b"done", timeout=30)
    assert holds_for(lambda: len(standin.messages) == MATCHING), "announcing again sent more"
    status = runner.invoke(args=["sessions", "status", sid]).output
    assert f"total {MATCHING + 100}, sent {MATCHING}, delivered 0, failed 0, skipped 100 (opted_out 100)" in status
    assert infosessions.get(rt.redis, sid) is not None
