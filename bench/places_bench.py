"""How long reading a typed place takes: a postcode, a name, a near miss, a miss over every name, sentences.

    .venv/bin/python bench/places_bench.py --runs 5000

A miss is the slowest case: rapidfuzz compares the text with every known name and finds none near.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samen_sms.content.loader import load_content
from samen_sms.content.places import Places
from samen_sms.content.said import Said
from samen_sms.core.config import Config

CASES = {
    "postcode (1012 AB)": "1012 AB",
    "name (Hoofddorp)": "Hoofddorp",
    "other script (Гаага)": "Гаага",
    "near miss (Amsterdm)": "Amsterdm",
    "miss (Xylofoonstraat)": "Xylofoonstraat",
    "in a sentence": "ik woon sinds vorig jaar met mijn kinderen in Den Haag",
    "sentence, no place": "ik weet het echt niet meer wat ik moet doen, kan iemand mij helpen",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    places: Places = load_content(Config.from_env({"SAMEN_ENV": "development"})).places
    print(f"{len(places.names)} names, {len(places.postcodes.municipality)} postcodes, {args.runs} runs each")
    for label, text in CASES.items():
        said = Said.read(text)  # read once per message, as the webhook does; not part of the lookup
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            places.read(said)
            timings.append(time.perf_counter() - start)
        timings.sort()
        median, p99 = statistics.median(timings), timings[int(len(timings) * 0.99)]
        print(f"{label:24} median {median * 1e6:7.1f} us   p99 {p99 * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
