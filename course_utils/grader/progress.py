"""The learner's progress: the latest result of each exercise, in a small JSON file.

The file lives at `~/.lr_course/progress.json`; the environment variable
`LR_COURSE_PROGRESS` moves it (tests and CI point it at a temporary folder).
Delete it to start over.

Many kernels may check at once, and none waits long: each result is first
written to a small journal file of its own (`.progress.json.journal/`, written
under a temporary name, then renamed), then merged into the progress file by
whoever holds the lock (`.progress.json.lock`) next; a result whose writer found
the lock busy stays in the journal, is counted by every reader, and is merged by
the next writer that gets the lock. So no result is lost and `check` never waits
more than `LOCK_WAIT` seconds. Reading never changes anything. Something at the
path that is not a plain, writable file (a folder, a symbolic link, a read-only
file) is reported and left alone; a damaged file, or one larger than `SIZE_LIMIT`,
is kept aside as a `.bak` when a new result is about to be saved. Saving keeps
the file's permissions.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

PROGRESS_ENV = "LR_COURSE_PROGRESS"
LOCK_WAIT = 0.1  # seconds to wait for another kernel's merge; then the journal keeps the result
SIZE_LIMIT = 4_000_000  # bytes: the whole course's progress is a few kB; a larger file is set aside
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
        if path.stat().st_size > SIZE_LIMIT:
            return _empty(), f"is larger than {SIZE_LIMIT // 1_000_000} MB, far more than progress"
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
    for _, item in _journal(path):  # results not merged yet count too
        entries = data["exercises"]
        entries[item["id"]] = _updated_entry(item["id"], entries.get(item["id"]), item["passed"])
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
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _lock(path: Path) -> FileLock:
    """The lock that one merge holds from reading the file to writing it back."""
    lock = path.with_name(f".{path.name}.lock")
    if lock.is_symlink() or (lock.exists() and not lock.is_file()):
        raise OSError(f"the lock file {lock} is not a regular file")
    return FileLock(lock, timeout=LOCK_WAIT)


def journal_folder(path: Path) -> Path:
    """Where results wait to be merged: `.progress.json.journal/` beside the file."""
    return path.with_name(f".{path.name}.journal")


def _write_journal(path: Path, exercise_id: str, passed: bool) -> None:
    """One result as a journal file of its own: written under a temporary name, then renamed."""
    folder = journal_folder(path)
    folder.mkdir(exist_ok=True)
    if folder.is_symlink() or not folder.is_dir():
        raise OSError(f"the journal {folder} is not a folder")
    # The name sorts in the order results were made; pid and a random part keep it unique.
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(4).hex()}.json"
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"id": exercise_id, "passed": bool(passed)}, f)
        os.rename(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _journal(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The journal's results in the order they were made (unreadable ones skipped)."""
    folder = journal_folder(path)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except OSError:
        return []
    found = []
    for name in names:
        try:
            item = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if (isinstance(item, dict) and isinstance(item.get("id"), str)
                and isinstance(item.get("passed"), bool)):
            found.append((folder / name, item))
    return found


def _merge(path: Path) -> None:
    """Fold the journal into the progress file (the caller holds the lock), then empty it."""
    data, damage = _read(path)
    if damage is not None and path.exists():
        backup = _set_aside(path)
        _warn(f"progress file {path} {damage}; kept it as {backup.name} "
              "and started a fresh one.")
    pending = _journal(path)
    if not pending:
        return
    entries = data["exercises"]
    for _, item in pending:
        entries[item["id"]] = _updated_entry(item["id"], entries.get(item["id"]), item["passed"])
    save_progress(data, path)
    for done, _ in pending:  # only once they are saved
        done.unlink(missing_ok=True)


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
        _write_journal(path, exercise_id, passed)
    except OSError as err:
        _warn(f"could not save progress to {path} ({type(err).__name__}: {err}).")
        return
    try:
        with _lock(path):
            _merge(path)
    except Timeout:
        pass  # another kernel is merging: the result waits in the journal for the next one
    except OSError as err:
        _warn(f"progress was kept in {journal_folder(path)} but could not be merged into "
              f"{path} ({type(err).__name__}: {err}).")


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
