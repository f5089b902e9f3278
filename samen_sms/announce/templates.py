"""Approved WhatsApp templates for announcements outside the 24-hour window, per kind and language.

The file named by `SAMEN_WHATSAPP_TEMPLATES` (see `whatsapp_templates.example.toml`):

    [announcement.nl]
    content_sid = "HXaaaaaaaa..."          # the approved template's Content SID
    variables = ["title", "date", "place"] # fills {{1}}, {{2}}, {{3}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from samen_sms.core.tomlfile import read_toml

VARIABLES = frozenset({"title", "description", "date", "place", "host", "languages"})
KINDS = frozenset({"announcement", "reminder"})


@dataclass(frozen=True)
class Template:
    """One approved template: its Content SID and which values fill its numbered variables."""

    content_sid: str
    variables: tuple[str, ...]

    def content_variables(self, values: dict[str, str]) -> str:
        """Twilio's `ContentVariables` JSON."""
        return json.dumps(
            {str(i): values.get(name, "") for i, name in enumerate(self.variables, 1)}, ensure_ascii=False
        )


def load_templates(path: Path | None) -> dict[tuple[str, str], Template]:
    """Read the templates file; none configured means WhatsApp outside the window is skipped."""
    if path is None:
        return {}
    raw = read_toml(path)
    out: dict[tuple[str, str], Template] = {}
    for kind, per_locale in raw.items():
        if kind not in KINDS or not isinstance(per_locale, dict):
            raise ValueError(f"{path.name}: unknown table [{kind}]; use [announcement.<lang>] or [reminder.<lang>]")
        for locale, spec in per_locale.items():
            sid = spec.get("content_sid") if isinstance(spec, dict) else None
            names = spec.get("variables", []) if isinstance(spec, dict) else None
            if not isinstance(sid, str) or not sid.startswith("HX"):
                raise ValueError(f"{path.name}: [{kind}.{locale}] content_sid must be a Content SID (HX...)")
            if not isinstance(names, list) or not set(names) <= VARIABLES:
                raise ValueError(f"{path.name}: [{kind}.{locale}] variables must be a list from {sorted(VARIABLES)}")
            out[(kind, locale)] = Template(sid, tuple(names))
    return out
