"""The learner's own workspace: a git-ignored copy of the lessons, next to `lessons/`.

Learners work in `workspace/`, never in the tracked `lessons/`, so a course
update pulls cleanly and the test suite never runs half-done answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import course_utils


class LessonsNotFound(FileNotFoundError):
    """The course's `lessons/` folder is not where the package expects it."""


def find_lessons_dir(start: Path | None = None) -> Path:
    """The course's `lessons/` folder: beside the package, else in `start` or a parent."""
    package_root = Path(course_utils.__file__).resolve().parent.parent
    candidates = [package_root]
    if start is not None:
        start = start.resolve()
        candidates += [start, *start.parents]
    for root in candidates:
        lessons = root / "lessons"
        if lessons.is_dir() and any(lessons.glob("*.ipynb")):
            return lessons
    raise LessonsNotFound(
        "Could not find the course's lessons/ folder (looked beside the course_utils "
        f"package, in {package_root}). Run this from the course folder you cloned, "
        "after `pip install -e .` there."
    )


def copy_lessons(lessons: Path, workspace: Path) -> tuple[list[Path], list[Path]]:
    """Copy each lesson into the workspace unless a file of that name is already there.

    Returns (copied, kept): the new copies, and the learner's files left untouched.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for source in sorted(lessons.glob("*.ipynb")):
        target = workspace / source.name
        if target.exists():
            kept.append(target)
            continue
        shutil.copy2(source, target)
        copied.append(target)
    return copied, kept


def start(open_lab: bool = True, lessons: Path | None = None) -> int:
    """Set up `workspace/` beside `lessons/`, then open JupyterLab there."""
    try:
        lessons = lessons or find_lessons_dir(Path.cwd())
    except LessonsNotFound as err:
        print(err, file=sys.stderr)
        return 1
    workspace = lessons.parent / "workspace"
    copied, kept = copy_lessons(lessons, workspace)
    print(f"Your workspace: {workspace}")
    for path in copied:
        print(f"  new lesson: {path.name}")
    if kept:
        print(f"  {len(kept)} lesson(s) already there, left as they are.")
    if not open_lab:
        return 0
    print("Opening JupyterLab there (Ctrl+C in this terminal stops it).", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "jupyterlab"], cwd=workspace)
    except KeyboardInterrupt:
        return 0
