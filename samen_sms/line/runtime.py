"""The parts a web or worker process builds once at start: connections, content, keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.sentinel import Sentinel
from rq import Queue

from samen_sms.content import detector
from samen_sms.content.discretion import revealing_words, reveals
from samen_sms.content.engine import Content
from samen_sms.content.loader import load_content
from samen_sms.content.render import Renderer, line_params
from samen_sms.core.config import Config, ConfigError
from samen_sms.core.identity import Keys
from samen_sms.line import overlay
from samen_sms.line.durability import check_persistence
from samen_sms.line.once import LineRetry
from samen_sms.line.registry import Registry
from samen_sms.line.store import LineQueue, Store

log = logging.getLogger(__name__)


LATE_SUFFIX = "-late"  # the queue of first contacts past the budget: SAMEN_QUEUE and this

@dataclass
class Runtime:
    """Everything a request or a job needs, built once per process."""

    config: Config
    redis: redis.Redis
    queue: Queue
    urgent_queue: Queue
    late_queue: Queue  # first contacts past the budget for new numbers (line.budget): taken last
    keys: Keys
    content: Content
    renderer: Renderer
    store: Store
    registry: Registry = field(default_factory=Registry)
    # The content as read from the files at start; `content` is it with the console's live edits
    # laid over (line.overlay), built again whenever their version moves past `content_version`.
    base_content: Content | None = None
    content_version: int = 0


# The webhook must answer Twilio within 15 s even when Redis hangs: each of its two round trips
# gets at most WEB_SOCKET_TIMEOUT, and a timeout is never retried, because the command may have
# run (a retried claim of the MessageSid would look like a duplicate and leave the person unanswered).
WEB_SOCKET_TIMEOUT = 1.5
WEB_CONNECT_TIMEOUT = 0.5


def connect(url: str, web: bool = False, config: Config | None = None) -> redis.Redis:
    """A Redis client that fails fast and reconnects by itself after a restart or a failover.

    A dropped connection (Redis restarted) is retried on a fresh one; the web client does not
    retry timeouts, so a hanging Redis costs a webhook at most two socket timeouts. With
    `REDIS_SENTINELS` the primary is asked of Sentinel on every new connection, so a connection
    to a demoted primary (READONLY) is dropped and the retry lands on the new one. `rediss://`
    URLs use TLS, directly or to the primary Sentinel names.
    """
    errors: tuple[type[Exception], ...] = (redis.ConnectionError,)
    if not web:
        errors += (redis.TimeoutError,)
    options: dict[str, Any] = {
        "socket_timeout": WEB_SOCKET_TIMEOUT if web else 3,
        "socket_connect_timeout": WEB_CONNECT_TIMEOUT if web else 1,
        "health_check_interval": 15,
        # A restart or failover takes a second or two: workers wait it out (about 4 s of tries),
        # the web tries once more and then answers with the emergency numbers.
        "retry": LineRetry(
            ExponentialBackoff(cap=0.2 if web else 1.0, base=0.02 if web else 0.1), 1 if web else 6, errors
        ),
        "retry_on_error": list(errors),
    }
    if config is None or not config.redis_sentinels:
        return redis.Redis.from_url(url, **options)
    # The primary's password, db and TLS come from the URL; its address from Sentinel.
    primary: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
    primary.pop("host", None)
    primary.pop("port", None)
    if primary.pop("connection_class", None) is redis.SSLConnection:
        primary["ssl"] = True
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(config.redis_sentinels),
        sentinel_kwargs={
            "password": config.redis_sentinel_password,
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
        },
        **options,
        **primary,
    )
    primary_client: redis.Redis = sentinel.master_for(config.redis_sentinel_master)  # type: ignore[no-untyped-call]
    return primary_client


def build_runtime(config: Config, web: bool = False, content: Content | None = None) -> Runtime:
    """Connect, load and check everything; fails at start, never on a person's message.

    `content` is the content already loaded from the config's directories (the tests load it once).
    """
    if not config.redis_url:
        raise ConfigError("REDIS_URL is not set and no embedded Redis runs for this checkout: `make run` starts one.")
    conn = connect(config.redis_url, web=web, config=config)
    queue = LineQueue(config.queue_name, connection=conn)
    urgent = LineQueue(config.urgent_queue_name, connection=conn)
    late = LineQueue(config.queue_name + LATE_SUFFIX, connection=conn)
    content = content or load_content(config)
    if web:
        detector.warm()  # Lingua's models (about 0.1 s a script), before the first message, not during it
    if reveals(config.line_name, revealing_words(content.catalogues)):
        # The name is in the text mediators forward, near its start: a locked phone shows it.
        raise ConfigError(f"SAMEN_LINE_NAME {config.line_name!r} says what the line is about; choose a neutral name")
    store = Store(conn, queue, config, urgent, late)
    try:
        # Open the connection, cache the server version and load the first round trip's script
        # now, so a person's first message costs the same two round trips as every other one.
        queue.get_redis_server_version()
        store.load_scripts()
    except redis.RedisError:
        log.warning("Redis does not answer yet; the line will connect when it does")
    if not config.development:
        check_persistence(conn, config)
    params = line_params(
        config.twilio_sms_from,
        config.twilio_whatsapp_from,
        config.line_name,
        quiet_hours=config.quiet_hours,
        reply_hours=config.handover_reply_hours,
        keep_days=config.handover_retention_days,
    )
    renderer = Renderer(content, params)
    runtime = Runtime(
        config=config,
        redis=conn,
        queue=queue,
        urgent_queue=urgent,
        late_queue=late,
        keys=Keys(config.secret_key, config.data_key),
        content=content,
        renderer=renderer,
        store=store,
        base_content=content,
    )
    try:
        overlay.refresh(runtime)  # the console's live edits, from the first message on
    except redis.RedisError:
        log.warning("Redis does not answer yet; the console's live edits apply once it does")
    return runtime
