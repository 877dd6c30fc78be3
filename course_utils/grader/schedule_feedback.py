"""Schedule checks, with feedback that names the parameter that makes an LR curve differ.

The grade tries the reference with one parameter changed at a time, to find the one that
reproduces the learner's curve, and says where the two curves part and where each ends.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from course_utils.grader.answers import float_list, learner_error
from course_utils.grader.protocol import Check
from course_utils.grader.results import Exported, Rejected, Verdict, _fmt
from course_utils.schedules import is_scheduler, preview_schedule

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
    reveal: str = "",
) -> Check:
    """A check that the learner's scheduler (or factory) gives the reference's LRs.

    Both are stepped `steps` times in a dry run, as `preview_schedule` does; the export
    is the learner's LR list. When the curves differ, the grade tries each `knob`'s
    guesses through `vary(name, value)` (the reference with one parameter changed) and
    names the parameter that reproduces the learner's curve; else `advice(yours,
    expected, first)` or a generic sentence. `note(answer)` adds a sentence from the
    learner's side (e.g. a linter warning); `convert` turns the answer into a scheduler
    or factory first. With `show_curve=False` only the ends are shown, never the steps.
    `reveal` names the expected settings, held back until a few tries have failed.
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
            why = (f"Only {knob.name} differs: your curve is the one {knob.name}="
                   f"{_value_text(value)} gives, with every other setting as in the target. "
                   f"{knob.advice}").strip()
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
                       [("step", "expected LR", "your LR"), *rows], reveal)

    return Check("schedule", export, grade, reveal)
