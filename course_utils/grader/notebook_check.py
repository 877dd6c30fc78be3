"""The command-line notebook checker: run each submission sandboxed, grade its answers here.

Each notebook runs on a private copy in the sandbox (`course_utils.grader.sandbox`); the
kernel's `check(...)` calls export each answer as plain data (numbers, a schedule's
LRs, a function's outputs on inputs drawn afresh for the run) to an answers file.
Only that file comes out. This process parses it strictly and decides every verdict
itself with `grade_export`: nothing a notebook prints or writes can mark an exercise
passed except answers that are right. The submitted files are never written.

Without a working sandbox nothing runs unless the teacher passes `--unsafe-no-sandbox`;
then every CSV row says "unsandboxed" and `course_utils.grader.tamper` stops the batch
the moment a submission changes what grading reads.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_utils.grader import tamper
from course_utils.grader.engine import grade_export
from course_utils.grader.exercises import all_exercises, normalise_id
from course_utils.grader.results import NOT_ATTEMPTED, PASSED
from course_utils.grader.sandbox import (
    Limits,
    Sandbox,
    fallback_warning,
    printable,
    refusal,
    set_subreaper,
)

ERROR = "error"
WARNING = "warning"
NO_EXERCISES = "no exercises"
NOTEBOOK_LIMIT = 64_000_000  # bytes: a larger file is not read
LINE_LIMIT = 1_000_000  # bytes: a longer line of the answers file is ignored
MESSAGE_LIMIT = 500
# check("01.2", ...) or check(exercise_id='1.2', ...) in a code cell
_CHECK_CALL = re.compile(r"""\bcheck\(\s*(?:exercise_id\s*=\s*)?["']\s*(\d{1,2})\.\d+\s*["']""")
_LESSON_ID = re.compile(r"\d{1,2}")
# What an exported answer may hold (see `export_answer`), and what it holds at least one of.
_EXPORT_KEYS = frozenset({"id", "kind", "data", "error", "note", "blank"})
_EXPORT_BODY = ("data", "error", "blank")
SANDBOXED, UNSANDBOXED = "bubblewrap", "unsandboxed"


@dataclass
class ExerciseOutcome:
    """One exercise's verdict in a checked notebook."""

    exercise_id: str
    title: str
    status: str
    message: str = ""

    @property
    def passed(self) -> bool:
        """True only when the exercise passed."""
        return self.status == PASSED


@dataclass
class NotebookReport:
    """What checking one notebook found: its lesson, its exercises, an error that stopped it."""

    path: Path
    lesson: str = ""
    outcomes: list[ExerciseOutcome] = field(default_factory=list)
    error: str = ""
    warning: str = ""
    sandboxed: bool = True

    @property
    def passed(self) -> bool:
        """True when the notebook ran to the end and every expected exercise passed."""
        return not self.error and bool(self.outcomes) and all(o.passed for o in self.outcomes)


def lessons_of(nb: Any, known: Iterable[str]) -> list[str]:
    """The lessons a notebook is, from its contents, never its file name.

    `metadata.lr_course.lesson` ("01") where a lesson carries one; else the lessons of
    the exercise ids in the `check("NN.x", ...)` calls in its code cells.
    """
    known = set(known)
    metadata = nb.get("metadata", {})
    meta = metadata.get("lr_course") if isinstance(metadata, Mapping) else None
    if isinstance(meta, Mapping):
        lesson = meta.get("lesson")
        if isinstance(lesson, (str, int)) and not isinstance(lesson, bool):
            text = str(lesson).strip()
            if _LESSON_ID.fullmatch(text) and f"{int(text):02d}" in known:
                return [f"{int(text):02d}"]
    found = set()
    cells = nb.get("cells", [])
    for cell in cells if isinstance(cells, list) else []:
        source = cell.get("source", "") if isinstance(cell, Mapping) else ""
        if cell.get("cell_type") == "code" and isinstance(source, str):
            found.update(f"{int(n):02d}" for n in _CHECK_CALL.findall(source))
    return sorted(found & known)


def parse_answers(raw: bytes, known: Iterable[str]) -> tuple[dict[str, dict[str, Any]], int]:
    """The latest exported answer per known exercise id, and how many lines were odd.

    A line counts only if it is a JSON object whose "id" is a string naming a known
    exercise; anything else (junk, a list, a number as id, an unknown id) is ignored.
    A known id with a body the course never writes (`{"id": "01.1", "status": "passed"}`)
    is kept, to be graded as malformed, and counted as odd too.
    """
    known = set(known)
    latest: dict[str, dict[str, Any]] = {}
    ignored = 0
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            if len(line) > LINE_LIMIT:
                raise ValueError("line too long")
            item = json.loads(line)
        except (ValueError, RecursionError):
            ignored += 1
            continue
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            ignored += 1
            continue
        exercise_id = normalise_id(item["id"])
        if exercise_id not in known:
            ignored += 1
            continue
        if not (item.keys() <= _EXPORT_KEYS and any(k in item for k in _EXPORT_BODY)):
            ignored += 1
        latest.pop(exercise_id, None)  # keep the order of the latest exports
        latest[exercise_id] = item
    return latest, ignored


def grade(exercise_id: str, exported: dict[str, Any], seed: int) -> ExerciseOutcome:
    """One exported answer graded here, in the checker's process, against the run's seed."""
    title = all_exercises()[exercise_id].title
    try:
        result = grade_export(exercise_id, exported, seed=seed)
        status, message = str(result.status), str(result.message)
    except Exception as err:  # grade_export never raises; a broken grader must not stop a batch
        status, message = ERROR, f"grading failed: {type(err).__name__}: {err}"
    return ExerciseOutcome(exercise_id, title, status, printable(message, MESSAGE_LIMIT))


def _read_notebook(path: Path) -> tuple[Any, str]:
    """The parsed notebook and its JSON text, or (None, why not)."""
    import nbformat

    try:
        with open(path, "rb") as f:
            data = f.read(NOTEBOOK_LIMIT + 1)
        if len(data) > NOTEBOOK_LIMIT:
            return None, f"{path} is larger than {NOTEBOOK_LIMIT // 1_000_000} MB; not checked."
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except FileNotFoundError:
        return None, f"{path}: no such file."
    except IsADirectoryError:
        return None, f"{path} is a folder, not a notebook."
    except Exception as err:  # anything unreadable is simply not a notebook
        return None, f"{path} is not a Jupyter notebook ({type(err).__name__})."
    return nb, nbformat.writes(nb)


def check_notebook(path: Path, sandbox: Sandbox) -> NotebookReport:
    """Run one notebook in the sandbox and grade every exercise of its lesson(s)."""
    report = NotebookReport(path, sandboxed=sandbox.isolated)
    nb, text = _read_notebook(path)
    if nb is None:
        report.error = text
        return report
    exercises = all_exercises()
    lessons = lessons_of(nb, {ex.lesson for ex in exercises.values()})
    run = sandbox.run(text)
    report.error = run.error
    answers, ignored = parse_answers(run.answers, exercises)
    if ignored:
        report.warning = (f"{ignored} line(s) of its answers file were not answers the course "
                          "writes: ignored, or graded as malformed.")
    # A retired exercise (an older copy of a lesson may still check it) counts nowhere.
    graded = {ex_id: grade(ex_id, item, run.seed) for ex_id, item in answers.items()
              if exercises[ex_id].counted}
    if not lessons:  # ids its cells build at run time: report the rest of their lessons too
        lessons = sorted({exercises[ex_id].lesson for ex_id in graded})
    report.lesson = ", ".join(lessons)
    expected = [ex for ex in exercises.values() if ex.lesson in lessons and ex.counted]
    for ex in expected:
        graded.setdefault(ex.id, ExerciseOutcome(ex.id, ex.title, NOT_ATTEMPTED,
                                                 "no check(...) call for it ran"))
    order = list(exercises)
    report.outcomes = sorted(graded.values(), key=lambda o: order.index(o.exercise_id))
    if not report.outcomes and not report.error:
        report.error = ("no exercises found: it has no lesson id in its metadata and no "
                        'check("NN.x", ...) call in its cells.')
    return report


_MARK = {PASSED: "✓", NOT_ATTEMPTED: "○"}


def format_report(report: NotebookReport) -> str:
    """A notebook's result as a few lines of plain text."""
    name = printable(str(report.path), 300)
    lines = [name + (f" (lesson {report.lesson})" if report.lesson else "")]
    if report.error:
        lines.append(f"  ✗ error: {report.error}")
    if report.warning:
        lines.append(f"  ! {report.warning}")
    for o in report.outcomes:
        mark = _MARK.get(o.status, "✗")
        words = "passed" if o.passed else o.status
        lines.append(f"  {mark} {o.exercise_id} {o.title}: {words}")
        if not o.passed and o.message:
            lines.append(f"      {o.message}")
    passed = sum(o.passed for o in report.outcomes)
    lines.append(f"  {passed} of {len(report.outcomes)} exercises passed")
    return "\n".join(lines)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, - or @ gets a ' before it.

    So does one that starts with a tab, a line break, or spaces before such a sign.
    """
    text = str(value)
    unsafe = text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START)
    return "'" + text if unsafe else text


def csv_rows(reports: Iterable[NotebookReport]) -> list[list[str]]:
    """The CSV's rows, header first: at least one per notebook, one per exercise."""
    rows = [["notebook", "lesson", "exercise", "title", "status", "passed", "message",
             "sandbox"]]
    for r in reports:
        mode = SANDBOXED if r.sandboxed else UNSANDBOXED
        if r.error:
            rows.append([str(r.path), r.lesson, "", "", ERROR, "False", r.error, mode])
        if r.warning:
            rows.append([str(r.path), r.lesson, "", "", WARNING, "False", r.warning, mode])
        for o in r.outcomes:
            rows.append([str(r.path), r.lesson, o.exercise_id, o.title, o.status,
                         str(o.passed), o.message, mode])
    return [[spreadsheet_safe(cell) for cell in row] for row in rows]


def write_csv(reports: Iterable[NotebookReport], target: Path) -> bool:
    """Write the CSV atomically (a temporary file, then renamed over `target`).

    A symbolic link at `target` is replaced by the file, never written through.
    Returns True when a link was replaced.
    """
    target = Path(os.path.abspath(target))
    if target.is_dir() and not target.is_symlink():
        raise IsADirectoryError(f"{target} is a folder")
    was_link = target.is_symlink()
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(csv_rows(reports))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return was_link


def _forget_folders(folders: Iterable[Path]) -> None:
    """Drop the submissions' folders from this process's import path."""
    folders = {f.resolve() for f in folders}
    sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() not in folders]


def check_notebooks(
    paths: list[Path],
    csv_path: Path | None = None,
    limits: Limits | None = None,
    *,
    unsafe_no_sandbox: bool = False,
) -> int:
    """Check several notebooks, print a report, write the CSV; 0 only if all passed.

    Returns 2, running nothing, while a tamper marker is there or when there is no
    sandbox and `unsafe_no_sandbox` is not given.
    """
    refused = tamper.marker_problem()
    if refused:
        print(f"Not checking anything: {refused}", file=sys.stderr, flush=True)
        return 2
    folders = {Path(os.path.abspath(p)).parent for p in paths}
    _forget_folders(folders)
    tamper.preload_grading()  # every grade's code is imported before any submission runs
    sandbox = Sandbox(limits or Limits(), hidden=folders, use_bwrap=not unsafe_no_sandbox)
    if not sandbox.isolated:
        if not unsafe_no_sandbox:
            print(refusal(sandbox.problem), file=sys.stderr, flush=True)
            return 2
        print(fallback_warning(sandbox.problem), file=sys.stderr, flush=True)
    was_subreaper = set_subreaper(True)
    try:
        reports, tampered = _check_each(paths, sandbox)
    finally:
        set_subreaper(was_subreaper)
    if csv_path is not None:
        try:
            if write_csv(reports, csv_path):
                print(f"{csv_path} was a symbolic link: it is now a file of its own "
                      "(the file it pointed to is unchanged).")
            print(f"Summary written to {csv_path}")
        except OSError as err:
            print(f"Could not write {csv_path}: {err.strerror or err}", file=sys.stderr)
            return 1
    if tampered:
        return 2
    return 0 if reports and all(r.passed for r in reports) else 1


def _check_each(paths: list[Path], sandbox: Sandbox) -> tuple[list[NotebookReport], bool]:
    """Each notebook's report; unsandboxed, the batch stops at the first that changes the course."""
    baseline = None if sandbox.isolated else tamper.snapshot()
    reports: list[NotebookReport] = []
    for index, path in enumerate(paths):
        try:
            report = check_notebook(path, sandbox)
        except Exception as err:  # one submission never ends the batch
            report = NotebookReport(path, error=f"the checker failed on it: "
                                                f"{type(err).__name__}: {err}",
                                    sandboxed=sandbox.isolated)
        print(format_report(report), flush=True)
        reports.append(report)
        changed = [] if baseline is None else tamper.changes(baseline, tamper.snapshot())
        if changed:
            marker = tamper.write_marker(path, changed)
            report.error = printable(f"it changed the course's files ({changed[0]}"
                                     + (f" and {len(changed) - 1} more" if changed[1:] else "")
                                     + "); the batch stopped.", MESSAGE_LIMIT)
            for rest in paths[index + 1:]:
                reports.append(NotebookReport(rest, error="not checked: an earlier submission "
                                              "changed the course's files.", sandboxed=False))
            print(f"Stopped: while {path} ran, these files changed: {', '.join(changed[:5])}"
                  + (" ..." if changed[5:] else "") + f". Nothing is graded until the course "
                  f"is reinstalled and {marker} is cleared with `{tamper.CLEAR_COMMAND}`.",
                  file=sys.stderr, flush=True)
            return reports, True
    return reports, False
