"""The notebook's exercise calls, `check`, `hint` and `solution`, and `grade_export`.

An exercise is declared once, as an `Exercise`, in `course_utils/grader/exercises/lessonNN.py`.
Its check is a `Check` in two parts (`protocol`):

- `export` runs in the learner's kernel and turns the answer into plain JSON data: a
  number, a choice, a schedule's LRs from a dry run, a function's outputs on given
  inputs (fixed cases plus cases drawn from the seed in `LR_COURSE_SEED`);
- `grade` is a pure function from that data to a `Verdict`. It trusts nothing but
  the data's shape, which it checks strictly, so a teacher's checker can run it in
  its own process on what a submission exported (`export_answer`, `grade_export`).

`check(...)` in a notebook is export, a JSON round trip, then grade: the learner sees
the verdict the teacher's checker would give. It never raises, whatever it is given.
"""

from __future__ import annotations

import json
import os
from typing import Any

from course_utils.grader import progress
from course_utils.grader.answers import (
    _EXPECTED_SEED,
    _env_seed,
    _interrupts_marked,
    _plain,
    learner_error,
)
from course_utils.grader.exercises import get_exercise, normalise_id, unknown_message
from course_utils.grader.protocol import Check, Exercise, _export, _grade_exported, _is_blank
from course_utils.grader.results import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    RESULTS_ENV,
    REVEAL_AFTER,
    UNKNOWN,
    CheckResult,
    Malformed,
    Note,
    Verdict,
    _one_line,
    _safe_str,
)

# --------------------------------------------------------------------------
# Export and grade
# --------------------------------------------------------------------------


def _lookup(exercise_id: Any) -> tuple[Exercise | None, str]:
    """The exercise, or None and a friendly message naming the nearest ids."""
    try:
        ex = get_exercise(exercise_id)
    except Exception:
        return None, (f"There is no exercise {_safe_str(exercise_id)!r}: an exercise id is "
                      'text such as "01.1".')
    if ex is not None:
        return ex, ""
    try:
        return None, unknown_message(exercise_id)
    except Exception:
        return None, f"There is no exercise {_safe_str(exercise_id)!r}."


def export_answer(exercise_id: Any, answer: Any) -> dict[str, Any]:
    """An answer as plain JSON data for the exercise's grade: `{"id", "kind", "data"}`.

    Runs in the learner's kernel. A blank answer exports `"blank": true`; an answer the
    exercise cannot take exports `"error"` with the reason. Never raises.
    """
    ex, _problem = _lookup(exercise_id)
    if ex is None:
        return {"id": _safe_str(exercise_id), "kind": "unknown", "error": "no such exercise"}
    if not isinstance(ex.check, Check):
        return {"id": ex.id, "kind": "local",
                "error": "This exercise is checked in the notebook only."}
    return _export(ex.check, ex.id, answer)


def _result(ex: Exercise, verdict: Verdict, *, reveal: bool) -> CheckResult:
    status = PASSED if verdict.passed is True else FAILED
    message = str(verdict.message)
    if status == FAILED and reveal and verdict.reveal:
        message = f"{message} {verdict.reveal}"
    if status == FAILED and "hint" not in message:
        message = f'{message} Stuck? hint("{ex.id}") gives a hint.'.strip()
    table = verdict.table
    if not (isinstance(table, list) and table and all(isinstance(r, tuple) for r in table)):
        table = None
    return CheckResult(ex.id, ex.title, status, message, table)


def _noting_retired(ex: Exercise, result: CheckResult) -> CheckResult:
    """A retired exercise's result, saying that it is retired and counts in no total."""
    if ex.counted:
        return result
    note = (f"Exercise {ex.id} is retired: {_plain(ex.retired)}. This result counts in no "
            "lesson's total.")
    return CheckResult(result.exercise_id, result.title, result.status,
                       f"{result.message} {note}".strip(), result.table)


def _malformed(ex: Exercise, why: str) -> CheckResult:
    return CheckResult(ex.id, ex.title, FAILED,
                       f"The exported answer was malformed ({_plain(why)}), so it cannot pass.")


def _grade_to_result(ex: Exercise, exported: Any, *, reveal: bool) -> CheckResult:
    """Grade an export for an exercise, as a result; never raises."""
    if not isinstance(ex.check, Check):
        return _malformed(ex, "this exercise is checked in the notebook only")
    if not isinstance(exported, dict):
        return _malformed(ex, f"expected an object, got {type(exported).__name__}")
    if exported.get("blank") is True and "data" not in exported and "error" not in exported:
        return CheckResult(ex.id, ex.title, NOT_ATTEMPTED,
                           "Replace the `...` with your answer, then run this cell again.")
    try:
        verdict = _grade_exported(ex.check, exported)
    except Malformed as err:
        return _malformed(ex, str(err))
    except (RecursionError, MemoryError, OverflowError) as err:
        return _malformed(ex, type(err).__name__)
    except Exception as err:  # a grade must never raise into its caller
        return CheckResult(ex.id, ex.title, FAILED,
                           f"Grading the answer raised {_one_line(err)}.")
    return _result(ex, verdict, reveal=reveal)


