"""`flask --app app data drill [FILE]`: rehearse a restore without touching the line's Redis.

The drill takes a backup (FILE, or a fresh `data export` of this line), starts an empty
redis-server of its own in a private folder, gives it the line's erasure ledger (as the newest
backup would carry it), imports the backup there with `data import`'s own code, and then checks:

- every entry of the backup survived, equal (subscriptions, opt-outs, sessions and RSVPs,
  mediators and codes, console accounts, ...), but those of people who erased their data since;
- nobody erased came back: no restored key, field or member names a pseudonym the ledger marks,
  checked on what the new Redis holds, apart from the import's own filtering.

It prints counts per kind of key, never a pseudonym, and exits 1 when a check fails.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import redis
from flask import current_app
from flask.cli import with_appcontext

from samen_sms.core.config import Config
from samen_sms.core.keyspace import Key
from samen_sms.line import backup, privacy, redis_keys
from samen_sms.line.runtime import Runtime


@dataclass
class Report:
    """What the drill found: entries per kind of key, and what went wrong (empty when it passed)."""

    keys: Counter[str] = field(default_factory=Counter)
    backed_up: Counter[str] = field(default_factory=Counter)
    restored: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    came_back: Counter[str] = field(default_factory=Counter)

    @property
    def passed(self) -> bool:
        """Everything due survived and nobody erased came back."""
        return not self.lost and not self.came_back

    def lines(self) -> list[str]:
        """The report as a person reads it: one line per kind of key, then the verdict."""
        # Entries: a hash's fields, a set's members, a list's items, a string (a subscriber is a field).
        out = [f"{'kind of key':<26} {'keys':>5} {'entries':>8} {'restored':>9} {'erased':>7}"]
        for kind in sorted(self.backed_up):
            counts = (self.keys[kind], self.backed_up[kind], self.restored[kind], self.left_out[kind])
            out.append(f"{kind:<26} {counts[0]:>5} {counts[1]:>8} {counts[2]:>9} {counts[3]:>7}")
        for kind, count in sorted(self.lost.items()):
            out.append(f"LOST: {count} entries of {kind} did not survive the restore")
        for kind, count in sorted(self.came_back.items()):
            out.append(f"ERASED PERSON BACK: {count} entries of {kind} name someone in the erasure ledger")
        out.append("drill passed" if self.passed else "drill FAILED")
        return out


def _size(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 1


def _missing(kind: str, due: Any, now: dict[str, Any] | None) -> int:
    """How many of the entries due are not in the restored key, equal (more there is not a loss)."""
    if now is None or now["type"] != kind:
        return _size(due)
    have = now["value"]
    if kind == "hash":
        return sum(1 for name, value in due.items() if have.get(name) != value)
    if kind == "set":
        return len(set(due) - set(have))
    if kind == "zset":
        scores = {member: float(score) for member, score in have}
        return sum(1 for member, score in due if scores.get(member) != float(score))
    return 0 if due == have else _size(due)


def _kind_of(key: str, kinds: list[Key]) -> str:
    # The longest matching prefix: `session_seq` is not a `session:{session_id}`.
    found = max((kind for kind in kinds if key.startswith(kind.prefix)), key=lambda k: len(k.prefix), default=None)
    return found.pattern if found else "other"


def _names_erased(entry: dict[str, Any], marks: set[str], config: Config) -> int:
    """How many parts of a restored key name someone in the ledger: the key itself, hash fields, members."""

    def gone(text: str) -> bool:
        return privacy.ledger_mark(config, text) in marks

    if any(gone(part) for part in entry["key"].split(":")):
        return _size(entry["value"])
    value = entry["value"]
    if entry["type"] == "hash":
        return sum(1 for name in value if gone(name))
    if entry["type"] in ("set", "list"):
        return sum(1 for member in value if isinstance(member, str) and gone(member))
    if entry["type"] == "zset":
        return sum(1 for member, _ in value if gone(member))
    return 0


def check(restored: redis.Redis, config: Config, file: Path, kinds: list[Key], ledger: set[str]) -> Report:
    """Compare what `restored` holds with the backup `file`, under the erasure ledger `ledger`."""
    report = Report()
    entries = json.loads(file.read_text(encoding="utf-8"))["entries"]
    for entry in entries:
        if entry["key"] == redis_keys.ERASED():
            continue
        kind = _kind_of(entry["key"], kinds)
        due = backup.without_erased(entry, ledger, config)
        report.keys[kind] += 1
        report.backed_up[kind] += _size(entry["value"])
        report.left_out[kind] += _size(entry["value"]) - (_size(due) if due is not None else 0)
        if due is not None and (missing := _missing(entry["type"], due, backup.read_entry(restored, entry["key"]))):
            report.lost[kind] += missing
    for key in backup.backed_up_keys(restored, kinds):
        if key == redis_keys.ERASED():
            continue
        entry = backup.read_entry(restored, key)
        if entry is None:
            continue
        kind = _kind_of(key, kinds)
        report.restored[kind] += _size(entry["value"])
        if back := _names_erased(entry, ledger, config):
            report.came_back[kind] += back
    return report


class ScratchRedis:
    """An empty redis-server on loopback in a private folder, stopped and removed afterwards."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="samen-drill-"))  # mode 0700
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ScratchRedis:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--appendonly", "yes", "--save", "", "--daemonize", "no"]
        self.process = subprocess.Popen(
            [self.binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.conn = redis.Redis(port=self.port, socket_timeout=5)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.conn.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise click.ClickException(f"{self.binary} did not start on port {self.port}") from None
                time.sleep(0.05)

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def drill(rt: Runtime, file: Path | None, binary: str, ledger: bool = True) -> Report:
    """Restore `file` (or a fresh export) into an empty Redis and check it; `ledger=False` leaves the
    line's erasure ledger out of the new Redis, as a restore without the newest backup would."""
    kinds = list(rt.registry.keys)
    marks = privacy.erased_marks(rt.redis, rt.config)
    with ScratchRedis(binary) as scratch:
        restored = scratch.conn
        if file is None:  # in the scratch folder (0700), removed with it: it holds sealed numbers
            file = scratch.folder / "line.json"
            backup.export(rt.redis, rt.config, file, kinds)
        if ledger:
            erased: list[tuple[bytes, float]] = rt.redis.zrange(  # type: ignore[assignment]
                redis_keys.ERASED(), 0, -1, withscores=True
            )
            if erased:
                restored.zadd(redis_keys.ERASED(), {member.decode(): at for member, at in erased})
        backup.restore(restored, rt.config, file, kinds)
        return check(restored, rt.config, file, kinds, marks)


@click.command("drill")
@with_appcontext
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--redis-server", "binary", help="the redis-server to start (default: the one on the PATH)")
def drill_command(file: Path | None, binary: str | None) -> None:
    """Restore FILE (default: a fresh export) into an empty Redis of its own, and check what survived."""
    binary = binary or shutil.which("redis-server")
    if not binary:
        raise click.ClickException("no redis-server on the PATH: `apt-get install redis-server`, or --redis-server")
    rt: Runtime = current_app.extensions["samen"]
    try:
        report = drill(rt, file, binary)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)
    if not report.passed:
        raise SystemExit(1)
