"""The check builders and `check` itself: specific feedback, and never a traceback."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim import lr_scheduler

from course_utils.grader.builders import choice_check, function_check, number_check
from course_utils.grader.engine import check, evaluate, hint, solution
from course_utils.grader.exercises import all_exercises
from course_utils.grader.protocol import Exercise
from course_utils.grader.results import FAILED, NOT_ATTEMPTED, PASSED, UNKNOWN, CheckResult, Verdict
from course_utils.grader.schedule_feedback import schedule_check


def step_reference(opt: torch.optim.Optimizer) -> lr_scheduler.LRScheduler:
    return lr_scheduler.StepLR(opt, step_size=3, gamma=0.1)


step_check = schedule_check(step_reference, 10, base_lr=0.1)


def sgd(lr: float = 0.1) -> torch.optim.SGD:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def test_schedule_check_accepts_a_factory_and_a_live_scheduler() -> None:
    assert step_check(lambda opt: lr_scheduler.StepLR(opt, 3, 0.1)).passed
    assert step_check(lr_scheduler.StepLR(sgd(), 3, 0.1)).passed
    adam = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert step_check(lr_scheduler.StepLR(adam, 3, 0.1)).passed


def test_schedule_check_leaves_a_live_scheduler_unstepped() -> None:
    scheduler = lr_scheduler.StepLR(sgd(), 3, 0.1)
    step_check(scheduler)
    assert scheduler.last_epoch == 0


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda opt: lr_scheduler.StepLR(opt, 3, 0.5), "the factor differs"),
        (lambda opt: lr_scheduler.StepLR(opt, 4, 0.1), "should change at step 3"),
        (lambda opt: lr_scheduler.StepLR(opt, 2, 0.1), "decay too early"),
        (lr_scheduler.StepLR(sgd(0.5), 3, 0.1), "Every LR of yours is 5 times"),
        ([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001], "not a list of numbers"),
        (torch.tensor([0.1] * 10), "not a list of numbers"),
        (lr_scheduler.StepLR, "class StepLR"),
        (sgd(), "That is an optimizer"),
        (lambda opt: lr_scheduler.StepLR(opt), "raised TypeError"),
        (lambda opt: 0.1, "should return a torch.optim.lr_scheduler"),
        ("StepLR(opt, 3, 0.1)", "needs a scheduler or a factory"),
    ],
)
def test_schedule_check_says_what_differs(answer: object, says: str) -> None:
    verdict = step_check(answer)
    assert not verdict.passed
    assert says in verdict.message


def test_schedule_check_table_lists_the_first_differing_steps() -> None:
    verdict = step_check(lambda opt: lr_scheduler.StepLR(opt, 3, 0.5))
    assert verdict.table is not None
    assert verdict.table[0] == ("step", "expected LR", "your LR")
    assert verdict.table[1][0] == 3
    assert math.isclose(verdict.table[1][1], 0.01)
    assert math.isclose(verdict.table[1][2], 0.05)


def test_schedule_check_notices_an_already_stepped_scheduler() -> None:
    scheduler = lr_scheduler.StepLR(sgd(), 3, 0.1)
    for _ in range(4):
        scheduler.optimizer.step()
        scheduler.step()
    verdict = step_check(scheduler)
    assert not verdict.passed
    assert "already been stepped 4 times" in verdict.message


def test_schedule_check_with_metrics_for_plateau() -> None:
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]
    reference = lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)  # noqa: E731
    plateau_check = schedule_check(reference, 7, metrics=losses)
    assert plateau_check(reference).passed
    wrong = plateau_check(lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=1))
    assert not wrong.passed


def test_number_check() -> None:
    within = number_check(0.5, tol=1e-3, unit="", mistakes={0.25: "One jump."})
    assert within(0.5004).passed
    assert within(torch.tensor(0.5)).passed
    assert "One jump." in within(0.25).message
    assert "NaN" in within(float("nan")).message
    assert "single number" in within("0.5").message
    assert "single number" in within(True).message
    assert "0.5" not in within(0.7).message  # the expected value is held back...
    assert "± 0.001" in within(0.7).reveal  # ...for later tries


def test_function_check_reports_a_raising_function_in_one_line() -> None:
    def cube(x: float) -> float:
        return x**3

    fn_check = function_check(cube, [(1.0,), (2.0,), {"x": -1.5}], tol=1e-9)
    assert fn_check(lambda x: x * x * x).passed
    raised = fn_check(lambda x: 1 / 0)
    assert "ZeroDivisionError" in raised.message and "\n" not in raised.message
    assert "hint 1" in raised.message
    wrong = fn_check(lambda x: x * x)
    assert "cases differ" in wrong.message and wrong.table is not None
    assert not fn_check(lambda x: float("nan")).passed
    assert "wants a function" in fn_check(3).message


def test_choice_check() -> None:
    pick = choice_check("b", {"a": "Too slow.", "b": "Fastest.", "c": "Diverges."})
    assert pick(" B ").passed
    assert "Diverges." in pick("c").message
    assert "Choose one of" in pick("z").message
    assert "Choose one of" in pick([1]).message
    numeric = choice_check(0.2, [0.01, 0.2])
    assert numeric(0.2).passed and numeric(1 / 5).passed
    assert not numeric(float("nan")).passed


def _custom(answer: object) -> Verdict:
    if answer == "boom":
        raise RuntimeError("the check itself broke\nsecond line")
    return Verdict(answer == 42, "Forty-two.", [("a", "b"), (1, 2)])


CUSTOM = Exercise(id="99.1", title="Custom", check=_custom, hints=("h",), solution="answer = 42")


def test_evaluate_custom_check_and_exceptions() -> None:
    assert evaluate(CUSTOM, 42).status == PASSED
    broken = evaluate(CUSTOM, "boom")
    assert broken.status == FAILED
    assert "RuntimeError: the check itself broke" in broken.message
    assert "second line" not in broken.message
    assert evaluate(CUSTOM, ...).status == NOT_ATTEMPTED
    assert evaluate(CUSTOM, None).status == NOT_ATTEMPTED


def test_result_views_use_a_mark_and_words() -> None:
    passed = evaluate(CUSTOM, 42)
    failed = evaluate(CUSTOM, 41)
    assert str(passed).startswith("✓ Passed: 99.1 Custom")
    assert str(failed).startswith("✗ Not yet: 99.1 Custom")
    assert "✓ Passed" in passed._repr_html_() and "<table>" in passed._repr_html_()
    assert "✗ Not yet" in failed._repr_html_()
    assert repr(failed) == str(failed)
    assert "not attempted" in str(evaluate(CUSTOM, ...)).lower()


def test_feedback_shows_code_as_code() -> None:
    from course_utils.grader.results import inline_code_html

    blank = check(next(iter(all_exercises())), ...)
    assert "Replace the `...` with your answer" in str(blank)  # plain text keeps the backticks
    shown = blank._repr_html_()
    assert "Replace the <code>...</code> with your answer" in shown and "`" not in shown
    assert inline_code_html("a `<b>` c") == "a <code>&lt;b&gt;</code> c"
    assert inline_code_html("one ` alone") == "one ` alone"  # unpaired: left as written


BAD_INPUTS = [
    None, ..., "text", b"bytes", 3, -1, True, float("nan"), math.inf, 10**400, [], {},
    object(), lambda: 1 / 0, lambda *a, **k: 1 / 0, torch.tensor([1.0, 2.0]),
    torch.tensor(float("nan")), lr_scheduler.StepLR, lr_scheduler.StepLR(sgd(7.0), 1, 0.5),
    sgd(), print, type, int,
]


@pytest.mark.parametrize("exercise_id", [*all_exercises(), "00.0", "nonsense", None, 1.1])
@pytest.mark.parametrize("answer", BAD_INPUTS, ids=lambda a: type(a).__name__)
def test_check_never_raises(exercise_id: object, answer: object) -> None:
    result = check(exercise_id, answer)  # type: ignore[arg-type]
    assert isinstance(result, CheckResult)
    assert str(result) and result._repr_html_()
    if result.status != UNKNOWN and answer is not None and answer is not Ellipsis:
        assert result.status == FAILED


def test_unknown_id_names_the_nearest() -> None:
    result = check("1.10", 1)
    assert result.status == UNKNOWN and not result.passed
    assert "There is no exercise '1.10'" in result.message
    assert "01.1" in result.message


def test_hints_come_one_at_a_time_and_stop_at_the_last() -> None:
    ex = next(iter(all_exercises().values()))
    shown = [str(hint(ex.id)) for _ in range(len(ex.hints) + 1)]
    for i, text in enumerate(ex.hints):
        assert text in shown[i] and f"Hint {i + 1} of {len(ex.hints)}" in shown[i]
    assert "last hint" in shown[-1]
    assert ex.solution.strip() in str(solution(ex.id))
    assert "<pre>" in solution(ex.id)._repr_html_()
    assert "no exercise" in str(hint("nope"))


def test_smooth_curves_get_advice_that_names_no_parameter() -> None:
    from torch.optim.lr_scheduler import CosineAnnealingLR

    check_cosine = schedule_check(lambda opt: CosineAnnealingLR(opt, T_max=20), 20)
    verdict = check_cosine(lambda opt: CosineAnnealingLR(opt, T_max=30))
    assert not verdict.passed
    assert "gamma" not in verdict.message and "step_size" not in verdict.message
    assert "ends at" in verdict.message


def test_table_steps_are_whole_numbers() -> None:
    verdict = step_check(lr_scheduler.StepLR(sgd(0.5), 3, 0.1))
    assert verdict.table is not None and verdict.table[1][0] == 0
    assert "0.0 " not in str(evaluate(Exercise("99.2", "t", step_check, ("h",), "answer = 1"),
                                      lr_scheduler.StepLR(sgd(0.5), 3, 0.1)))
