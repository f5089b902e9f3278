"""Behind a reverse proxy: whose `X-Forwarded-*` headers count, and that production came over https.

Only a request from one of `SAMEN_PROXY_ADDRESSES` has its forwarded headers read (werkzeug's
ProxyFix, `SAMEN_TRUSTED_PROXIES` deep): the client's address (the console's sign-in throttle) and
the scheme. Anyone else who reaches the web process directly and sends such a header is refused, so
nobody can pose as someone else to the throttle or claim https they did not use. In production a
proxy must say the request came over https (`X-Forwarded-Proto: https`): a proxy that forwards plain
http, or forgets the header, would carry message texts and console passwords in the clear, and
browsers would never send back the console's secure cookie. The signature check is untouched: it
uses `PUBLIC_URL`, never a forwarded host or scheme (`line/signature.py`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FORWARDED = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
NOT_HTTPS = "the proxy must say the request came by https (X-Forwarded-Proto)"


class TrustedProxies:
    """WSGI middleware: forwarded headers from the proxies only, and https through them in production."""

    def __init__(self, app: WSGIApplication, count: int, addresses: Iterable[str], https_only: bool) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count)
        self.networks = [ipaddress.ip_network(address, strict=False) for address in addresses]
        self.https_only = https_only

    def from_proxy(self, remote: str) -> bool:
        """Whether the peer that connected is one of the proxies."""
        try:
            peer = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.from_proxy(environ.get("REMOTE_ADDR", "")):
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if self.https_only and scheme != "https":
                return _refuse(environ, start_response, NOT_HTTPS)
            return self.fixed(environ, start_response)
        if any(environ.get(name) for name in FORWARDED):
            return _refuse(environ, start_response, "X-Forwarded headers are taken only from the line's proxies")
        return self.app(environ, start_response)


def _refuse(environ: WSGIEnvironment, start_response: StartResponse, reason: str) -> Iterable[bytes]:
    answer: Iterable[bytes] = Response(f"{reason}\n", status=400, mimetype="text/plain")(environ, start_response)
    return answer
