"""Exercise checks: `check`, `hint` and `solution`, and the builders lessons use.

An exercise is declared once, as an `Exercise`, in `course_utils/exercises/lessonNN.py`.
Its check is a plain function `answer -> Verdict`; the builders below make the
common ones (a schedule, a number, a function, a choice). `check(...)` wraps any
check so that it never raises: whatever the learner passes, they get a result.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from course_utils.schedules import is_scheduler, preview_schedule

RESULTS_ENV = "LR_COURSE_RESULTS"  # set by the notebook checker: a file to append results to

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown exercise"

_MARKS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "○", UNKNOWN: "?"}
_WORDS = {
    PASSED: "Passed", FAILED: "Not yet", NOT_ATTEMPTED: "Not attempted yet", UNKNOWN: "Unknown"
}
_COLOURS = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_ATTEMPTED: "#6e7781", UNKNOWN: "#9a6700"}

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Verdict:
    """What a check function returns: pass or not, one message, and an optional table.

    `table` is a list of rows; the first row is the header.
    """

    passed: bool
    message: str
    table: list[Row] | None = None


@dataclass(frozen=True)
class Wrong:
    """A known-wrong answer (`make()` builds it) and text its feedback must contain."""

    make: Callable[[], Any]
    says: str


@dataclass(frozen=True)
class Exercise:
    """One exercise, declared once: its check, hints, solution code and known-wrong answers.

    `solution` is the code a learner would write; it assigns the answer to `answer`.
    `reference` builds the reference answer object, for tests.
    """

    id: str
    title: str
    check: Callable[[Any], Verdict | bool]
    hints: tuple[str, ...]
    solution: str
    wrong: tuple[Wrong, ...] = ()
    reference: Callable[[], Any] | None = None

    @property
    def lesson(self) -> str:
        """The lesson number, e.g. "01" for exercise "01.3"."""
        return self.id.split(".")[0]


def _fmt(value: Any) -> str:
    """A number printed short and stable across machines; anything else as repr."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    value = float(value)
    if value == 0 or math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.6g}"


def _one_line(err: BaseException) -> str:
    """An exception as `Type: first line of its message`."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


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
# The notebook API
# --------------------------------------------------------------------------


def _lookup(exercise_id: Any) -> tuple[Exercise | None, str]:
    """The exercise, or None and a friendly message naming the nearest ids."""
    from course_utils.exercises import get_exercise, unknown_message

    ex = get_exercise(exercise_id)
    return (ex, "") if ex is not None else (None, unknown_message(exercise_id))


def _is_blank(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _run_check(ex: Exercise, answer: Any) -> Verdict:
    """Run an exercise's check; any exception becomes a failed verdict in one line."""
    try:
        verdict = ex.check(answer)
    except Exception as err:  # a check must never raise into the notebook
        return Verdict(
            False,
            f"Checking your answer raised {_one_line(err)}. "
            f'hint("{ex.id}") shows the first hint.',
        )
    if isinstance(verdict, Verdict):
        return verdict
    if isinstance(verdict, bool):
        return Verdict(verdict, "Correct." if verdict else "Not quite.")
    return Verdict(False, f"The check for {ex.id} gave {type(verdict).__name__}, not a Verdict.")


