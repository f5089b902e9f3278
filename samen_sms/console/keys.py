"""The console's secrets, each derived from `SAMEN_SECRET_KEY` with its own purpose (HKDF), never a new setting."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive(secret: str, info: bytes) -> bytes:
    """32 bytes for one purpose; a leak of one derived key reveals neither the secret nor the others."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


class ConsoleKeys:
    """The Flask session's signing key, the sealing of authenticator secrets, keyed digests."""

    def __init__(self, secret_key: str) -> None:
        self.session = derive(secret_key, b"samen console session v1")
        self._box = Fernet(base64.urlsafe_b64encode(derive(secret_key, b"samen console totp v1")))
        self._digest = derive(secret_key, b"samen console digest v1")

    def seal(self, text: str) -> str:
        """Encrypt an authenticator secret for storage."""
        return self._box.encrypt(text.encode()).decode()

    def open(self, token: str) -> str:
        """Decrypt what `seal` made; ValueError if it was not ours."""
        try:
            return self._box.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value cannot be opened with this key") from exc

    def digest(self, text: str) -> str:
        """A keyed digest, for throttle keys that must not show an address or an e-mail."""
        return hmac.new(self._digest, text.encode(), hashlib.sha256).hexdigest()[:24]
