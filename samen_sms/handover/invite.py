"""The neutral WhatsApp template that invites a person to reply when a helper wrote outside the 24-hour window.

Approved in Twilio's Content Template Builder without variables, one per language, in the file
`SAMEN_WHATSAPP_TEMPLATES` names (beside the announcements' tables)::

    [handover.ar]
    content_sid = "HX..."
    text = "..."   # the approved text exactly, so an interrupted send is recognised

It must say nothing of the subject (a shared phone shows it): "A message is waiting for you. Reply
to this chat to read it." A language without one gets no invitation: the helper's text waits until
the person writes again, and the console says so (`Delivery.HELD`).
"""

from __future__ import annotations

from pathlib import Path

from samen_sms.core.tomlfile import read_toml
from samen_sms.line.outbox import Template

TABLE = "handover"


def load_invitations(path: Path | None) -> dict[str, Template]:
    """The invitation template per language, from the templates file (none configured: none)."""
    if path is None:
        return {}
    tables = read_toml(path).get(TABLE, {})
    out: dict[str, Template] = {}
    for locale, spec in tables.items() if isinstance(tables, dict) else ():
        sid = spec.get("content_sid") if isinstance(spec, dict) else None
        if not isinstance(sid, str) or not sid.startswith("HX"):
            raise ValueError(f"{path.name}: [{TABLE}.{locale}] content_sid must be a Content SID (HX...)")
        text = spec.get("text", "")
        if not isinstance(text, str):
            raise ValueError(f"{path.name}: [{TABLE}.{locale}] text must be the approved template's text")
        out[locale] = Template(sid, text)
    return out
