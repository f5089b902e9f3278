"""The conversation contract: hints are typed, stored as before, and one rule makes the next visit."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from samen_sms.announce import subscriptions
from samen_sms.content.hints import Hint, LanguageOrder, PlaceAsked, RegionChosen, SecondPage, SessionAnnounced
from samen_sms.content.model import Outcome, Visit
from samen_sms.content.replies import Msg
from samen_sms.content.visits import next_visit, read_hint
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.line.store import _state
from tests.conftest import ALICE, PostFn, inbound, sent_to

# (screen, the hint as the release before typed hints stored it, the hint it is)
STORED = [
    ("language", "Arab", LanguageOrder("Arab")),
    ("language", "uk", LanguageOrder("uk")),
    ("language", "+Arab", SecondPage("Arab")),
    ("language", "+", SecondPage("")),
    ("subscribe_confirm", "VR13", RegionChosen("VR13")),
    ("subscribe_confirm", "NL", RegionChosen("NL")),
    ("announce_reply", "s7f3a", SessionAnnounced("s7f3a")),
    ("services_place_pick", "bergen", PlaceAsked("bergen")),
    ("services_community_pick", "bergen", PlaceAsked("bergen")),
    ("subscribe_region_pick", "nes", PlaceAsked("nes")),
    ("services_place_pick", "health|ter apel", PlaceAsked("ter apel", "health")),  # asked at a need's screen
]


@pytest.mark.parametrize(("node", "raw", "hint"), STORED, ids=[f"{n}-{r}" for n, r, _ in STORED])
def test_a_hint_stored_before_hints_were_typed_reads_as_its_kind_and_is_stored_the_same(
    node: str, raw: str, hint: Hint
) -> None:
    assert read_hint(node, raw) == hint
    assert _state(node, hint) == json.dumps({"n": node, "h": raw}, separators=(",", ":"))


def test_no_hint_is_stored_as_none() -> None:
    assert read_hint("main", None) is None and read_hint("language", "") is None
    assert _state("main", None) == '{"n":"main"}'


def test_the_next_visit_is_the_outcomes_screen_language_and_hint_and_no_hint_at_no_screen() -> None:
    at_confirm = Outcome("subscribe_confirm", "en", "en", (Msg("x"),), hint=RegionChosen("VR13"))
    assert next_visit(at_confirm) == Visit("subscribe_confirm", "en", RegionChosen("VR13"))
    nowhere = Outcome(None, "en", "en", (Msg("stopped"),), hint=LanguageOrder("en"))
    assert next_visit(nowhere) == Visit(None, "en", None)
    flood = Outcome("main", "en", "en", hint=LanguageOrder("Arab"), store=False)  # carries the visit it came from
    assert next_visit(flood) == Visit("main", "en", LanguageOrder("Arab"))


def test_a_person_mid_sign_up_when_the_line_is_upgraded_is_signed_up_for_the_region_stored(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    rt = app.extensions["samen"]
    p = rt.keys.pseudonym(ALICE)
    # What the release before typed hints left in Redis at the consent question.
    redis_conn.set(line_keys.CONVERSATION(p), '{"n":"subscribe_confirm","h":"VR13"}', ex=3600)
    redis_conn.set(line_keys.PROFILE(p), '{"l":"en"}', ex=3600)
    post(inbound(ALICE, "1"))
    work()
    assert sent_to(standin, ALICE)[-1].startswith("You are signed up.")
    sub = subscriptions.find(redis_conn, p)
    assert sub is not None and sub.region == "VR13"