def _report(result: CheckResult) -> None:
    """Append a result to the notebook checker's results file, when the checker asked."""
    target = os.environ.get(RESULTS_ENV)
    if not target:
        return
    line = {"id": result.exercise_id, "title": result.title, "status": result.status,
            "message": result.message}
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def evaluate(ex: Exercise, answer: Any) -> CheckResult:
    """Run one exercise's check on an answer, without recording it anywhere."""
    if _is_blank(answer):
        return CheckResult(ex.id, ex.title, NOT_ATTEMPTED,
                           "Replace the `...` with your answer, then run this cell again.")
    verdict = _run_check(ex, answer)
    try:
        status = PASSED if bool(verdict.passed) else FAILED
    except Exception:  # a check that returns something with no truth value
        status = FAILED
    message = str(verdict.message)
    if status == FAILED and "hint" not in message:
        message = f'{message} Stuck? hint("{ex.id}") gives a hint.'.strip()
    table = verdict.table
    if not (isinstance(table, list) and table and all(isinstance(r, tuple) for r in table)):
        table = None
    return CheckResult(ex.id, ex.title, status, message, table)


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check an answer to an exercise; never raises, whatever it is given."""
    try:
        ex, problem = _lookup(exercise_id)
        if ex is None:
            return CheckResult(str(exercise_id), "", UNKNOWN, problem)
        result = evaluate(ex, answer)
    except Exception as err:
        return CheckResult(str(exercise_id), "", UNKNOWN, f"The check failed: {_one_line(err)}")
    try:
        if result.status != NOT_ATTEMPTED:
            from course_utils import progress

            progress.record(result.exercise_id, result.passed)
        _report(result)
    except Exception:  # saving never costs the learner their result
        pass
    return result


_hints_shown: dict[str, int] = {}


def hint(exercise_id: str) -> Note:
    """The next hint for an exercise, one more each call (counted in memory only)."""
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


def solution(exercise_id: str) -> Note:
    """The reference solution of an exercise, as the code a learner would write."""
    ex, problem = _lookup(exercise_id)
    if ex is None:
        return Note("No such exercise", problem)
    return Note(f"Solution to {ex.id} {ex.title}", ex.solution.strip(), code=True)


# --------------------------------------------------------------------------
# Check builders
# --------------------------------------------------------------------------


def _as_number(answer: Any) -> float:
    """A real number from a float, int, numpy scalar or one-element tensor; else TypeError."""
    if isinstance(answer, bool) or isinstance(answer, (str, bytes)):
        raise TypeError(f"expected a number, got {type(answer).__name__} {answer!r}")
    if hasattr(answer, "numel") and callable(answer.numel) and answer.numel() == 1:
        return float(answer.item())
    if isinstance(answer, numbers.Real) or hasattr(answer, "__float__"):
        return float(answer)
    raise TypeError(f"expected a number, got {type(answer).__name__}")


def number_check(
    expected: float,
    *,
    tol: float,
    unit: str = "",
    mistakes: Mapping[float, str] | None = None,
) -> Callable[[Any], Verdict]:
    """A check that the answer is a number within `tol` of `expected`.

    `mistakes` maps a tempting wrong value to the sentence that explains it.
    """
    suffix = f" {unit}" if unit else ""

    def check_number(answer: Any) -> Verdict:
        try:
            value = _as_number(answer)
        except (TypeError, ValueError, RuntimeError) as err:
            return Verdict(False, f"This exercise wants a single number: {err}.")
        if math.isnan(value):
            return Verdict(False, "Your answer is NaN (not a number): did a step blow up?")
        table = [("", "value"), ("expected", f"{_fmt(expected)}{suffix} ± {_fmt(tol)}"),
                 ("yours", f"{_fmt(value)}{suffix}")]
        if abs(value - expected) <= tol:
            return Verdict(True, f"Right: {_fmt(value)}{suffix}.")
        why = ""
        for wrong_value, sentence in (mistakes or {}).items():
            if abs(value - wrong_value) <= tol:
                why = " " + sentence
                break
        return Verdict(False, f"Expected {_fmt(expected)}{suffix} (± {_fmt(tol)}), "
                              f"got {_fmt(value)}{suffix}.{why}", table)

    return check_number


def _describe_cases(case: Any) -> str:
    if isinstance(case, Mapping):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in case.items())
    return ", ".join(_fmt(v) for v in case)


def _call(fn: Callable[..., Any], case: Any) -> Any:
    return fn(**case) if isinstance(case, Mapping) else fn(*case)


def function_check(
    reference_fn: Callable[..., float],
    cases: Sequence[Mapping[str, Any] | Sequence[Any]],
    *,
    tol: float,
    name: str = "",
    show: int = 5,
) -> Callable[[Any], Verdict]:
    """A check that the learner's function matches `reference_fn` at every case.

    A case is a dict of keyword arguments or a tuple of positional ones. Values
    agree when they differ by at most `tol` times max(1, |expected|).
    """
    name = name or getattr(reference_fn, "__name__", "the_function")

    def check_function(answer: Any) -> Verdict:
        if not callable(answer) or is_scheduler(answer) or isinstance(answer, type):
            return Verdict(False, f"This exercise wants a function like `def {name}(...)`, "
                                  f"not {type(answer).__name__}.")
        rows: list[Row] = []
        for case in cases:
            args = _describe_cases(case)
            expected = _call(reference_fn, case)
            try:
                got = _as_number(_call(answer, case))
            except Exception as err:  # the learner's code may raise anything
                return Verdict(False, f"Your function raised {_one_line(err)} when called as "
                                      f"{name}({args}). Read hint 1 for where to start.")
            if math.isnan(got) or abs(got - expected) > tol * max(1.0, abs(expected)):
                rows.append((args, expected, got))
        if not rows:
            return Verdict(True, f"Your function matches at all {len(cases)} cases.")
        first = rows[0]
        return Verdict(
            False,
            f"{len(rows)} of {len(cases)} cases differ; the first: {name}({first[0]}) "
            f"should be {_fmt(first[1])}, yours gives {_fmt(first[2])}.",
            [("arguments", "expected", "yours"), *rows[:show]],
        )

    return check_function


def _norm_choice(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def choice_check(
    correct: Any, options: Mapping[Any, str] | Sequence[Any]
) -> Callable[[Any], Verdict]:
    """A check that the answer is `correct`, one of `options`.

    With a mapping, each option maps to the sentence shown when it is chosen.
    """
    explain = dict(options) if isinstance(options, Mapping) else {o: "" for o in options}
    by_norm = {_norm_choice(o): o for o in explain}
    listing = ", ".join(_fmt(o) if not isinstance(o, str) else repr(o) for o in explain)

    def check_choice(answer: Any) -> Verdict:
        try:
            key = _norm_choice(answer)
            chosen = by_norm.get(key, None) if key == key else None  # NaN never matches
        except TypeError:
            chosen = None
        if chosen is None:
            return Verdict(False, f"Choose one of: {listing}; got {answer!r}.")
        label = chosen if isinstance(chosen, str) else _fmt(chosen)
        sentence = f" {explain[chosen]}" if explain[chosen] else ""
        if _norm_choice(chosen) == _norm_choice(correct):
            return Verdict(True, f"Right: {label}.{sentence}")
        return Verdict(False, f"Not {label}.{sentence}")

    return check_choice


def _first_change(lrs: list[float], rel_tol: float) -> int | None:
    for i in range(1, len(lrs)):
        if not math.isclose(lrs[i], lrs[i - 1], rel_tol=rel_tol, abs_tol=1e-12):
            return i
    return None


def _schedule_advice(yours: list[float], expected: list[float], first: int, rel_tol: float) -> str:
    """One specific sentence on why two LR sequences part where they do."""
    if first == 0:
        return (f"Your schedule starts at LR {_fmt(yours[0])}, but the exercise's optimizer starts "
                f"at {_fmt(expected[0])}: build the scheduler on that optimizer (or pass a factory "
                "`lambda opt: ...`).")
    ratios = {round(y / e, 9) for y, e in zip(yours, expected, strict=True) if e}
    if len(ratios) == 1 and all(e for e in expected):
        return (f"Every LR of yours is {_fmt(ratios.pop())} times the expected one: "
                "check the optimizer's base LR.")
    y_change = _first_change(yours[first - 1:], rel_tol)
    e_change = _first_change(expected[first - 1:], rel_tol)
    if e_change == 1 and y_change != 1 and yours[first - 1]:
        return (f"The LR should change at step {first} but yours stays "
                f"{_fmt(yours[first])}: check when your schedule decays "
                "(step_size, milestones, T_max).")
    if y_change == 1 and e_change != 1:
        return (f"Your LR changes at step {first}, where the expected LR stays "
                f"{_fmt(expected[first])}: does your schedule decay too early?")
    prev_y, prev_e = yours[first - 1], expected[first - 1]
    changes = sum(not math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
                  for a, b in itertools.pairwise(expected))
    if changes > len(expected) // 2:
        # A curve that changes every step (cosine, warmup, OneCycle): gamma is the wrong lead.
        return (f"Your curve parts from the expected one at step {first}: "
                f"yours is {_fmt(yours[first])}, expected {_fmt(expected[first])}. Check the "
                "curve's length and ends: T_max, T_0, total_steps, warmup length, eta_min.")
    if prev_y and prev_e:
        return (f"At step {first} your LR is multiplied by {_fmt(yours[first] / prev_y)}, the "
                f"expected one by {_fmt(expected[first] / prev_e)}: is the factor (gamma) right?")
    return f"At step {first} your LR is {_fmt(yours[first])}, expected {_fmt(expected[first])}."


def schedule_check(
    reference_factory: Callable[[Any], Any],
    steps: int,
    *,
    base_lr: float = 0.1,
    metrics: Sequence[float] | None = None,
    rel_tol: float = 1e-6,
    show: int = 5,
) -> Callable[[Any], Verdict]:
    """A check that the learner's scheduler (or factory) gives the reference's LRs.

    Both are stepped `steps` times in a dry run, as `preview_schedule` does.
    """

    def check_schedule(answer: Any) -> Verdict:
        if isinstance(answer, (list, tuple)) or hasattr(answer, "__array__"):
            return Verdict(False, "This exercise wants a scheduler object (or a factory "
                                  "`lambda opt: ...`), not a list of numbers: build it from "
                                  "torch.optim.lr_scheduler.")
        if isinstance(answer, type):
            return Verdict(False, f"That is the class {answer.__name__} itself: call it on the "
                                  "optimizer with its arguments to make a scheduler.")
        if hasattr(answer, "param_groups") and not is_scheduler(answer):
            return Verdict(False, "That is an optimizer; the exercise asks for a scheduler "
                                  "built on it.")
        expected = preview_schedule(reference_factory, steps, base_lr=base_lr, metrics=metrics)
        try:
            yours = preview_schedule(answer, steps, base_lr=base_lr, metrics=metrics)
        except (TypeError, ValueError, RuntimeError, KeyError, AttributeError) as err:
            return Verdict(False, f"Stepping your scheduler raised {_one_line(err)}")
        differ = [i for i, (y, e) in enumerate(zip(yours, expected, strict=True))
                  if not math.isclose(y, e, rel_tol=rel_tol, abs_tol=1e-12)]
        if not differ:
            return Verdict(True, f"Your schedule matches at all {steps} steps.")
        first = differ[0]
        advice = _schedule_advice(yours, expected, first, rel_tol)
        stepped = getattr(answer, "last_epoch", 0)
        if is_scheduler(answer) and isinstance(stepped, int) and stepped > 0:
            advice += (f" Your scheduler has already been stepped {stepped} times: "
                       "build a fresh one for the check.")
        rows = [(i, expected[i], yours[i]) for i in differ[:show]]
        return Verdict(
            False,
            f"At step {first} your LR is {_fmt(yours[first])}, expected {_fmt(expected[first])}. "
            + advice,
            [("step", "expected LR", "your LR"), *rows],
        )

    return check_schedule
