"""Check builders for numbers, functions and choices: what most exercises are made of."""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from course_utils.grader.answers import (
    _plain,
    case_seed,
    checked_seed,
    finite_number,
    learner_error,
    record,
    text,
)
from course_utils.grader.protocol import Check
from course_utils.grader.results import Malformed, Rejected, Row, Verdict, _fmt, _safe_str
from course_utils.schedules import is_scheduler

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
