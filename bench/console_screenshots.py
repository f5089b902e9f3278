"""Pictures of the mediator's phone page (390 x 844) and her poster (A4, as printed) for docs/screenshots/.

Runs the browser test that visits them, with SAMEN_SCREENSHOTS set (it needs Chromium at
/usr/bin/chromium and the dev requirements): `python bench/console_screenshots.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/test_console_browser.py::test_a_mediator_s_phone_page_and_her_poster"


def main() -> int:
    """Run the test with screenshots on; print each picture's size."""
    out = ROOT / "docs" / "screenshots"
    env = {**os.environ, "SAMEN_SCREENSHOTS": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env)
    for name in ("mediator-phone.png", "poster-a4.png"):
        picture = out / name
        if picture.exists():
            print(f"{picture.relative_to(ROOT)}: {picture.stat().st_size // 1024} KB")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
