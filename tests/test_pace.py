"""The shared send rates (`line.pace`): slots a little below the rates, a 429 honoured by every waiting send."""

from __future__ import annotations

import threading
import time

import redis

from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys
from samen_sms.line.pace import ACCOUNT, sending_pace
from tests import conftest
from tests.conftest import wait_until


def _config(redis_server: str, standin_server: tuple[str, StandinState]) -> Config:
    return Config.from_env(
        conftest.test_env(redis_server, standin_server[0], SAMEN_ACCOUNT_MPS="100", SAMEN_SMS_MPS="100")
    )


def test_a_rate_of_100_spaces_100_sends_over_more_than_a_second(
    redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState]
) -> None:
    # A send reaches Twilio tens of milliseconds after its slot on a loaded machine, more for one
    # than the next: slots exactly 1/rate apart would put 101 into some second there (a 429).
    pace = sending_pace(redis_conn, _config(redis_server, standin_server), Channel.SMS)
    with redis_conn.pipeline(transaction=True) as pipe:  # 101 slots reserved within a millisecond
        for _ in range(101):
            pace._reserve(keys=pace.keys, args=[repr(pace.max_wait), *map(repr, pace.intervals)], client=pipe)
        waits = [float(wait) for wait in pipe.execute()]
    assert waits[100] - waits[0] >= 1.04, waits[100] - waits[0]


def test_a_429_holds_back_a_send_whose_slot_was_reserved_before_it(
    redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState]
) -> None:
    pace = sending_pace(redis_conn, _config(redis_server, standin_server), Channel.SMS)
    for _ in range(40):  # the next free slot about 0.4 s ahead
        pace.reserve()
    account = redis_keys.SEND_RATE(ACCOUNT)
    before = float(redis_conn.get(account) or 0)
    sent_at: list[float] = []
    waiting = threading.Thread(target=lambda: (pace.acquire(), sent_at.append(time.time())))
    waiting.start()
    assert wait_until(lambda: float(redis_conn.get(account) or 0) > before)  # its slot is reserved
    held_at = time.time()
    pace.hold(1.0)  # another thread of this process was answered 429 with Retry-After: 1
    waiting.join(timeout=10)
    assert sent_at and sent_at[0] >= held_at + 0.95, (sent_at, held_at)
