"""Send rates shared by every worker: a send reserves the next free slot of the account and of its sender.

Twilio takes about 100 messages a second for an account, and each sender its own rate (a long code
about 10). Replies and announcements reserve their slots in the same keys (`SEND_RATE`), so
together they keep to both; slots are spaced on Redis's own clock, so workers on different machines
agree and no burst ever passes the rate. When Twilio still answers 429, its Retry-After holds every
worker's slots back (`Pace.hold`).

Slots are spaced 5% wider than 1/rate (`HEADROOM`). A send reaches Twilio a little after its slot
(a thread woken late, the request being built, the network): tens of milliseconds on a loaded
machine, more for one send than for the next. Spaced exactly 1/rate, any send that is later than
the one `rate` slots after it puts rate + 1 into one second at Twilio, which refuses it with 429
and a Retry-After of at least a second: a second in which nothing is sent. Spaced 5% wider, `rate`
slots span 1.05 s, so 50 ms of such jitter never passes the rate (measured in bench/reply_bench.py:
at exactly the rate, a crowd over it met a 429 every second or so and was sent at two-thirds of the
rate; see docs/benchmarks.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import redis

from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.line import redis_keys

ACCOUNT = "account"  # the slot of the whole account, beside each sender's (`sms`, `whatsapp`)
HEADROOM = 0.95  # slots are reserved this far below the configured rates (see above)
REFRESH_AFTER = 1.0  # seconds: a wait for a slot at least this long runs `meanwhile` (keeps a lock)

# KEYS: the rates' next free slots. ARGV: the most to wait, then each key's interval (1/rate).
# The slot is the latest of now and every key's next free one; each key's next moves past it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max_wait = tonumber(ARGV[1])
local slot = now
for i = 1, #KEYS do
  slot = math.max(slot, tonumber(redis.call('GET', KEYS[i]) or '0'))
end
if slot - now > max_wait then
  return tostring(-(slot - now))
end
for i = 1, #KEYS do
  local after = slot + tonumber(ARGV[i + 1])
  redis.call('SET', KEYS[i], tostring(after), 'PX', math.ceil((after - now) * 1000) + 1000)
end
return tostring(slot - now)
"""

# KEYS: the rates' next free slots. ARGV: seconds from now before any of them may be used.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') < until_ then
    redis.call('SET', KEYS[i], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
  end
end
return 0
"""


class Pace:
    """At most `rate` sends a second for each named rate, across all processes using the same Redis."""

    def __init__(self, conn: redis.Redis, rates: Sequence[tuple[str, float]], max_wait: float = 5.0) -> None:
        self.keys = [redis_keys.SEND_RATE(name) for name, _ in rates]
        self.intervals = [1.0 / rate for _, rate in rates]
        self.max_wait = max_wait
        self._reserve = conn.register_script(_RESERVE)
        self._hold = conn.register_script(_HOLD)
        self._held = 0  # holds placed by this process (`hold`), so its threads waiting for a slot see them

    def reserve(self) -> float:
        """Reserve a slot; return the seconds to wait for it (negative: none free soon, ask again later)."""
        return float(self._reserve(keys=self.keys, args=[repr(self.max_wait), *map(repr, self.intervals)]))

    def acquire(self, meanwhile: Callable[[], object] = lambda: None) -> None:
        """Wait until this caller may send once; `meanwhile` runs after a wait of REFRESH_AFTER s or more.

        `meanwhile` keeps a lock: a caller refreshes it before asking, and a shorter wait leaves
        it as long as any lock lives anyway (a reply's lives twice Twilio's timeout and 5 s more).

        A slot reserved before a thread of this process was answered 429 (and held every slot back)
        is not used: the caller reserves one after the hold. Other processes' holds reach only
        slots reserved after them.
        """
        while True:
            held = self._held
            wait = self.reserve()
            if wait >= 0:
                if wait > 0:
                    time.sleep(wait)
                    if wait >= REFRESH_AFTER:
                        meanwhile()
                if self._held != held:
                    continue
                return
            time.sleep(min(-wait - self.max_wait + 0.01, self.max_wait))
            meanwhile()

    def hold(self, seconds: float) -> None:
        """No send on any of these rates for `seconds` (Twilio's Retry-After), from any worker."""
        self._hold(keys=self.keys, args=[repr(max(0.0, seconds))])
        self._held += 1


def sending_pace(conn: redis.Redis, config: Config, channel: Channel) -> Pace:
    """The rates a send on `channel` keeps to: the account's and its sender's, with the HEADROOM below them."""
    sender = config.whatsapp_mps if channel is Channel.WHATSAPP else config.sms_mps
    return Pace(conn, [(ACCOUNT, config.account_mps * HEADROOM), (channel.value, sender * HEADROOM)])
