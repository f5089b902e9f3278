"""The web application factory: the assembled line, its routes and commands, built once per process."""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from samen_sms.assembly import FEATURES, build_line
from samen_sms.content.engine import Content
from samen_sms.core import logs
from samen_sms.core.config import Config, ConfigError
from samen_sms.line import health, webhook
from samen_sms.line.proxies import TrustedProxies
from samen_sms.line.signature import SignatureCheck

MAX_REQUEST_BYTES = 64 * 1024
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# A year, subdomains included: what a production line on https asks of every browser.
HSTS = "max-age=31536000; includeSubDomains"


def create_app(
    test_config: Mapping[str, Any] | None = None, config: Config | None = None, content: Content | None = None
) -> Flask:
    """Build the web app; raise ConfigError when the environment is not safe to run on.

    `content` is the content already loaded from the config's directories (the tests load it once).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if test_config:
        app.config.update(test_config)
    else:
        logging.basicConfig(level=logging.INFO, format=logs.PLAIN)  # until the settings say which format
    cfg = config or Config.from_env()
    if not test_config:
        logs.configure(cfg.log_format)
    if not cfg.check_signatures and not (cfg.development and _is_loopback(cfg.public_url)):
        raise ConfigError("Signature checks can only be switched off in development mode on loopback.")
    if cfg.trusted_proxies:
        # The client address (the console's per-address sign-in throttle) and the scheme, from the
        # proxies only; signatures are checked against PUBLIC_URL, never a forwarded host.
        app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            app.wsgi_app, cfg.trusted_proxies, cfg.proxy_addresses, https_only=not cfg.development
        )
    app.extensions["samen"] = build_line(cfg, web=True, content=content)
    app.extensions["samen.signature"] = SignatureCheck(
        cfg.twilio_auth_token, cfg.public_url, enabled=cfg.check_signatures
    )
    for feature in FEATURES:
        if hasattr(feature, "init_app"):
            feature.init_app(app)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)

    @app.before_request
    def _request_id() -> None:
        # A proxy's id when it sends a plain one, else a fresh one: ties a request's log lines together.
        given = request.headers.get("X-Request-Id", "")
        logs.request_id.set(given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex)

    if not cfg.development:

        @app.after_request
        def _strict_transport(response: Response) -> Response:
            # Production is https only (PUBLIC_URL must be): browsers and clients never fall back to http.
            response.headers["Strict-Transport-Security"] = HSTS
            return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        # Plain reasons, never a stack trace or anything the person sent.
        return jsonify(error=exc.name, reason=exc.description), exc.code or 500

    return app
