"""Nothing a submission does may change what a later batch grades with.

Without bubblewrap (`check --unsafe-no-sandbox`) a submission runs as the teacher and
could rewrite the installed course. So the checker takes a snapshot of what grading
reads (the course package, the environment's site-packages and prefix, the user's
site-packages, `~/.lr_course`): every file's path, inode, size, modification and
change time (the change time is one a user can't set back). After each unsandboxed
submission, once all its processes are dead, it takes another; on any difference
the batch stops, names the file and writes a marker file (`TAMPER_MARKER` in
`~/.lr_course`). While that marker is there, every batch, sandboxed or not, refuses
to run until the teacher has reinstalled the course and cleared it with
`python -m course_utils check --clear-tamper-marker`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import site
import sys
import time
from collections.abc import Iterable
from pathlib import Path

TAMPER_MARKER = "checker_tampered.txt"
CLEAR_COMMAND = "python -m course_utils check --clear-tamper-marker"
Snapshot = dict[str, tuple[int, int, int, int]]
# Never used by a grade: the maintainer's tools, the command line, the sandbox's runner,
# the workspace and the widgets (views of models a grade imports itself).
_SKIPPED = ("course_utils.maintainer", "course_utils.__main__",
            "course_utils.grader.sandbox_runner", "course_utils.workspace",
            "course_utils.hiker_widget", "course_utils.plateau_widget",
            "course_utils.widget_bundle", "course_utils.svg_overlay", "course_utils.widget_access")


def state_folder() -> Path:
    """The course's folder in the user's home: `~/.lr_course`."""
    return Path.home() / ".lr_course"


def marker_path() -> Path:
    """Where the tamper marker lives."""
    return state_folder() / TAMPER_MARKER


def watched_folders() -> list[Path]:
    """What grading reads: the course, the environment's packages and prefix, `~/.lr_course`."""
    from course_utils.grader.sandbox import course_paths

    found = [*course_paths(), *map(Path, site.getsitepackages())]
    if sys.prefix != sys.base_prefix:  # a virtual environment: its whole prefix is the course's
        found.append(Path(sys.prefix))
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        found.append(Path(site.getusersitepackages()))
    found.append(state_folder())
    folders = [Path(os.path.abspath(p)) for p in found]
    # A folder inside another one is walked with it.
    unique = sorted(set(folders), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for folder in unique:
        if not any(folder == k or k in folder.parents for k in kept):
            kept.append(folder)
    return kept


def snapshot(folders: Iterable[Path] | None = None) -> Snapshot:
    """Path -> (inode, size, mtime, ctime) of every entry under the folders (links not followed)."""
    found: Snapshot = {}
    for root in folders if folders is not None else watched_folders():
        try:
            info = os.lstat(root)
        except OSError:
            found[str(root)] = (0, 0, 0, 0)  # absent: its appearing is a change
            continue
        found[str(root)] = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        for folder, subfolders, files in os.walk(root):
            for name in subfolders + files:
                path = os.path.join(folder, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                found[path] = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """The paths that appeared, vanished or changed between two snapshots.

    Deepest first, so a changed file is named before the folders that hold it.
    """
    changed = (p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return sorted(changed, key=lambda p: (-p.count(os.sep), p))


def preload_grading() -> None:
    """Import every module a grade may use, so grading reads no file a submission could change."""
    import course_utils

    sys.dont_write_bytecode = True  # the checker itself changes nothing it watches
    for module in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        if not module.name.startswith(_SKIPPED):
            importlib.import_module(module.name)


def marker_problem() -> str:
    """Why batches are refused ("" when no marker is there)."""
    path = marker_path()
    if not os.path.lexists(path):
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            what = f.read(2000).strip()
    except OSError:
        what = ""
    return (f"a submission changed the course's files in an earlier batch, so no batch runs "
            f"until it is fixed ({path}" + (f": {what.splitlines()[0]}" if what else "") + "). "
            "Reinstall the course (pip install --force-reinstall, or restore your checkout), "
            f"then run `{CLEAR_COMMAND}`.")


def write_marker(notebook: Path, changed: list[str]) -> Path:
    """Leave the marker that stops later batches; returns its path."""
    path = marker_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"{stamp}: while {notebook} ran unsandboxed, {len(changed)} file(s) changed.",
             *changed[:200]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def clear_marker() -> str:
    """Remove the marker; says what it did."""
    path = marker_path()
    if not os.path.lexists(path):
        return f"No tamper marker at {path}: nothing to clear."
    path.unlink()
    return f"Removed {path}: batches run again."
