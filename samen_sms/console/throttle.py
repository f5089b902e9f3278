"""Sign-in throttling, counted atomically in Redis so the limits are exact with any number of web workers.

Every attempt is counted before its password is checked, by one script that checks the limits and
counts in the same step (16 parallel guesses get exactly as many tries as the limit allows). Counted
for any e-mail typed (normalised as the account store keeps it: stripped, lower case), whether an
account exists or not, so the answer never tells which.

Three counters, each for 15 minutes from its first attempt:

- per account and address (5): one place guessing one account's password;
- per address (20): one place trying many accounts;
- per account (50), from any address: many places guessing one account. It does not apply to an
  address that signed in to that account successfully in the last 90 days, so a stranger, from as
  many addresses as they like, cannot lock an admin out of the places the admin works from.

A right sign-in takes back its own attempt and clears the account-and-address count.
"""

from __future__ import annotations

from typing import Any

import redis

from samen_sms.console import redis_keys
from samen_sms.console.keys import ConsoleKeys

WINDOW = 15 * 60
PER_PAIR = 5
PER_ADDRESS = 20
PER_ACCOUNT = 50
KNOWN_FOR = 90 * 24 * 3600

# KEYS: pair, address, account, known addresses; ARGV: pair, address and account limits, window, address.
_ATTEMPT = """
local pair = tonumber(redis.call('GET', KEYS[1]) or '0')
local addr = tonumber(redis.call('GET', KEYS[2]) or '0')
local acct = tonumber(redis.call('GET', KEYS[3]) or '0')
if pair >= tonumber(ARGV[1]) or addr >= tonumber(ARGV[2]) then return 0 end
if acct >= tonumber(ARGV[3]) and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 0 then return 0 end
for i = 1, 3 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
return 1
"""

# KEYS: pair, address, account, known addresses; ARGV: address, how long it stays known.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
for i = 2, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return 1
"""


class Throttle:
    """Whether a sign-in may be tried now (counting it), and what a right one takes back."""

    def __init__(self, conn: redis.Redis, keys: ConsoleKeys) -> None:
        self.conn: Any = conn
        self.keys = keys

    def _keys(self, email: str, address: str) -> tuple[list[str], str]:
        account = self.keys.digest(email.strip().lower())
        place = self.keys.digest(address)
        names = [
            redis_keys.CONSOLE_THROTTLE("pair", self.keys.digest(f"{account}:{place}")),
            redis_keys.CONSOLE_THROTTLE("address", place),
            redis_keys.CONSOLE_THROTTLE("account", account),
            redis_keys.CONSOLE_KNOWN(account),
        ]
        return names, place

    def attempt(self, email: str, address: str) -> bool:
        """Count one attempt, unless a limit is reached (then False, and nothing is counted)."""
        names, place = self._keys(email, address)
        limits = (PER_PAIR, PER_ADDRESS, PER_ACCOUNT, WINDOW)
        return bool(self.conn.eval(_ATTEMPT, len(names), *names, *limits, place))

    def succeeded(self, email: str, address: str) -> None:
        """A right sign-in: its attempt taken back, and the address known for this account from now on."""
        names, place = self._keys(email, address)
        self.conn.eval(_SUCCEEDED, len(names), *names, place, KNOWN_FOR)
