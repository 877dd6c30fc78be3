"""The command-line notebook checker: run a copy of each notebook, report its exercises.

Each notebook is read into memory and executed headless in its own folder; the
file itself is never written. The kernel's `check(...)` calls append their
results to a file named by `LR_COURSE_RESULTS`, which this checker then reads.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.checks import NOT_ATTEMPTED, PASSED, RESULTS_ENV

RAISES_MARKER = "NBVAL_RAISES_EXCEPTION"
RAISES_TAG = "raises-exception"
NOT_CHECKED = "not checked"
_LESSON_FILE = re.compile(r"^(\d{2})_")


@dataclass
class ExerciseOutcome:
    """One exercise's latest result in a checked notebook."""

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
    """What checking one notebook found: its exercises, and an error that stopped it."""

    path: Path
    outcomes: list[ExerciseOutcome] = field(default_factory=list)
    error: str = ""

    @property
    def passed(self) -> bool:
        """True when the notebook ran to the end and every exercise in it passed."""
        return not self.error and all(o.passed for o in self.outcomes)


def _cell_label(index: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"cell {index + 1}" + (f" ({first!r})" if first else "")


def _allow_marked_errors(nb: object) -> None:
    """Tag the cells nbval lets raise, so the kernel run lets them raise too."""
    for cell in nb.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "code" and RAISES_MARKER in cell.source:
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if RAISES_TAG not in tags:
                tags.append(RAISES_TAG)


def _read_results(path: Path) -> dict[str, ExerciseOutcome]:
    """The latest result per exercise from the kernel's results file."""
    found: dict[str, ExerciseOutcome] = {}
    if not path.exists():
        return found
    from course_utils.checks import grade_export

    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
            result = grade_export(item["id"], item)  # graded here, from the exported data
            found[result.exercise_id] = ExerciseOutcome(
                result.exercise_id, result.title, result.status, result.message
            )
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return found


def _expected_exercises(path: Path) -> list[tuple[str, str]]:
    """(id, title) of the exercises a lesson file such as `01_lr_basics.ipynb` should check."""
    match = _LESSON_FILE.match(path.name)
    if not match:
        return []
    from course_utils.exercises import exercises_for_lesson

    return [(ex.id, ex.title) for ex in exercises_for_lesson(match.group(1))]


def check_notebook(path: Path, timeout: int = 600) -> NotebookReport:
    """Execute a copy of one notebook and collect each exercise's result."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    report = NotebookReport(path)
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
    except FileNotFoundError:
        report.error = f"{path}: no such file."
        return report
    except (OSError, UnicodeDecodeError, ValueError, nbformat.ValidationError) as err:
        report.error = f"{path} is not a Jupyter notebook ({type(err).__name__})."
        return report
    _allow_marked_errors(nb)
    with tempfile.TemporaryDirectory(prefix="lr_course_check_") as tmp:
        results = Path(tmp) / "results.jsonl"
        saved = {k: os.environ.get(k) for k in (RESULTS_ENV, "LR_COURSE_PROGRESS")}
        os.environ[RESULTS_ENV] = str(results)
        os.environ["LR_COURSE_PROGRESS"] = str(Path(tmp) / "progress.json")
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.resolve().parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as err:
            index = _failing_cell(nb)
            where = _cell_label(index, nb.cells[index].source) if index is not None else "a cell"
            report.error = f"{where} raised {_error_line(err)}"
        except CellTimeoutError:
            report.error = f"a cell ran longer than {timeout} s and was stopped."
        except Exception as err:  # the kernel may fail to start, or die
            report.error = f"the notebook could not run: {type(err).__name__}: {err}"
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        found = _read_results(results)
    for exercise_id, title in _expected_exercises(path):
        found.setdefault(exercise_id, ExerciseOutcome(exercise_id, title, NOT_CHECKED,
                                                      "no check(...) call for it ran"))
    report.outcomes = sorted(found.values(), key=lambda o: o.exercise_id)
    return report


def _failing_cell(nb: object) -> int | None:
    """The index of the last code cell with an error output (the one that stopped the run)."""
    failing = None
    for i, cell in enumerate(nb.cells):  # type: ignore[attr-defined]
        if cell.cell_type == "code" and any(
            out.get("output_type") == "error" for out in cell.get("outputs", [])
        ):
            if RAISES_TAG not in cell.get("metadata", {}).get("tags", []):
                failing = i
    return failing


def _error_line(err: Exception) -> str:
    ename = getattr(err, "ename", "") or type(err).__name__
    evalue = (getattr(err, "evalue", "") or "").strip().splitlines()
    return f"{ename}: {evalue[0]}" if evalue else ename


_MARK = {PASSED: "✓", NOT_ATTEMPTED: "○", NOT_CHECKED: "○"}


def format_report(report: NotebookReport) -> str:
    """A notebook's result as a few lines of plain text."""
    lines = [str(report.path)]
    if report.error:
        lines.append(f"  ✗ error: {report.error}")
    for o in report.outcomes:
        mark = _MARK.get(o.status, "✗")
        words = "passed" if o.passed else o.status
        lines.append(f"  {mark} {o.exercise_id} {o.title}: {words}")
        if not o.passed and o.message:
            lines.append(f"      {o.message}")
    if not report.outcomes and not report.error:
        lines.append("  (no exercises were checked in this notebook)")
    passed = sum(o.passed for o in report.outcomes)
    lines.append(f"  {passed} of {len(report.outcomes)} exercises passed")
    return "\n".join(lines)


def write_csv(reports: list[NotebookReport], target: Path) -> None:
    """One row per exercise per notebook (or per notebook that could not run)."""
    with open(target, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["notebook", "exercise", "title", "status", "passed", "message"])
        for r in reports:
            if r.error:
                writer.writerow([str(r.path), "", "", "error", False, r.error])
            for o in r.outcomes:
                writer.writerow([str(r.path), o.exercise_id, o.title, o.status, o.passed,
                                 o.message])


def check_notebooks(paths: list[Path], csv_path: Path | None = None) -> int:
    """Check several notebooks, print a report, write the CSV; 0 only if all passed."""
    reports = []
    for path in paths:
        report = check_notebook(path)
        print(format_report(report), flush=True)
        reports.append(report)
    if csv_path is not None:
        try:
            write_csv(reports, csv_path)
            print(f"Summary written to {csv_path}")
        except OSError as err:
            print(f"Could not write {csv_path}: {err.strerror or err}", file=sys.stderr)
            return 1
    return 0 if reports and all(r.passed for r in reports) else 1
