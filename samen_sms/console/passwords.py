"""Staff passwords: at least 12 characters, not a common one, hashed with Argon2id."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
COMMON_FILE = Path(__file__).with_name("common-passwords.txt")
# Argon2id as RFC 9106 advises where memory is scarce: 64 MiB, 3 passes, 4 lanes.
PRODUCTION = profiles.RFC_9106_LOW_MEMORY
# Only for an app built for tests (Flask's TESTING, which only `create_app`'s test_config sets):
# the hashes of a test's staff accounts need not resist anyone.
TESTING = profiles.CHEAPEST


@cache
def _common() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, email: str = "") -> str | None:
    """Why a new password is refused (a short English reason), or None when it will do."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    lowered = password.lower()
    stem = lowered.strip("0123456789!@#$%^&*()-_=+.,?~ ")
    if lowered in _common() or stem in _common() or len(set(lowered)) < 5:
        return "this password is too common; choose another"
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        return "the password must not contain your e-mail name"
    return None


class Passwords:
    """Hashing and checking staff passwords with one set of Argon2 parameters."""

    def __init__(self, parameters: Parameters = PRODUCTION) -> None:
        self.parameters = parameters
        self._hasher = PasswordHasher.from_parameters(parameters)
        self._dummy = ""

    def hash(self, password: str) -> str:
        """The Argon2id hash to store."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches; costs the same when there is no stored hash."""
        if not self._dummy:
            # Verifying against this costs what a real check costs, so "no such account" takes as
            # long as "wrong password".
            self._dummy = self.hash("not a password anyone has, only for timing")
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
