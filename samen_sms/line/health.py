"""Health: is Redis answering, how deep and how old are the queues, are workers alive, does Twilio
take our replies, does Redis still keep what it is given.

Nothing about any person. A fault makes the status "degraded" and names it, but still answers 200:
a load balancer that took the web process out of rotation would only turn a delay into silence,
since the webhook still receives messages, keeps every reply owed and answers with the fallback
when it must. A monitor that reads only status codes asks `/healthz?strict=1`, which answers 503
while the line is degraded.

Degraded means one of: no worker alive (RQ's worker keys expire a heartbeat after a worker dies,
while its name stays in RQ's set of workers), the oldest reply owed or the urgent queue's oldest
job waiting longer than SAMEN_HEALTH_MAX_WAIT, Redis no longer persisting (checked every
PERSISTENCE_EVERY seconds per web process), or Twilio refusing the line itself.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from rq import Queue, worker_registration

from samen_sms.line import redis_keys
from samen_sms.line.durability import persistence_lost
from samen_sms.line.ledger import line_faults
from samen_sms.line.runtime import Runtime

bp = Blueprint("health", __name__)

PERSISTENCE_EVERY = 10.0  # seconds a web process reuses its last look at Redis's persistence


def live_workers(conn: redis.Redis) -> int:
    """Workers whose heartbeat key is still there: a member of RQ's set whose key expired is dead."""
    names = conn.smembers(worker_registration.REDIS_WORKER_KEYS)
    if not names:
        return 0
    pipe = conn.pipeline(transaction=False)
    for name in names:
        pipe.exists(name)
    return sum(1 for found in pipe.execute() if found)


def oldest_job_age(queue: Queue) -> float:
    """Seconds the job at the head of the queue has waited; 0 when the queue is empty."""
    for job_id in queue.get_job_ids(0, 1):
        job = queue.fetch_job(job_id)
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at.replace(tzinfo=UTC) if job.enqueued_at.tzinfo is None else job.enqueued_at
            return max(0.0, (datetime.now(UTC) - enqueued).total_seconds())
    return 0.0


def oldest_owed_age(conn: redis.Redis) -> float:
    """Seconds the person owed a reply longest has waited (their score: when it was owed, or its retry)."""
    oldest = conn.zrange(redis_keys.OWED(), 0, 0, withscores=True)
    return max(0.0, time.time() - float(oldest[0][1])) if oldest else 0.0


def _persistence(rt: Runtime) -> str | None:
    cache: dict[str, Any] = current_app.extensions.setdefault("samen_health", {})
    if time.monotonic() - cache.get("at", float("-inf")) >= PERSISTENCE_EVERY:
        cache["lost"] = persistence_lost(rt.redis, rt.config)
        cache["at"] = time.monotonic()
    lost: str | None = cache["lost"]
    return lost


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when Redis answers ("ok" or "degraded"), 503 when it does not (or degraded, with ?strict=1)."""
    rt: Runtime = current_app.extensions["samen"]
    try:
        rt.redis.ping()
        depth = rt.queue.count + rt.late_queue.count
        urgent = rt.urgent_queue.count
        owed = rt.redis.zcard(redis_keys.OWED())
        # Workers register again at their next heartbeat when Redis lost its data (see LineWorker).
        workers = live_workers(rt.redis)
        waits = {
            "owed": round(oldest_owed_age(rt.redis), 1),
            "urgent": round(oldest_job_age(rt.urgent_queue), 1),
            "queue": round(oldest_job_age(rt.queue), 1),
            "late": round(oldest_job_age(rt.late_queue), 1),
        }
        faults = line_faults(rt)
        lost = _persistence(rt)
    except redis.RedisError:
        return jsonify(status="unavailable", redis=False), 503
    problems = []
    if workers == 0:
        problems.append("no worker alive")
    late = [name for name in ("owed", "urgent") if waits[name] > rt.config.health_max_wait]
    if late:
        problems.append(f"waiting over {rt.config.health_max_wait} s: {', '.join(late)}")
    if lost:
        problems.append(f"Redis no longer persists ({lost})")
    if faults:
        problems.append("Twilio refuses the line")
    status = "degraded" if problems else "ok"
    body = jsonify(
        status=status,
        problems=problems,
        redis=True,
        persistence=lost or "ok",
        queue_depth=depth + urgent,
        urgent_queue_depth=urgent,
        replies_owed=owed,
        oldest_seconds=waits,
        workers=workers,
        twilio={"refused": faults} if faults else {"refused": {}},
    )
    strict = request.args.get("strict", "") not in ("", "0")
    return body, 503 if strict and problems else 200
