"""`GET /metrics`: Prometheus' text format, behind a bearer token, adding up gunicorn's and RQ's processes.

No label carries a number, a pseudonym, a text or a session title.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

import requests
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker
from tests.conftest import ALICE, PUBLIC_URL, PostFn, Processes, inbound, sent_to, sign, wait_until

TOKEN = "metrics-token-0123456789abcdef"
WA = "whatsapp:+447700900789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return samples(response.data.decode())


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(app: Flask, config: Config) -> None:
    assert app.test_client().get("/metrics").status_code == 404
    with_token = create_app({"TESTING": True}, config=replace(config, metrics_token=TOKEN)).test_client()
    assert with_token.get("/metrics").status_code == 401
    assert with_token.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert with_token.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_counts_by_channel_and_outcome_and_no_label_names_a_person(
    config: Config, standin: StandinState, work: Callable[[], None], post: PostFn
) -> None:
    cfg = replace(config, metrics_token=TOKEN)
    app = create_app({"TESTING": True}, config=cfg)
    client = app.test_client()
    before = scrape(client)

    def say(sender: str, text: str, sid: str | None = None) -> None:
        params = inbound(sender, text, sid)
        headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)}
        assert client.post("/twilio/inbound", data=params, headers=headers).status_code == 200

    say(ALICE, "hi", sid="SM" + "a" * 32)
    say(ALICE, "hi", sid="SM" + "a" * 32)  # Twilio's retry
    say(WA, "hallo")
    with replies.using(worker_context(cfg)):
        rt = app.extensions["samen"]
        after_in = scrape(client)
        assert after_in[("samen_replies_owed", ())] == 2
        assert after_in[("samen_queue_depth", ())] == 2
        LineWorker([rt.urgent_queue, rt.queue], connection=rt.redis).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("samen_inbound_messages_total", channel="sms", outcome="replied") == 1
    assert grew("samen_inbound_messages_total", channel="sms", outcome="duplicate") == 1
    assert grew("samen_inbound_messages_total", channel="whatsapp", outcome="replied") == 1
    assert grew("samen_webhook_seconds_count", route="inbound") == 3
    assert grew("samen_replies_sent_total") == 2
    assert after[("samen_replies_owed", ())] == 0
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).data.decode()
    person = [ALICE, ALICE.lstrip("+"), "447700900789", rt.keys.pseudonym(ALICE), rt.keys.pseudonym("+447700900789")]
    assert not [p for p in person if p in text]
    assert "hallo" not in text and len(sent_to(standin, WA)) == 1


def test_each_announcements_counts_are_gauges_the_announcements_lend(config: Config) -> None:
    app = create_app({"TESTING": True}, config=replace(config, metrics_token=TOKEN))
    rt = app.extensions["samen"]
    rt.redis.hset(announce_keys.BROADCAST_STATS("7:a"), mapping={"sent": 3, "delivered": 2, "skipped:optout": 1})
    found = scrape(app.test_client())
    gauge = {labels: n for (name, labels), n in found.items() if name == "samen_announcement_messages"}
    assert gauge == {
        (("broadcast", "7:a"), ("state", "sent")): 3,
        (("broadcast", "7:a"), ("state", "delivered")): 2,
        (("broadcast", "7:a"), ("state", "skipped:optout")): 1,
    }


def test_gunicorn_and_rq_processes_add_up(
    processes: Processes, standin: StandinState, standin_server: tuple[str, StandinState]
) -> None:
    processes.env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="samen-metrics-")
    processes.env["SAMEN_METRICS_TOKEN"] = TOKEN
    url = processes.web(free_port(), workers=2)
    processes.worker(processes=2)
    senders = [f"+4477009006{n:02d}" for n in range(12)]
    for sender in senders:
        params = inbound(sender, "hi")
        sig = sign(PUBLIC_URL + "/twilio/inbound", params)
        assert requests.post(url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=10).ok
    assert wait_until(lambda: all(sent_to(standin, s) for s in senders), timeout=30), processes.output()

    def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        return samples(response.text)

    # Every scrape may land on either gunicorn worker; each adds up all processes' files.
    assert wait_until(lambda: counted().get(("samen_replies_sent_total", ())) == len(senders), timeout=10)
    for _ in range(4):
        seen = counted()
        assert seen[("samen_inbound_messages_total", (("channel", "sms"), ("outcome", "replied")))] == len(senders)
        assert seen[("samen_webhook_seconds_count", (("route", "inbound"),))] == len(senders)
        assert seen[("samen_replies_sent_total", ())] == len(senders)


def test_each_queues_oldest_job_age_is_a_gauge(config: Config) -> None:
    app = create_app({"TESTING": True}, config=replace(config, metrics_token=TOKEN))
    client = app.test_client()
    params = inbound(ALICE, "hi")
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/inbound", params)}
    assert client.post("/twilio/inbound", data=params, headers=headers).status_code == 200
    time.sleep(0.3)  # nobody takes it
    ages = scrape(client)
    assert ages[("samen_queue_oldest_seconds", (("queue", "urgent"),))] >= 0.3
    assert ages[("samen_queue_oldest_seconds", (("queue", "replies"),))] == 0
    assert ages[("samen_queue_oldest_seconds", (("queue", "late"),))] == 0
