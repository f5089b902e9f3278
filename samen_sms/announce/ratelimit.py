"""A send rate shared by every worker, of one named sender: the line's slots (`samen_sms.line.pace`).

Broadcasts take `line.pace.sending_pace`, the account's and the sender's rates replies keep to too.
"""

from __future__ import annotations

import redis

from samen_sms.line.pace import Pace


class SharedRate(Pace):
    """At most `rate` sends per second for one sender, across all processes using the same Redis."""

    def __init__(self, conn: redis.Redis, name: str, rate: float, max_wait: float = 5.0) -> None:
        super().__init__(conn, [(name, rate)], max_wait)
