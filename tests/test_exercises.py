"""Every exercise of every lesson: reference and solution code pass, known-wrong answers fail."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn, optim
from torch.optim import lr_scheduler

import course_utils
from course_utils.grader.engine import evaluate
from course_utils.grader.exercises import all_exercises, get_exercise, load_errors, normalise_id
from course_utils.grader.protocol import Exercise, Wrong
from course_utils.grader.results import FAILED, PASSED

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
