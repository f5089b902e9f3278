"""Which features make up the line, assembled once per process: for the web app, the workers and the CLI.

The rooms below never import each other upwards; this module is where they meet. A new feature
adds itself to `FEATURES` with a `register(registry)` function (and `init_app(app)` for commands).
"""

from __future__ import annotations

from samen_sms.announce import feature as announcements
from samen_sms.console import feature as console
from samen_sms.core.config import Config
from samen_sms.line import backup, contentcli, metrics, privacy
from samen_sms.line.replies import WorkerContext
from samen_sms.line.runtime import Runtime, build_runtime
from samen_sms.line.sender import Sender, build_client
from samen_sms.reach import feature as reach

FEATURES = (privacy, announcements, reach, console, metrics, backup, contentcli)


def build_line(config: Config, web: bool = False) -> Runtime:
    """Connections, content and keys, with every feature registered; refuses to start half-wired."""
    runtime = build_runtime(config, web=web)
    for feature in FEATURES:
        feature.register(runtime.registry)
    runtime.registry.check()
    return runtime


def worker_context(config: Config | None = None) -> WorkerContext:
    """What a worker process runs jobs with: the assembled line and a Twilio client."""
    cfg = config or Config.from_env()
    return WorkerContext(build_line(cfg), Sender(build_client(cfg), cfg))
