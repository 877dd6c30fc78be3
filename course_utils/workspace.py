"""The learner's own workspace: a copy of the lessons in `./workspace/`, never overwritten.

Learners work in `workspace/`, never in the course's own lessons, so a course
update installs (or pulls) cleanly and the test suite never runs half-done answers.
The lessons come from the installed package (a wheel or an editable install alike),
so `python -m course_utils start` works from any folder.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from course_utils.resources import course_folder

WORKSPACE = "workspace"


class LessonsNotFound(FileNotFoundError):
    """The course's lessons are not where the package expects them."""


class WorkspaceError(OSError):
    """The workspace folder can't be made or written."""


def find_lessons_dir() -> Path:
    """The course's lessons: the `course_utils.lessons` package folder."""
    lessons = course_folder("lessons")
    if lessons.is_dir() and any(lessons.glob("*.ipynb")):
        return lessons
    raise LessonsNotFound(
        f"Could not find the course's lessons (looked in {lessons}). In a clone of the course, "
        "restore them with `git checkout lessons/`; in an installed course, install it again "
        "with `--force-reinstall --no-deps` added."
    )


def copy_lessons(lessons: Path, workspace: Path) -> tuple[list[Path], list[Path]]:
    """Copy each lesson into the workspace unless a file of that name is already there.

    Returns (copied, kept): the new copies, and the learner's files left untouched.
    """
    if workspace.exists() and not workspace.is_dir():
        raise WorkspaceError(
            f"{workspace} is a file, not a folder, so the lessons can't go there. Rename or "
            "move that file, or run start from another folder."
        )
    copied, kept = [], []
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        for source in sorted(lessons.glob("*.ipynb")):
            target = workspace / source.name
            if target.exists():
                kept.append(target)
                continue
            shutil.copyfile(source, target)
            copied.append(target)
    except OSError as err:
        raise WorkspaceError(
            f"Could not write the lessons into {workspace} ({err.strerror or err}). Run start "
            "from a folder you can write to, such as your home folder."
        ) from None
    return copied, kept


def lab_command(lab_args: Sequence[str] = ()) -> tuple[list[str], bool]:
    """The JupyterLab command line, and whether `--allow-root` was added for a root user."""
    args = list(lab_args)
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    added = as_root and "--allow-root" not in args
    if added:
        args.append("--allow-root")
    return [sys.executable, "-m", "jupyterlab", *args], added


def start(
    open_lab: bool = True,
    lessons: Path | None = None,
    workspace: Path | None = None,
    lab_args: Sequence[str] = (),
) -> int:
    """Copy the lessons into `./workspace/` (never overwriting), then open JupyterLab there.

    `lab_args` go to JupyterLab as they are (`--no-browser`, `--port 8899`, `--ip ...`).
    Returns the exit status; every problem is a message, never a traceback.
    """
    workspace = workspace or Path.cwd() / WORKSPACE
    if open_lab and importlib.util.find_spec("jupyterlab") is None:
        print(
            "JupyterLab is not installed in this Python environment "
            f"({sys.executable}). Install it with `python -m pip install jupyterlab` "
            '(or the course with `python -m pip install -e ".[lab]"`), or add --no-lab to set '
            "up workspace/ only and open it in a notebook app you already have.",
            file=sys.stderr,
        )
        return 1
    try:
        lessons = lessons or find_lessons_dir()
        copied, kept = copy_lessons(lessons, workspace)
    except (LessonsNotFound, WorkspaceError) as err:
        print(err, file=sys.stderr)
        return 1
    print(f"Your workspace: {workspace}")
    for path in copied:
        print(f"  new lesson: {path.name}")
    if kept:
        print(f"  {len(kept)} lesson(s) already there, left as they are.")
    if not open_lab:
        return 0
    command, added_root = lab_command(lab_args)
    if added_root:
        print("Running as root: adding --allow-root for JupyterLab.")
    print("Opening JupyterLab there (Ctrl+C in this terminal stops it).", flush=True)
    return run_lab(command, workspace)


def run_lab(command: Sequence[str], cwd: Path, grace: float = 15.0) -> int:
    """Run JupyterLab until it exits; Ctrl+C or SIGTERM here shut it down cleanly first.

    JupyterLab gets SIGTERM (it stops its kernels and exits), and is killed only if it
    is still there after `grace` seconds; no server is left running behind us.
    """
    in_main = threading.current_thread() is threading.main_thread()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term) if in_main else None
    try:
        process = subprocess.Popen(list(command), cwd=cwd)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return 0
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
