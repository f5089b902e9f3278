"""Health: is Redis answering, how deep is the queue, are workers alive. Nothing about any person."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, current_app, jsonify
from rq import Worker

from samen_sms.core import keyspace
from samen_sms.line.runtime import Runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when Redis answers, 503 when it does not."""
    rt: Runtime = current_app.extensions["samen"]
    try:
        rt.redis.ping()
        depth = rt.queue.count
        owed = rt.redis.zcard(keyspace.OWED())
        workers = Worker.count(connection=rt.redis)
    except redis.RedisError:
        return jsonify(status="unavailable", redis=False), 503
    return jsonify(status="ok", redis=True, queue_depth=depth, replies_owed=owed, workers=workers), 200
