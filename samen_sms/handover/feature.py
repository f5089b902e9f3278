"""How the hand-over plugs into the line: the relay before the engine's step, its effects, erasure, chores.

`register(registry)` is called once per process by the app's assembly. Nothing here runs at import
time. The console uses `samen_sms.handover.conversations` (and sets `registry.notify_helpers`);
the line's side is `samen_sms.handover.relay`.
"""

from __future__ import annotations

from samen_sms.content.effects import HandoverAsked, HandoverClosed, HandoverDropped, HandoverOpened, HandoverRelayed
from samen_sms.handover import redis_keys, relay
from samen_sms.line.registry import Registry


def register(registry: Registry) -> None:
    """The hook before the step on the person's pointer, the handlers of the hand-over's effects, erasure, expiry."""
    registry.before(redis_keys.POINTER, relay.held)
    registry.handle(HandoverAsked, relay.asked)
    registry.handle(HandoverDropped, relay.dropped)
    registry.handle(HandoverOpened, relay.opened)
    registry.handle(HandoverRelayed, relay.relayed)
    registry.handle(HandoverClosed, relay.closed)
    registry.erasers.append(relay.erase)
    registry.chores.append(relay.expire_idle)
