"""Appending a checked community entry to the directory file, so it is kept with its source and consent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

ORDER = ("kind", "id", "name", "code", "languages", "regions", "phone", "whatsapp", "web", "offers", "listed", "source",
         "verified")


def _value(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    # JSON strings and lists of strings are valid TOML.
    return json.dumps(value, ensure_ascii=False)


def append_entry(path: Path, entry: dict[str, object]) -> None:
    """Add one `[[service]]` table at the end of the directory file."""
    lines = ["", "[[service]]"]
    lines += [f"{name} = {_value(entry[name])}" for name in ORDER if name in entry]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
