"""Console sessions kept on the server: signing out ends one, and none outlives its absolute lifetime.

The cookie carries a random session id; Redis keeps only its SHA-256, with an expiry at the absolute
lifetime counted from the sign-in, whatever the activity. Signing out deletes it, so a copied cookie
opens nothing afterwards.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import redis

from samen_sms.console import redis_keys
from samen_sms.console.accounts import digest


class Sessions:
    """Open console sessions: start, check, end."""

    def __init__(self, conn: redis.Redis, lifetime: float) -> None:
        self.conn: Any = conn
        self.lifetime = lifetime

    def start(self, email: str) -> str:
        """A new session for the account; returns its id (for the cookie)."""
        sid = secrets.token_urlsafe(32)
        self.conn.set(redis_keys.CONSOLE_SESSION(digest(sid)), email, ex=max(1, int(self.lifetime)))
        return sid

    def valid(self, sid: object, email: str, since: object) -> bool:
        """Whether the session is open on the server, belongs to the account and is within its lifetime."""
        if not isinstance(sid, str) or not isinstance(since, int) or time.time() - since > self.lifetime:
            return False
        stored = self.conn.get(redis_keys.CONSOLE_SESSION(digest(sid)))
        return stored is not None and stored.decode() == email

    def end(self, sid: object) -> None:
        """Sign out: the session opens nothing any more."""
        if isinstance(sid, str):
            self.conn.delete(redis_keys.CONSOLE_SESSION(digest(sid)))
