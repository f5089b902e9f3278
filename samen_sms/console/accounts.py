"""Staff accounts in Redis: role, password, authenticator, one-time sign-in links.

An account is made by `flask users add`, which prints a one-time link (24 h). Following it, the
person sets a password and enrols an authenticator app (TOTP); every later sign-in needs both.
Only the SHA-256 of a link is stored, so Redis never holds a usable link; authenticator secrets
are stored sealed.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyotp
import redis

from samen_sms.console import passwords, redis_keys
from samen_sms.console.keys import ConsoleKeys
from samen_sms.content.text import ascii_digits
from samen_sms.handover import conversations
from samen_sms.reach import mediators

LINK_TTL = 24 * 3600
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
MEDIATOR_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
REGION_RE = re.compile(r"^[A-Za-z0-9 _'-]{1,40}$")
ISSUER = "SAMEN console"


class Role(StrEnum):
    """What an account may do; checked on the server for every page and action."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MEDIATOR = "mediator"


def _(text: str) -> str:
    """Marks a text for the console's Dutch catalogue; the page translates it when it shows it."""
    return text


@dataclass(frozen=True)
class Choice:
    """One role or permission the invite form offers: what is stored, and what the form says of it."""

    value: str
    label: str
    hint: str


# What the Accounts page's invite form offers, in this order: one line each.
ROLES: tuple[Choice, ...] = (
    Choice(Role.COORDINATOR, _("Coordinator"), _("sessions, mediators, directory, figures and reports")),
    Choice(Role.MEDIATOR, _("Mediator"), _("their own code's page, forward texts and poster")),
    Choice(Role.ADMIN, _("Admin"), _("everything, and accounts and the audit log")),
)
# Permissions an account may have beside its role (stored in the account's `permissions` field;
# the helper's is its `helper` field, which holds its languages, regions and organisation too).
HELPER = "helper"
PERMISSIONS: tuple[Choice, ...] = (
    Choice(HELPER, _("Helper"), _("answers people who asked to write with a person, in the languages given")),
)


class AccountError(ValueError):
    """A command or form asked for something an account cannot be."""


class LastAdminError(AccountError):
    """The change would leave the console without an active admin."""


@dataclass(frozen=True)
class HelperGrant:
    """The helper permission: the account takes handed-over conversations in these languages (and regions)."""

    id: str  # the account as the hand-over room knows it: random, neither a name nor an address
    locales: tuple[str, ...]
    regions: tuple[str, ...]  # empty: every region
    org: str  # the partner organisation it answers for; "" when its mediator code is the link

    @classmethod
    def loads(cls, raw: str) -> HelperGrant | None:
        """Read the stored field; None when there is none."""
        if not raw:
            return None
        spec = json.loads(raw)
        return cls(spec["id"], tuple(spec["l"]), tuple(spec.get("r", ())), spec.get("o", ""))

    def dumps(self) -> str:
        """The stored field."""
        return json.dumps({"id": self.id, "l": self.locales, "r": self.regions, "o": self.org}, separators=(",", ":"))


@dataclass(frozen=True)
class Account:
    """One staff account as stored (the password hash and the sealed secret stay inside)."""

    email: str
    role: Role
    mediator: str
    password_hash: str
    totp_sealed: str
    totp_step: int
    disabled: bool
    generation: int
    created: int
    permissions: frozenset[str] = frozenset()  # names from PERMISSIONS; "helper" whenever `helper` is set
    helper: HelperGrant | None = None

    @property
    def ready(self) -> bool:
        """Whether the person has set a password and enrolled an authenticator."""
        return bool(self.password_hash and self.totp_sealed)

    @classmethod
    def from_hash(cls, email: str, raw: dict[bytes, bytes]) -> Account:
        """Read the stored hash."""
        field = {k.decode(): v.decode() for k, v in raw.items()}
        helper = HelperGrant.loads(field.get("helper", ""))
        return cls(
            email=email,
            role=Role(field["role"]),
            mediator=field.get("mediator", ""),
            password_hash=field.get("password", ""),
            totp_sealed=field.get("totp", ""),
            totp_step=int(field.get("totp_step", "0")),
            disabled=field.get("disabled") == "1",
            generation=int(field.get("generation", "0")),
            created=int(field.get("created", "0")),
            permissions=frozenset(p for p in field.get("permissions", "").split(",") if p and p != HELPER)
            | ({HELPER} if helper else set()),
            helper=helper,
        )


def normal_email(email: str) -> str:
    """The form an address is stored under; AccountError if it is not one."""
    value = email.strip().lower()
    if not EMAIL_RE.match(value):
        raise AccountError(f"{email!r} is not an e-mail address")
    return value


