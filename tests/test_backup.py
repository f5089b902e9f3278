"""`flask data export` / `data import`: subscriptions, consent, opt-outs and sessions move to a new Redis.

Still sealed as stored, refused by a line with another SAMEN_SECRET_KEY; menu positions, queues
and counters stay behind.
"""

from __future__ import annotations

import stat
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.app import create_app
from samen_sms.console import redis_keys as console_keys
from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach import redis_keys as reach_keys
from tests.conftest import ALICE, BOB, ROOT, PostFn, inbound

SUBSCRIBE = ("hi", "1", "sessions", "1", "'s-Gravenhage", "1")


@pytest.mark.system  # a second Redis server
def test_export_then_import_into_a_new_redis_keeps_what_must_survive(
    app: Flask, config: Config, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    for text in SUBSCRIBE:
        post(inbound(ALICE, text))
    post(inbound("whatsapp:" + BOB, "hi"))
    post(inbound("whatsapp:" + BOB, "stop"))
    runner = app.test_cli_runner()
    added = runner.invoke(args=["sessions", "add", str(ROOT / "sessions" / "example.toml")])
    assert added.exit_code == 0, added.output
    mediator = runner.invoke(args=["mediators", "add", "Stichting Voorbeeld", "--languages", "en", "--region", "NL"])
    assert mediator.exit_code == 0, mediator.output
    account = runner.invoke(args=["users", "add", "coordinator@example.org", "--role", "coordinator"])
    assert account.exit_code == 0, account.output
    work()
    rt = app.extensions["samen"]
    alice, bob = rt.keys.pseudonym(ALICE), rt.keys.pseudonym("+447700900456")
    file = Path(tempfile.mkdtemp(prefix="samen-backup-")) / "line.json"
    exported = runner.invoke(args=["data", "export", str(file)])
    assert exported.exit_code == 0, exported.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    text = file.read_text()
    assert ALICE.lstrip("+") not in text and "447700900456" not in text
    assert subscriptions.find(redis_conn, alice).sealed in text  # type: ignore[union-attr]

    new = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-new-redis-"))).start()
    try:
        moved = create_app({"TESTING": True}, config=replace(config, redis_url=new.url))
        restored = moved.test_cli_runner().invoke(args=["data", "import", str(file)])
        assert restored.exit_code == 0, restored.output
        conn = redis.Redis.from_url(new.url)
        sub = subscriptions.find(conn, alice)
        assert sub is not None and (sub.region, sub.locale, sub.how) == ("VR15", "en", "d")
        assert rt.keys.open(sub.sealed).e164 == ALICE
        assert subscriptions.describe(conn, bob)["opted_out"]
        assert infosessions.get(conn, added.output.strip().splitlines()[-1]) is not None
        assert conn.exists(announce_keys.SESSION_SEQ())
        # Operators' data: the mediator and their code, the account, the audit log with its times.
        assert conn.hkeys(reach_keys.MEDIATORS()) == redis_conn.hkeys(reach_keys.MEDIATORS())
        assert conn.smembers(reach_keys.LIVE_CODES()) == redis_conn.smembers(reach_keys.LIVE_CODES())
        assert conn.hgetall(console_keys.CONSOLE_ACCOUNT("coordinator@example.org"))[b"role"] == b"coordinator"
        assert conn.xrange(console_keys.CONSOLE_AUDIT()) == redis_conn.xrange(console_keys.CONSOLE_AUDIT()) != []
        # One-time sign-in links are not moved: a new one is made on the new Redis.
        assert not list(conn.scan_iter(console_keys.CONSOLE_LINK("*")))
        # Menu positions, profiles, queues and counters stay behind.
        assert not conn.exists(line_keys.CONVERSATION(alice), line_keys.PROFILE(alice), line_keys.STATS("sent"))
        assert not list(conn.scan_iter("rq:*"))
    finally:
        new.stop()

    other = create_app({"TESTING": True}, config=replace(config, secret_key="another-secret-key-0123456789"))
    refused = other.test_cli_runner().invoke(args=["data", "import", str(file)])
    assert refused.exit_code != 0
    assert "another SAMEN_SECRET_KEY" in refused.output


def test_restoring_a_backup_made_before_an_erasure_does_not_bring_the_person_back(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    for text in SUBSCRIBE:
        post(inbound(ALICE, text))
    post(inbound("whatsapp:" + BOB, "hi"))
    post(inbound("whatsapp:" + BOB, "stop"))
    work()
    rt = app.extensions["samen"]
    alice, bob = rt.keys.pseudonym(ALICE), rt.keys.pseudonym("+447700900456")
    runner = app.test_cli_runner()
    file = Path(tempfile.mkdtemp(prefix="samen-backup-")) / "line.json"
    assert runner.invoke(args=["data", "export", str(file)]).exit_code == 0
    assert alice in file.read_text()
    post(inbound(ALICE, "delete"))  # after the backup was made
    work()
    assert subscriptions.find(redis_conn, alice) is None
    # The ledger names the erasure by a keyed mark, never the pseudonym.
    ledger = {m.decode() for m in redis_conn.zrange(line_keys.ERASED(), 0, -1)}
    assert len(ledger) == 1 and alice not in ledger.pop()
    restored = runner.invoke(args=["data", "import", str(file)])
    assert restored.exit_code == 0, restored.output
    assert subscriptions.find(redis_conn, alice) is None, "the old backup brought the erased person back"
    rate = line_keys.RATE(alice, "").encode()  # the rate counter stays through erasure, by design
    assert not [key for key in redis_conn.scan_iter("samen:*") if alice.encode() in key and not key.startswith(rate)]
    assert subscriptions.describe(redis_conn, bob)["opted_out"]  # everyone else is restored
