"""The line's side of a hand-over: the asking dialogue's answers, the relay of an open conversation, erasure.

One key per person, `POINTER` (`ho:p:{p}`), read with every message before the engine's step
(`Registry.before`), says where the person is:

- `{"s": "asked", "l": "ar", "k": 1}`: shown the person screen (112 and the lines open now); `k`
  is whether a helper speaks the language, noted when the screen was shown (`HandoverAsked`'s
  handler asks Redis then, inside the webhook's pipeline step, so the hook itself costs no trip);
- `{"s": "consent" | "safe" | "when", "l": ..., "f": 0|1}`: the next steps; `f` is the answer to
  "is it safe to receive messages on this phone";
- `{"s": "open", "c": <conversation id>, "l": "ar"}`: what the person writes goes to the helper.

The hook answers only the digits of the asking dialogue at its own screens, and, while a
conversation is open, every message but those the engine must answer: the delete, stop and start
words and a flood (`Reading.for_engine`), and the close word, as the whole message. The menu word
(often a hello) shows the menu as always and is relayed too; a danger word gets help now from the
engine at once, is relayed, and marks the conversation urgent. Whether it is
within the helper hours is read from the clock when the person answers "1"; the engine stays pure.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Queue

from samen_sms.content.effects import (
    HandoverAsked,
    HandoverClosed,
    HandoverDropped,
    HandoverOpened,
    HandoverRelayed,
    HandoverStep,
)
from samen_sms.content.engine import Content, Outcome, reply_locale, step
from samen_sms.content.replies import Menu
from samen_sms.core.config import Config
from samen_sms.core.hours import open_at
from samen_sms.handover import conversations, records, redis_keys
from samen_sms.handover.model import DAY, Ending, Times
from samen_sms.handover.notify import enqueue_notice
from samen_sms.line.registry import Arrived, Change
from samen_sms.line.runtime import Runtime

# The screen each asking step waits at: a digit there is the step's answer.
SCREENS = {
    HandoverStep.ASKED: "person",
    HandoverStep.CONSENT: "person_consent",
    HandoverStep.SAFE: "person_safe",
    HandoverStep.WHEN: "person_when",
}
OPEN_STATE = "open"
TIMES = {1: Times.ANY, 2: Times.DAYTIME, 3: Times.AFTER_I_WRITE}
# Keywords that keep their meaning inside an open conversation, as the whole message.
MENU, CLOSE = "menu", "close"
RELEASE_JOB = "samen_sms.handover.relay.release"
log = logging.getLogger(__name__)


# Before the step: pure, on the pointer's value.


def held(arrived: Arrived, value: str | None) -> Outcome | None:
    """Answer a step of the asking dialogue, or relay a message of an open conversation; else None."""
    if value is None:
        return None
    state = json.loads(value)
    if state.get("s") == OPEN_STATE:
        return _relay(arrived, str(state["c"]))
    return _asking(arrived, state)


def _relay(arrived: Arrived, conv: str) -> Outcome | None:
    reading, message, content = arrived.reading, arrived.message, arrived.content
    text = message.said.raw.strip()
    if reading.danger is not None and reading.keyword is None and not reading.past_limit:
        # Help now at once, from the engine, and the helper sees what was written, marked urgent.
        outcome = step(content, arrived.visit, message)
        return replace(outcome, effects=(*outcome.effects, HandoverRelayed(conv, text, urgent=True)))
    if reading.for_engine or not text:
        return None  # delete, stop, start, a flood; a photo alone gets the engine's "text only"
    # Only as the whole message: "close the door" is no close word. A menu word is often a hello the
    # helper should see too: the menu comes as always, and the text goes to the helper.
    hit = content.lexicon.first_word.get(message.said.whole)
    if hit is not None and hit[0] == CLOSE:
        return None
    if hit is not None and hit[0] == MENU:
        outcome = step(content, arrived.visit, message)
        return replace(outcome, effects=(*outcome.effects, HandoverRelayed(conv, text)))
    visit = arrived.visit
    locale = reply_locale(content, visit, message.said)
    # No reply: a helper answers. The person's place in the menus stays as it was.
    return Outcome(
        visit.node or "person_open", visit.locale or locale, locale, (), (HandoverRelayed(conv, text),), hint=visit.hint
    )


def _asking(arrived: Arrived, state: dict[str, Any]) -> Outcome | None:
    visit, said, content = arrived.visit, arrived.message.said, arrived.content
    try:
        at = HandoverStep(str(state.get("s")))
    except ValueError:
        return None
    if arrived.reading.for_engine or visit.locale is None or visit.node != SCREENS[at]:
        return None
    digit = said.digit
    match at:
        case HandoverStep.ASKED if digit == 1:
            if not state.get("k"):
                return _show(content, visit.locale, "person_none", HandoverDropped())
            if not open_at(arrived.config.handover_hours, datetime.now(UTC)):
                return _show(content, visit.locale, "person_hours", HandoverDropped())
            return _show(content, visit.locale, "person_consent", HandoverAsked(HandoverStep.CONSENT))
        case HandoverStep.CONSENT if digit == 1:
            return _show(content, visit.locale, "person_safe", HandoverAsked(HandoverStep.SAFE))
        case HandoverStep.CONSENT if digit == 2:
            return _show(content, visit.locale, "person_declined", HandoverDropped())
        case HandoverStep.SAFE if digit in (1, 2):
            return _show(content, visit.locale, "person_when", HandoverAsked(HandoverStep.WHEN, safe=digit == 1))
        case HandoverStep.WHEN if digit in TIMES:
            opened_with = HandoverOpened(TIMES[digit].value, bool(state.get("f")))
            return _show(content, visit.locale, "person_open", opened_with)
    return None


def _show(content: Content, locale: str, node: str, effect: Any) -> Outcome:
    return Outcome(node, locale, locale, (Menu(node),), (effect,))


# Effects, inside the webhook's transaction (`change.pipe`); `change.conn` for reads.


def asked(change: Change, effect: HandoverAsked) -> None:
    """Note the person's step of asking (and, at the first, whether a helper speaks their language)."""
    p, cfg = change.pseudonym, change.config
    locale = change.outcome.locale or change.outcome.reply_locale
    current = _pointer(change.conn, p)
    if current is not None and current.get("s") == OPEN_STATE:
        return  # already in a conversation: asking again changes nothing
    state: dict[str, Any] = {"s": effect.step.value, "l": locale}
    if effect.step is HandoverStep.ASKED:
        state["k"] = int(locale in conversations.speakers(change.conn))
    elif current is not None:
        state["f"] = current.get("f", 0)
    if effect.safe is not None:
        state["f"] = int(effect.safe)
    change.pipe.set(redis_keys.POINTER(p), _dumps(state), ex=cfg.conversation_ttl)


