"""Prometheus metrics: counts and timings only, never a number, pseudonym, text or session title.

Counters and the latency histogram live in each process; with `PROMETHEUS_MULTIPROC_DIR` set
(prometheus_client's multiprocess mode) gunicorn's workers and the RQ workers write them to that
folder and `GET /metrics` adds them up. Queue depth, replies owed and announcement progress are
read from Redis when Prometheus scrapes. The route exists only when `SAMEN_METRICS_TOKEN` is set,
and answers only with that bearer token.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

import redis
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from samen_sms.core.identity import Address
from samen_sms.line import redis_keys
from samen_sms.line.health import oldest_job_age
from samen_sms.line.registry import Registry
from samen_sms.line.runtime import Runtime

INBOUND = Counter("samen_inbound_messages_total", "Messages in, by channel and outcome", ["channel", "outcome"])
LATENCY = Histogram(
    "samen_webhook_seconds",
    "Time to answer Twilio's webhooks",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SENT = Counter("samen_replies_sent_total", "Replies Twilio accepted")
FAILED = Counter("samen_replies_failed_total", "Replies refused for good or given up, by Twilio error code", ["code"])
REDIS_ERRORS = Counter("samen_redis_errors_total", "Redis failures the line answered around, by where", ["where"])
ROUTES = {"twilio.inbound": "inbound", "twilio.status": "status"}


def outcome(channel: str, what: str) -> None:
    """Note this request's inbound outcome (replied, silent, duplicate, fallback); counted when it ends."""
    g.samen_inbound = (channel, what)


def _error_code(code: int | str) -> str:
    # Twilio's codes are five digits; anything else (a status, "timeout") is counted as what it is.
    text = str(code)
    return text if text.isdigit() and len(text) <= 5 else "other"


def _sent(rt: Runtime, sid: str, forget: bool) -> None:
    SENT.inc()


def _failed(rt: Runtime, p: str, address: Address, code: int, forget: bool) -> None:
    FAILED.labels(_error_code(code)).inc()


def register(registry: Registry) -> None:
    """Count replies sent and refused through the registry's delivery hooks."""
    registry.on_sent.append(_sent)
    registry.on_send_failed.append(_failed)


class RedisGauges(Collector):
    """Read at scrape time: queue depth, replies owed, each announcement's counts by state."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rt = self.rt
        up = GaugeMetricFamily("samen_redis_up", "Whether Redis answered this scrape")
        try:
            lanes = {"urgent": rt.urgent_queue, "replies": rt.queue, "late": rt.late_queue}
            depth, owed = sum(q.count for q in lanes.values()), rt.redis.zcard(redis_keys.OWED())
            age = GaugeMetricFamily(
                "samen_queue_oldest_seconds", "Seconds the oldest job of a queue has waited", labels=["queue"]
            )
            for name, queue in lanes.items():
                age.add_metric([name], oldest_job_age(queue))
            progress = GaugeMetricFamily(
                "samen_announcement_messages", "An announcement's messages by state", labels=["broadcast", "state"]
            )
            # The announcements lend their counts (a broadcast is a session id and a kind, never a title).
            for broadcast, counts in rt.registry.broadcast_counts(rt.redis).items():
                for state, value in counts.items():
                    progress.add_metric([broadcast, state], float(value))
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("samen_queue_depth", "Jobs waiting in the line's queues (urgent included)", value=depth)
        yield age
        yield GaugeMetricFamily("samen_replies_owed", "People owed a reply", value=owed)
        yield progress


def _scrape(rt: Runtime) -> bytes:
    registry = REGISTRY  # one process: its own counters (tests, a single-process server)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    body = generate_latest(registry)
    return body + generate_latest(_gauges_registry(rt))


def _gauges_registry(rt: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(RedisGauges(rt))
    return registry


def init_app(app: Flask) -> None:
    """Time and count the webhooks; add `GET /metrics` when `SAMEN_METRICS_TOKEN` is set."""

    @app.before_request
    def _start() -> None:
        g.samen_started = time.perf_counter()

    @app.teardown_request
    def _finish(_: BaseException | None = None) -> None:
        route = ROUTES.get(request.endpoint or "")
        if route is None or "samen_started" not in g:
            return
        LATENCY.labels(route).observe(time.perf_counter() - g.samen_started)
        counted = g.get("samen_inbound")
        if counted is not None:
            INBOUND.labels(*counted).inc()

    rt: Runtime = app.extensions["samen"]
    token = rt.config.metrics_token
    if not token:
        return

    @app.get("/metrics")
    def metrics() -> Any:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("bearer token required\n", status=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(_scrape(current_app.extensions["samen"]), mimetype=CONTENT_TYPE_LATEST)
