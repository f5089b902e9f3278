"""Which features make up the line, assembled once per process: for the web app, the workers and the CLI.

The rooms below never import each other upwards; this module is where they meet. A new feature
adds itself to `FEATURES` with a `register(registry)` function (and `init_app(app)` for commands);
a room that keeps something in Redis adds its `redis_keys` to `KEYS`, the one registry of keys
(backups and the retention table read it: `python -m samen_sms.assembly` prints the table).
"""

from __future__ import annotations

import argparse
import sys

from samen_sms.announce import feature as announcements
from samen_sms.announce import redis_keys as announce_keys
from samen_sms.console import contentcli
from samen_sms.console import feature as console
from samen_sms.console import redis_keys as console_keys
from samen_sms.content.engine import Content
from samen_sms.core import keyspace
from samen_sms.core import redis_keys as core_keys
from samen_sms.core.config import Config
from samen_sms.handover import feature as handover
from samen_sms.handover import redis_keys as handover_keys
from samen_sms.line import backup, metrics, privacy
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.replies import WorkerContext
from samen_sms.line.runtime import Runtime, build_runtime
from samen_sms.line.sender import Sender, build_client
from samen_sms.reach import feature as reach
from samen_sms.reach import redis_keys as reach_keys

FEATURES = (privacy, announcements, reach, handover, console, metrics, backup, contentcli)
# Every Redis key of the assembled rooms, each declared (and used) by its own room only.
KEYS = keyspace.registry(
    line_keys.KEYS, announce_keys.KEYS, reach_keys.KEYS, core_keys.KEYS, console_keys.KEYS, handover_keys.KEYS
)


def build_line(config: Config, web: bool = False, content: Content | None = None) -> Runtime:
    """Connections, content and keys, with every feature registered; refuses to start half-wired."""
    runtime = build_runtime(config, web=web, content=content)
    runtime.registry.keys = KEYS
    for feature in FEATURES:
        feature.register(runtime.registry)
    runtime.registry.check()
    return runtime


def worker_context(config: Config | None = None, content: Content | None = None) -> WorkerContext:
    """What a worker process runs jobs with: the assembled line and a Twilio client."""
    cfg = config or Config.from_env()
    return WorkerContext(build_line(cfg, content=content), Sender(build_client(cfg), cfg))


def retention_table() -> str:
    """The retention table of every key the assembled rooms keep (and RQ's), in Markdown."""
    return keyspace.retention_table(KEYS)


if __name__ == "__main__":
    argparse.ArgumentParser(description="Print the retention table of every Redis key the line keeps.").parse_args()
    sys.stdout.write(retention_table() + "\n")
