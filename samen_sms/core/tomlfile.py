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


def read_text(path: Path, error: type[Exception] = ValueError, max_bytes: int | None = None) -> str:
    """Read one UTF-8 text file; raise `error` naming the file and, in one line, why it cannot be used."""
    if path.is_dir():
        raise error(f"{path.name}: is a directory, not a file")
    if not path.exists():
        raise error(f"{path.name}: no such file")
    if not path.is_file():
        raise error(f"{path.name}: is not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as exc:
        raise error(f"{path.name}: cannot be read: {exc.strerror or exc.__class__.__name__}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise error(f"{path.name}: is larger than {max_bytes // 1024} KiB")
    if b"\0" in data:
        raise error(f"{path.name}: is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: is not UTF-8 text (byte {exc.start})") from None


def read_toml(path: Path, error: type[Exception] = ValueError, max_bytes: int | None = None) -> dict[str, Any]:
    """Read and parse one TOML file; raise `error` naming the file when it cannot be read or parsed."""
    return parse_toml(read_text(path, error, max_bytes), path.name, error)
