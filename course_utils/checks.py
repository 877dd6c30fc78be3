"""Exercise checks: `check`, `hint` and `solution`, and the builders lessons use.

An exercise is declared once, as an `Exercise`, in `course_utils/exercises/lessonNN.py`.
Its check is a `Check` in two parts:

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

import contextlib
import contextvars
import html
import itertools
import json
import math
import numbers
import os
import random
import signal
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from course_utils.schedules import is_scheduler, preview_schedule

RESULTS_ENV = "LR_COURSE_RESULTS"  # set by the notebook checker: a file to append exports to
SEED_ENV = "LR_COURSE_SEED"  # set by the notebook checker: the seed for drawn test cases

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown exercise"

REVEAL_AFTER = 3  # failed tries of one exercise (this session) before the expected value shows
MAX_ITEMS = 5000  # no exported list or mapping is longer
MAX_TEXT = 800  # no exported or displayed piece of text is longer

_MARKS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "○", UNKNOWN: "?"}
_WORDS = {
    PASSED: "Passed", FAILED: "Not yet", NOT_ATTEMPTED: "Not attempted yet", UNKNOWN: "Unknown"
}
_COLOURS = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_ATTEMPTED: "#6e7781", UNKNOWN: "#9a6700"}

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Verdict:
    """What a grade returns: pass or not, one message, an optional table, a held-back reveal.

    `table` is a list of rows; the first row is the header. `reveal` names the expected
    answer: `check` shows it only after a few failed tries; `solution` and the
    teacher's checker always may.
    """

    passed: bool
    message: str
    table: list[Row] | None = None
    reveal: str = ""


class Rejected(Exception):
    """Raised by an export: the answer is not something this exercise can take."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Malformed(Exception):
    """Raised by a grade: the exported data does not have the shape the exercise exports."""


@dataclass(frozen=True)
class Exported:
    """An export's data, with an optional note (shown only with a failed verdict)."""

    data: Any
    note: str = ""


@dataclass(frozen=True)
class Check:
    """An exercise's check in two parts: `export` (answer -> data) and `grade` (data -> Verdict).

    Calling it checks an answer locally: export, a JSON round trip, then grade.
    """

    kind: str
    export: Callable[[Any], Any]
    grade: Callable[[Any], Verdict]
    reveal: str = ""  # the expected answer in words, which `solution` adds

    def __call__(self, answer: Any) -> Verdict:
        exported = _export(self, "", answer)
        return _grade_exported(self, exported)


@dataclass(frozen=True)
class Wrong:
    """A known-wrong answer (`make()` builds it), text its feedback must contain, and
    text it must not (`avoid`: e.g. the expected value, another scheduler's parameter)."""

    make: Callable[[], Any]
    says: str
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """One exercise, declared once: its check, hints, solution code and known-wrong answers.

    `solution` is the code a learner would write; it assigns the answer to `answer`.
    `reference` builds the reference answer object, for tests. A `check` that is a
    plain function `answer -> Verdict` (not a `Check`) works in the notebook only.
    """

    id: str
    title: str
    check: Check | Callable[[Any], Verdict | bool]
    hints: tuple[str, ...]
    solution: str
    wrong: tuple[Wrong, ...] = ()
    reference: Callable[[], Any] | None = None

    @property
    def lesson(self) -> str:
        """The lesson number, e.g. "01" for exercise "01.3"."""
        return self.id.split(".")[0]

    @property
    def kind(self) -> str:
        """What the export holds: "number", "schedule", "function", ... ("local": no export)."""
        return self.check.kind if isinstance(self.check, Check) else "local"


