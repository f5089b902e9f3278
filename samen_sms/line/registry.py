"""The one way a feature plugs into the line: a hook before the step, handlers for its effects, erasers, delivery hooks.

The app's assembly (`samen_sms.assembly`) builds one `Registry` per process and lets every feature
register into it at start (`feature.register(registry)`); nothing is added at import time. The line
itself registers erasure. At start `check` refuses a line on which some effect has no handler, so an
opt-in can never be answered "done" and then quietly not stored.

Example (what the announcements room does)::

    registry.handle(OptIn, lambda change, effect: subscribe(change.pipe, change.pseudonym, ...))
    registry.erasers.append(erase_subscription)

Before the step, a feature may take a message itself (a conversation handed to a person). It names
one key it keeps per person (`Key("...:{p}")`, a string, which its eraser deletes): the webhook reads
it in its first round trip and gives its value to the hook with the message and the engine's
reading of it, so a hook costs no round trip. The hook returns an `Outcome` (new state, replies,
effects), which is committed as the engine's would be, or None to leave the message to the engine.
The first hook that answers takes the message, and the engine then does not see it: one message in,
one answer out. What only the engine may answer (the delete word, stop, start, a danger word, a
flood) a hook leaves to it::

    def held(arrived: Arrived, value: str | None) -> Outcome | None:
        if value is None or arrived.reading.for_engine:
            return None
        visit = arrived.visit
        return Outcome(visit.node, visit.locale, reply_locale(arrived.content, visit, arrived.message.said), refs)

    registry.before(HANDED_OVER, held)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import redis

from samen_sms.content.effects import EFFECT_TYPES, Effect
from samen_sms.content.engine import Content, Message, Outcome, Visit
from samen_sms.content.reading import Reading, read
from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Keys
from samen_sms.core.keyspace import Key

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


@dataclass(frozen=True)
class Arrived:
    """One inbound message before the engine's step: from whom, where they are, what they said."""

    pseudonym: str
    address: Address
    visit: Visit
    message: Message
    content: Content
    config: Config

    @cached_property
    def reading(self) -> Reading:
        """The engine's reading of the message: a whole-message keyword, a danger word, the rate limit."""
        return read(self.content.lexicon, self.visit, self.message)


# before(arrived, value): take the message (an Outcome to commit) or leave it to the engine (None);
# `value` is what the hook's key holds for the person, read with the message (None: nothing).
BeforeHook = Callable[[Arrived, str | None], Outcome | None]


@dataclass(frozen=True)
class Before:
    """A before-step hook and the per-person key it reads."""

    key: Key
    hook: BeforeHook


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
# sent(runtime, message_sid, forget): Twilio took a reply; `forget` marks one that must leave no trace
# (an erasure's confirmation, or a reply Twilio took after the person erased their data).
SentHook = Callable[["Runtime", str, bool], None]
# What one room lends another, set at start by the lender's `register`: a room never reads a key
# another room owns (`<room>/redis_keys.py`), it asks the owner through one of these.
# hosts(conn, session ids) -> session id: the referral code of its host (announcements -> reach).
HostsLookup = Callable[[redis.Redis, Iterable[str]], dict[str, str]]
# live(conn, code): whether a referral code counts now (reach -> announcements).
CodeCheck = Callable[[redis.Redis, str], bool]
# counts(conn) -> broadcast -> state -> messages, for the metrics (announcements -> line).
CountsReader = Callable[[redis.Redis], dict[str, dict[str, int]]]
# notify(runtime, locale): conversations wait for helpers of this language; tell them neutrally (a
# count, never words or numbers), by email or in the console (hand-over -> console). Run in a worker.
HelperNotice = Callable[["Runtime", str], None]
# chore(runtime): something a worker does at every maintenance (the hand-over's expiry after N days).
Chore = Callable[["Runtime"], None]


def _no_hosts(conn: redis.Redis, session_ids: Iterable[str]) -> dict[str, str]:
    return {}


def _no_code(conn: redis.Redis, code: str) -> bool:
    return False


def _no_counts(conn: redis.Redis) -> dict[str, dict[str, int]]:
    return {}


def _no_notice(runtime: Runtime, locale: str) -> None:
    return None


@dataclass
class Registry:
    """What features registered, by kind; read by the webhook, the status route and reply delivery."""

    before_step: list[Before] = field(default_factory=list)
    effects: dict[type, list[EffectHandler]] = field(default_factory=dict)
    on_message: list[MessageHook] = field(default_factory=list)
    erasers: list[Eraser] = field(default_factory=list)
    on_status: list[StatusHook] = field(default_factory=list)
    on_send_failed: list[FailureHook] = field(default_factory=list)
    on_sent: list[SentHook] = field(default_factory=list)
    keys: tuple[Key, ...] = ()  # every Redis key the assembled rooms declare (backups read it)
    # The reach room's set of live referral codes, by name: the webhook's first round trip asks it
    # in its one script (one SMISMEMBER), so counting a referral costs no round trip of its own.
    live_codes: str = ""
    is_live_code: CodeCheck = _no_code
    session_hosts: HostsLookup = _no_hosts
    broadcast_counts: CountsReader = _no_counts
    notify_helpers: HelperNotice = _no_notice
    chores: list[Chore] = field(default_factory=list)

    def before(self, key: Key, hook: BeforeHook) -> None:
        """Ask `hook(arrived, value)` about every message before the engine; `key` (`{p}`) is read with it."""
        if key.fields != ("p",):
            raise ValueError(f"a before-step hook's key is one per person ({{p}}), not {key.pattern}")
        self.before_step.append(Before(key, hook))

    def held_keys(self, pseudonym: str) -> tuple[str, ...]:
        """The keys the before-step hooks read about one person, for the message's first round trip."""
        return tuple(before.key(pseudonym) for before in self.before_step)

    def take(self, arrived: Arrived, held: tuple[str | None, ...]) -> Outcome | None:
        """The first before-step hook's answer to a message (`held`: its keys' values), else None."""
        for before, value in zip(self.before_step, held, strict=True):
            outcome = before.hook(arrived, value)
            if outcome is not None:
                return outcome
        return None

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
