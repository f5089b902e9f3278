"""The restore drill (`flask data drill`): a backup restored into an empty Redis keeps what must survive,
and nobody who erased their data since comes back; without the erasure ledger the drill says so."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.devtools.embedded_redis import redis_server_binary
from samen_sms.devtools.standin import StandinState
from samen_sms.line.drill import drill
from tests.conftest import ALICE, BOB, ROOT, PostFn, inbound
from tests.test_backup import SUBSCRIBE

pytestmark = pytest.mark.system  # starts a redis-server of its own

CAROL = "+447700900789"
# What the operations page promises survives a restore, by the kind of key that holds it.
SURVIVE = {
    "subs:{region}": "subscribers",
    "optout": "opt-outs",
    "session:{session_id}": "sessions",
    "mediators": "mediators",
    "console:account:{email}": "accounts",
}


def a_line_with_everyone(app: Flask, post: PostFn, work: Callable[[], None]) -> None:
    """Two subscribers, an opt-out, an information session, a mediator and a console account."""
    for who in (ALICE, CAROL):
        for text in SUBSCRIBE:
            post(inbound(who, text))
    post(inbound("whatsapp:" + BOB, "hi"))
    post(inbound("whatsapp:" + BOB, "stop"))
    runner = app.test_cli_runner()
    for args in (
        ["sessions", "add", str(ROOT / "sessions" / "example.toml")],
        ["mediators", "add", "Stichting Voorbeeld", "--languages", "en", "--region", "NL"],
        ["users", "add", "coordinator@example.org", "--role", "coordinator"],
    ):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    work()


@pytest.mark.parametrize("ledger", [True, False], ids=["with-the-ledger", "broken-without-the-ledger"])
def test_an_old_backup_restored_keeps_everyone_but_the_erased_person(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis, ledger: bool
) -> None:
    a_line_with_everyone(app, post, work)
    old = Path(tempfile.mkdtemp(prefix="samen-backup-")) / "line.json"
    assert app.test_cli_runner().invoke(args=["data", "export", str(old)]).exit_code == 0
    post(inbound(ALICE, "delete"))  # after the backup was made
    work()

    report = drill(app.extensions["samen"], old, redis_server_binary(), ledger=ledger)

    text = "\n".join(report.lines())
    if not ledger:  # the deliberately broken restore: the drill must catch it
        assert not report.passed, text
        assert report.came_back["subs:{region}"] == 1, text
        assert "ERASED PERSON BACK: 1 entries of subs:{region}" in text and text.endswith("drill FAILED")
        return
    assert report.passed, text
    assert report.left_out["subs:{region}"] == 1 and report.restored["subs:{region}"] == 1, text  # Carol, not Alice
    for kind, what in SURVIVE.items():
        assert report.restored[kind] >= 1, f"no {what} restored:\n{text}"
        assert report.restored[kind] == report.backed_up[kind] - report.left_out[kind], f"{what}:\n{text}"
    assert ALICE.lstrip("+") not in text and app.extensions["samen"].keys.pseudonym(ALICE) not in text


def test_the_drill_command_restores_a_fresh_export_and_says_it_passed(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    a_line_with_everyone(app, post, work)
    done = app.test_cli_runner().invoke(args=["data", "drill", "--redis-server", redis_server_binary()])
    assert done.exit_code == 0, done.output
    assert done.output.strip().endswith("drill passed")
    assert "console:account:{email}" in done.output and "optout" in done.output
    # The scratch Redis is gone, and the line's own Redis still holds everyone.
    assert redis_conn.exists("samen:optout")
