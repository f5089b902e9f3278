"""How reach plugs into the line: counting on every message and erasure, the `mediators` and `stats` commands.

`register(registry)` is called once per process by the app's assembly; `init_app(app)` adds the
commands. Nothing here runs at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samen_sms.content.effects import Erase, LanguageChosen, Reached
from samen_sms.line.registry import Registry
from samen_sms.reach import counting, mediators

if TYPE_CHECKING:
    from flask import Flask


def register(registry: Registry) -> None:
    """Count every message's reach figures inside the webhook's transaction, and erasures; lend live codes."""
    registry.on_message.append(counting.count_message)
    registry.handle(Erase, counting.count_erasure)
    registry.handle(Reached, counting.counted_by_hook)
    registry.handle(LanguageChosen, counting.counted_by_hook)
    registry.live_codes = mediators.live_codes_key()
    registry.is_live_code = mediators.is_live


def init_app(app: Flask) -> None:
    """The `flask mediators` and `flask stats` commands."""
    from samen_sms.reach.cli import mediators_cli, stats_command

    app.cli.add_command(mediators_cli)
    app.cli.add_command(stats_command)
