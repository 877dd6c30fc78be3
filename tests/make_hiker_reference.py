"""Record the noiseless hikes of today's model, to check that later versions walk them the same.

`python tests/make_hiker_reference.py` rewrites tests/data/hiker_reference.json. Run it only
to record a new reference on purpose: tests/test_hiker_reference.py compares against it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from course_utils.hiker import simulate_hike
from course_utils.schedules import SCHEDULE_PRESETS

OUT = Path(__file__).resolve().parent / "data" / "hiker_reference.json"
RUNS = {
    "bowl": (0.1, 0.9, 1.1, 1.5),
    "ravine": (0.3, 0.5),
    "ledge": (0.05, 0.3),
    "plateau": (1.0, 10.0),
}
MOMENTA = (0.0, 0.5, 0.9)
STEPS = 150


def digest(positions: list[float]) -> str:
    """SHA-256 of the positions as float64 bytes: equal only if every position is bit-identical."""
    return hashlib.sha256(struct.pack(f"<{len(positions)}d", *positions)).hexdigest()


def cases() -> list[tuple[str, float, str, float]]:
    """Every (landscape, lr, preset, momentum) the reference holds."""
    return [(land, lr, name, mu) for land, lrs in RUNS.items() for lr in lrs
            for name in SCHEDULE_PRESETS for mu in MOMENTA]


def main() -> None:
    """Walk every case and write the reference."""
    rows = []
    for land, lr, name, mu in cases():
        hike = simulate_hike(land, lr, schedule=name, steps=STEPS, momentum=mu)
        rows.append({"landscape": land, "lr": lr, "schedule": name, "momentum": mu,
                     "steps": STEPS, "outcome": hike.outcome, "n": len(hike.positions),
                     "sha256": digest(hike.positions), "first3": hike.positions[:3]})
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=0) + "\n", encoding="utf-8")
    print(f"{len(rows)} hikes written to {OUT}")


if __name__ == "__main__":
    main()
