"""The one way a feature plugs into the line: handlers for the engine's effects, erasers, delivery hooks.

The app's assembly (`samen_sms.assembly`) builds one `Registry` per process and lets every feature
register into it at start (`feature.register(registry)`); nothing is added at import time. The line
itself registers erasure. At start `check` refuses a line on which some effect has no handler, so an
opt-in can never be answered "done" and then quietly not stored.

Example (what the announcements room does)::

    registry.handle(OptIn, lambda change, effect: subscribe(change.pipe, change.pseudonym, ...))
    registry.erasers.append(erase_subscription)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import redis

from samen_sms.content.effects import EFFECT_TYPES, Effect
from samen_sms.content.engine import Content, Outcome
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Keys

if TYPE_CHECKING:
    from samen_sms.line.runtime import Runtime


@dataclass(frozen=True)
class Change:
    """One inbound message's outcome, about to be committed in the webhook's MULTI/EXEC pipeline."""

    pipe: Any
    conn: redis.Redis
    pseudonym: str
    address: Address
    outcome: Outcome
    keys: Keys
    config: Config
    content: Content | None = None  # what the step read (places, for counting a lookup by region)


E = TypeVar("E", bound=Effect)
EffectHandler = Callable[[Change, Any], None]
# Every message that changes something (announcements keep the WhatsApp window open with it).
MessageHook = Callable[[Change], None]
# eraser(conn, pipe, pseudonym, config): queue on `pipe` the deletion of what a feature keeps.
Eraser = Callable[[redis.Redis, Any, str, Config], None]
# status(pipe, message_sid, status, error_code): a delivery report, inside its pipeline.
StatusHook = Callable[[Any, str, str, str], None]
# send_failed(runtime, pseudonym, address, code, forget): Twilio refused a reply for good; `forget`
# marks an erasure's confirmation, after which nothing may be recorded about the person.
FailureHook = Callable[["Runtime", str, Address, int, bool], None]
# sent(runtime, message_sid, forget): Twilio took a reply; `forget` marks an erasure's confirmation.
SentHook = Callable[["Runtime", str, bool], None]


@dataclass
class Registry:
    """What features registered, by kind; read by the webhook, the status route and reply delivery."""

    effects: dict[type, list[EffectHandler]] = field(default_factory=dict)
    on_message: list[MessageHook] = field(default_factory=list)
    erasers: list[Eraser] = field(default_factory=list)
    on_status: list[StatusHook] = field(default_factory=list)
    on_send_failed: list[FailureHook] = field(default_factory=list)
    on_sent: list[SentHook] = field(default_factory=list)

    def handle(self, kind: type[E], handler: Callable[[Change, E], None]) -> None:
        """Carry out every effect of type `kind` with `handler(change, effect)`."""
        self.effects.setdefault(kind, []).append(handler)

    def check(self) -> None:
        """Refuse to start when an effect the engine can return has nobody to carry it out."""
        missing = [kind.__name__ for kind in EFFECT_TYPES if not self.effects.get(kind)]
        if missing:
            raise RuntimeError(f"no handler registered for effects {', '.join(missing)}")

    def apply(self, change: Change) -> None:
        """Queue, on the change's pipeline, everything the outcome's effects and the message hooks do."""
        if not change.outcome.erases:
            # Nothing new is recorded about someone who asked to be forgotten.
            for hook in self.on_message:
                hook(change)
        for effect in change.outcome.effects:
            for handler in self.effects.get(type(effect), []):
                handler(change, effect)

    def erase(self, conn: redis.Redis, pipe: Any, pseudonym: str, config: Config) -> None:
        """Queue, on `pipe`, the erasure of everything every feature keeps about `pseudonym`."""
        for eraser in self.erasers:
            eraser(conn, pipe, pseudonym, config)
