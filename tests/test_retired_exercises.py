"""Retired exercises: still graded, saved results kept, counted in no total anywhere.

An exercise no lesson checks any more (06.4, replaced by 06.6) is declared with `retired`.
An older copy of its lesson may still call `check` on it: the learner is graded and told it
is retired, the progress file keeps the result, and no lesson's total, no `progress` table
and no teacher's report counts it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.grader import progress
from course_utils.grader.engine import check, evaluate, export_answer, grade_export
from course_utils.grader.exercises import (
    all_exercises,
    counted_exercises,
    exercises_for_lesson,
    get_exercise,
)
from course_utils.grader.protocol import Exercise
from course_utils.grader.results import FAILED, PASSED

RETIRED = [ex for ex in all_exercises().values() if not ex.counted]
SOLUTION_IMPORTS = ("import math\nimport torch\nfrom torch import nn, optim\n"
                    "from torch.optim import lr_scheduler\nimport course_utils\n"
                    "from course_utils import check")


@pytest.fixture
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "progress.json"
    monkeypatch.setenv(progress.PROGRESS_ENV, str(path))
    return path


def test_06_4_is_retired_and_says_what_replaced_it() -> None:
    ex = get_exercise("06.4")
    assert ex is not None and not ex.counted and "06.6" in ex.retired
    assert [e.id for e in RETIRED] == ["06.4"]
    assert "06.4" not in counted_exercises() and "06.4" in all_exercises()
    assert "06.4" not in [e.id for e in exercises_for_lesson("06")]
    assert "06.4" in [e.id for e in exercises_for_lesson("06", retired=True)]


def test_every_other_exercise_counts() -> None:
    assert set(counted_exercises()) == {i for i, ex in all_exercises().items() if not ex.retired}
    assert all(ex.counted for ex in exercises_for_lesson("01"))


@pytest.mark.parametrize("ex", RETIRED, ids=lambda ex: ex.id)
def test_a_retired_exercise_is_still_graded_and_says_it_is_retired(
    ex: Exercise, progress_file: Path
) -> None:
    assert ex.reference is not None
    right = check(ex.id, ex.reference())
    assert right.status == PASSED and "is retired" in right.message
    wrong = check(ex.id, ex.wrong[0].make())
    assert wrong.status == FAILED and "is retired" in wrong.message
    assert "counts in no lesson's total" in evaluate(ex, ex.reference()).message
    teacher = grade_export(ex.id, export_answer(ex.id, ex.reference()))
    assert teacher.status == PASSED and "is retired" in teacher.message
    counted = next(iter(counted_exercises().values()))
    assert "retired" not in evaluate(counted, counted.reference()).message  # type: ignore[misc]


def test_a_saved_result_of_a_retired_exercise_reads_as_before(progress_file: Path) -> None:
    saved = {"version": 1, "exercises": {
        "06.4": {"passed": True, "ever_passed": True, "attempts": 3}}}
    progress_file.write_text(json.dumps(saved))
    assert progress.load_progress()["exercises"]["06.4"] == saved["exercises"]["06.4"]
    check("06.1", ...)  # a blank check writes nothing
    check("01.1", 4.6)
    after = json.loads(progress_file.read_text())["exercises"]
    assert after["06.4"] == saved["exercises"]["06.4"]
    rows = {lesson: rest for lesson, *rest in progress.progress_rows()}
    assert rows["06"] == [0, 0, len(exercises_for_lesson("06"))]


def test_progress_counts_only_counted_exercises_and_shows_the_course_complete(
    progress_file: Path,
) -> None:
    progress.record("06.4", False)  # an older copy of lesson 06, answered wrong
    for exercise_id in counted_exercises():
        progress.record(exercise_id, True)
    rows = progress.progress_rows()
    by_lesson: dict[str, int] = {}
    for ex in counted_exercises().values():
        by_lesson[ex.lesson] = by_lesson.get(ex.lesson, 0) + 1
    assert rows == [(lesson, n, n, n) for lesson, n in sorted(by_lesson.items())]
    report = progress.progress_report().splitlines()
    total = len(counted_exercises())
    assert report[-1].split() == ["all", str(total), str(total), str(total)]
    assert total == len(all_exercises()) - len(RETIRED)


def _solved_lesson(path: Path, lesson: str, *extra: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["lr_course"] = {"lesson": lesson}
    sources = [SOLUTION_IMPORTS, *extra]
    sources += [f"{ex.solution}\ncheck({ex.id!r}, answer)" for ex in exercises_for_lesson(lesson)]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_the_teachers_checker_passes_a_solved_lesson_06_even_with_06_4_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An older copy still checks 06.4, and gets it wrong: it must not cost the lesson.
    older = "answer = {'A': 'sgd'}\ncheck('06.4', answer)"
    notebook = _solved_lesson(tmp_path / "lesson06.ipynb", "06", older)
    summary = tmp_path / "summary.csv"

    assert main(["check", str(notebook), "--csv", str(summary), "--timeout", "240"]) == 0

    counted = [ex.id for ex in exercises_for_lesson("06")]
    out = capsys.readouterr().out
    assert f"{len(counted)} of {len(counted)} exercises passed" in out
    assert "06.4" not in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [(r["exercise"], r["status"]) for r in rows] == [(i, "passed") for i in counted]
