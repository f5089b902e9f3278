"""`flask --app app data export FILE` / `data import FILE`: what must survive a move to a new Redis.

Exported: every key the assembled rooms mark `backup=True` (`Registry.keys`) (subscriptions with consent, opt-out marks,
information sessions and their RSVPs, mediators and their codes, console accounts, the console's
directory entries and drafts, and the audit log), with their time to live, still sealed and
pseudonymised as stored. Menu
positions, queues, counters and Twilio bookkeeping are not: they are short-lived or rebuilt. The
file carries a fingerprint of the keys, so it is refused by a line with another `SAMEN_SECRET_KEY`
(whose pseudonyms would never match) or `SAMEN_DATA_KEY` (which could not open the numbers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import redis
from flask import Flask, current_app
from flask.cli import AppGroup

from samen_sms.core.config import Config
from samen_sms.core.keyspace import Key
from samen_sms.line import privacy, redis_keys
from samen_sms.line.registry import Registry
from samen_sms.line.runtime import Runtime

FORMAT = "samen-backup"
VERSION = 1
data_cli = AppGroup("data", help="Back up and restore what must survive a move to a new Redis.")


class BackupError(RuntimeError):
    """The file cannot be restored here; the message says why."""


def fingerprint(config: Config) -> str:
    """An HMAC of a fixed text under the line's keys: equal only when both keys are the same."""
    key = f"{config.secret_key}\0{config.data_key or ''}".encode()
    return hmac.new(key, b"samen backup v1", hashlib.sha256).hexdigest()


def backed_up_keys(conn: redis.Redis, kinds: Iterable[Key]) -> list[str]:
    """Every key in Redis of one of these kinds marked for backup, in a stable order."""
    found: set[str] = set()
    for kind in kinds:
        if not kind.backup:
            continue
        if not kind.fields:
            found.add(kind())
            continue
        for key in conn.scan_iter(match=kind(*("*" for _ in kind.fields)), count=1000):
            found.add(key.decode() if isinstance(key, bytes) else str(key))
    return sorted(found)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_entry(conn: redis.Redis, key: str) -> dict[str, Any] | None:
    """One key as a backup holds it: key, type, time to live and value; None when it is gone."""
    kind = _text(conn.type(key))
    value: Any
    if kind == "string":
        value = _text(conn.get(key))
    elif kind == "hash":
        value = {_text(k): _text(v) for k, v in conn.hgetall(key).items()}
    elif kind == "set":
        value = sorted(_text(m) for m in conn.smembers(key))
    elif kind == "zset":
        pairs: list[tuple[Any, float]] = conn.zrange(key, 0, -1, withscores=True)  # type: ignore[assignment]
        value = [[_text(member), score] for member, score in pairs]
    elif kind == "list":
        value = [_text(v) for v in conn.lrange(key, 0, -1)]
    elif kind == "stream":  # the console's audit log
        entries: list[tuple[Any, dict[Any, Any]]] = conn.xrange(key)  # type: ignore[assignment]
        value = [[_text(i), {_text(k): _text(v) for k, v in f.items()}] for i, f in entries]
    else:
        return None  # gone since the scan
    ttl = conn.pttl(key)
    return {"key": key, "type": kind, "ttl_ms": ttl if ttl > 0 else None, "value": value}


