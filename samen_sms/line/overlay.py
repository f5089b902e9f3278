"""Live content: edits approved and directory entries saved in the console, laid over the files read at start.

The catalogues (`messages/`) and the directory (`data/services.toml`) are read and checked once,
at start. What the console changes after that is kept in one Redis hash, and every change raises
a version counter. A process compares the counter with the one its content was built at (the
webhook reads it in its first round trip, a worker once per delivery, the console once per page)
and only when it moved reads the hash and builds its content again: the content engine stays pure,
and nothing restarts. The console checks an edit by the catalogues' rules before it gets here; an
entry that no longer fits the files (a key gone, other placeholders) is left out, never half used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import redis

from samen_sms.content.catalogue import Text, placeholders
from samen_sms.content.directory import NATIONAL, Directory, DirectoryError, Service, parse_entry
from samen_sms.content.engine import Content
from samen_sms.content.render import Renderer
from samen_sms.line import redis_keys

if TYPE_CHECKING:
    from samen_sms.line.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE = "m|"  # m|<locale>|<key> -> {"sms": ..., "whatsapp": ..., "was": fingerprint of the file's text it replaced}
SERVICE = "s|"  # s|<id> -> a directory entry as data/services.toml writes it (verified as ISO text)


@dataclass(frozen=True)
class Overlay:
    """What the console changed: message texts by (language, key), and added directory entries."""

    messages: Mapping[tuple[str, str], Text] = field(default_factory=dict)
    replaced: Mapping[tuple[str, str], str] = field(default_factory=dict)  # the file's text each replaced
    services: tuple[dict[str, Any], ...] = ()
    version: int = 0


def version_key() -> str:
    """The counter's key, for a caller that reads it in a round trip of its own (the webhook's first)."""
    return redis_keys.OVERLAY_VERSION()


def read(conn: redis.Redis) -> Overlay:
    """The overlay and the version it is at, read together."""
    with conn.pipeline(transaction=True) as pipe:
        pipe.hgetall(redis_keys.CONTENT_OVERLAY())
        pipe.get(redis_keys.OVERLAY_VERSION())
        raw, version = pipe.execute()
    messages: dict[tuple[str, str], Text] = {}
    replaced: dict[tuple[str, str], str] = {}
    services = []
    for name, value in sorted(raw.items()):
        label = name.decode()
        data = json.loads(value)
        if label.startswith(MESSAGE):
            locale, _, key = label.removeprefix(MESSAGE).partition("|")
            messages[(locale, key)] = Text(str(data["sms"]), str(data["whatsapp"]))
            replaced[(locale, key)] = str(data.get("was", ""))
        elif label.startswith(SERVICE):
            services.append(data)
    return Overlay(messages, replaced, tuple(services), int(version or 0))


def fingerprint(text: Text) -> str:
    """A short fingerprint of a message's two forms."""
    return hashlib.sha256(f"{text.sms}\x1f{text.whatsapp}".encode()).hexdigest()[:16]


def publish_message(conn: redis.Redis, locale: str, key: str, text: Text, replaces: Text) -> int:
    """Make an approved text live everywhere, in place of the file's text `replaces`; the new version.

    Once the file's text is no longer `replaces` (the edit was imported into the repository, or the
    catalogue changed since), the file wins and the edit is left out.
    """
    data = {"sms": text.sms, "whatsapp": text.whatsapp, "was": fingerprint(replaces)}
    value = json.dumps(data, ensure_ascii=False)
    return _change(conn, {f"{MESSAGE}{locale}|{key}": value}, ())


def withdraw_message(conn: redis.Redis, locale: str, key: str) -> int:
    """Go back to the catalogue's own text (once the edit is in the repository); the new version."""
    return _change(conn, {}, (f"{MESSAGE}{locale}|{key}",))


