"""The SAMEN information line: SMS and WhatsApp menus about help with sexual and gender-based violence."""

from __future__ import annotations

from samen_sms.app import create_app

__all__ = ["create_app"]
