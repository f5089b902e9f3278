"""Redis that keeps what it is given: the persistence check at start and the scheduled AOF rewrite.

An opt-out mark that a Redis restart loses means announcing to someone who said stop, so a
production line refuses to start on a Redis that keeps nothing on disk. And an append-only file
keeps every command ever written, erased sealed numbers included, until it is rewritten: the
workers rewrite it on a schedule (`SAMEN_AOF_REWRITE_HOURS`) so erased data leaves the disk in a
bounded time.
"""

from __future__ import annotations

import logging

import redis

from samen_sms.core.config import Config, ConfigError
from samen_sms.line import redis_keys

log = logging.getLogger(__name__)

FIX = (
    "set `appendonly yes` and `appendfsync everysec` in the Redis configuration "
    "(or `CONFIG SET appendonly yes` then `CONFIG REWRITE`), or set SAMEN_ALLOW_VOLATILE_REDIS=1 "
    "to run on it anyway"
)


def _setting(conn: redis.Redis, name: str) -> str:
    value = conn.config_get(name).get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def check_persistence(conn: redis.Redis, config: Config) -> None:
    """Refuse to start a production line on a Redis that would lose opt-outs in a restart.

    The append-only file is what keeps every acknowledged write; RDB snapshots alone lose the
    minutes since the last one (a warning). A managed Redis that forbids CONFIG cannot be checked:
    said so, and the line starts.
    """
    try:
        appendonly = _setting(conn, "appendonly")
        save = _setting(conn, "save").strip()
    except redis.ResponseError:
        log.warning(
            "Redis refuses CONFIG GET (a managed Redis?): cannot check that it persists; "
            "make sure its append-only persistence is on (see docs/operations.md)"
        )
        return
    except redis.RedisError:
        log.warning("Redis does not answer: its persistence is checked at the next start")
        return
    if appendonly == "yes":
        return
    if config.allow_volatile_redis:
        kept = "only snapshots" if save else "nothing on disk"
        log.warning("Redis keeps %s; SAMEN_ALLOW_VOLATILE_REDIS=1, starting anyway", kept)
        return
    if save:
        raise ConfigError(
            f"Refusing to start: Redis has appendonly={appendonly} and only RDB snapshots (save {save!r}): "
            f"a restart loses the opt-outs and consent records since the last snapshot; {FIX}."
        )
    raise ConfigError(f"Refusing to start: Redis keeps nothing on disk (appendonly={appendonly}, save ''); {FIX}.")


def persistence_lost(conn: redis.Redis, config: Config) -> str | None:
    """What a running Redis no longer keeps on disk, in a few words; None while it persists.

    The check at start does not see a Redis restarted later with `appendonly no`, nor an
    append-only file Redis can no longer write (a full disk): /healthz asks this. A Redis that
    refuses CONFIG cannot be checked and counts as persisting, as at start.
    """
    try:
        appendonly = _setting(conn, "appendonly")
    except redis.ResponseError:
        return None
    if appendonly != "yes":
        return None if config.allow_volatile_redis else f"appendonly {appendonly}"
    info = conn.info("persistence")
    status = str(info.get("aof_last_write_status", "ok"))
    return None if status == "ok" else f"append-only file write {status}"


def rewrite_aof_if_due(conn: redis.Redis, interval_hours: float) -> bool:
    """Start BGREWRITEAOF when the last one this line asked for is `interval_hours` old.

    One worker of all wins the marker (SET NX with the interval as its TTL) and asks Redis; the
    rewrite leaves only what is in memory now, so data erased before it leaves the file. Returns
    whether a rewrite was started.
    """
    if interval_hours <= 0:
        return False
    if not conn.set(redis_keys.AOF_REWRITE(), 1, nx=True, ex=max(1, int(interval_hours * 3600))):
        return False
    try:
        if _setting(conn, "appendonly") != "yes":
            return False
        conn.bgrewriteaof()
    except redis.ResponseError as exc:
        # Already rewriting is fine; a managed Redis without the command has its own schedule.
        if "in progress" in str(exc).lower() or "scheduled" in str(exc).lower():
            return True
        log.warning("Redis refused BGREWRITEAOF (%s); rewrite its append-only file on its own schedule", exc)
        return False
    log.info("asked Redis to rewrite its append-only file (every %s h)", interval_hours)
    return True