def grade_export(exercise_id: Any, exported: object, *, seed: int | None = None) -> CheckResult:
    """Grade an exported answer (from `export_answer`) in this process; never raises.

    Trusts nothing but the data: malformed data is a failed result that says so.
    `seed`, when given, is the only seed accepted for drawn test cases (default: the
    `LR_COURSE_SEED` of this process, if set). The expected value shows in the message.
    """
    try:
        ex, problem = _lookup(exercise_id)
        if ex is None:
            return CheckResult(_safe_str(exercise_id), "", UNKNOWN, problem)
        if isinstance(exported, dict):
            claimed = exported.get("id")
            if not isinstance(claimed, str) or normalise_id(claimed) != ex.id:
                return _malformed(ex, f"it is for exercise {_safe_str(claimed)!r}")
        token = _EXPECTED_SEED.set(seed if seed is not None else _env_seed())
        try:
            return _noting_retired(ex, _grade_to_result(ex, exported, reveal=True))
        finally:
            _EXPECTED_SEED.reset(token)
    except Exception as err:  # never raise into the teacher's checker
        return CheckResult(_safe_str(exercise_id), "", FAILED,
                           f"Grading failed: {_one_line(err)}")


# --------------------------------------------------------------------------
# The notebook API
# --------------------------------------------------------------------------


def evaluate(ex: Exercise, answer: Any, *, reveal: bool = False) -> CheckResult:
    """Check one answer to an exercise (export, JSON round trip, grade), recording nothing."""
    if not isinstance(ex.check, Check):
        return _noting_retired(ex, _evaluate_local(ex, answer))
    exported = _export(ex.check, ex.id, answer)
    return _noting_retired(ex, _grade_to_result(ex, exported, reveal=reveal))


def _evaluate_local(ex: Exercise, answer: Any) -> CheckResult:
    """A plain-function check, run in the notebook only."""
    if _is_blank(answer):
        return CheckResult(ex.id, ex.title, NOT_ATTEMPTED,
                           "Replace the `...` with your answer, then run this cell again.")
    try:
        with _interrupts_marked():
            verdict = ex.check(answer)
    except BaseException as err:  # the learner's answer may raise anything
        verdict = Verdict(False, f"Checking your answer raised {learner_error(err)}.")
    if isinstance(verdict, bool):
        verdict = Verdict(verdict, "Correct." if verdict else "Not quite.")
    if not isinstance(verdict, Verdict):
        verdict = Verdict(False, f"The check for {ex.id} gave no verdict.")
    return _result(ex, verdict, reveal=False)


def _report(exported: dict[str, Any]) -> None:
    """Append an export to the notebook checker's file, when the checker asked for one."""
    target = os.environ.get(RESULTS_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps(exported, allow_nan=False) + "\n")


_failed_tries: dict[str, int] = {}


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check an answer to an exercise; never raises, whatever it is given."""
    try:
        ex, problem = _lookup(exercise_id)
        if ex is None:
            return CheckResult(_safe_str(exercise_id), "", UNKNOWN, problem)
        exported: dict[str, Any] | None = None
        if isinstance(ex.check, Check):
            exported = _export(ex.check, ex.id, answer)
            reveal = _failed_tries.get(ex.id, 0) + 1 >= REVEAL_AFTER
            result = _grade_to_result(ex, exported, reveal=reveal)
        else:
            result = _evaluate_local(ex, answer)
        if result.status == FAILED:
            _failed_tries[ex.id] = _failed_tries.get(ex.id, 0) + 1
        result = _noting_retired(ex, result)
    except Exception as err:
        return CheckResult(_safe_str(exercise_id), "", UNKNOWN,
                           f"The check failed: {_one_line(err)}")
    try:
        if result.status != NOT_ATTEMPTED:
            progress.record(result.exercise_id, result.passed)
    except Exception:  # saving never costs the learner their result
        pass
    try:
        if exported is not None:
            _report(exported)
    except Exception:
        pass
    return result


_hints_shown: dict[str, int] = {}


def hint(exercise_id: str) -> Note:
    """The next hint for an exercise, one more each call (counted in memory only)."""
    try:
        ex, problem = _lookup(exercise_id)
        if ex is None:
            return Note("No such exercise", problem)
        if not ex.hints:
            return Note(f"Hints for {ex.id}", f'There are no hints; solution("{ex.id}") shows one.')
        shown = _hints_shown.get(ex.id, 0)
        index = min(shown, len(ex.hints) - 1)
        _hints_shown[ex.id] = shown + 1
        heading = f"Hint {index + 1} of {len(ex.hints)} for {ex.id} {ex.title}"
        body = ex.hints[index]
        if index == len(ex.hints) - 1:
            body += f'\n(That is the last hint. solution("{ex.id}") shows the answer.)'
        return Note(heading, body)
    except Exception as err:
        return Note("No hint", f"The hint could not be shown: {_one_line(err)}")


def solution(exercise_id: str) -> Note:
    """The reference solution of an exercise, as the code a learner would write."""
    try:
        ex, problem = _lookup(exercise_id)
        if ex is None:
            return Note("No such exercise", problem)
        body = ex.solution.strip()
        if isinstance(ex.check, Check) and ex.check.reveal:
            body += f"\n# {ex.check.reveal}"
        return Note(f"Solution to {ex.id} {ex.title}", body, code=True)
    except Exception as err:
        return Note("No solution", f"The solution could not be shown: {_one_line(err)}")
