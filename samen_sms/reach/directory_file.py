"""Appending a checked community entry to the directory file, so it is kept with its source and consent."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from samen_sms.core.tomlfile import Value, tables_text

ORDER = ("kind", "id", "name", "code", "languages", "regions", "phone", "whatsapp", "web", "offers", "listed", "source",
         "verified")


def append_entry(path: Path, entry: Mapping[str, Value]) -> None:
    """Add one `[[service]]` table at the end of the directory file; the lines above stay as they are."""
    table = tables_text("service", [{name: entry[name] for name in ORDER if name in entry}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + table)
