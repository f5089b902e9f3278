"""The architecture, checked: pure rooms import no I/O, one module spells Redis keys, old job paths still run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.core import keyspace
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, ROOT, PostFn, inbound, sent_to

PACKAGE = ROOT / "samen_sms"
IO_MODULES = ("flask", "werkzeug", "redis", "rq", "twilio", "requests")
README = ROOT / "docs" / "privacy.md"  # the retention table moved from README.md
TABLE_START, TABLE_END = "<!-- retention-table:start -->", "<!-- retention-table:end -->"


def loaded_after(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `statement`."""
    probe = f"{statement}; import sys; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "statement",
    ["import samen_sms", "import samen_sms.content.engine", "import samen_sms.content.loader, samen_sms.core.keyspace"],
)
def test_the_pure_rooms_load_no_io_library(statement: str) -> None:
    loaded = loaded_after(statement)
    assert "samen_sms" in loaded
    assert not loaded & set(IO_MODULES), sorted(loaded & set(IO_MODULES))


def test_the_probe_sees_an_io_library_when_one_is_loaded() -> None:
    # The check above is only worth something if it can see an import.
    assert {"flask", "redis"} <= loaded_after("import samen_sms.app")


# Redis commands as redis-py names them (get, hset, zadd, ...): a key made by hand would be their first argument.
REDIS_COMMANDS = {name for name in dir(redis.Redis) if name.islower() and not name.startswith("_")}


def spelled_like_a_key(node: ast.expr) -> str | None:
    """The text of a string that looks like a registered key: `"owed"`, `f"rsvp:{sid}"`, `"bc:" + bid`."""
    first = None
    if isinstance(node, ast.Constant):
        first = node.value
    elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        first = node.values[0].value
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
        first = node.left.value
    if not isinstance(first, str):
        return None
    for key in keyspace.KEYS:
        fixed = key.pattern.split("{", 1)[0]
        if (key.fields and first.startswith(fixed)) or (not key.fields and first == key.pattern):
            return first
    return None


def hand_made_keys(path: Path) -> list[str]:
    """Places in one module that spell the `samen:` prefix, or hand Redis a key made like the registry's."""
    source = path.read_text(encoding="utf-8")
    found = [
        f"{path.name}:{n}: spells {keyspace.PREFIX!r}"
        for n, line in enumerate(source.splitlines(), 1)
        if keyspace.PREFIX in line
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REDIS_COMMANDS:
            for arg in node.args[:1] if node.func.attr not in {"delete", "exists", "unlink"} else node.args:
                text = spelled_like_a_key(arg)
                if text is not None:
                    found.append(f"{path.name}:{node.lineno}: {node.func.attr}({text!r}...) builds a key by hand")
    return found


def test_only_the_key_registry_spells_redis_keys() -> None:
    registry = PACKAGE / "core" / "keyspace.py"
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) if path != registry for hit in hand_made_keys(path)]
    assert offenders == [], "keys belong in samen_sms/core/keyspace.py:\n" + "\n".join(offenders)


def test_the_key_scan_finds_a_key_made_by_hand(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text(
        'def count(conn, sid, bid):\n    conn.hlen(f"rsvp:{sid}")\n    conn.delete("owed", "bc:" + bid)\n'
        '    status = f"f:{sid}"  # a value, not a key: not flagged\n    return conn.get("samen:" + sid), status\n',
        encoding="utf-8",
    )
    found = hand_made_keys(offender)
    assert sorted(f.split(":")[1] for f in found) == ["2", "3", "3", "5"], found


def test_the_readme_retention_table_is_the_key_registry() -> None:
    readme = README.read_text(encoding="utf-8")
    match = re.search(re.escape(TABLE_START) + r"\n(.*?)\n" + re.escape(TABLE_END), readme, re.S)
    assert match, f"docs/privacy.md has no {TABLE_START} ... {TABLE_END} block"
    assert match.group(1) == keyspace.retention_table(), (
        "README's retention table differs from the key registry: paste `python -m samen_sms.core.keyspace`"
    )


def test_the_import_contracts_hold() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    """The app with quiet hours off, so an announcement goes out whatever the time of the test."""
    return anytime_app


def test_a_reply_job_queued_under_its_old_path_still_runs(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    rt = app.extensions["samen"]
    assert post(inbound(ALICE, "hi")).status_code == 200
    rt.queue.empty()  # drop the job queued under today's path; the outbox still holds the reply
    # As RQ stored it before the rooms were made: the function as a dotted path, the pseudonym as argument.
    job = rt.queue.enqueue("samen_sms.jobs.deliver", str(rt.keys.pseudonym(ALICE)))
    assert job.func_name == "samen_sms.jobs.deliver"
    work()
    (reply,) = sent_to(standin, ALICE)
    assert reply.startswith("Hello, this is the SAMEN information line.")


def test_a_broadcast_job_queued_under_its_old_path_still_runs(
    app: Flask, work: Callable[[], None], standin: StandinState, tmp_path: Path
) -> None:
    rt = app.extensions["samen"]
    pipe = rt.redis.pipeline(transaction=True)
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    subscriber = subscriptions.Subscriber("VR09", "en", Channel.SMS, int(time.time()), "d", sealed)
    subscriptions.subscribe(pipe, str(rt.keys.pseudonym(ALICE)), subscriber)
    pipe.execute()
    session = tmp_path / "session.toml"
    session.write_text(
        f'title = "Health"\nstarts = {datetime.now().year + 1}-02-01T14:00:00\nplace = "Utrecht"\n'
        'host = "Stichting Voorbeeld"\nlanguages = ["en"]\nregions = ["VR09"]\n',
        encoding="utf-8",
    )
    added = app.test_cli_runner().invoke(args=["sessions", "add", str(session)])
    assert added.exit_code == 0, added.output
    sid = added.output.strip().splitlines()[-1]
    assert infosessions.get(rt.redis, sid) is not None
    job = rt.queue.enqueue("samen_sms.broadcast.run", sid, "a", True)
    assert job.func_name == "samen_sms.broadcast.run"
    work()
    (announcement,) = sent_to(standin, ALICE)
    assert announcement.startswith("Information session: Health")
