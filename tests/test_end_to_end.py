"""End to end: gunicorn and a real RQ worker process, signed webhooks in, replies counted out."""

from __future__ import annotations

import requests

from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, BOB, PUBLIC_URL, Processes, holds_for, inbound, sent_to, sign, wait_until


def _post(url: str, params: dict[str, str], signature: str | None = None) -> requests.Response:
    sig = sign(PUBLIC_URL + "/twilio/inbound", params) if signature is None else signature
    return requests.post(url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=10)


def test_line_end_to_end(processes: Processes, standin: StandinState) -> None:
    url = processes.web(free_port())
    processes.worker(processes=2)
    whatsapp_bob = "whatsapp:" + BOB

    assert _post(url, inbound(ALICE, "hi")).status_code == 200
    assert _post(url, inbound(whatsapp_bob, "Hallo")).status_code == 200
    assert wait_until(lambda: len(standin.messages) == 2, timeout=20), processes.output()
    assert sent_to(standin, ALICE)[0].startswith("Hello, this is the SAMEN information line.")
    assert sent_to(standin, whatsapp_bob)[0].startswith("Hallo, dit is de SAMEN informatielijn.")

    # A duplicate delivery of the same MessageSid and a forged signature get nothing.
    params = inbound(ALICE, "1")
    assert _post(url, params).status_code == 200
    assert _post(url, params).status_code == 200
    assert _post(url, inbound(ALICE, "2"), signature="Zm9yZ2Vk").status_code == 403
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 2, timeout=20), processes.output()

    # Several quick messages from one person are answered in the order they were sent.
    for text in ("1", "0", "6"):
        assert _post(url, inbound(ALICE, text)).status_code == 200
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 5, timeout=20), processes.output()
    replies = sent_to(standin, ALICE)
    assert replies[2].startswith("Danger now? Call 112.")
    assert replies[3].startswith("Reply with a number:")
    assert replies[4].startswith("Reply with the number of your language:")
    assert holds_for(lambda: len(standin.messages) == 6), "a message was answered twice"
    # Neither gunicorn nor the workers wrote a number down.
    logs = processes.output()
    for number in (ALICE, BOB):
        assert number.lstrip("+") not in logs and number[3:] not in logs


def test_standin_status_callbacks_are_accepted_and_counted(
    redis_conn, redis_server: str, standin_server: tuple[str, StandinState]
) -> None:
    """`make run`'s stand-in reports delivery like Twilio: signed, and the line counts it."""
    from samen_sms.devtools.standin import report_delivery
    from tests.conftest import AUTH_TOKEN, test_env

    port = free_port()
    public = f"http://127.0.0.1:{port}"
    procs = Processes(test_env(redis_server, standin_server[0], PUBLIC_URL=public, SAMEN_ENV="development"))
    try:
        procs.web(port, workers=1)
        report_delivery(public + "/twilio/status", AUTH_TOKEN, "SM" + "b" * 32, ALICE)
        assert redis_conn.hgetall("samen:stats:status") == {b"sent": b"1", b"delivered": b"1"}
        report_delivery(public + "/twilio/status", "not-the-token", "SM" + "c" * 32, ALICE)
        assert redis_conn.hget("samen:stats:status", "delivered") == b"1"  # forged: not counted
    finally:
        procs.stop()
