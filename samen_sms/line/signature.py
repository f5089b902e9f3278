"""Twilio's request signature, checked against the public URL Twilio called, never the Host header."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator, compare


class SignatureCheck:
    """Validates `X-Twilio-Signature` with twilio-python's own validator."""

    def __init__(self, auth_token: str, public_url: str, enabled: bool = True) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/")
        self.enabled = enabled

    def url_for(self, request: Request) -> str:
        """The URL Twilio signed: the configured public base plus the path and query it requested."""
        query = request.query_string.decode("latin-1")
        return self._public_url + request.path + (f"?{query}" if query else "")

    def valid(self, request: Request) -> bool:
        """Whether the request carries a correct signature (always true when checks are off)."""
        if not self.enabled:
            return True
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        url, form = self.url_for(request), request.form
        # The URL as configured is what Twilio signs: one HMAC. A mismatch, or a body signed by its
        # hash (JSON), gets twilio's full check (the URL with and without its port, the body's hash).
        if "bodySHA256" not in request.args and compare(self._validator.compute_signature(url, form), signature):
            return True
        return bool(self._validator.validate(url, form, signature))
