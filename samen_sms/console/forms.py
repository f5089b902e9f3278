"""Hand-held forms: what was typed is kept, each fault is named at its field."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from samen_sms.console.i18n import gettext
from samen_sms.content.text import has_control_characters


@dataclass
class Form:
    """A form's values (as typed) and its errors by field name."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: MultiDict[str, str], multi: tuple[str, ...] = ()) -> Form:
        """Take the posted values (trimmed); `multi` names fields with several values."""
        values = {k: v.strip() for k, v in data.items() if k != "csrf_token"}
        form = cls(values, {name: data.getlist(name) for name in multi})
        for name, value in values.items():
            if has_control_characters(value):
                said = gettext("This field holds an invisible character (often from copying): type it again.")
                form.error(name, said)
        return form

    def get(self, name: str) -> str:
        """A value as typed, or ''."""
        return self.values.get(name, "")

    def error(self, name: str, reason: str) -> None:
        """Name a fault (the first one per field counts)."""
        self.errors.setdefault(name, reason)

    @property
    def ok(self) -> bool:
        """Whether no field has a fault."""
        return not self.errors
