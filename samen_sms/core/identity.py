"""Who texted: channel and number in, pseudonym and sealed address out; nothing plain is kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WHATSAPP_PREFIX = "whatsapp:"
# E.164 as Twilio sends it: a plus, a country code that does not start with 0, at most 15 digits.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class Channel(StrEnum):
    """How a person reaches the line; replies go back the same way."""

    SMS = "sms"
    WHATSAPP = "whatsapp"


class BadAddress(ValueError):
    """A `From` that is not a phone number."""


@dataclass(frozen=True)
class Address:
    """A phone number in E.164 and the channel it wrote on."""

    channel: Channel
    e164: str

    @property
    def twilio(self) -> str:
        """The form Twilio expects in `To`."""
        return WHATSAPP_PREFIX + self.e164 if self.channel is Channel.WHATSAPP else self.e164

    @classmethod
    def parse(cls, raw: str) -> Address:
        """Parse Twilio's `From` (`+31…` or `whatsapp:+31…`); raise BadAddress naming what is wrong.

        Only SMS and WhatsApp are answered: any other channel's prefix (`messenger:`, `rcs:`, ...)
        is refused rather than read as a number, or a reply would go by SMS to whoever the digits
        happen to reach. The number must already be E.164: a name like `0800FLOWERS` is never
        turned into digits.
        """
        text = raw.strip()
        channel = Channel.SMS
        prefix, colon, rest = text.partition(":")
        if colon:
            if prefix.lower() != WHATSAPP_PREFIX[:-1]:
                raise BadAddress(f"From is on channel {prefix[:20]!r}; this line answers SMS and WhatsApp only")
            channel, text = Channel.WHATSAPP, rest.strip()
        if not E164.fullmatch(text):
            raise BadAddress("From is not an E.164 phone number (a + and up to 15 digits)")
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException as exc:
            raise BadAddress("From is not an E.164 phone number (a + and up to 15 digits)") from exc
        if not phonenumbers.is_possible_number(number):
            raise BadAddress("From is not a possible phone number")
        return cls(channel, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_TEXT = b"text|"  # what a sealed text starts with; a sealed address starts with its channel


class Keys:
    """Keyed hashing and sealing, both derived from the one deployment secret."""

    def __init__(self, secret_key: str, data_key: str | None = None) -> None:
        self._pseudonym_key = _derive(secret_key, b"samen pseudonym v1")
        if data_key:
            fernet_key = (
                data_key.encode()
                if _is_fernet_key(data_key)
                else base64.urlsafe_b64encode(_derive(data_key, b"samen data key v1"))
            )
        else:
            fernet_key = base64.urlsafe_b64encode(_derive(secret_key, b"samen data key v1"))
        self._fernet = Fernet(fernet_key)

    def pseudonym(self, e164: str) -> str:
        """A stable, unlinkable name for one number: the key for everything stored about it."""
        return hmac.new(self._pseudonym_key, e164.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, address: Address) -> str:
        """Encrypt an address so a job or record can carry it without showing it."""
        return self._fernet.encrypt(f"{address.channel.value}|{address.e164}".encode()).decode()

    def open(self, token: str) -> Address:
        """Decrypt what `seal` made; raise ValueError if it was not ours."""
        try:
            channel, e164 = self._fernet.decrypt(token.encode()).decode().split("|", 1)
        except (InvalidToken, ValueError) as exc:
            raise ValueError("sealed address cannot be opened with this key") from exc
        return Address(Channel(channel), e164)

    def seal_text(self, text: str) -> str:
        """Encrypt text a person wrote (a helper's message), so Redis holds it only sealed, as an address."""
        return self._fernet.encrypt(_TEXT + text.encode()).decode()

    def open_text(self, token: str) -> str:
        """Decrypt what `seal_text` made; raise ValueError if it was not ours or is no sealed text."""
        try:
            plain = self._fernet.decrypt(token.encode())
        except InvalidToken as exc:
            raise ValueError("sealed text cannot be opened with this key") from exc
        if not plain.startswith(_TEXT):
            raise ValueError("this token seals no text")  # an address is never sent as a message
        return plain[len(_TEXT) :].decode()

    def sign(self, text: str) -> str:
        """A short keyed digest, for ids that must not be guessable."""
        return hmac.new(self._pseudonym_key, text.encode(), hashlib.sha256).hexdigest()[:16]


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (ValueError, TypeError):
        return False
