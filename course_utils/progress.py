"""The learner's progress: the latest result of each exercise, in a small JSON file.

The file lives at `~/.lr_course/progress.json`; the environment variable
`LR_COURSE_PROGRESS` moves it (tests and CI point it at a temporary folder).
Delete it to start over.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

PROGRESS_ENV = "LR_COURSE_PROGRESS"
_VERSION = 1


def progress_path() -> Path:
    """Where progress is kept: `$LR_COURSE_PROGRESS`, else `~/.lr_course/progress.json`."""
    override = os.environ.get(PROGRESS_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".lr_course" / "progress.json"


def _warn(text: str) -> None:
    print(f"course_utils: {text}", file=sys.stderr)


def _empty() -> dict[str, Any]:
    return {"version": _VERSION, "exercises": {}}


def _set_aside(path: Path) -> Path:
    """Rename an unreadable progress file to a free `.bak` name, and return that name."""
    n = 0
    while True:
        backup = path.with_name(f"{path.name}.bak" + (f"{n}" if n else ""))
        if not backup.exists():
            path.replace(backup)
            return backup
        n += 1


def load_progress(path: Path | None = None) -> dict[str, Any]:
    """The progress data; a corrupt file is kept aside as a backup and a fresh one begun."""
    path = path or progress_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty()
    except (OSError, UnicodeDecodeError) as err:
        return _recover(path, f"could not be read ({type(err).__name__})")
    try:
        data = json.loads(text)
    except ValueError:
        return _recover(path, "is not valid JSON")
    if not (isinstance(data, dict) and isinstance(data.get("exercises"), dict)):
        return _recover(path, "is not a progress file")
    return data


def _recover(path: Path, why: str) -> dict[str, Any]:
    try:
        backup = _set_aside(path)
        _warn(f"progress file {path} {why}; kept it as {backup.name} and started a fresh one.")
    except OSError:
        _warn(f"progress file {path} {why} and could not be moved aside; starting afresh.")
    return _empty()


def save_progress(data: dict[str, Any], path: Path | None = None) -> None:
    """Write progress atomically: to a temporary file beside it, then renamed over it."""
    path = path or progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(exercise_id: str, passed: bool, path: Path | None = None) -> None:
    """Keep the latest result of an attempted exercise; warns instead of raising."""
    path = path or progress_path()
    data = load_progress(path)
    entry = data["exercises"].get(exercise_id)
    attempts = entry.get("attempts", 0) if isinstance(entry, dict) else 0
    was_passed = bool(entry.get("ever_passed")) if isinstance(entry, dict) else False
    data["exercises"][exercise_id] = {
        "passed": bool(passed),
        "ever_passed": was_passed or bool(passed),
        "attempts": int(attempts) + 1,
    }
    try:
        save_progress(data, path)
    except OSError as err:
        _warn(f"could not save progress to {path} ({type(err).__name__}: {err}).")


def progress_rows(path: Path | None = None) -> list[tuple[str, int, int, int]]:
    """Per lesson: (lesson, attempted, passed, total), for every lesson with exercises."""
    from course_utils.exercises import all_exercises

    done = load_progress(path)["exercises"]
    lessons: dict[str, list[int]] = {}
    for ex in all_exercises().values():
        counts = lessons.setdefault(ex.lesson, [0, 0, 0])
        entry = done.get(ex.id)
        if isinstance(entry, dict):
            counts[0] += 1
            counts[1] += bool(entry.get("passed"))
        counts[2] += 1
    return [(lesson, *counts) for lesson, counts in sorted(lessons.items())]


def progress_report(path: Path | None = None) -> str:
    """A plain-text table of progress per lesson, with the file's location."""
    rows = progress_rows(path)
    lines = [f"Progress file: {path or progress_path()}", "",
             f"{'lesson':<8}{'attempted':>10}{'passed':>8}{'total':>7}"]
    for lesson, attempted, passed, total in rows:
        lines.append(f"{lesson:<8}{attempted:>10}{passed:>8}{total:>7}")
    totals = [sum(r[i] for r in rows) for i in (1, 2, 3)]
    lines.append(f"{'all':<8}{totals[0]:>10}{totals[1]:>8}{totals[2]:>7}")
    return "\n".join(lines)
