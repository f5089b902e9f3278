"""The inbound webhook against a real Redis, with a real RQ worker sending through the stand-in."""

from __future__ import annotations

import json
import time

import redis
from flask import Flask

from samen_sms.core import redis_keys as core_keys
from samen_sms.core import tally
from samen_sms.devtools.standin import Fault, StandinState
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach import redis_keys as reach_keys
from tests.conftest import ALICE, BOB, PUBLIC_URL, PostFn, inbound, run_retries_now, sent_to, sign


def test_signed_message_gets_one_reply_in_order(post: PostFn, work, standin: StandinState) -> None:
    response = post(inbound(ALICE, "hi"))
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    assert response.data.decode().endswith("<Response />")
    post(inbound(ALICE, "2"))
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 2
    assert replies[0].startswith("Hello, this is the SAMEN information line.")
    assert "Automatic line. A person can write back: send PERSON.\n" in replies[0]
    assert replies[1].startswith("Stuur een nummer:\n1 Nu hulp")  # the statement is not repeated
    with standin.lock:
        first = standin.messages[0]
    assert first["from"] == "+447700900000"
    assert first["_status_callback"] == PUBLIC_URL + "/twilio/status"


def test_whatsapp_reply_goes_back_on_whatsapp(post: PostFn, work, standin: StandinState) -> None:
    post(inbound("whatsapp:" + BOB, "hello"))
    work()
    with standin.lock:
        (message,) = standin.messages
    assert message["to"] == "whatsapp:" + BOB
    assert message["from"] == "whatsapp:+447700900001"
    assert message["body"].startswith("Hello, this is the SAMEN information line.")


def test_duplicate_message_sid_gets_no_second_reply(post: PostFn, work, standin: StandinState) -> None:
    params = inbound(ALICE, "hi")
    assert post(params).status_code == 200
    again = post(params)
    assert again.status_code == 200
    assert again.data.decode().endswith("<Response />")
    work()
    assert len(sent_to(standin, ALICE)) == 1


def test_forged_or_missing_signature_is_403_and_nothing_happens(
    post: PostFn, client, work, standin: StandinState, redis_conn: redis.Redis
) -> None:
    params = inbound(ALICE, "hi")
    assert post(params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert client.post("/twilio/inbound", data=params).status_code == 403
    # Signed for another URL (a Host header a client controls does not count).
    wrong_url = sign("http://127.0.0.1/twilio/inbound", params)
    assert post(params, signature=wrong_url).status_code == 403
    work()
    assert standin.messages == []
    # Only the worker's own upkeep marker (the scheduled AOF rewrite), nothing about the request.
    assert [k for k in redis_conn.scan_iter("samen:*") if k != line_keys.AOF_REWRITE().encode()] == []
    assert redis_conn.llen("rq:queue:samen") == redis_conn.llen("rq:queue:samen-urgent") == 0


def test_missing_fields_and_bad_numbers_are_400_with_a_reason(post: PostFn, redis_conn: redis.Redis) -> None:
    for field, reason in (("From", "From is missing"), ("MessageSid", "MessageSid is missing")):
        params = inbound(ALICE, "hi")
        del params[field]
        response = post(params)
        assert response.status_code == 400
        assert response.json["reason"] == reason
    response = post(inbound("not-a-number", "hi"))
    assert response.status_code == 400
    assert "phone number" in response.json["reason"]
    assert list(redis_conn.scan_iter("samen:*")) == []


def test_wrong_method_is_405(client) -> None:
    assert client.get("/twilio/inbound").status_code == 405


def test_unknown_fields_are_accepted(post: PostFn, work, standin: StandinState) -> None:
    post(inbound(ALICE, "hi", SomeFieldTwilioAddsLater="x", ProfileName="Someone"))
    work()
    assert len(sent_to(standin, ALICE)) == 1


def test_state_is_pseudonymous_and_expires(post: PostFn, work, redis_conn: redis.Redis, app: Flask) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))
    work()
    p = app.extensions["samen"].keys.pseudonym(ALICE)
    conversation_ttl = redis_conn.ttl(f"samen:s:{p}")
    assert 0 < conversation_ttl <= 30 * 60
    assert json.loads(redis_conn.get(f"samen:p:{p}")) == {"l": "en"}
    assert 0 < redis_conn.ttl(f"samen:p:{p}") <= 90 * 24 * 3600
    assert redis_conn.zcard(line_keys.OWED()) == 0
    for key in redis_conn.scan_iter():
        assert ALICE.lstrip("+") not in key.decode()


def test_idle_session_expires_and_next_message_starts_at_menu(
    post: PostFn, work, standin: StandinState, redis_conn: redis.Redis, app: Flask
) -> None:
    post(inbound(ALICE, "hi"))
    post(inbound(ALICE, "1"))
    post(inbound(ALICE, "1"))
    p = app.extensions["samen"].keys.pseudonym(ALICE)
    redis_conn.delete(f"samen:s:{p}")  # what the session's expiry does after 30 idle minutes
    post(inbound(ALICE, "1"))
    work()
    last = sent_to(standin, ALICE)[-1]
    assert last.startswith("Hello, this is the SAMEN information line.\n\nReply with a number:")


