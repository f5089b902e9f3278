"""Translation review in the console: marks per message, suggested edits, and the check an edit must pass.

A reviewer marks a message reviewed (the fingerprint of the English it was read against, as the
catalogues' `[review]` tables keep it) or suggests an edit; an admin approves the edit, which then
goes live through `line.overlay` and is exported with the marks as a PO file for the repository
(`flask content import` writes both into `messages/<lang>.toml`). An edit is checked by the rules
every catalogue passes at start and at a PO import (`authoring.poimport.check`): the same
placeholders as the English, 112 kept where the text had it, a neutral first 40 characters, right-to-left text
intact, within the language's SMS budget, alone and on every screen that shows it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import redis

from samen_sms.authoring.poimport import check as catalogue_check
from samen_sms.authoring.review import SOURCE, State, fingerprint
from samen_sms.authoring.review import state as review_state
from samen_sms.console import redis_keys
from samen_sms.console.i18n import gettext as _
from samen_sms.content.catalogue import Catalogue, Text, placeholders
from samen_sms.content.discretion import PREVIEW, revealing_words, reveals
from samen_sms.content.engine import Content
from samen_sms.content.smscost import budget, cost

EMERGENCY = "112"
TWILIO_MAX = 1600  # characters Twilio takes in one message


@dataclass(frozen=True)
class Suggestion:
    """An edit of one message in one language, waiting for an admin."""

    locale: str
    key: str
    sms: str
    whatsapp: str
    by: str
    at: float

    @property
    def text(self) -> Text:
        """The suggested forms."""
        return Text(self.sms, self.whatsapp)


def _field(locale: str, key: str) -> str:
    return f"{locale}|{key}"


def marks(conn: redis.Redis, locale: str) -> dict[str, str]:
    """Entry -> the fingerprint of the English it was reviewed against in the console."""
    raw: Mapping[bytes, bytes] = conn.hgetall(redis_keys.CONSOLE_REVIEW())  # type: ignore[assignment]
    prefix = _field(locale, "")
    return {
        name.decode().removeprefix(prefix): json.loads(value)["fp"]
        for name, value in raw.items()
        if name.decode().startswith(prefix)
    }


def mark(conn: redis.Redis, locale: str, entry: str, english: tuple[str, ...], by: str) -> None:
    """Record that `by` read this entry against the English as it is now."""
    value = {"fp": fingerprint(english), "by": by, "at": time.time()}
    conn.hset(redis_keys.CONSOLE_REVIEW(), _field(locale, entry), json.dumps(value))


def reviewed(catalogue: Catalogue, source: Catalogue, console_marks: Mapping[str, str]) -> Catalogue:
    """The catalogue with the console's marks added to its own `[review]` table."""
    return replace(catalogue, reviews={**catalogue.reviews, **console_marks})


def state(catalogue: Catalogue, source: Catalogue, entry: str) -> State:
    """Reviewed, unreviewed or stale (the English changed since)."""
    return review_state(catalogue, source, entry)


def suggestions(conn: redis.Redis, locale: str | None = None) -> dict[tuple[str, str], Suggestion]:
    """Waiting edits, of one language or all, by (language, key)."""
    raw: Mapping[bytes, bytes] = conn.hgetall(redis_keys.CONSOLE_SUGGESTIONS())  # type: ignore[assignment]
    out = {}
    for value in raw.values():
        found = Suggestion(**json.loads(value))
        if locale is None or found.locale == locale:
            out[(found.locale, found.key)] = found
    return out


def suggest(conn: redis.Redis, suggestion: Suggestion) -> None:
    """Keep an edit for an admin (a later one of the same message replaces it)."""
    value = json.dumps(asdict(suggestion), ensure_ascii=False)
    conn.hset(redis_keys.CONSOLE_SUGGESTIONS(), _field(suggestion.locale, suggestion.key), value)


def discard(conn: redis.Redis, locale: str, key: str) -> None:
    """Forget a waiting edit (approved or turned down)."""
    conn.hdel(redis_keys.CONSOLE_SUGGESTIONS(), _field(locale, key))


def problems(content: Content, params: Mapping[str, str], locale: str, key: str, text: Text) -> list[str]:
    """Why this edit cannot go live, in plain words (empty: it may)."""
    catalogue = content.catalogues[locale]
    source = content.catalogues[SOURCE]
    english, current = source.messages[key], catalogue.messages[key]
    text = Text(catalogue.sms_spelling(text.sms), text.whatsapp)
    found: list[str] = []
    names = {"sms": _("The short (SMS) form"), "whatsapp": _("The full (WhatsApp) form")}
    revealing = revealing_words(content.catalogues)
    for form, label in names.items():
        mine, theirs, now = getattr(text, form), getattr(english, form), getattr(current, form)
        if not mine.strip():
            found.append(_("%(form)s is empty.", form=label))
            continue
        missing = sorted(placeholders(theirs) - placeholders(mine))
        extra = sorted(placeholders(mine) - placeholders(theirs))
        if missing:
            shown = ", ".join("{" + name + "}" for name in missing)
            found.append(_("%(form)s must keep %(names)s exactly as written.", form=label, names=shown))
        if extra:
            shown = ", ".join("{" + name + "}" for name in extra)
            found.append(_("%(form)s has %(names)s, which the English does not have.", form=label, names=shown))
        if EMERGENCY in now and EMERGENCY not in mine:
            found.append(_("%(form)s must keep the emergency number 112.", form=label))
        shows = [] if key.endswith(".title") or key.startswith("directory.") else reveals(mine, revealing)
        if shows:
            found.append(
                _(
                    "%(form)s shows %(words)s in its first %(n)s characters, which a locked phone shows.",
                    form=label,
                    words=", ".join(shows),
                    n=PREVIEW,
                )
            )
        if len(mine) > TWILIO_MAX:
            found.append(_("%(form)s is longer than 1600 characters, more than one message can hold.", form=label))
    allowed = budget(catalogue)
    if not found and cost(text.sms).segments > allowed:
        spent = cost(text.sms).segments
        found.append(_("The short (SMS) form costs %(n)s SMS, more than the %(max)s allowed.", n=spent, max=allowed))
    if found:
        return found
    # The remaining rules (right-to-left text, every screen within the budget) as a PO import checks them;
    # only what this edit breaks counts (the catalogue's own faults are not this reviewer's).
    after = replace(catalogue, messages={**catalogue.messages, key: text})
    before = {str(r) for r in catalogue_check(content, params, source, catalogue)}
    return [
        _("Refused by the catalogue check: %(reason)s", reason=r.entry + ": " + r.reason)
        for r in catalogue_check(content, params, source, after)
        if str(r) not in before
    ]
