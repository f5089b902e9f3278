"""The parts a web or worker process builds once at start: connections, content, keys."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue

from samen_sms.content import optin
from samen_sms.content.catalogue import Catalogue, load_catalogues
from samen_sms.content.directory import Directory, DirectoryError, load_directory
from samen_sms.content.engine import Content
from samen_sms.content.flow import Node, load_flow
from samen_sms.content.places import load_places, place_input
from samen_sms.content.render import Renderer, line_params
from samen_sms.core.config import Config, ConfigError
from samen_sms.core.identity import Keys
from samen_sms.line.store import Store

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


# The webhook must answer Twilio within 15 s even when Redis hangs: each of its two round trips
# gets at most WEB_SOCKET_TIMEOUT, and a timeout is never retried, because the command may have
# run (a retried claim of the MessageSid would look like a duplicate and leave the person unanswered).
WEB_SOCKET_TIMEOUT = 1.5
WEB_CONNECT_TIMEOUT = 0.5


def connect(url: str, web: bool = False) -> redis.Redis:
    """A Redis client that fails fast and reconnects by itself after a restart.

    A dropped connection (Redis restarted) is retried on a fresh one; the web client does not
    retry timeouts, so a hanging Redis costs a webhook at most two socket timeouts.
    """
    errors: tuple[type[Exception], ...] = (redis.ConnectionError,)
    if not web:
        errors += (redis.TimeoutError,)
    return redis.Redis.from_url(
        url,
        socket_timeout=WEB_SOCKET_TIMEOUT if web else 3,
        socket_connect_timeout=WEB_CONNECT_TIMEOUT if web else 1,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1 if web else 2, supported_errors=errors),
        retry_on_error=list(errors),
    )


def load_content(config: Config) -> Content:
    """Read and validate the flow and every catalogue it offers."""
    flow = load_flow(config.flows_dir / "main.toml")
    catalogues = load_catalogues(config.messages_dir, list(flow.languages))
    places = load_places(config.data_dir / "nl-municipalities.csv")
    directory = load_directory(config.data_dir / "services.toml", places.by_code)
    _check_directory(directory, flow.nodes.values(), catalogues[flow.languages[0]])
    data = {"directory": directory, "places": places}
    data.update(optin.load_data(places, config.messages_dir, list(flow.languages)))
    return Content.build(flow, catalogues, inputs={"place": place_input, **optin.INPUTS}, data=data)


def _check_directory(directory: Directory, nodes: Iterable[Node], reference: Catalogue) -> None:
    # Every need a screen lists has entries, and every entry's words are in the catalogues.
    for node in nodes:
        if node.directory and not directory.for_need(node.directory):
            raise DirectoryError(f"node {node.name!r} lists need {node.directory!r}, which no service has")
    for service in directory.services:
        keys = [service.purpose, f"directory.cost.{service.cost}"]
        keys += [f"directory.hours.{service.hours}", f"directory.anonymous.{service.anonymous}"]
        missing = [k for k in keys if k not in reference.messages and not k.endswith(".unknown")]
        if missing:
            raise DirectoryError(f"service {service.id!r} needs catalogue messages {', '.join(missing)}")


def build_runtime(config: Config, web: bool = False) -> Runtime:
    """Connect, load and check everything; fails at start, never on a person's message."""
    if not config.redis_url:
        raise ConfigError("REDIS_URL is not set and no embedded Redis runs for this checkout: `make run` starts one.")
    conn = connect(config.redis_url, web=web)
    queue = Queue(config.queue_name, connection=conn)
    content = load_content(config)
    try:
        # Open the connection and cache the server version now, so a person's first message
        # costs the same two round trips as every other one.
        queue.get_redis_server_version()
    except redis.RedisError:
        log.warning("Redis does not answer yet; the line will connect when it does")
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