def _fmt(value: Any) -> str:
    """A number printed short and stable across machines; anything else as repr."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral) and abs(int(value)) < 10**15:
        return str(int(value))
    value = float(value)
    if value == 0 or math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.6g}"


def _safe_str(value: Any, limit: int = 60) -> str:
    """`str(value)`, cut short; a placeholder when `__str__` itself fails."""
    try:
        text = str(value)
        if not isinstance(text, str):
            raise TypeError
    except Exception:
        return f"<{type(value).__name__} that cannot be printed>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(err: BaseException) -> str:
    """An exception as `Type: first line of its message`."""
    try:
        text = str(err).strip().splitlines()
    except Exception:
        text = []
    line = f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _table_text(table: list[Row]) -> str:
    cells = [[c if isinstance(c, str) else _fmt(c) for c in row] for row in table]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _table_html(table: list[Row]) -> str:
    def cell(tag: str, c: Any) -> str:
        text = html.escape(c if isinstance(c, str) else _fmt(c))
        return f"<{tag} style='padding:2px 8px'>{text}</{tag}>"

    head = "".join(cell("th", c) for c in table[0])
    body = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in table[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `check(...)`: `.passed`, a plain-text form and an HTML form."""

    exercise_id: str
    title: str
    status: str
    message: str
    table: list[Row] | None = field(default=None)

    @property
    def passed(self) -> bool:
        """True only when the answer passed the exercise's check."""
        return self.status == PASSED

    def headline(self) -> str:
        """One line: mark, words, exercise id and title."""
        name = f"{self.exercise_id} {self.title}".strip()
        return f"{_MARKS[self.status]} {_WORDS[self.status]}: {name}"

    def __str__(self) -> str:
        parts = [self.headline()]
        if self.message:
            parts.append(self.message)
        if self.table:
            parts.append(_table_text(self.table))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        parts = [
            f"<div role='status' style='border-left:6px solid {colour};padding:4px 10px'>",
            f"<strong style='color:{colour}'>{html.escape(self.headline())}</strong>",
        ]
        if self.message:
            parts.append(f"<div>{html.escape(self.message)}</div>")
        if self.table:
            parts.append(_table_html(self.table))
        parts.append("</div>")
        return "".join(parts)


@dataclass(frozen=True)
class Note:
    """Help text (a hint or a solution) that shows as plain text or HTML."""

    heading: str
    body: str
    code: bool = False

    def __str__(self) -> str:
        return f"{self.heading}\n{self.body}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        body = html.escape(self.body)
        body = f"<pre>{body}</pre>" if self.code else f"<div>{body}</div>"
        return f"<div><strong>{html.escape(self.heading)}</strong>{body}</div>"


# --------------------------------------------------------------------------
# Running the learner's code: everything it raises becomes a result, except a
# real interrupt (the learner pressing stop), which goes on up.
# --------------------------------------------------------------------------


class _RealInterrupt(KeyboardInterrupt):
    """A KeyboardInterrupt that came from a signal, not from the learner's code."""


def _on_sigint(signum: int, frame: Any) -> None:
    raise _RealInterrupt()


@contextlib.contextmanager
def _interrupts_marked() -> Iterator[None]:
    """While the learner's code runs, make a real Ctrl-C/kernel interrupt recognisable."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGINT)
    except (ValueError, OSError):
        yield
        return
    if previous is not signal.default_int_handler:
        yield  # someone else handles SIGINT: leave it to them
        return
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def learner_error(err: BaseException) -> str:
    """Describe what the learner's code raised, in one line; re-raise a real interrupt."""
    if isinstance(err, _RealInterrupt):
        raise err
    return _one_line(err)


# --------------------------------------------------------------------------
# Strict readers of exported data, for grades
# --------------------------------------------------------------------------


def finite_number(data: Any, what: str = "the answer") -> float:
    """A finite int or float (never a bool); else Malformed."""
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise Malformed(f"{what} should be a number, not {type(data).__name__}")
    try:
        value = float(data)
    except OverflowError:
        raise Malformed(f"{what} is too large") from None
    if not math.isfinite(value):
        raise Malformed(f"{what} is not finite")
    return value


def float_list(data: Any, length: int, what: str = "the LRs") -> list[float]:
    """A list of exactly `length` finite numbers; else Malformed."""
    if not isinstance(data, list):
        raise Malformed(f"{what} should be a list, not {type(data).__name__}")
    if len(data) != length:
        raise Malformed(f"{what} should hold {length} numbers, not {len(data)}")
    return [finite_number(v, what) for v in data]


def float_seq(data: Any, most: int, what: str = "the list") -> list[float]:
    """A list of at most `most` finite numbers; else Malformed."""
    if not isinstance(data, list) or len(data) > most:
        raise Malformed(f"{what} should be a list of at most {most} numbers")
    return [finite_number(v, what) for v in data]


def int_list(data: Any, most: int, what: str = "the list") -> list[int]:
    """A list of at most `most` ints (no bools); else Malformed."""
    if not isinstance(data, list) or len(data) > most:
        raise Malformed(f"{what} should be a list of at most {most} whole numbers")
    if not all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 10**9 for v in data):
        raise Malformed(f"{what} should hold whole numbers only")
    return list(data)


