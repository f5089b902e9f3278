"""Health: is Redis answering, how deep are the queues, are workers alive, does Twilio take our replies.

Nothing about any person. A line fault (Twilio refusing the line's own credentials or sender) makes
the status "degraded" with the code, but still answers 200: a load balancer that took the web
process out of rotation would only turn a delay into silence, since the webhook still receives
messages, keeps every reply owed and answers with the fallback when it must. A monitor that reads
only status codes asks `/healthz?strict=1`, which answers 503 while the line is degraded.
"""

from __future__ import annotations

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from rq import Worker

from samen_sms.line import redis_keys
from samen_sms.line.ledger import line_faults
from samen_sms.line.runtime import Runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when Redis answers ("ok" or "degraded"), 503 when it does not (or degraded, with ?strict=1)."""
    rt: Runtime = current_app.extensions["samen"]
    try:
        rt.redis.ping()
        depth = rt.queue.count
        urgent = rt.urgent_queue.count
        owed = rt.redis.zcard(redis_keys.OWED())
        # Workers register again at their next heartbeat when Redis lost its data (see LineWorker).
        workers = Worker.count(connection=rt.redis)
        faults = line_faults(rt)
    except redis.RedisError:
        return jsonify(status="unavailable", redis=False), 503
    status = "degraded" if faults else "ok"
    body = jsonify(
        status=status,
        redis=True,
        queue_depth=depth + urgent,
        urgent_queue_depth=urgent,
        replies_owed=owed,
        workers=workers,
        twilio={"refused": faults} if faults else {"refused": {}},
    )
    strict = request.args.get("strict", "") not in ("", "0")
    return body, 503 if strict and faults else 200
