"""A send rate shared by every worker: each send reserves the next free slot of its sender in Redis."""

from __future__ import annotations

import time

import redis

from samen_sms.announce import redis_keys

# Slots are spaced 1/rate apart on Redis's own clock, so workers on different machines agree and
# the achieved rate can never exceed the configured one.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
if slot - now > max_wait then
  return tostring(-(slot - now))
end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot + interval - now) * 1000) + 1000)
return tostring(slot - now)
"""


class SharedRate:
    """At most `rate` sends per second for one sender, across all processes using the same Redis."""

    def __init__(self, conn: redis.Redis, name: str, rate: float, max_wait: float = 5.0) -> None:
        self.conn = conn
        self.key = redis_keys.SEND_RATE(name)
        self.interval = 1.0 / rate
        self.max_wait = max_wait
        self._script = conn.register_script(_RESERVE)

    def reserve(self) -> float:
        """Reserve a slot; return the seconds to wait for it (negative: none free soon, ask again later)."""
        return float(self._script(keys=[self.key], args=[repr(self.interval), repr(self.max_wait)]))

    def acquire(self) -> None:
        """Wait until this caller may send once."""
        while True:
            wait = self.reserve()
            if wait >= 0:
                if wait > 0:
                    time.sleep(wait)
                return
            time.sleep(min(-wait - self.max_wait + 0.01, self.max_wait))
