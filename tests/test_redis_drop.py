"""A Redis connection that drops after Redis ran a pipeline but before its answer came back.

A small TCP proxy on loopback stands between the line and the test Redis. Armed with a pattern,
it forwards the request that contains it, waits until Redis has answered, and then cuts both
connections instead of passing the answer on: exactly the moment at which redis-py sends the
whole pipeline again on a fresh connection.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from urllib.parse import urlparse

import pytest
import redis
from flask import Flask

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker
from tests.conftest import ALICE, PUBLIC_URL, inbound, sent_to, sign

EMERGENCY = ("112", "0800-2000")


class CuttingProxy:
    """Forwards TCP to Redis; once armed, cuts the connection that sends `pattern`, answer unsent."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pattern: bytes | None = None
        self.forward = True  # whether the armed request reaches Redis before the cut
        self.cuts = 0
        self.cutting: socket.socket | None = None  # the Redis side whose answer is swallowed
        self.answered = threading.Event()  # Redis's answer to the armed request came (and was swallowed)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pattern: bytes, forward: bool = True) -> None:
        with self.lock:
            self.pattern, self.forward = pattern, forward

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._back, args=(server, client), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        """Client to Redis; the armed request goes through, then both ends are closed."""
        try:
            while data := client.recv(65536):
                with self.lock:
                    cut = self.pattern is not None and self.pattern in data
                    if cut:
                        self.pattern = None
                if not cut:
                    server.sendall(data)
                    continue
                with self.lock:
                    self.cuts += 1
                    self.cutting = server
                    forward = self.forward
                if forward:
                    server.sendall(data)
                    # Redis answers once it has run every command of the request: a wait on that,
                    # not a fixed pause, which a loaded machine outlasts.
                    self.answered.wait(timeout=30)
                break
        except OSError:
            pass
        for sock in (client, server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _back(self, server: socket.socket, client: socket.socket) -> None:
        try:
            while data := server.recv(65536):
                with self.lock:
                    swallow = self.cutting is server
                if swallow:
                    self.answered.set()
                else:
                    client.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(redis_server: str, redis_conn: redis.Redis) -> Iterator[CuttingProxy]:
    where = urlparse(redis_server)
    cutting = CuttingProxy((where.hostname or "127.0.0.1", where.port or 6379))
    yield cutting
    cutting.close()


@pytest.fixture
def proxied_app(proxy: CuttingProxy, config: Config, redis_server: str) -> Iterator[Flask]:
    db = urlparse(redis_server).path or "/0"
    cfg = replace(config, redis_url=f"redis://127.0.0.1:{proxy.port}{db}")
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(config)):  # the worker talks to Redis directly
        yield application


def post(app: Flask, params: dict[str, str]) -> str:
    sig = sign(PUBLIC_URL + "/twilio/inbound", params)
    response = app.test_client().post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig})
    assert response.status_code == 200
    return response.data.decode()


def drain(app: Flask) -> None:
    rt = replies.current().runtime
    LineWorker([rt.urgent_queue, rt.queue], connection=rt.redis).work(
        burst=True, with_scheduler=False, logging_level="WARNING"
    )


def answered(twiml: str, standin: StandinState) -> list[str]:
    """Everything the person got: the TwiML fallback (if any) and the replies sent."""
    direct = ["fallback"] if all(number in twiml for number in EMERGENCY) else []
    return direct + sent_to(standin, ALICE)


@pytest.mark.parametrize(
    ("moment", "pattern"),
    [
        ("the claim of the MessageSid", lambda sid: f"d:{sid}".encode()),
        ("the commit of the reply", lambda sid: b"EXEC"),
    ],
)
def test_a_connection_cut_before_redis_answered_never_leaves_the_person_unanswered(
    proxied_app: Flask, proxy: CuttingProxy, standin: StandinState, moment: str, pattern: Callable[[str], bytes]
) -> None:
    params = inbound(ALICE, "hi")
    proxy.arm(pattern(params["MessageSid"]))
    twiml = post(proxied_app, params)
    assert proxy.cuts == 1, f"the proxy never saw {moment}"
    drain(proxied_app)
    got = answered(twiml, standin)
    # Redis ran what it was sent: the reply is queued, and the person gets it once, with no
    # emergency fallback on top of it.
    assert len(got) == 1, f"a cut at {moment}: {got}"
    assert got != ["fallback"], f"a cut at {moment} answered with the fallback although the reply was queued"
    # Twilio's own retry of the same message is still recognised as a duplicate.
    assert post(proxied_app, params).endswith("<Response />")
    drain(proxied_app)
    assert sent_to(standin, ALICE) == [text for text in got if text != "fallback"]


def test_a_commit_cut_before_it_reached_redis_gets_the_fallback_and_nothing_else(
    proxied_app: Flask, proxy: CuttingProxy, standin: StandinState, redis_conn: redis.Redis
) -> None:
    params = inbound(ALICE, "hi")
    proxy.arm(b"EXEC", forward=False)
    twiml = post(proxied_app, params)
    assert proxy.cuts == 1
    drain(proxied_app)
    assert answered(twiml, standin) == ["fallback"]
    assert redis_conn.llen("rq:queue:samen") == 0