def text(data: Any, most: int = MAX_TEXT, what: str = "the text") -> str:
    """A string of at most `most` characters; else Malformed."""
    if not isinstance(data, str) or len(data) > most:
        raise Malformed(f"{what} should be a string of at most {most} characters")
    return data


def record(data: Any, keys: Iterable[str], what: str = "the data") -> dict[str, Any]:
    """A dict with exactly these string keys; else Malformed."""
    wanted = set(keys)
    if not isinstance(data, dict) or set(data) != wanted:
        raise Malformed(f"{what} should be an object with the keys {sorted(wanted)}")
    return data


def _plain(text_: str) -> str:
    """Text from an export, fit to show: printable, one line, short."""
    cleaned = "".join(c if c.isprintable() else " " for c in text_)
    return cleaned if len(cleaned) <= MAX_TEXT else cleaned[: MAX_TEXT - 3] + "..."


# --------------------------------------------------------------------------
# Export and grade
# --------------------------------------------------------------------------


def _lookup(exercise_id: Any) -> tuple[Exercise | None, str]:
    """The exercise, or None and a friendly message naming the nearest ids."""
    from course_utils.exercises import get_exercise, unknown_message

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


def _is_blank(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _export(chk: Check, exercise_id: str, answer: Any) -> dict[str, Any]:
    """Run a check's export on an answer: always a JSON-serialisable dict."""
    out: dict[str, Any] = {"id": exercise_id, "kind": chk.kind}
    if _is_blank(answer):
        out["blank"] = True
        return out
    note = ""
    try:
        with _interrupts_marked(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = chk.export(answer)
        if isinstance(data, Exported):
            data, note = data.data, data.note
        data = json.loads(json.dumps(data, allow_nan=False))
    except Rejected as err:
        out["error"] = _plain(str(err.message))
        return out
    except BaseException as err:  # the learner's code may raise anything, even SystemExit
        out["error"] = _plain(f"Checking your answer raised {learner_error(err)}.")
        return out
    out["data"] = data
    if note:
        out["note"] = _plain(note)
    return out


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


def _grade_exported(chk: Check, exported: Any) -> Verdict:
    """Grade an export's data (already known to be a dict); Malformed becomes a failed verdict."""
    keys = set(exported)
    if not keys <= {"id", "kind", "data", "error", "note", "blank"}:
        raise Malformed(f"unexpected keys {sorted(k for k in keys if isinstance(k, str))[:5]}")
    if exported.get("kind") != chk.kind:
        raise Malformed(f"the data is of kind {_safe_str(exported.get('kind'))!r}, "
                        f"not {chk.kind!r}")
    note = text(exported.get("note", ""), what="the note")
    if "error" in exported:
        return Verdict(False, _plain(text(exported["error"], 2 * MAX_TEXT, "the error")))
    if "data" not in exported:
        raise Malformed("there is no data")
    verdict = chk.grade(exported["data"])
    if not isinstance(verdict, Verdict):
        raise Malformed("the grade gave no verdict")
    if note and not verdict.passed:
        verdict = Verdict(False, f"{_plain(note)} {verdict.message}", verdict.table,
                          verdict.reveal)
    return verdict


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
            from course_utils.exercises import normalise_id

            if not isinstance(claimed, str) or normalise_id(claimed) != ex.id:
                return _malformed(ex, f"it is for exercise {_safe_str(claimed)!r}")
        token = _EXPECTED_SEED.set(seed if seed is not None else _env_seed())
        try:
            return _grade_to_result(ex, exported, reveal=True)
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
        return _evaluate_local(ex, answer)
    exported = _export(ex.check, ex.id, answer)
    return _grade_to_result(ex, exported, reveal=reveal)


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
    except Exception as err:
        return CheckResult(_safe_str(exercise_id), "", UNKNOWN,
                           f"The check failed: {_one_line(err)}")
    try:
        if result.status != NOT_ATTEMPTED:
            from course_utils import progress

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


# --------------------------------------------------------------------------
# Seeds for drawn test cases
# --------------------------------------------------------------------------

_EXPECTED_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "expected_seed", default=None)
_own_seed: list[int] = []


def _env_seed() -> int | None:
    raw = os.environ.get(SEED_ENV, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value < 2**63 else None


def case_seed() -> int:
    """The seed for drawn test cases: `$LR_COURSE_SEED`, else one drawn once per kernel."""
    seed = _env_seed()
    if seed is not None:
        return seed
    if not _own_seed:
        _own_seed.append(random.SystemRandom().randrange(2**32))
    return _own_seed[0]


def checked_seed(data: Any) -> int:
    """The seed in exported data, checked against the one the grader expects."""
    if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data < 2**63:
        raise Malformed("the seed should be a whole number from 0 to 2**63 - 1")
    wanted = _EXPECTED_SEED.get()
    if wanted is not None and data != wanted:
        raise Malformed("the test cases were drawn from another seed than the checker's")
    return data


# --------------------------------------------------------------------------
# Check builders
# --------------------------------------------------------------------------


def as_number(answer: Any) -> float:
    """A real number from a float, int, numpy scalar or one-element tensor; else Rejected."""
    if isinstance(answer, bool) or isinstance(answer, (str, bytes)):
        raise Rejected(f"This exercise wants a single number; got {type(answer).__name__} "
                       f"{_safe_str(answer, 30)!r}.")
    try:
        if hasattr(answer, "numel") and callable(answer.numel) and answer.numel() == 1:
            value = float(answer.item())
        elif isinstance(answer, numbers.Real) or hasattr(answer, "__float__"):
            value = float(answer)
        else:
            raise TypeError
    except OverflowError:
        raise Rejected("Your answer is too large to be a float.") from None
    except (TypeError, ValueError, RuntimeError):
        raise Rejected("This exercise wants a single number; got "
                       f"{type(answer).__name__}.") from None
    if math.isnan(value):
        raise Rejected("Your answer is NaN (not a number): did a step blow up?")
    if math.isinf(value):
        raise Rejected("Your answer is infinite: did a step blow up?")
    return value


def number_check(
    expected: float,
    *,
    tol: float,
    unit: str = "",
    mistakes: Mapping[float, str] | None = None,
    explain: Callable[[float], str] | None = None,
) -> Check:
    """A check that the answer is a number within `tol` of `expected`.

    `mistakes` maps a tempting wrong value to the sentence that explains it; `explain`
    gives a sentence for any other wrong value. The expected value itself is held back
    (`Verdict.reveal`) until `check` has seen a few wrong tries.
    """
    suffix = f" {unit}" if unit else ""
    reveal = f"The expected answer is {_fmt(expected)}{suffix} (± {_fmt(tol)})."

    def grade(data: Any) -> Verdict:
        value = finite_number(data)
        if abs(value - expected) <= tol:
            return Verdict(True, f"Right: {_fmt(value)}{suffix}.")
        for wrong_value, sentence in (mistakes or {}).items():
            if abs(value - wrong_value) <= tol:
                return Verdict(False, f"Not {_fmt(value)}{suffix}. {sentence}", reveal=reveal)
        why = explain(value) if explain else "Work it through once more from the first hint."
        return Verdict(False, f"Not {_fmt(value)}{suffix}. {why}", reveal=reveal)

    return Check("number", as_number, grade, reveal)


def _describe_case(case: Any) -> str:
    if isinstance(case, Mapping):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in case.items())
    return ", ".join(_fmt(v) for v in case)


def _call(fn: Callable[..., Any], case: Any) -> Any:
    return fn(**case) if isinstance(case, Mapping) else fn(*case)


def _jsonable_case(case: Mapping[str, Any] | Sequence[Any]) -> Any:
    return dict(case) if isinstance(case, Mapping) else list(case)


def function_check(
    reference_fn: Callable[..., float],
    cases: Sequence[Mapping[str, Any] | Sequence[Any]],
    *,
    tol: float,
    name: str = "",
    show: int = 5,
    draw: Callable[[random.Random], Mapping[str, Any] | Sequence[Any]] | None = None,
    drawn: int = 5,
) -> Check:
    """A check that the learner's function matches `reference_fn` at every case.

    A case is a dict of keyword arguments or a tuple of positional ones. Besides the
    fixed `cases`, `drawn` more come from `draw(random.Random(seed))`, the seed being
    `case_seed()`; the export carries the seed, the cases and the outputs. Values agree
    when they differ by at most `tol` times max(1, |expected|).
    """
    name = name or getattr(reference_fn, "__name__", "the_function")
    fixed = [_jsonable_case(c) for c in cases]

    def all_cases(seed: int) -> list[Any]:
        if draw is None:
            return list(fixed)
        rng = random.Random(seed)
        return fixed + [_jsonable_case(draw(rng)) for _ in range(drawn)]

    def export(answer: Any) -> dict[str, Any]:
        if not callable(answer) or is_scheduler(answer) or isinstance(answer, type):
            raise Rejected(f"This exercise wants a function like `def {name}(...)`, "
                           f"not {type(answer).__name__}.")
        seed = case_seed()
        chosen = all_cases(seed)
        outputs: list[Any] = []
        for case in chosen:
            try:
                got = _call(answer, case)
            except BaseException as err:  # the learner's code may raise anything
                outputs.append(f"raised {learner_error(err)}")
                continue
            try:
                outputs.append(as_number(got))
            except Rejected:
                kind = "NaN" if isinstance(got, float) and math.isnan(got) else (
                    "an infinite number" if isinstance(got, float) else type(got).__name__)
                outputs.append(f"returned {kind} (not a number)")
        return {"seed": seed, "cases": chosen, "outputs": outputs}

    def grade(data: Any) -> Verdict:
        data = record(data, ("seed", "cases", "outputs"))
        seed = checked_seed(data["seed"])
        chosen = all_cases(seed)
        if data["cases"] != chosen:
            raise Malformed("the test cases are not the exercise's cases for this seed")
        outputs = data["outputs"]
        if not isinstance(outputs, list) or len(outputs) != len(chosen):
            raise Malformed(f"there should be {len(chosen)} outputs")
        rows: list[Row] = []
        for case, out in zip(chosen, outputs, strict=True):
            args = _describe_case(case)
            if isinstance(out, str):
                out = text(out, what="an output")
                return Verdict(False, f"Your function {_plain(out)} when called as "
                                      f"{name}({args}). Read hint 1 for where to start.")
            got = finite_number(out, "an output")
            expected = float(_call(reference_fn, case))
            if abs(got - expected) > tol * max(1.0, abs(expected)):
                rows.append((args, expected, got))
        if not rows:
            return Verdict(True, f"Your function matches at all {len(chosen)} cases.")
        first = rows[0]
        return Verdict(
            False,
            f"{len(rows)} of {len(chosen)} cases differ; the first: {name}({first[0]}) "
            f"should be {_fmt(first[1])}, yours gives {_fmt(first[2])}.",
            [("arguments", "expected", "yours"), *rows[:show]],
        )

    return Check("function", export, grade)


def _norm_choice(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def choice_check(
    correct: Any, options: Mapping[Any, str] | Sequence[Any]
) -> Check:
    """A check that the answer is `correct`, one of `options` (strings or numbers).

    With a mapping, each option maps to the sentence shown when it is chosen.
    """
    explain = dict(options) if isinstance(options, Mapping) else {o: "" for o in options}
    by_norm = {_norm_choice(o): o for o in explain}
    listing = ", ".join(_fmt(o) if not isinstance(o, str) else repr(o) for o in explain)

    def export(answer: Any) -> str | float:
        if isinstance(answer, str):
            if len(answer) > 100:
                raise Rejected(f"Choose one of: {listing}; got a long text.")
            return answer.strip().lower()
        if isinstance(answer, numbers.Real) and not isinstance(answer, bool):
            value = float(answer)
            if math.isfinite(value):
                return value
        raise Rejected(f"Choose one of: {listing}; got {_safe_str(answer, 40)!r}.")

    def grade(data: Any) -> Verdict:
        key = text(data, 100, "the choice") if isinstance(data, str) else finite_number(
            data, "the choice")
        chosen = by_norm.get(key)
        if chosen is None:
            shown = repr(key) if isinstance(key, str) else _fmt(key)
            return Verdict(False, f"Choose one of: {listing}; got {_plain(shown)}.")
        label = chosen if isinstance(chosen, str) else _fmt(chosen)
        sentence = f" {explain[chosen]}" if explain[chosen] else ""
        if _norm_choice(chosen) == _norm_choice(correct):
            return Verdict(True, f"Right: {label}.{sentence}")
        return Verdict(False, f"Not {label}.{sentence}")

    return Check("choice", export, grade)


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """One parameter of a reference schedule, for feedback that names what differs.

    `guesses` reads candidate values off the learner's LR curve; the grade tries the
    reference with that one parameter changed and sees whether it reproduces the curve.
    `advice` is one sentence on reading this parameter off the target.
    """

    name: str
    guesses: Callable[[list[float]], Iterable[Any]]
    advice: str = ""


def peak_step(lrs: Sequence[float]) -> int:
    """The step of a curve's highest LR (the first, if several tie)."""
    return max(range(len(lrs)), key=lrs.__getitem__)


def with_rounded(values: Sequence[float], digits: Sequence[int] = (2, 3)) -> list[float]:
    """Guesses for a knob: the values themselves, then each rounded to these digits."""
    return [*values, *(round(v, d) for v in values for d in digits)]


def _same_curve(a: Sequence[float], b: Sequence[float], rel_tol: float) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def _first_change(lrs: list[float], rel_tol: float) -> int | None:
    for i in range(1, len(lrs)):
        if not math.isclose(lrs[i], lrs[i - 1], rel_tol=rel_tol, abs_tol=1e-12):
            return i
    return None


def _generic_advice(yours: list[float], expected: list[float], first: int, rel_tol: float) -> str:
    """One sentence on why two LR sequences part where they do, naming no parameter."""
    if first == 0:
        return "Your curve starts elsewhere: compare the first LR with the target's."
    y_change = _first_change(yours[first - 1:], rel_tol)
    e_change = _first_change(expected[first - 1:], rel_tol)
    if e_change == 1 and y_change != 1 and yours[first - 1]:
        return (f"The LR should change at step {first} but yours stays "
                f"{_fmt(yours[first])}: your schedule changes later than the target.")
    if y_change == 1 and e_change != 1:
        return (f"Your LR changes at step {first}, where the target stays "
                f"{_fmt(expected[first])}: does your schedule decay too early?")
    prev_y, prev_e = yours[first - 1], expected[first - 1]
    changes = sum(not math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
                  for a, b in itertools.pairwise(expected))
    if changes > len(expected) // 2 or not (prev_y and prev_e):
        return "Compare the curve's start, its turning points and its end with the target."
    return (f"At step {first} your LR is multiplied by {_fmt(yours[first] / prev_y)}, the "
            f"target's by {_fmt(expected[first] / prev_e)}: the factor differs.")


def _unique(values: Iterable[Any], most: int = 12) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            continue
        if v not in out:
            out.append(v)
        if len(out) >= most:
            break
    return out


def _one_change(
    yours: list[float],
    knobs: Sequence[Knob],
    vary: Callable[[str, Any], Callable[[Any], Any]],
    preview: Callable[[Callable[[Any], Any]], list[float]],
    rel_tol: float,
) -> tuple[Knob, Any] | None:
    """The one parameter (and its value) whose change turns the reference into `yours`."""
    for knob in knobs:
        try:
            guesses = _unique(knob.guesses(yours))
        except Exception:  # a guess from an odd curve: try the next parameter
            continue
        for value in guesses:
            try:
                curve = preview(vary(knob.name, value))
            except Exception:
                continue
            if _same_curve(curve, yours, max(rel_tol, 1e-4)):
                return knob, value
    return None


def _value_text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else _fmt(value)


def schedule_export(
    answer: Any,
    steps: int,
    *,
    base_lr: float = 0.1,
    metrics: Sequence[float] | None = None,
) -> Exported:
    """A scheduler or factory as its LRs over `steps` steps of a dry run (an export)."""
    if isinstance(answer, (list, tuple)) or hasattr(answer, "__array__"):
        raise Rejected("This exercise wants a scheduler object (or a factory "
                       "`lambda opt: ...`), not a list of numbers: build it from "
                       "torch.optim.lr_scheduler.")
    if isinstance(answer, type):
        raise Rejected(f"That is the class {answer.__name__} itself: call it on the "
                       "optimizer with its arguments to make a scheduler.")
    if hasattr(answer, "param_groups") and not is_scheduler(answer):
        raise Rejected("That is an optimizer; the exercise asks for a scheduler built on it.")
    notes = []
    stepped = getattr(answer, "last_epoch", 0) if is_scheduler(answer) else 0
    if isinstance(stepped, int) and not isinstance(stepped, bool) and stepped > 0:
        notes.append(f"Your scheduler has already been stepped {stepped} times: "
                     "build a fresh one for the check.")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lrs = preview_schedule(answer, steps, base_lr=base_lr, metrics=metrics)
    except BaseException as err:  # the learner's scheduler or factory may raise anything
        raise Rejected(f"Stepping your scheduler raised {learner_error(err)}") from None
    notes += [str(w.message) for w in caught if "another optimizer" in str(w.message)]
    return Exported(lrs, " ".join(notes))


def schedule_check(
    reference_factory: Callable[[Any], Any],
    steps: int,
    *,
    base_lr: float = 0.1,
    metrics: Sequence[float] | None = None,
    rel_tol: float = 1e-6,
    show: int = 4,
    knobs: Sequence[Knob] = (),
    vary: Callable[[str, Any], Callable[[Any], Any]] | None = None,
    advice: Callable[[list[float], list[float], int], str] | None = None,
    note: Callable[[Any], str] | None = None,
    convert: Callable[[Any], Any] | None = None,
    show_curve: bool = True,
) -> Check:
    """A check that the learner's scheduler (or factory) gives the reference's LRs.

    Both are stepped `steps` times in a dry run, as `preview_schedule` does; the export
    is the learner's LR list. When the curves differ, the grade tries each `knob`'s
    guesses through `vary(name, value)` (the reference with one parameter changed) and
    names the parameter that reproduces the learner's curve; else `advice(yours,
    expected, first)` or a generic sentence. `note(answer)` adds a sentence from the
    learner's side (e.g. a linter warning); `convert` turns the answer into a scheduler
    or factory first. With `show_curve=False` only the ends are shown, never the steps.
    """
    cached: list[list[float]] = []

    def preview(factory: Callable[[Any], Any]) -> list[float]:
        return preview_schedule(factory, steps, base_lr=base_lr, metrics=metrics)

    def expected_lrs() -> list[float]:
        if not cached:
            cached.append(preview(reference_factory))
        return cached[0]

    def export(answer: Any) -> Exported:
        if convert is not None:
            answer = convert(answer)
        extra = ""
        if note is not None:
            try:
                extra = note(answer)
            except BaseException as err:
                learner_error(err)
        try:
            out = schedule_export(answer, steps, base_lr=base_lr, metrics=metrics)
        except Rejected as err:
            raise Rejected(extra or err.message) from None  # the note, if any, says it all
        return Exported(out.data, f"{extra} {out.note}".strip())

    def grade(data: Any) -> Verdict:
        yours = float_list(data, steps)
        expected = expected_lrs()
        differ = [i for i, (y, e) in enumerate(zip(yours, expected, strict=True))
                  if not math.isclose(y, e, rel_tol=rel_tol, abs_tol=1e-12)]
        if not differ:
            return Verdict(True, f"Your schedule matches at all {steps} steps.")
        first, last = differ[0], steps - 1
        if show_curve:
            parts = (f"Your curve parts from the target at step {first}: yours is "
                     f"{_fmt(yours[first])}, the target {_fmt(expected[first])}.")
        else:
            parts = f"Your curve parts from the target at step {first}."
        if math.isclose(yours[last], expected[last], rel_tol=rel_tol, abs_tol=1e-12):
            ends = f"Both end at {_fmt(yours[last])} (step {last})."
        else:
            ends = (f"At the last step, {last}, yours ends at {_fmt(yours[last])}, the "
                    f"target at {_fmt(expected[last])}.")
        found = _one_change(yours, knobs, vary, preview, rel_tol) if vary and knobs else None
        ratios = {round(y / e, 9) for y, e in zip(yours, expected, strict=True) if e}
        if found is not None:
            knob, value = found
            why = (f"One parameter explains it: {knob.name}. Your curve is the target's with "
                   f"{knob.name}={_value_text(value)}. {knob.advice}").strip()
        elif len(ratios) == 1 and all(expected):
            why = (f"Every LR of yours is {_fmt(ratios.pop())} times the target's: the shape "
                   "is right, the scale is not. Is the scheduler built on the optimizer the "
                   f"check gives it (a factory `lambda opt: ...`, whose LR is {_fmt(base_lr)})?")
        elif advice is not None:
            why = advice(yours, expected, first)
        else:
            why = _generic_advice(yours, expected, first, rel_tol)
        picked = differ[:show] if show_curve else []
        if last not in picked:
            picked.append(last)
        rows = [(i, expected[i], yours[i]) for i in picked]
        return Verdict(False, f"{parts} {ends} {why}",
                       [("step", "expected LR", "your LR"), *rows])

    return Check("schedule", export, grade)