def publish_services(conn: redis.Redis, entries: list[dict[str, Any]]) -> int:
    """Make these directory entries the live ones added to the file's (replacing the last set); the new version."""
    raw: Any = conn.hkeys(redis_keys.CONTENT_OVERLAY())
    gone = [name.decode() for name in raw if name.decode().startswith(SERVICE)]
    values = {f"{SERVICE}{entry['id']}": json.dumps(entry, ensure_ascii=False, default=str) for entry in entries}
    return _change(conn, values, tuple(name for name in gone if name not in values))


def _change(conn: redis.Redis, values: Mapping[str, str], removed: tuple[str, ...]) -> int:
    with conn.pipeline(transaction=True) as pipe:
        if values:
            pipe.hset(redis_keys.CONTENT_OVERLAY(), mapping=dict(values))  # type: ignore[arg-type]
        if removed:
            pipe.hdel(redis_keys.CONTENT_OVERLAY(), *removed)
        pipe.incr(redis_keys.OVERLAY_VERSION())
        return int(pipe.execute()[-1])


def apply(base: Content, overlay: Overlay) -> Content:
    """The content read at start with the overlay laid over it (what no longer fits is left out, and logged)."""
    catalogues = dict(base.catalogues)
    reference = base.catalogues[base.flow.languages[0]]
    for (locale, key), text in overlay.messages.items():
        catalogue = catalogues.get(locale)
        wanted = reference.messages.get(key)
        if catalogue is None or wanted is None:
            continue  # a language held back, or a key the files no longer have
        if fingerprint(catalogue.messages[key]) != overlay.replaced.get((locale, key)):
            log.info("live edit of %s %s left out: the catalogue's own text changed since it was approved", locale, key)
            continue
        if placeholders(text.sms) != placeholders(wanted.sms) or placeholders(text.whatsapp) != placeholders(
            wanted.whatsapp
        ):
            log.error("live edit of %s %s left out: its placeholders differ from the catalogue's", locale, key)
            continue
        catalogues[locale] = replace(catalogue, messages={**catalogue.messages, key: text})
    services = list(base.directory.services)
    known = {s.id for s in services}
    for entry in overlay.services:
        service = _service(base, entry, known)
        if service is not None:
            services.append(service)
            known.add(service.id)
    directory = Directory(tuple(services), base.directory.everywhere)
    return Content.build(base.flow, catalogues, base.places, directory, base.community, base.inputs)


def _service(base: Content, entry: Mapping[str, Any], known: set[str]) -> Service | None:
    try:
        raw = {**entry, "verified": dt.date.fromisoformat(str(entry.get("verified")))}
        service = parse_entry(raw, "console")
    except (DirectoryError, ValueError) as exc:
        log.error("live directory entry left out: %s", exc)
        return None
    reference = base.catalogues[base.flow.languages[0]].messages
    unknown_places = set(service.places) - set(base.places.by_code) - {NATIONAL}
    if service.id in known or service.purpose not in reference or unknown_places:
        # Most often the file has the entry now (exported and deployed): the file wins.
        log.info("live directory entry %s left out: the file has its id, or lacks its purpose or places", service.id)
        return None
    return service


def refresh(rt: Runtime, seen: bytes | str | int | None = None, read_version: bool = True) -> bool:
    """Build the process's content again if the live content changed; whether it did.

    `seen` is the counter as the caller already read it (`read_version=False`); otherwise it is read here.
    """
    try:
        if read_version:
            seen = rt.redis.get(redis_keys.OVERLAY_VERSION())
        if isinstance(seen, bytes):
            seen = seen.decode()
        if int(seen or 0) == rt.content_version:
            return False
        overlay = read(rt.redis)
    except redis.RedisError:
        log.warning("the live content could not be read; keeping the content built before")
        return False
    try:
        content = apply(rt.base_content or rt.content, overlay)
    except ValueError:
        log.exception("the live content cannot be applied; keeping the content built before")
        rt.content_version = overlay.version
        return False
    if rt.base_content is None:
        rt.base_content = rt.content
    rt.content = content
    rt.renderer = Renderer(content, rt.renderer.params)
    rt.content_version = overlay.version
    return True
