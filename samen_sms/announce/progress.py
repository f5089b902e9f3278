"""How far an announcement is, and who it would reach now: what `sessions status` and `announce --dry-run`
print and what the console's confirm step and progress show, counted one way for both; and the
broadcasts' counts the console's figures and the metrics read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import redis

from samen_sms.announce import broadcast, redis_keys, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.results import STAT_PREFIX, Kind, Skip
from samen_sms.announce.routing import Via, announcement_audience, route
from samen_sms.announce.templates import load_templates
from samen_sms.line.runtime import Runtime

# The stats field counting those erased after the broadcast reached them (written by `subscriptions.erase`).
ERASED_STAT = "erased"


def audience(rt: Runtime, session: infosessions.InfoSession) -> Counter[tuple[str, Via | Skip]]:
    """What the announcement would do now per (language, way or skip reason), decided by `routing.route`.

    The same selection (`announcement_audience`, minus those already handled) and the same routing
    a real send uses; only the look-ups are batched.
    """
    conn: Any = rt.redis
    done = broadcast.key(BroadcastKind.ANNOUNCEMENT.of(session.id), "done")
    counts: Counter[tuple[str, Via | Skip]] = Counter()
    templates = load_templates(rt.config.whatsapp_templates)
    for region, batch in announcement_audience(conn, session):
        people = [p for p, was in zip(batch, conn.hmget(done, list(batch)), strict=True) if was is None]
        if not people:
            continue
        out = conn.smismember(redis_keys.OPTOUT(), people)
        windows = subscriptions.windows_open(conn, [p.decode() for p in people])
        for p, is_out, in_window in zip(people, out, windows, strict=True):
            sub = subscriptions.Subscriber.loads(region, batch[p])
            way = route(rt, session, BroadcastKind.ANNOUNCEMENT, None if is_out else sub, in_window, templates)
            counts[(sub.locale, way if isinstance(way, Skip) else way.via)] += 1
    return counts


def numbers(rt: Runtime, session_id: str, kind: BroadcastKind) -> dict[str, Any]:
    """A session's announcement's or reminder's totals and phase; never who."""
    bid = kind.of(session_id)
    conn: Any = rt.redis
    stats = {k.decode(): int(v) for k, v in conn.hgetall(broadcast.key(bid, "stats")).items()}
    state = {k.decode(): v.decode() for k, v in conn.hgetall(broadcast.key(bid, "state")).items()}
    # Those erased after they were reached (or while being sent to) leave done but are counted in the
    # stats (`erased`): a total that shrank with them would fall below what was sent ("sent 33 / 30").
    # Those erased before it reached them leave todo: they are no longer to be reached.
    erased = stats.get(ERASED_STAT, 0)
    total = int(conn.hlen(broadcast.key(bid, "done"))) + int(conn.scard(broadcast.key(bid, "todo"))) + erased
    skipped_, failed_ = STAT_PREFIX[Kind.SKIPPED], STAT_PREFIX[Kind.FAILED]
    skipped = {k.removeprefix(skipped_): v for k, v in stats.items() if k.startswith(skipped_)}
    refused = sum(v for k, v in stats.items() if k.startswith(failed_))
    return {
        "total": total,
        "sent": stats.get("sent", 0),
        "delivered": stats.get("delivered", 0),
        "failed": refused + stats.get("failed", 0) + stats.get("undelivered", 0),
        "codes": broadcast.failure_codes(stats),
        "reported": {status: stats.get(status, 0) for status in ("failed", "undelivered") if stats.get(status)},
        "skipped": skipped,
        "erased": erased,
        "phase": state.get("phase", "not started"),
        "until": state.get("until"),
        "at": int(state.get("at") or 0),  # when a scheduled reminder goes (0: none, each yes gets it at once)
    }


def _counts(raw: dict[bytes, bytes]) -> Counter[str]:
    return Counter({k.decode(): int(v) for k, v in raw.items()})


def announcement_counts(conn: redis.Redis, session_ids: Iterable[str]) -> dict[str, Counter[str]]:
    """Each session's announcement counts (sent, delivered, failed and skipped by why), by session id."""
    ids = list(session_ids)
    pipe = conn.pipeline(transaction=False)
    for sid in ids:
        pipe.hgetall(redis_keys.BROADCAST_STATS(BroadcastKind.ANNOUNCEMENT.of(sid)))
    return {sid: _counts(raw) for sid, raw in zip(ids, pipe.execute(), strict=True)}


def all_counts(conn: redis.Redis) -> dict[str, dict[str, int]]:
    """Every broadcast's counts by state, by broadcast id (a session id and a kind, never a title)."""
    prefix, suffix = redis_keys.BROADCAST_STATS("\0").split("\0")
    out: dict[str, dict[str, int]] = {}
    for key in conn.scan_iter(match=redis_keys.BROADCAST_STATS("*"), count=500):
        name = key.decode() if isinstance(key, bytes) else str(key)
        out[name[len(prefix) : -len(suffix)]] = dict(_counts(conn.hgetall(key)))  # type: ignore[arg-type]
    return out
