"""Every exercise of every lesson: reference and solution code pass, known-wrong answers fail."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn, optim
from torch.optim import lr_scheduler

import course_utils
from course_utils.grader import engine
from course_utils.grader.engine import evaluate
from course_utils.grader.exercises import all_exercises, get_exercise, load_errors, normalise_id
from course_utils.grader.exercises.lesson05 import drop_epochs
from course_utils.grader.protocol import Exercise, Wrong
from course_utils.grader.results import FAILED, PASSED, REVEAL_AFTER

EXERCISES = list(all_exercises().values())
WRONGS = [
    pytest.param(ex, w, id=f"{ex.id}-{i}") for ex in EXERCISES for i, w in enumerate(ex.wrong)
]


def test_every_lesson_module_loads() -> None:
    assert load_errors() == {}
    assert EXERCISES


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_exercise_is_complete(ex: Exercise) -> None:
    assert re.fullmatch(r"\d{2}\.\d+", ex.id)
    assert ex.title and "\n" not in ex.title
    assert 2 <= len(ex.hints) <= 3
    assert ex.reference is not None
    assert "answer =" in ex.solution
    assert ex.wrong, "each exercise lists known-wrong answers"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_reference_passes(ex: Exercise) -> None:
    assert ex.reference is not None
    result = evaluate(ex, ex.reference())
    assert result.status == PASSED, str(result)


def solution_namespace() -> dict[str, object]:
    """What a lesson's first cells have imported when a learner writes a solution."""
    return {"torch": torch, "nn": nn, "optim": optim, "lr_scheduler": lr_scheduler,
            "math": math, "course_utils": course_utils}


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_solution_code_passes(ex: Exercise) -> None:
    namespace = solution_namespace()
    exec(ex.solution, namespace)
    result = evaluate(ex, namespace["answer"])
    assert result.status == PASSED, str(result)


@pytest.mark.parametrize(("ex", "wrong"), WRONGS)
def test_known_wrong_answer_fails_with_its_feedback(ex: Exercise, wrong: Wrong) -> None:
    result = evaluate(ex, wrong.make())
    assert result.status == FAILED
    assert wrong.says in result.message, str(result)
    for text in wrong.avoid:
        assert text not in result.message, str(result)
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", result.message) if s.strip()]
    assert len(sentences) == len(set(sentences)), f"a sentence repeats: {result.message}"


def test_table_headers_are_never_blank() -> None:
    for ex in EXERCISES:
        for wrong in ex.wrong:
            table = evaluate(ex, wrong.make()).table
            if table:
                assert all(str(h).strip() for h in table[0][1:]), (ex.id, table[0])


def test_ids_are_normalised() -> None:
    assert normalise_id("1.1") == "01.1"
    assert normalise_id(" 01.1 ") == "01.1"
    assert get_exercise("1.1") is get_exercise("01.1") is not None
    assert get_exercise("nope") is None


def test_lesson01_curves_rank_the_lrs_as_the_exercise_says() -> None:
    from course_utils.grader.exercises.lesson01 import CURVE_LRS, loss_curves

    curves = loss_curves()
    assert set(curves) == set(CURVE_LRS)
    final = {lr: losses[-1] for lr, losses in curves.items()}
    assert min(final, key=final.get) == get_exercise("01.3").reference()  # type: ignore[union-attr]
    assert curves[1.2][-1] > curves[1.2][0]  # diverges
    assert curves[0.005][-1] > 0.1 * curves[0.005][0]  # crawls


def test_lesson01_edge_with_momentum_is_where_torch_sgd_stops_converging() -> None:
    from course_utils.grader.exercises.lesson01 import EDGE_CURVATURE, EDGE_MOMENTUM

    edge = get_exercise("01.2").reference()  # type: ignore[union-attr]
    assert edge == pytest.approx(2 * (1 + EDGE_MOMENTUM) / EDGE_CURVATURE)

    def torch_sgd(lr: float, steps: int = 400) -> float:
        x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=lr, momentum=EDGE_MOMENTUM)
        for _ in range(steps):
            opt.zero_grad()
            (0.5 * EDGE_CURVATURE * x**2).sum().backward()
            opt.step()
        return float(x.detach())

    assert abs(torch_sgd(edge * 0.98)) < 1e-2 and abs(torch_sgd(edge * 1.02)) > 1e2


def test_lesson01_bowl_is_the_hikers_bowl() -> None:
    from course_utils.grader.exercises.lesson01 import BOWL_CURVATURE
    from course_utils.hiker import LANDSCAPES

    assert LANDSCAPES["bowl"].curvature == BOWL_CURVATURE
    assert LANDSCAPES["bowl"].stability_limit == 2 / BOWL_CURVATURE


# --------------------------------------------------------------------------
# The first wrong try keeps back what the learner would type
# --------------------------------------------------------------------------


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """No failed tries counted yet, as in a kernel that has just started."""
    monkeypatch.setattr(engine, "_failed_tries", {})


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_a_first_wrong_try_shows_nothing_it_should_keep_back(
    ex: Exercise, fresh_session: None
) -> None:
    for wrong in ex.wrong:
        engine._failed_tries.clear()
        result = engine.check(ex.id, wrong.make())
        assert result.status == FAILED, str(result)
        shown = f"{result}\n{result._repr_html_()}"
        for text in wrong.avoid:
            assert text not in shown, f"{ex.id}: a first try shows {text!r}:\n{result}"


KEPT_BACK = {  # exercise: (a wrong answer, what its first try keeps back and a later one shows)
    "03.2": (lambda: get_exercise("03.2").wrong[0].make(), ("T_max=25", "milestones=[5]")),
    "05.1": (lambda: [e + 1 for e in drop_epochs()], (str(drop_epochs()),)),
    "02.2": (lambda: 0.1, ("0.02",)),
}


@pytest.mark.parametrize("exercise_id", sorted(KEPT_BACK))
def test_what_is_kept_back_shows_after_reveal_after_tries_and_in_the_solution(
    exercise_id: str, fresh_session: None
) -> None:
    make, kept = KEPT_BACK[exercise_id]
    messages = [engine.check(exercise_id, make()).message for _ in range(REVEAL_AFTER)]
    for text in kept:
        assert all(text not in m for m in messages[:-1]), messages
        assert text in messages[-1], messages[-1]
        assert text in str(engine.solution(exercise_id))


def test_04_2_keeps_its_band_back_until_a_few_tries_failed(fresh_session: None) -> None:
    from course_utils.grader.exercises.lesson04 import max_lr_band

    low, high = (f"{v:.3g}" for v in max_lr_band())
    tries = [engine.check("04.2", 20.0) for _ in range(REVEAL_AFTER)]
    for result in tries[:-1]:
        assert low not in str(result) and high not in str(result), str(result)
    assert f"{low} to {high}" in tries[-1].message


def test_07_2_blames_the_denominator_not_the_timing() -> None:
    from course_utils.grader.exercises.lesson07 import _decay_over_the_whole_run

    message = evaluate(get_exercise("07.2"), _decay_over_the_whole_run).message
    assert "denominator" in message and "whole run's steps" in message
    assert "later than the target" not in message