def digest(token: str) -> str:
    """What is stored of a sign-in link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The account store: one hash per account, one key per open sign-in link."""

    def __init__(self, conn: redis.Redis, keys: ConsoleKeys, hashing: passwords.Passwords) -> None:
        self.conn: Any = conn
        self.keys = keys
        self.passwords = hashing

    def get(self, email: str) -> Account | None:
        """The account, or None."""
        raw = self.conn.hgetall(redis_keys.CONSOLE_ACCOUNT(email))
        return Account.from_hash(email, raw) if raw else None

    def all(self) -> list[Account]:
        """Every account, by e-mail."""
        emails = sorted(e.decode() for e in self.conn.smembers(redis_keys.CONSOLE_ACCOUNTS()))
        return [a for a in (self.get(e) for e in emails) if a]

    def add(self, email: str, role: str, mediator: str | None = None, permissions: tuple[str, ...] = ()) -> str:
        """Create an account; returns the token of its first sign-in link."""
        email = normal_email(email)
        try:
            chosen = Role(role)
        except ValueError:
            raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}") from None
        code = (mediator or "").strip()
        if chosen is Role.MEDIATOR and not code:
            raise AccountError("a mediator account needs --mediator CODE")
        if code and not MEDIATOR_CODE_RE.match(code):
            raise AccountError("--mediator must be 2-32 letters, digits, - or _")
        if code:
            # Only a live code: one issued later would show its organisation's figures to this account.
            live = [c for c in (code, code.upper()) if mediators.is_live(self.conn, c)]
            if not live:
                raise AccountError(f"--mediator {code!r} is not a live referral code (see `mediators list`)")
            code = live[0]
        known = {p.value for p in PERMISSIONS} - {HELPER}  # the helper's comes with its terms: grant_helper
        if set(permissions) - known:
            raise AccountError(f"permissions must be among {', '.join(sorted(known)) or 'none'}")
        fields = {
            "role": chosen.value, "mediator": code, "created": int(time.time()), "generation": 0,
            "permissions": ",".join(sorted(set(permissions))),
        }
        if not self.conn.hsetnx(redis_keys.CONSOLE_ACCOUNT(email), "role", chosen.value):
            raise AccountError(f"an account for {email} exists already (use `users reset`)")
        self.conn.hset(redis_keys.CONSOLE_ACCOUNT(email), mapping=fields)
        self.conn.sadd(redis_keys.CONSOLE_ACCOUNTS(), email)
        return self.new_link(email)

    def new_link(self, email: str) -> str:
        """A fresh one-time link for an existing account (valid 24 h, single use)."""
        token = secrets.token_urlsafe(32)
        secret = pyotp.random_base32()
        # The account's generation when the link was made: a later reset or disable revokes it.
        generation = int(self.conn.hget(redis_keys.CONSOLE_ACCOUNT(email), "generation") or 0)
        fields = {"email": email, "totp": self.keys.seal(secret), "generation": generation}
        self.conn.hset(redis_keys.CONSOLE_LINK(digest(token)), mapping=fields)
        self.conn.expire(redis_keys.CONSOLE_LINK(digest(token)), LINK_TTL)
        return token

    def reset(self, email: str) -> str:
        """Forget password and authenticator, sign the person out everywhere; returns a new link."""
        email = normal_email(email)
        if self.get(email) is None:
            raise AccountError(f"no account for {email}")
        key = redis_keys.CONSOLE_ACCOUNT(email)
        with self.conn.pipeline(transaction=True) as pipe:
            pipe.hdel(key, "password", "totp", "totp_step", "disabled")
            pipe.hincrby(key, "generation", 1)
            pipe.execute()
        return self.new_link(email)

    def disable(self, email: str) -> None:
        """Refuse every sign-in, end every open console session and revoke every open link of this account."""
        email = normal_email(email)
        account = self.get(email)
        if account is None:
            raise AccountError(f"no account for {email}")
        if account.role is Role.ADMIN and not account.disabled and self.active_admins() == [email]:
            raise LastAdminError(f"{email} is the last active admin: add another admin first")
        key = redis_keys.CONSOLE_ACCOUNT(email)
        with self.conn.pipeline(transaction=True) as pipe:
            pipe.hset(key, "disabled", "1")
            pipe.hincrby(key, "generation", 1)
            pipe.hdel(key, "helper")  # a reset brings the account back, not its helper permission
            pipe.execute()
        if account.helper:
            conversations.remove_helper(self.conn, account.helper.id)  # what it held waits for another

    def grant_helper(
        self, email: str, locales: list[str], regions: list[str], org: str, offered: frozenset[str]
    ) -> HelperGrant:
        """Give (or change) the helper permission: the languages (of `offered`) and regions it takes, its link."""
        email = normal_email(email)
        account = self.get(email)
        if account is None or account.disabled:
            raise AccountError(f"no active account for {email}")
        chosen, places, org = helper_terms(locales, regions, org, account.mediator, offered)
        grant = HelperGrant(account.helper.id if account.helper else secrets.token_hex(8), chosen, places, org)
        self.conn.hset(redis_keys.CONSOLE_ACCOUNT(email), "helper", grant.dumps())
        conversations.set_helper(self.conn, grant.id, grant.locales, grant.regions)
        return grant

    def revoke_helper(self, email: str) -> None:
        """Take the helper permission away; the conversations the account held wait for another helper."""
        email = normal_email(email)
        account = self.get(email)
        if account is None:
            raise AccountError(f"no account for {email}")
        self.conn.hdel(redis_keys.CONSOLE_ACCOUNT(email), "helper")
        if account.helper:
            conversations.remove_helper(self.conn, account.helper.id)

    def active_admins(self) -> list[str]:
        """The e-mails of admin accounts that are not disabled."""
        return [a.email for a in self.all() if a.role is Role.ADMIN and not a.disabled]

    def link(self, token: str) -> tuple[str, str] | None:
        """The account and the pending authenticator secret of an open link, or None.

        A link made before the account's latest reset or disable (its generation is older) is revoked;
        so is every link of a disabled account. A link stored without a generation dates from before
        generations were kept on links: it counts as generation 0.
        """
        found = self._open_link(token)
        return (found[0], found[1]) if found else None

    def _open_link(self, token: str) -> tuple[str, str, int] | None:
        raw = self.conn.hgetall(redis_keys.CONSOLE_LINK(digest(token)))
        if not raw or b"email" not in raw:
            return None
        email = raw[b"email"].decode()
        generation = int(raw.get(b"generation", b"0"))
        account = self.get(email)
        if account is None or account.disabled or account.generation != generation:
            return None
        try:
            return email, self.keys.open(raw[b"totp"].decode()), generation
        except (KeyError, ValueError):
            return None

    def complete(self, token: str, password: str, secret: str, step: int) -> bool:
        """Use a link: set the password and authenticator (`step`: the code just used). False if used meanwhile."""
        found = self._open_link(token)
        if found is None or found[1] != secret:
            return False
        if not self.conn.delete(redis_keys.CONSOLE_LINK(digest(token))):
            return False  # someone used it a moment ago: single use holds
        email = found[0]
        key = redis_keys.CONSOLE_ACCOUNT(email)
        fields = {"password": self.passwords.hash(password), "totp": self.keys.seal(secret), "totp_step": step}
        # Set only if no reset or disable came between the check above and now; never re-enables.
        with self.conn.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                current = Account.from_hash(email, pipe.hgetall(key)) if pipe.exists(key) else None
                if current is None or current.disabled or current.generation != found[2]:
                    return False
                pipe.multi()
                pipe.hset(key, mapping=fields)
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def check(self, email: str, password: str, code: str) -> Account | None:
        """The account if password and authenticator code are right and the account is usable."""
        try:
            email = normal_email(email)
        except AccountError:
            self.passwords.verify(None, password)  # same cost as a wrong password
            return None
        account = self.get(email)
        if not self.passwords.verify(account.password_hash if account else None, password):
            return None
        if account is None or account.disabled or not account.ready:
            return None
        step = totp_step(self.keys.open(account.totp_sealed), code)
        if step is None or step <= account.totp_step:
            return None  # a wrong code, or one already used (replayed)
        self.conn.hset(redis_keys.CONSOLE_ACCOUNT(email), "totp_step", step)
        return account


