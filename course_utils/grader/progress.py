"""The learner's progress: the latest result of each exercise, in a small JSON file.

The file lives at `~/.lr_course/progress.json`; the environment variable
`LR_COURSE_PROGRESS` moves it (tests and CI point it at a temporary folder).
Delete it to start over.

Two kernels may check at once: every update holds a lock (the file
`.progress.json.lock` beside it) from reading the file to writing it back, so
no result is lost. Reading never changes anything. Something at the path that
is not a plain, writable file (a folder, a symbolic link, a read-only file) is
reported and left alone; a damaged file is kept aside as a `.bak` when a new
result is about to be saved.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

PROGRESS_ENV = "LR_COURSE_PROGRESS"
LOCK_TIMEOUT = 10.0  # seconds to wait for another kernel's update to finish
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


def _unusable_reason(path: Path) -> str | None:
    """Why progress can't be saved at `path` without harming what is there, or None."""
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):  # nothing there (yet)
        return None
    except OSError as err:
        return f"can't be inspected ({type(err).__name__})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        return "is read-only"
    return None


def _read(path: Path) -> tuple[dict[str, Any], str | None]:
    """The progress data and, if the file is damaged, why; changes nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty(), None
    except (OSError, UnicodeDecodeError) as err:
        return _empty(), f"could not be read ({type(err).__name__})"
    try:
        data = json.loads(text)
    except ValueError:
        return _empty(), "is not valid JSON"
    if not (isinstance(data, dict) and isinstance(data.get("exercises"), dict)):
        return _empty(), "is not a progress file"
    return data, None


def load_progress(path: Path | None = None) -> dict[str, Any]:
    """The progress data, read only; a damaged or unusable file warns and reads as empty."""
    path = path or progress_path()
    problem = _unusable_reason(path)
    if problem is not None and problem != "is read-only":
        _warn(f"progress path {path} {problem}; it is left alone and no progress is shown.")
        return _empty()
    data, damage = _read(path)
    if damage is not None:
        _warn(f"progress file {path} {damage}; it is left as it is. The next check keeps "
              "it aside as a .bak and starts a fresh one.")
    return data


def _set_aside(path: Path) -> Path:
    """Rename a damaged progress file to a free `.bak` name, and return that name."""
    n = 0
    while True:
        backup = path.with_name(f"{path.name}.bak" + (f"{n}" if n else ""))
        if not backup.exists() and not backup.is_symlink():
            path.rename(backup)
            return backup
        n += 1


def save_progress(data: dict[str, Any], path: Path | None = None) -> None:
    """Write progress atomically: to a temporary file beside it, then renamed over it."""
    path = path or progress_path()
    problem = _unusable_reason(path)
    if problem is not None:
        raise OSError(f"progress path {path} {problem}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lock(path: Path) -> FileLock:
    """The lock that one update holds from reading the file to writing it back."""
    lock = path.with_name(f".{path.name}.lock")
    if lock.is_symlink() or (lock.exists() and not lock.is_file()):
        raise OSError(f"the lock file {lock} is not a regular file")
    return FileLock(lock, timeout=LOCK_TIMEOUT)


def _updated_entry(exercise_id: str, entry: Any, passed: bool) -> dict[str, Any]:
    """The entry after one more attempt; a malformed old entry is repaired, with a warning."""
    if entry is not None and not isinstance(entry, dict):
        _warn(f"progress entry {exercise_id!r} was {entry!r}, not a record; starting it afresh.")
    entry = entry if isinstance(entry, dict) else {}
    attempts = entry.get("attempts", 0)
    ever = entry.get("ever_passed", False)
    if not (isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 0):
        _warn(f"progress entry {exercise_id!r} had attempts={attempts!r}, not a count; "
              "counting from this attempt.")
        attempts = 0
    if not isinstance(ever, bool):
        _warn(f"progress entry {exercise_id!r} had ever_passed={ever!r}, not true or false; "
              "keeping only what this attempt shows.")
        ever = False
    return {"passed": bool(passed), "ever_passed": ever or bool(passed), "attempts": attempts + 1}


def record(exercise_id: str, passed: bool, path: Path | None = None) -> None:
    """Keep the latest result of an attempted exercise; warns instead of raising."""
    path = path or progress_path()
    problem = _unusable_reason(path)
    if problem is not None:
        _warn(f"progress path {path} {problem}; it is left alone and this result is not saved. "
              f"Point {PROGRESS_ENV} at a file you can write, or remove what is there.")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock(path):
            data, damage = _read(path)
            if damage is not None:
                backup = _set_aside(path)
                _warn(f"progress file {path} {damage}; kept it as {backup.name} "
                      "and started a fresh one.")
            entries = data["exercises"]
            entries[exercise_id] = _updated_entry(exercise_id, entries.get(exercise_id), passed)
            save_progress(data, path)
    except OSError as err:
        _warn(f"could not save progress to {path} ({type(err).__name__}: {err}).")


def progress_rows(path: Path | None = None) -> list[tuple[str, int, int, int]]:
    """Per lesson: (lesson, attempted, passed, total) of its counted exercises.

    A retired exercise's saved result stays in the file as it was, but counts nowhere.
    """
    from course_utils.grader.exercises import counted_exercises

    done = load_progress(path)["exercises"]
    lessons: dict[str, list[int]] = {}
    for ex in counted_exercises().values():
        counts = lessons.setdefault(ex.lesson, [0, 0, 0])
        entry = done.get(ex.id)
        if isinstance(entry, dict):
            counts[0] += 1
            counts[1] += entry.get("passed") is True
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
