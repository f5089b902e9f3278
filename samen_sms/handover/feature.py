"""How the hand-over plugs into the line: the relay before the engine's step, its effects, erasure.

`register(registry)` is called once per process by the app's assembly. Nothing here runs at import
time. The console uses `samen_sms.handover.conversations`; the relay is `samen_sms.handover.relay`.
"""

from __future__ import annotations

from samen_sms.line.registry import Registry


def register(registry: Registry) -> None:
    """The relay reads the person's pointer before every step; the delete word erases every conversation of theirs."""
    from samen_sms.handover import relay

    relay.register(registry)
