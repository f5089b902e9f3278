"""Make the console's self-hosted fonts: Noto Sans cut down to the scripts the line speaks, as WOFF2.

Run once when the languages change (needs fonttools and brotli, requirements-dev.txt, and Debian's
fonts-noto-core): `python bench/make_fonts.py`. Writes samen_sms/console/static/fonts/*.woff2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]

NOTO = Path("/usr/share/fonts/truetype/noto")
OUT = Path(__file__).resolve().parent.parent / "samen_sms" / "console" / "static" / "fonts"

# Latin with its extensions (Dutch, Turkish, Kurmanji, Somali, French), Cyrillic (Ukrainian,
# Russian), punctuation; Arabic with the letters Farsi, Pashto and Sorani add; Ge'ez (Tigrinya, Amharic).
SCRIPTS = {
    "NotoSans-Regular": (
        "U+0000-024F,U+0259,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0300-036F,U+0400-04FF,U+1E00-1EFF,"
        "U+2000-206F,U+20AC,U+2122,U+2190-2193,U+2212"
    ),
    "NotoSansArabic-Regular": "U+0600-06FF,U+0750-077F,U+08A0-08FF,U+200C-200F,U+FB50-FDFF,U+FE70-FEFF",
    "NotoSansEthiopic-Regular": "U+1200-139F,U+2D80-2DDF,U+AB00-AB2F",
}


def main() -> int:
    """Subset each font to its scripts and write it as WOFF2."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, unicodes in SCRIPTS.items():
        target = OUT / f"{name}.woff2"
        subset.main(
            [
                str(NOTO / f"{name}.ttf"),
                f"--unicodes={unicodes}",
                "--layout-features=*",
                "--flavor=woff2",
                "--no-hinting",
                "--desubroutinize",
                f"--output-file={target}",
            ]
        )
        print(f"{target.name}: {target.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
