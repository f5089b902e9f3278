"""The parts a web or worker process builds once at start: connections, content, keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue

from samen_sms import optin
from samen_sms.catalogue import load_catalogues
from samen_sms.config import Config
from samen_sms.embedded_redis import shared_embedded_url
from samen_sms.engine import Content
from samen_sms.flow import load_flow
from samen_sms.identity import Keys
from samen_sms.render import Renderer, line_params
from samen_sms.store import Store

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a request or a job needs, built once per process."""

    config: Config
    redis: redis.Redis
    queue: Queue
    keys: Keys
    content: Content
    renderer: Renderer
    store: Store


def connect(url: str) -> redis.Redis:
    """A Redis client that fails fast and reconnects by itself after a restart."""
    return redis.Redis.from_url(
        url,
        socket_timeout=3,
        socket_connect_timeout=1,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


def load_content(config: Config) -> Content:
    """Read and validate the flow and every catalogue it offers."""
    flow = load_flow(config.flows_dir / "main.toml")
    catalogues = load_catalogues(config.messages_dir, list(flow.languages))
    data = optin.load_data(config.data_dir, config.messages_dir, list(flow.languages))
    return Content.build(flow, catalogues, inputs=optin.INPUTS, data=data)


def build_runtime(config: Config) -> Runtime:
    """Connect, load and check everything; fails at start, never on a person's message."""
    url = config.redis_url or shared_embedded_url(config.instance_dir)
    conn = connect(url)
    queue = Queue(config.queue_name, connection=conn)
    content = load_content(config)
    renderer = Renderer(content, line_params(config.twilio_sms_from, config.twilio_whatsapp_from))
    renderer.blocks["region"] = optin.region_block(renderer)
    return Runtime(
        config=config,
        redis=conn,
        queue=queue,
        keys=Keys(config.secret_key, config.data_key),
        content=content,
        renderer=renderer,
        store=Store(conn, queue, config),
    )
