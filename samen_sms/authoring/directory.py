"""`python -m samen_sms.authoring.directory check`: the directory's entries not verified in the last 12 months.

It exits non-zero when there are any, so a stale phone number is caught before a person calls it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from samen_sms.content.directory import STALE_AFTER, load_directory
from samen_sms.core.config import ROOT


def main(argv: list[str] | None = None) -> int:
    """`check`: list entries not verified in the last 12 months; exit 1 if there are any."""
    parser = argparse.ArgumentParser(prog="python -m samen_sms.authoring.directory")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("--file", type=Path, default=ROOT / "data" / "services.toml")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    directory = load_directory(args.file)
    stale = directory.stale(args.today)
    for service in stale:
        print(f"STALE {service.id}: {service.name}, verified {service.verified}, check {service.source}")
    print(f"{len(directory.services)} services, {len(stale)} not verified since {args.today - STALE_AFTER}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
