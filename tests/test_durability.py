"""Redis that keeps what it is given, privately, and lets erased data leave the disk.

The embedded Redis writes an append-only file readable by its user only; a production line
refuses a Redis that keeps nothing on disk; the workers' scheduled rewrite takes an erased
person's sealed number out of the append-only file.
"""

from __future__ import annotations

import logging
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from samen_sms.announce import subscriptions
from samen_sms.app import create_app
from samen_sms.assembly import build_line, worker_context
from samen_sms.core.config import Config, ConfigError
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line import replies
from samen_sms.line.durability import rewrite_aof_if_due
from samen_sms.line.worker import LineWorker
from tests.conftest import ALICE, PUBLIC_URL, inbound, sent_to, sign, wait_until

pytestmark = pytest.mark.system  # every test starts a Redis server of its own

SUBSCRIBE = ("hi", "1", "sessions", "1", "'s-Gravenhage", "1")


@pytest.fixture
def data_dir() -> Path:
    # A folder the server makes itself: created under the usual umask it would be world-readable.
    return Path(tempfile.mkdtemp(prefix="samen-durable-")) / "redis"


def own_redis(data_dir: Path, *args: str) -> EmbeddedRedis:
    return EmbeddedRedis(port=free_port(), data_dir=data_dir, args=args).start()


@pytest.fixture
def durable(data_dir: Path) -> Iterator[EmbeddedRedis]:
    server = own_redis(data_dir)
    yield server
    server.stop()


def wait_for_rewrite(conn: redis.Redis) -> None:
    def done() -> bool:
        info = conn.info("persistence")
        return not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]

    assert wait_until(done, timeout=15)


def on_disk(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def test_embedded_redis_files_are_readable_by_their_user_only(durable: EmbeddedRedis, data_dir: Path) -> None:
    conn = redis.Redis(port=durable.port)
    conn.set("samen:test", "x")
    conn.bgrewriteaof()
    wait_for_rewrite(conn)
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert files, "the append-only file is on disk"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path.name
    assert conn.config_get("appendonly")["appendonly"] == "yes"
    assert conn.config_get("appendfsync")["appendfsync"] == "everysec"


def test_erased_sealed_number_leaves_the_append_only_file_after_the_scheduled_rewrite(
    durable: EmbeddedRedis, data_dir: Path, config: Config, standin: StandinState
) -> None:
    cfg = replace(config, redis_url=durable.url)
    app = create_app({"TESTING": True}, config=cfg)
    client = app.test_client()
    rt = app.extensions["samen"]

    def say(text: str) -> None:
        params = inbound(ALICE, text)
        headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)}
        assert client.post("/twilio/inbound", data=params, headers=headers).status_code == 200
        LineWorker([rt.queue], connection=rt.redis).work(burst=True, with_scheduler=False, logging_level="WARNING")

    with replies.using(worker_context(cfg)):
        for text in SUBSCRIBE:
            say(text)
        sub = subscriptions.find(rt.redis, rt.keys.pseudonym(ALICE))
        assert sub is not None
        sealed = sub.sealed.encode()
        assert wait_until(lambda: sealed in on_disk(data_dir)), "the subscription reached the append-only file"
        say("delete")
    assert sent_to(standin, ALICE)[-1]  # the neutral confirmation went out
    assert subscriptions.find(rt.redis, rt.keys.pseudonym(ALICE)) is None
    assert sealed in on_disk(data_dir), "erased in memory, still on disk until the rewrite"
    # The workers asked for a rewrite when they started; a day later the marker has expired.
    assert rt.redis.ttl(line_keys.AOF_REWRITE()) > 23 * 3600
    rt.redis.delete(line_keys.AOF_REWRITE())
    with replies.using(worker_context(cfg)):
        LineWorker([rt.queue], connection=rt.redis).work(burst=True, with_scheduler=False, logging_level="WARNING")
    wait_for_rewrite(rt.redis)
    assert sealed not in on_disk(data_dir)
    # Once per interval, for all workers together.
    assert not rewrite_aof_if_due(rt.redis, cfg.aof_rewrite_hours)


def production(config: Config, server: EmbeddedRedis, **changes: object) -> Config:
    return replace(config, redis_url=server.url, **changes)


def test_production_refuses_a_redis_that_keeps_nothing_on_disk(data_dir: Path, config: Config) -> None:
    server = own_redis(data_dir, "--appendonly", "no")
    try:
        with pytest.raises(ConfigError) as refused:
            build_line(production(config, server))
        assert "appendonly yes" in str(refused.value) and "SAMEN_ALLOW_VOLATILE_REDIS" in str(refused.value)
        redis.Redis(port=server.port).config_set("save", "900 1")
        with pytest.raises(ConfigError, match="snapshots"):
            build_line(production(config, server))
        assert build_line(production(config, server, allow_volatile_redis=True)).redis.ping()
        # Development (`make run`) runs on whatever it finds.
        assert build_line(production(config, server, development=True)).redis.ping()
    finally:
        server.stop()


def test_a_redis_that_forbids_config_is_said_so_and_the_line_starts(
    data_dir: Path, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    server = own_redis(data_dir, "--appendonly", "no", "--rename-command", "CONFIG", "")
    try:
        with caplog.at_level(logging.WARNING):
            assert build_line(production(config, server)).redis.ping()
        assert "cannot check that it persists" in caplog.text
    finally:
        server.stop()


def test_a_durable_redis_starts_quietly(
    durable: EmbeddedRedis, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        build_line(production(config, durable))
    assert "persist" not in caplog.text