def export(conn: redis.Redis, config: Config, path: Path, kinds: Iterable[Key]) -> int:
    """Write the backed-up keys of these kinds (the assembled rooms') to `path` (mode 0600); returns how many."""
    entries = [entry for key in backed_up_keys(conn, kinds) if (entry := read_entry(conn, key)) is not None]
    document = {"format": FORMAT, "version": VERSION, "created": int(time.time()), "keys": fingerprint(config)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # sealed numbers and pseudonyms: for this user only
        json.dump({**document, "entries": entries}, out, separators=(",", ":"))
    return len(entries)


def restore(conn: redis.Redis, config: Config, path: Path, kinds: Iterable[Key]) -> int:
    """Restore a file made by `export` into this Redis (merged into what is there); returns how many keys.

    Only keys of these kinds (the assembled rooms') marked for backup are taken.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{path.name} is not a backup file: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
        raise BackupError(f"{path.name} is not a backup file of this line (format {FORMAT} {VERSION})")
    if not hmac.compare_digest(str(document.get("keys", "")), fingerprint(config)):
        raise BackupError(
            f"{path.name} was made with another SAMEN_SECRET_KEY (or SAMEN_DATA_KEY): its pseudonyms and sealed "
            "numbers mean nothing here. Restore it with the keys of the line that made it."
        )
    allowed = {kind.prefix for kind in kinds if kind.backup}
    entries = document.get("entries", [])
    for entry in entries:
        if not any(entry["key"].startswith(prefix) for prefix in allowed):
            raise BackupError(f"{path.name} holds a key this line does not back up")
    erased = _erased(conn, config, entries)
    pipe = conn.pipeline(transaction=True)
    for entry in entries:
        key, kind, value, ttl = entry["key"], entry["type"], without_erased(entry, erased, config), entry.get("ttl_ms")
        if value is None:
            continue  # a key of someone who erased their data after the backup was made
        if kind == "string":
            pipe.set(key, value)
        elif kind == "hash" and value:
            pipe.hset(key, mapping=value)
        elif kind == "set" and value:
            pipe.sadd(key, *value)
        elif kind == "zset" and value:
            pipe.zadd(key, {member: score for member, score in value})
        elif kind == "list" and value:
            pipe.delete(key)
            pipe.rpush(key, *value)
        elif kind == "stream":
            # Entries keep their ids (when they happened); those this Redis already has are skipped.
            newest = conn.xrevrange(key, count=1)
            after = _stream_id(_text(newest[0][0])) if newest else (0, 0)
            for entry_id, fields in value:
                if _stream_id(entry_id) > after:
                    pipe.xadd(key, fields, id=entry_id)
        if ttl:
            pipe.pexpire(key, int(ttl))
    pipe.execute()
    return len(entries)


def _erased(conn: redis.Redis, config: Config, entries: list[dict[str, Any]]) -> set[str]:
    """The erasure ledger's marks: this Redis's and the file's own (a move keeps the ledger too)."""
    marks = privacy.erased_marks(conn, config)
    since = time.time() - config.backup_days * 86400
    for entry in entries:
        if entry["key"] == redis_keys.ERASED() and entry["type"] == "zset":
            marks |= {str(member) for member, at in entry["value"] if float(at) >= since}
    return marks


def without_erased(entry: dict[str, Any], erased: set[str], config: Config) -> Any:
    """An entry's value without anything of the people in the erasure ledger; None to leave the key out.

    Whatever names a person names them by pseudonym: in the key (`...:{p}`), as a hash's field (a
    subscription, an RSVP) or as a member (the opt-out mark).
    """
    value = entry["value"]
    if not erased or entry["key"] == redis_keys.ERASED():
        return value

    def gone(text: str) -> bool:
        return privacy.ledger_mark(config, text) in erased

    if any(gone(part) for part in entry["key"].split(":")):
        return None
    kind = entry["type"]
    if kind == "hash":
        kept = {field: v for field, v in value.items() if not gone(field)}
        return kept if kept or not value else None
    if kind == "set":
        members = [m for m in value if not gone(m)]
        return members if members or not value else None
    if kind == "zset":
        pairs = [[m, score] for m, score in value if not gone(m)]
        return pairs if pairs or not value else None
    return value


def _stream_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def register(registry: Registry) -> None:
    """Backups plug nothing into the message path; the commands come with `init_app`."""


def init_app(app: Flask) -> None:
    """The `flask data` commands."""
    from samen_sms.line.drill import drill_command  # the drill builds on this module

    data_cli.add_command(drill_command)
    app.cli.add_command(data_cli)


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["samen"]
    return rt


@data_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    """Write subscriptions, opt-outs, sessions (and operators' data) to FILE, sealed as stored."""
    rt = _rt()
    count = export(rt.redis, rt.config, file, rt.registry.keys)
    click.echo(f"{count} keys written to {file} (mode 0600; holds sealed numbers: keep it as safe as Redis)")


@data_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Restore FILE, made by `data export` with the same SAMEN_SECRET_KEY, into this Redis."""
    rt = _rt()
    try:
        count = restore(rt.redis, rt.config, file, rt.registry.keys)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} keys restored from {file}")