def helper_terms(
    locales: list[str], regions: list[str], org: str, mediator: str, offered: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The helper permission's languages, regions and organisation as stored; AccountError naming what is wrong."""
    chosen = sorted({loc.strip() for loc in locales if loc.strip()})
    if not chosen or any(loc not in offered for loc in chosen):
        raise AccountError(f"languages must be one or more of {', '.join(sorted(offered))}")
    places = sorted({r.strip() for r in regions if r.strip()})
    if any(not REGION_RE.match(r) for r in places):
        raise AccountError("regions: letters, digits, spaces, - or _, up to 40 each")
    org = " ".join(org.split())[:80]
    if not org and not mediator:
        raise AccountError("a helper answers for a mediator or a partner organisation: give --org NAME")
    return tuple(chosen), tuple(places), org


def helper_accounts(conn: redis.Redis) -> dict[str, Account]:
    """Active accounts with the helper permission, by their hand-over id (what notices and reassigning need)."""
    found: Any = conn.smembers(redis_keys.CONSOLE_ACCOUNTS())
    out = {}
    for email in sorted(e.decode() for e in found):
        raw: Any = conn.hgetall(redis_keys.CONSOLE_ACCOUNT(email))
        account = Account.from_hash(email, raw) if raw else None
        if account and account.helper and not account.disabled:
            out[account.helper.id] = account
    return out


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step a code belongs to (this one or either neighbour), or None if it is wrong."""
    code = code.strip().replace(" ", "")
    if not code.isdecimal() or len(code) != 6:
        return None
    # Arabic-Indic and Persian keyboards type ١٢٣٤٥٦: the same digits, compared as ASCII.
    code = ascii_digits(code)
    totp = pyotp.TOTP(secret)
    at = time.time() if now is None else now
    current = int(at // totp.interval)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(email: str, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
