"""Sign-in throttling: failed attempts counted per account and per address, for 15 minutes.

Counted for any e-mail typed, whether an account exists or not, so the answer never tells which.
"""

from __future__ import annotations

from typing import Any

import redis

from samen_sms.console import redis_keys
from samen_sms.console.keys import ConsoleKeys

WINDOW = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 20


class Throttle:
    """Whether a sign-in may be tried now, and recording failures."""

    def __init__(self, conn: redis.Redis, keys: ConsoleKeys) -> None:
        self.conn: Any = conn
        self.keys = keys

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        return (
            redis_keys.CONSOLE_THROTTLE("account", self.keys.digest(email.strip().lower())),
            redis_keys.CONSOLE_THROTTLE("address", self.keys.digest(address)),
        )

    def blocked(self, email: str, address: str) -> bool:
        """Whether too many sign-ins failed lately for this account or from this address."""
        account, addr = self.conn.mget(self._keys(email, address))
        return int(account or 0) >= PER_ACCOUNT or int(addr or 0) >= PER_ADDRESS

    def failed(self, email: str, address: str) -> None:
        """Count one failure against both; the window starts at the first."""
        with self.conn.pipeline(transaction=True) as pipe:
            for key in self._keys(email, address):
                # The window starts at the first failure (SET NX EX; INCR keeps the expiry).
                pipe.set(key, 0, ex=WINDOW, nx=True)
                pipe.incr(key)
            pipe.execute()

    def succeeded(self, email: str) -> None:
        """A right sign-in clears the account's count (not the address's)."""
        self.conn.delete(self._keys(email, "")[0])
