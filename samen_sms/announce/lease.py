"""The right to run one broadcast: a Redis key with a token, renewed by a thread while the job works."""

from __future__ import annotations

import logging
import threading
import time

from samen_sms.announce import redis_keys
from samen_sms.line.runtime import Runtime

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class Lease:
    """The right to run one broadcast, kept alive by a background thread while the job works."""

    def __init__(self, rt: Runtime, bid: str) -> None:
        self.conn = rt.redis
        self.key = redis_keys.BROADCAST_LEASE(bid)
        self.ttl = rt.config.broadcast_lease
        self.token = f"{time.time():.6f}:{threading.get_ident()}"
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._renew = self.conn.register_script(_RENEW)

    def acquire(self) -> bool:
        """Take the lease if nobody holds it, and keep it alive until released."""
        if not self.conn.set(self.key, self.token, nx=True, ex=self.ttl):
            return False
        threading.Thread(target=self._keep, daemon=True).start()
        return True

    def _keep(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self._renew(keys=[self.key], args=[self.token, self.ttl]):
                    self.lost.set()
                    return
            except Exception:
                log.exception("could not renew a broadcast lease")

    def release(self) -> None:
        """Stop renewing and give the lease back (only if it is still ours)."""
        self._stop.set()
        if not self.lost.is_set():
            self.conn.eval(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
                1,
                self.key,
                self.token,
            )


