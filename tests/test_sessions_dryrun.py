"""The announcement's dry run counts exactly what the real send then does, per way and skip reason."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import subscriptions
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, BOB
from tests.test_sessions_broadcast import CAROL, DAVE, ERIN, app, cli, session_file, subscribe

__all__ = ["app"]  # the fixture with a Dutch announcement template


def dry_run_counts(output: str) -> Counter[str]:
    """`{way or skip reason: count}` from the dry run's table."""
    counts: Counter[str] = Counter()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2].isdigit() and parts[0] != "Would":
            counts[parts[1]] += int(parts[2])
    return counts


def test_dry_run_counts_equal_what_the_send_does(
    app: Flask, tmp_path: Path, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    rt = app.extensions["samen"]
    subscribe(app, ALICE, Channel.SMS, "VR09", "en")  # SMS
    subscribe(app, BOB, Channel.WHATSAPP, "NL", "nl", window=True)  # WhatsApp, inside the window
    subscribe(app, CAROL, Channel.WHATSAPP, "VR09", "nl")  # outside the window, Dutch template
    subscribe(app, DAVE, Channel.WHATSAPP, "VR09", "en")  # outside the window, no English template
    subscribe(app, "+447700900111", Channel.WHATSAPP, "VR09", "en", window=True)  # window closes in 4 min
    redis_conn.expire(announce_keys.WHATSAPP_WINDOW(rt.keys.pseudonym("+447700900111")), 240)
    gone = subscribe(app, ERIN, Channel.SMS, "VR09", "en")
    with redis_conn.pipeline() as pipe:
        subscriptions.opt_out(pipe, gone)  # said STOP
        pipe.execute()
    subscribe(app, "+447700900222", Channel.SMS, "VR09", "fr")  # another language: not for this session
    broken = subscriptions.Subscriber("VR09", "en", Channel.SMS, int(time.time()), "d", "not-a-sealed-address")
    with redis_conn.pipeline() as pipe:
        subscriptions.subscribe(pipe, "p-broken", broken)  # sealed under a key the line no longer has
        pipe.execute()
    sid = cli(app, "add", str(session_file(tmp_path)))[1].strip().splitlines()[-1]

    code, output = cli(app, "announce", sid, "--dry-run")
    assert code == 0, output
    predicted = dry_run_counts(output)

    assert cli(app, "announce", sid)[0] == 0
    work()
    did: Counter[str] = Counter()
    with standin.lock:
        for m in standin.messages:
            did["whatsapp-template" if m["_content_sid"] else m["to"].split(":")[0] if ":" in m["to"] else "sms"] += 1
    for field, n in redis_conn.hgetall(announce_keys.BROADCAST_STATS(f"{sid}:a")).items():
        if field.startswith(b"skipped:"):
            reason = field.decode().split(":", 1)[1]
            did["whatsapp-skip" if reason == "whatsapp_window_closed_no_template" else reason] += int(n)
    assert predicted == did
    assert did == {
        "sms": 1,
        "whatsapp": 1,
        "whatsapp-template": 1,  # Carol
        "whatsapp-skip": 2,  # Dave, and the one whose window closes before the send is done (no English template)
        "opted_out": 1,
        "address_unreadable": 1,
    }
