"""Approved WhatsApp templates for announcements outside the 24-hour window, per kind and language.

The file named by `SAMEN_WHATSAPP_TEMPLATES` (see `whatsapp_templates.example.toml`):

    [announcement.nl]
    content_sid = "HXaaaaaaaa..."          # the approved template's Content SID
    variables = ["title", "date", "place"] # fills {{1}}, {{2}}, {{3}}
    text = "Nieuwe bijeenkomst: {{1}}, {{2}}, {{3}}"  # the approved text, exactly as in Twilio's Content

`text` lets the line recognise, after a crash, a template message it already handed to Twilio:
Twilio's Message resource has no Content SID, only the rendered text in `body`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from samen_sms.announce.kinds import BroadcastKind
from samen_sms.core.tomlfile import read_toml

VARIABLES = frozenset({"title", "description", "date", "place", "host", "languages"})
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class Template:
    """One approved template: its Content SID, which values fill its numbered variables, and its text."""

    content_sid: str
    variables: tuple[str, ...]
    text: str | None = None

    def rendered(self, values: dict[str, str]) -> str | None:
        """The text Twilio will show as the message's `body`, or None when the file gives no text."""
        if self.text is None:
            return None
        filled = json.loads(self.content_variables(values))
        return PLACEHOLDER.sub(lambda m: str(filled.get(m.group(1), "")), self.text)

    def content_variables(self, values: dict[str, str]) -> str:
        """Twilio's `ContentVariables` JSON."""
        return json.dumps(
            {str(i): values.get(name, "") for i, name in enumerate(self.variables, 1)}, ensure_ascii=False
        )


Templates = dict[tuple[BroadcastKind, str], Template]  # (kind, language) -> its approved template


def load_templates(path: Path | None) -> Templates:
    """Read the templates file; none configured means WhatsApp outside the window is skipped."""
    if path is None:
        return {}
    raw = read_toml(path)
    out: Templates = {}
    for table, per_locale in raw.items():
        if table == "handover":
            continue  # the hand-over's invitation to reply (samen_sms.handover.invite)
        kind = BroadcastKind.from_label(table)
        if kind is None or not isinstance(per_locale, dict):
            known = ", ".join(f"[{k.label}.<lang>]" for k in BroadcastKind)
            raise ValueError(f"{path.name}: unknown table [{table}]; use one of {known}")
        for locale, spec in per_locale.items():
            sid = spec.get("content_sid") if isinstance(spec, dict) else None
            names = spec.get("variables", []) if isinstance(spec, dict) else None
            if not isinstance(sid, str) or not sid.startswith("HX"):
                raise ValueError(f"{path.name}: [{table}.{locale}] content_sid must be a Content SID (HX...)")
            if not isinstance(names, list) or not set(names) <= VARIABLES:
                raise ValueError(f"{path.name}: [{table}.{locale}] variables must be a list from {sorted(VARIABLES)}")
            text = spec.get("text")
            if text is not None and not isinstance(text, str):
                raise ValueError(f"{path.name}: [{table}.{locale}] text must be the approved template's text")
            out[(kind, locale)] = Template(sid, tuple(names), text)
    return out