def dropped(change: Change, effect: HandoverDropped) -> None:
    """Forget the asking: nothing of it is kept."""
    current = _pointer(change.conn, change.pseudonym)
    if current is None or current.get("s") != OPEN_STATE:
        change.pipe.delete(redis_keys.POINTER(change.pseudonym))


def opened(change: Change, effect: HandoverOpened) -> None:
    """Begin a conversation that waits for a helper in the person's language; point the person's messages at it."""
    p, cfg, now = change.pseudonym, change.config, time.time()
    locale = change.outcome.locale or change.outcome.reply_locale
    retention = cfg.handover_retention_days * DAY
    conv = records.new_id()
    sealed = change.keys.seal(change.address)
    channel, times = change.address.channel, Times(effect.times)
    records.open_on(change.pipe, conv, p, sealed, channel, locale, "", times, effect.safe, retention, now)
    change.pipe.set(redis_keys.POINTER(p), _dumps({"s": OPEN_STATE, "c": conv, "l": locale}), ex=retention)
    enqueue_notice(change.pipe, change.conn, cfg, locale)


def relayed(change: Change, effect: HandoverRelayed) -> None:
    """Seal the person's text into their conversation; send a helper's held-back texts now that the window is open."""
    cfg, now = change.config, time.time()
    retention = cfg.handover_retention_days * DAY
    if not change.conn.exists(redis_keys.RECORD(effect.conversation)):
        change.pipe.delete(redis_keys.POINTER(change.pseudonym))  # closed or expired meanwhile
        return
    sealed = change.keys.seal_text(effect.text) if effect.text else None
    records.person_wrote_on(change.pipe, effect.conversation, sealed, effect.urgent, retention, now)
    change.pipe.expire(redis_keys.POINTER(change.pseudonym), retention)
    if effect.urgent:
        locale = change.outcome.locale or change.outcome.reply_locale
        enqueue_notice(change.pipe, change.conn, cfg, locale)
    if change.conn.exists(redis_keys.HELD_BACK(effect.conversation)):
        Queue(cfg.queue_name, connection=change.conn).enqueue_call(
            RELEASE_JOB,
            args=(effect.conversation,),
            description="handover release",
            result_ttl=0,
            failure_ttl=cfg.failed_job_ttl,
            pipeline=change.pipe,
        )


def closed(change: Change, effect: HandoverClosed) -> None:
    """The close word: the person's conversation ends and is erased."""
    current = _pointer(change.conn, change.pseudonym)
    if current is None or current.get("s") != OPEN_STATE:
        change.pipe.delete(redis_keys.POINTER(change.pseudonym))
        return
    conv = str(current["c"])
    found = conversations.get(change.conn, conv)
    records.forget(change.pipe, conv, found, change.pseudonym)
    if found is not None:
        records.count(change.pipe, found.locale, Ending.PERSON.value, time.time())


def erase(conn: redis.Redis, pipe: Any, p: str, config: Config) -> None:
    """The delete word: the person's pointer and every conversation it names, texts and all, at once."""
    current = _pointer(conn, p)
    pipe.delete(redis_keys.POINTER(p))
    if current is not None and current.get("s") == OPEN_STATE:
        conv = str(current["c"])
        found = conversations.get(conn, conv)
        records.forget(pipe, conv, found, p)
        if found is not None:
            records.count(pipe, found.locale, Ending.DELETED.value, time.time())


def expire_idle(runtime: Runtime) -> None:
    """A worker's chore: send held-back texts whose time came; close and erase conversations idle for N days."""
    conversations.release_due(runtime)
    closed = conversations.expire(runtime)
    if closed:
        log.info("closed %d hand-over conversations without messages for the retention period", closed)


def release(conv: str) -> int:
    """A job: the person wrote (a WhatsApp window opened, "right after I write" began): held texts go, in order."""
    from samen_sms.line.replies import current

    return conversations.release_held(current().runtime, conv)


def _pointer(conn: redis.Redis, p: str) -> dict[str, Any] | None:
    raw = conn.get(redis_keys.POINTER(p))
    return json.loads(raw) if raw else None


def _dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))
