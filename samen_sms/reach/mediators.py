"""Mediators and organisations with a referral code: register, list, retire. Never a person who texts.

Each code is kept in `redis_keys.MEDIATORS` (code -> what the operator registered) and, while it
counts, in `redis_keys.LIVE_CODES`, which the webhook asks about in its first round trip. A retired
code leaves the live set: from then on it is ordinary text. Codes are never given out twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import redis

from samen_sms.content import referral
from samen_sms.content.catalogue import Catalogue
from samen_sms.content.places import Places
from samen_sms.content.text import words
from samen_sms.reach import redis_keys


class RegistrationError(ValueError):
    """A registration is incomplete or wrong; the message names the field."""


@dataclass(frozen=True)
class Mediator:
    """A registered mediator or organisation and its referral code."""

    code: str
    name: str
    languages: list[str]
    regions: list[str]
    added: float
    retired: float | None = None
    listed: str | None = None  # the date they agreed to be listed in the directory, when they are
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Whether a first message carrying the code is counted."""
        return self.retired is None

    def dumps(self) -> str:
        """JSON, as stored."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> Mediator:
        """Read what `dumps` wrote."""
        return cls(**json.loads(raw))


def check_languages(text: str, line_languages: Iterable[str]) -> list[str]:
    """`ar,ti` -> ['ar', 'ti']; refuses an empty list or a language the line does not speak."""
    codes = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not codes:
        raise RegistrationError("field 'languages' is missing: the languages they work in, e.g. ar,ti")
    known = list(line_languages)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise RegistrationError(f"field 'languages': {unknown} not among the line's languages {known}")
    return list(dict.fromkeys(codes))


def check_regions(values: Iterable[str], places: Places) -> list[str]:
    """Place names, safety region codes or NL -> region codes; refuses none or an unknown one."""
    out: list[str] = []
    for value in (part.strip() for text in values for part in text.split(",")):
        if not value:
            continue
        code = places.region_code(value)
        if code is None:
            raise RegistrationError(f"field 'region': {value!r} is not a known place, safety region (VR13) or NL")
        if code not in out:
            out.append(code)
    if not out:
        raise RegistrationError("field 'region' is missing: a town, a safety region (VR13) or NL")
    return out


def catalogue_words(catalogues: Mapping[str, Catalogue]) -> set[str]:
    """Every word the line's catalogues use, so no code is ever one of them."""
    found: set[str] = set()
    for cat in catalogues.values():
        for keywords in cat.keywords.values():
            found.update(w for k in keywords for w in words(k))
        for text in cat.messages.values():
            found.update(words(text.sms))
    return found


def all_mediators(conn: redis.Redis) -> list[Mediator]:
    """Every registered code, oldest first."""
    raw: dict[bytes, bytes] = conn.hgetall(redis_keys.MEDIATORS())  # type: ignore[assignment]
    return sorted((Mediator.loads(v) for v in raw.values()), key=lambda m: (m.added, m.code))


def get(conn: redis.Redis, text: str) -> Mediator | None:
    """The mediator a code (any case) names, else None."""
    code = referral.normal(text)
    raw = conn.hget(redis_keys.MEDIATORS(), code) if code else None
    return Mediator.loads(raw) if raw else None


def is_live(conn: redis.Redis, code: str) -> bool:
    """Whether a referral code counts now (registered and not retired)."""
    return bool(conn.sismember(redis_keys.LIVE_CODES(), code))


def live_codes_key() -> str:
    """The set of live codes, by name, for the webhook's first round trip (lent through the registry)."""
    return redis_keys.LIVE_CODES()


def add(conn: redis.Redis, mediator: Mediator, banned: Iterable[str]) -> Mediator:
    """Store a new mediator under a fresh code (never one given out before) and make it live."""
    for _ in range(20):
        taken = [k.decode() for k in conn.hkeys(redis_keys.MEDIATORS())]  # type: ignore[union-attr]
        code = referral.generate(taken, banned)
        stored = Mediator(**{**asdict(mediator), "code": code, "added": time.time()})
        if conn.hsetnx(redis_keys.MEDIATORS(), code, stored.dumps()):
            conn.sadd(redis_keys.LIVE_CODES(), code)
            return stored
    raise RegistrationError("could not find a free code; try again")


def retire(conn: redis.Redis, code: str) -> Mediator:
    """Stop counting a code: it leaves the live set, the record stays (its figures stay readable)."""
    mediator = get(conn, code)
    if mediator is None:
        raise RegistrationError(f"no mediator with code {code!r} (see `mediators list`)")
    retired = Mediator(**{**asdict(mediator), "retired": mediator.retired or time.time()})
    pipe = conn.pipeline(transaction=True)
    pipe.hset(redis_keys.MEDIATORS(), retired.code, retired.dumps())
    pipe.srem(redis_keys.LIVE_CODES(), retired.code)
    pipe.execute()
    return retired


def update(conn: redis.Redis, code: str, name: str, languages: list[str], regions: list[str]) -> Mediator:
    """Change who a code belongs to as written (name, languages, regions); the code and its figures stay."""
    mediator = get(conn, code)
    if mediator is None:
        raise RegistrationError(f"no mediator with code {code!r} (see `mediators list`)")
    changed = Mediator(**{**asdict(mediator), "name": name, "languages": languages, "regions": regions})
    conn.hset(redis_keys.MEDIATORS(), changed.code, changed.dumps())
    return changed
