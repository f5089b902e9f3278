"""Nobody waits behind someone else: a busy person holds no worker, a first contact skips the backlog."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from samen_sms.content.engine import Message, Visit, step
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, BOB, PostFn, Processes, inbound, sent_to, wait_until, with_config

CROWD = [f"+447700900{n:03d}" for n in range(300, 316)]


def reply_time(post: PostFn, standin: StandinState, sender: str, text: str, count: int) -> float:
    """Seconds from the webhook to the stand-in receiving `sender`'s `count`-th reply."""
    posted = time.time()
    post(inbound(sender, text))
    assert wait_until(lambda: len(sent_to(standin, sender)) >= count, timeout=60)
    with standin.lock:
        return [m["_at"] for m in standin.messages if m["to"] == sender][count - 1] - posted


def in_conversation(post: PostFn, standin: StandinState, numbers: list[str]) -> None:
    for number in numbers:
        post(inbound(number, "hi"))
        post(inbound(number, "1"))
    assert wait_until(lambda: all(len(sent_to(standin, n)) == 2 for n in numbers), timeout=30)


def test_a_bystander_does_not_wait_behind_a_busy_person(
    post: PostFn, processes: Processes, standin: StandinState
) -> None:
    processes.worker(processes=2)
    in_conversation(post, standin, [ALICE, BOB])
    standin.delay = 0.5  # Twilio at 0.5 s per message: Alice's 28 replies take 14 s
    for _ in range(28):  # 30 messages with "hi" and "1": inside the rate limit
        post(inbound(ALICE, "0"))
    took = reply_time(post, standin, BOB, "0", 3)
    assert took < 4, f"Bob waited {took:.1f} s behind Alice's replies"
    standin.delay = 0.0  # the rest of Alice's replies need not take their 14 s
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 30, timeout=60)


class TestABacklog:
    """The crowd's own first messages a moment ago are no flood: the budget for new numbers is kept
    out of this backlog (TestAFloodOfNewNumbers tries it)."""

    @pytest.fixture
    def config(self, config: Config) -> Config:
        return with_config(config, new_numbers_per_minute=100, new_numbers_per_country=100)

    def test_a_first_message_is_answered_ahead_of_a_backlog(
        self, post: PostFn, processes: Processes, standin: StandinState
    ) -> None:
        processes.worker(processes=1)
        in_conversation(post, standin, CROWD)
        standin.delay = 0.5
        for number in CROWD:  # 16 replies queued: 8 s of sending
            post(inbound(number, "0"))
        took = reply_time(post, standin, BOB, "hi", 1)
        assert took < 3, f"a first message waited {took:.1f} s behind the backlog"
        standin.delay = 0.0  # the rest of the backlog need not take its 8 s
        assert wait_until(lambda: all(len(sent_to(standin, n)) == 3 for n in CROWD), timeout=60)


def test_first_contact_and_help_now_are_urgent_and_nothing_else(app: object) -> None:
    content = app.extensions["samen"].content  # type: ignore[attr-defined]

    def outcome(visit: Visit, text: str) -> bool:
        return step(content, visit, Message.of(text, Channel.SMS, recent=1, limit=30)).urgent

    assert outcome(Visit(node=None, locale=None, hint=None), "hi")  # a first contact
    assert outcome(Visit(node="main", locale="en", hint=None), "1")  # help now, from the menu
    assert outcome(Visit(node="services", locale="en", hint=None), "help")  # help now, by keyword
    assert not outcome(Visit(node="language", locale=None, hint=None), "1")  # choosing a language
    assert not outcome(Visit(node="main", locale="en", hint=None), "2")  # the services menu
    assert not outcome(Visit(node=None, locale="en", hint=None), "hi")  # a returning person


class TestAFloodOfNewNumbers:
    """Past the budget for new numbers, first replies wait behind everyone; help now goes first."""

    @pytest.fixture
    def config(self, config: Config) -> Config:
        # One send in flight: the order the stand-in sees is then the order the queues give jobs
        # out, which is what this test is about (with more in flight, they start in that order).
        return with_config(config, new_numbers_per_minute=4, new_numbers_per_country=4, sends_per_worker=1)

    def test_a_danger_word_and_a_known_number_are_answered_before_the_floods_greetings(
        self, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
    ) -> None:
        known, danger = "+447700900998", "+447700900999"
        in_conversation_now(post, work, standin, known)
        standin.messages.clear()
        # The known number's first message took one of the minute's four: ten first messages, three
        # inside the budget, seven past it.
        for number in CROWD[:10]:
            post(inbound(number, "hi"))
        post(inbound(known, "0"))  # someone already in conversation, on the ordinary queue
        post(inbound(danger, "he has a knife"))  # a danger word from a new number
        assert redis_conn.llen("rq:queue:samen-late") == 7
        work()
        order = [m["to"] for m in standin.messages]
        assert len(order) == 12  # everyone answered: a first contact past the budget too
        assert order[0] == danger  # help now, ahead of the greetings inside the budget
        assert order[1:4] == CROWD[:3]  # then the first contacts inside the budget
        assert order[4] == known  # then everyone in conversation
        assert order[5:] == CROWD[3:10]  # the flood past the budget last, in order
        assert "112" in standin.messages[0]["body"]


def in_conversation_now(post: PostFn, work: Callable[[], None], standin: StandinState, number: str) -> None:
    post(inbound(number, "hi"))
    post(inbound(number, "1"))
    work()
    assert len(sent_to(standin, number)) == 2
