"""Reading TOML, the one way: flows, catalogues, the directory, session files and templates all come here."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def parse_toml(text: str, name: str, error: type[Exception] = ValueError) -> dict[str, Any]:
    """Parse TOML text; raise `error` naming `name` and the reason, never a traceback's worth."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{name}: not valid TOML: nested too deeply") from None


def read_toml(path: Path, error: type[Exception] = ValueError) -> dict[str, Any]:
    """Read and parse one TOML file; raise `error` naming the file when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path.name}: cannot be read: {exc.__class__.__name__}") from None
    return parse_toml(text, path.name, error)