def test_transient_twilio_errors_are_retried_permanent_ones_are_not(
    post: PostFn, work, standin: StandinState, redis_conn: redis.Redis
) -> None:
    standin.faults.append(Fault(status=429, code=20429, count=1, to=ALICE))
    standin.faults.append(Fault(status=400, code=21211, count=1, to=BOB))
    post(inbound(ALICE, "hi"))
    post(inbound(BOB, "hi"))
    work()  # Alice's first attempt hits 429 and is retried; Bob's is refused for good
    assert sent_to(standin, BOB) == []
    assert redis_conn.hget("samen:stats:send_failed", "21211") == b"1"
    run_retries_now(redis_conn)  # any retry still waiting for its back-off, now
    work()
    assert len(sent_to(standin, ALICE)) == 1
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_status_callback_counts_outcomes_without_content(post: PostFn, redis_conn: redis.Redis) -> None:
    params = {
        "MessageSid": "SM" + "a" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "To": ALICE,
        "AccountSid": "AC" + "1" * 32,
    }
    assert post(params, path="/twilio/status").status_code == 200
    assert redis_conn.hget("samen:stats:status", "undelivered") == b"1"
    assert redis_conn.hget("samen:stats:errors", "30003") == b"1"
    assert post(params, path="/twilio/status", signature="x").status_code == 403


def test_healthz_reports_queue_and_nothing_personal(client, post: PostFn) -> None:
    post(inbound(ALICE, "hi"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"] is True
    assert response.json["queue_depth"] == 1
    assert ALICE not in response.data.decode()


class RedisCost:
    """Round trips and commands one webhook costs, counted where redis-py packs and sends them."""

    def __init__(self, monkeypatch) -> None:
        from redis.connection import Connection

        self.trips = self.commands = 0
        send, pack_one, pack_many = Connection.send_packed_command, Connection.pack_command, Connection.pack_commands

        def counting_send(conn: Connection, command: object, check_health: bool = True) -> None:
            self.trips += 1
            send(conn, command, check_health)

        def counting_one(conn: Connection, *args: object) -> object:
            self.commands += 1
            return pack_one(conn, *args)

        def counting_many(conn: Connection, commands: list[object]) -> object:
            self.commands += len(commands)
            return pack_many(conn, commands)

        monkeypatch.setattr(Connection, "send_packed_command", counting_send)
        monkeypatch.setattr(Connection, "pack_command", counting_one)
        monkeypatch.setattr(Connection, "pack_commands", counting_many)

    def of(self, post: PostFn, params: dict[str, str]) -> tuple[int, int]:
        self.trips = self.commands = 0
        assert post(params).status_code == 200
        return self.trips, self.commands


def test_a_message_costs_two_round_trips_and_at_most_12_commands(
    post: PostFn, monkeypatch, redis_conn: redis.Redis
) -> None:
    post(inbound(ALICE, "hi"))  # the connection is open and healthy, as in production
    post(inbound("whatsapp:" + BOB, "hi"))
    cost = RedisCost(monkeypatch)
    # Menus, help now (urgent queue), a place typed, and WhatsApp (which keeps its reply window).
    for body in ("1", "1", "0", "2", "8", "Utrecht"):
        trips, commands = cost.of(post, inbound(ALICE, body))
        assert (trips, commands <= 12) == (2, True), (body, trips, commands)
    for body in ("1", "2", "help"):
        trips, commands = cost.of(post, inbound("whatsapp:" + BOB, body))
        assert (trips, commands <= 12) == (2, True), (body, trips, commands)
    # RQ's job is whole: queued, with its expiry (the other tests see workers run such jobs).
    (job_id,) = redis_conn.lrange("rq:queue:samen-urgent", -1, -1)
    job = f"rq:job:{job_id.decode()}"
    assert redis_conn.hget(job, "status") == b"queued"
    assert 0 < redis_conn.ttl(job) <= 7 * 24 * 3600


def test_a_first_message_with_a_referral_code_still_costs_two_round_trips(
    post: PostFn, monkeypatch, redis_conn: redis.Redis
) -> None:
    redis_conn.sadd(reach_keys.LIVE_CODES(), "K7Q")
    post(inbound(BOB, "hi"))  # the connection is open and healthy, as in production
    cost = RedisCost(monkeypatch)
    for body in ("hi K7Q", "1", "K7Q"):
        trips, commands = cost.of(post, inbound(ALICE, body))
        assert (trips, commands <= 12) == (2, True), (body, trips, commands)
    assert redis_conn.hget(core_keys.REACH_DAY(tally.day_of(time.time()).isoformat()), "code:K7Q") == b"1"



def test_the_first_message_after_a_start_costs_two_round_trips_too(
    config, monkeypatch, redis_conn: redis.Redis
) -> None:
    from samen_sms.app import create_app

    redis_conn.script_flush()  # as after a Redis restart, before the web process started
    fresh = create_app({"TESTING": True}, config=config)
    client = fresh.test_client()

    def post_fresh(params: dict[str, str], path: str = "/twilio/inbound", signature: str | None = None):
        sig = signature or sign(PUBLIC_URL + path, params)
        return client.post(path, data=params, headers={"X-Twilio-Signature": sig})

    cost = RedisCost(monkeypatch)
    assert cost.of(post_fresh, inbound(ALICE, "hi"))[0] == 2
