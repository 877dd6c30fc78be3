"""Grading from exported data: every answer survives export -> JSON -> grade, forgeries don't."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path

import pytest
import torch
from torch.optim import lr_scheduler

import course_utils
from course_utils.grader import engine
from course_utils.grader.engine import check, evaluate, export_answer, grade_export, hint, solution
from course_utils.grader.exercises import all_exercises, get_exercise
from course_utils.grader.protocol import Exercise
from course_utils.grader.results import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    REVEAL_AFTER,
    UNKNOWN,
    CheckResult,
)
from course_utils.schedules import dummy_optimizer, preview_schedule

EXERCISES = list(all_exercises().values())
WRONGS = [pytest.param(ex, w, id=f"{ex.id}-{i}")
          for ex in EXERCISES for i, w in enumerate(ex.wrong)]


def through_json(exercise_id: str, answer: object) -> CheckResult:
    """What the teacher's checker does: export in the kernel, JSON text, grade elsewhere."""
    text = json.dumps(export_answer(exercise_id, answer), allow_nan=False)
    return grade_export(exercise_id, json.loads(text))


def solution_answer(ex: Exercise) -> object:
    namespace = {"torch": torch, "nn": torch.nn, "optim": torch.optim,
                 "lr_scheduler": lr_scheduler, "math": math, "course_utils": course_utils}
    exec(ex.solution, namespace)
    return namespace["answer"]


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_reference_and_solution_pass_through_json(ex: Exercise) -> None:
    assert ex.kind != "local"
    assert ex.reference is not None
    assert through_json(ex.id, ex.reference()).status == PASSED
    assert through_json(ex.id, solution_answer(ex)).status == PASSED


@pytest.mark.parametrize(("ex", "wrong"), WRONGS)
def test_wrong_answers_fail_through_json_with_the_same_message(ex, wrong) -> None:
    result = through_json(ex.id, wrong.make())
    assert result.status == FAILED
    assert wrong.says in result.message
    local = evaluate(ex, wrong.make(), reveal=True)
    assert (local.status, local.message) == (result.status, result.message)


def test_blank_answers_export_as_not_attempted() -> None:
    exported = export_answer("01.1", ...)
    assert exported == {"id": "01.1", "kind": "number", "blank": True}
    assert grade_export("01.1", exported).status == NOT_ATTEMPTED


def good_export(exercise_id: str) -> dict:
    ex = get_exercise(exercise_id)
    assert ex is not None and ex.reference is not None
    return json.loads(json.dumps(export_answer(exercise_id, ex.reference())))


HUGE = [0.1] * 1_000_000


def forgeries() -> list[tuple[str, str, object]]:
    """(case, exercise id, forged export): each must fail cleanly."""
    schedule = good_export("02.1")
    function = good_export("01.4")
    loop = good_export("02.3")
    plateau = good_export("05.2")
    table: list[tuple[str, str, object]] = [
        ("not a dict", "01.1", [4.6]),
        ("a string", "01.1", '{"id": "01.1", "status": "passed"}'),
        ("a status line", "01.1", {"id": "01.1", "status": "passed"}),
        ("None", "01.1", None),
        ("wrong number", "01.1", {"id": "01.1", "kind": "number", "data": 4.5}),
        ("number as text", "01.1", {"id": "01.1", "kind": "number", "data": "4.6"}),
        ("bool", "01.1", {"id": "01.1", "kind": "number", "data": True}),
        ("NaN", "01.1", {"id": "01.1", "kind": "number", "data": float("nan")}),
        ("infinity", "01.1", {"id": "01.1", "kind": "number", "data": math.inf}),
        ("huge int", "01.1", {"id": "01.1", "kind": "number", "data": 10**400}),
        ("another exercise", "01.1", {**good_export("02.2"), "id": "02.2"}),
        ("relabelled", "01.1", {**good_export("02.2"), "id": "01.1"}),
        ("id not text", "01.1", {"id": 1.1, "kind": "number", "data": 4.6}),
        ("extra key", "01.1", {**good_export("01.1"), "status": "passed"}),
        ("wrong kind", "02.1", {**schedule, "kind": "number"}),
        ("short list", "02.1", {**schedule, "data": schedule["data"][:-1]}),
        ("long list", "02.1", {**schedule, "data": schedule["data"] + [0.1]}),
        ("huge list", "02.1", {**schedule, "data": HUGE}),
        ("strings in list", "02.1", {**schedule, "data": [str(v) for v in schedule["data"]]}),
        ("NaN in list", "02.1", {**schedule, "data": [math.nan, *schedule["data"][1:]]}),
        ("dict for list", "02.1", {**schedule, "data": {"lrs": schedule["data"]}}),
        ("wrong LRs", "02.1", {**schedule, "data": [0.1] * len(schedule["data"])}),
        ("error text only", "02.1", {"id": "02.1", "kind": "schedule", "error": "=HYPERLINK()"}),
        ("note not text", "02.1", {**schedule, "note": ["x"]}),
        ("function outputs forged", "01.4",
         {**function, "data": {**function["data"],
                               "outputs": [0.0] * len(function["data"]["outputs"])}}),
        ("function cases dropped", "01.4",
         {**function, "data": {**function["data"], "cases": function["data"]["cases"][:1],
                               "outputs": function["data"]["outputs"][:1]}}),
        ("function cases changed", "01.4",
         {**function, "data": {**function["data"],
                               "cases": [{**c, "steps": 0} for c in function["data"]["cases"]]}}),
        ("function seed not int", "01.4",
         {**function, "data": {**function["data"], "seed": "7"}}),
        ("function outputs short", "01.4",
         {**function, "data": {**function["data"], "outputs": []}}),
        ("loop runs missing", "02.3", {**loop, "data": {**loop["data"], "runs": []}}),
        ("loop flag not bool", "02.3",
         {**loop, "data": {**loop["data"],
                           "runs": [{**r, "warned": 0} for r in loop["data"]["runs"]]}}),
        ("plateau keys", "05.2", {**plateau, "data": {"slow": plateau["data"]["slow"]}}),
        ("epochs as floats", "05.1", {"id": "05.1", "kind": "epochs", "data": [6.0, 10.0]}),
        ("mapping values not text", "06.4",
         {"id": "06.4", "kind": "mapping", "data": {"A": ["adam"], "B": "warmup_cosine",
                                                    "C": "plateau", "D": "multistep"}}),
        ("deep nesting", "01.1", {"id": "01.1", "kind": "number", "data": [[[[[[4.6]]]]]]}),
    ]
    return table


@pytest.mark.parametrize(("case", "exercise_id", "forged"), forgeries(),
                         ids=[c for c, _, _ in forgeries()])
def test_forged_exports_fail_cleanly(case: str, exercise_id: str, forged: object) -> None:
    result = grade_export(exercise_id, forged)
    assert isinstance(result, CheckResult)
    assert result.status == FAILED, (case, str(result))
    assert str(result) and len(result.message) < 2000


def test_malformed_data_is_named_malformed() -> None:
    result = grade_export("02.1", {"id": "02.1", "kind": "schedule", "data": HUGE})
    assert "malformed" in result.message


def test_grade_export_never_raises_for_odd_ids() -> None:
    class Loud:
        def __str__(self) -> str:
            raise SystemError("no")

    assert grade_export(Loud(), {}).status == UNKNOWN
    assert grade_export("99.9", {}).status == UNKNOWN


def test_grade_export_shows_the_expected_value_to_the_teacher() -> None:
    result = grade_export("02.2", {"id": "02.2", "kind": "number", "data": 0.5})
    assert result.status == FAILED and "0.02" in result.message


def test_drawn_cases_follow_the_seed_and_the_grader_can_insist_on_it(monkeypatch) -> None:
    ex = get_exercise("01.4")
    monkeypatch.setenv("LR_COURSE_SEED", "1234")
    first = export_answer("01.4", ex.reference())
    monkeypatch.setenv("LR_COURSE_SEED", "99")
    second = export_answer("01.4", ex.reference())
    assert first["data"]["seed"] == 1234 and second["data"]["seed"] == 99
    assert first["data"]["cases"][:6] == second["data"]["cases"][:6]  # the fixed cases
    assert first["data"]["cases"][6:] != second["data"]["cases"][6:]  # the drawn ones
    monkeypatch.delenv("LR_COURSE_SEED")
    assert grade_export("01.4", first, seed=1234).status == PASSED
    stale = grade_export("01.4", first, seed=99)
    assert stale.status == FAILED and "another seed" in stale.message
    monkeypatch.setenv("LR_COURSE_SEED", "99")
    assert grade_export("01.4", first).status == FAILED  # the grader's own seed
    assert grade_export("01.4", second).status == PASSED


def test_a_function_that_only_knows_the_fixed_cases_fails() -> None:
    from course_utils.grader.exercises.lesson01 import descend_reference

    known = {(1.0, 0.1, 1), (1.0, 0.1, 10), (-2.0, 0.05, 30), (3.0, 0.9, 7), (1.0, 1.2, 5),
             (1.0, 0.4, 0)}

    def memorised(x0: float, lr: float, steps: int) -> float:
        return descend_reference(x0, lr, steps) if (x0, lr, steps) in known else 0.123

    assert through_json("01.4", memorised).status == FAILED


def test_check_appends_the_export_not_the_status(tmp_path: Path, monkeypatch) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv("LR_COURSE_RESULTS", str(results))
    check("01.1", 4.6)
    check("02.1", lambda opt: lr_scheduler.StepLR(opt, 15, 0.5))
    check("01.1", ...)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["01.1", "02.1", "01.1"]
    assert all("status" not in line for line in lines)
    assert lines[0] == {"id": "01.1", "kind": "number", "data": 4.6}
    assert grade_export("02.1", lines[1]).status == PASSED


def test_the_expected_number_shows_only_after_a_few_tries(monkeypatch) -> None:
    monkeypatch.setattr(engine, "_failed_tries", {})
    shown = [check("02.2", 0.3).message for _ in range(REVEAL_AFTER)]
    assert all("0.02" not in m for m in shown[:-1])
    assert "The expected answer is 0.02" in shown[-1]
    assert "0.02" in str(solution("02.2"))


# --------------------------------------------------------------------------
# Never a traceback, never a stepped scheduler (issue 14, item 5)
# --------------------------------------------------------------------------


class BadStr:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    __repr__ = __str__


def test_an_id_whose_str_raises_gets_a_result_a_hint_and_a_solution() -> None:
    assert check(BadStr(), 1).status == UNKNOWN  # type: ignore[arg-type]
    assert "No such exercise" in str(hint(BadStr()))  # type: ignore[arg-type]
    assert "No such exercise" in str(solution(BadStr()))  # type: ignore[arg-type]
    assert export_answer(BadStr(), 1)["kind"] == "unknown"


@pytest.mark.parametrize("exc", [SystemExit, KeyboardInterrupt, GeneratorExit])
@pytest.mark.parametrize("exercise_id", ["01.4", "02.3", "05.3", "03.1", "02.1", "06.3"])
def test_exits_raised_by_the_learners_code_become_failed_results(exc, exercise_id) -> None:
    def answer(*args: object, **kwargs: object) -> float:
        raise exc("from the learner")

    result = check(exercise_id, answer)
    assert result.status == FAILED and exc.__name__ in result.message


def test_an_answer_whose_float_raises_systemexit_fails() -> None:
    class Exits:
        def __float__(self) -> float:
            raise SystemExit(3)

    assert check("01.1", Exits()).status == FAILED
    assert check("06.4", {BadStr(): "adam"}).status == FAILED


def test_a_real_interrupt_during_the_learners_code_is_not_swallowed() -> None:
    def slow(x0: float, lr: float, steps: int) -> float:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        check("01.4", slow)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_previews_and_checks_never_step_a_live_scheduler() -> None:
    live = lr_scheduler.StepLR(dummy_optimizer(0.1), step_size=15, gamma=0.5)
    with pytest.warns(UserWarning, match="another optimizer"):
        lrs = preview_schedule(lambda opt: live, 60)
    assert lrs == preview_schedule(lambda opt: lr_scheduler.StepLR(opt, 15, 0.5), 60)
    result = check("02.1", lambda opt: live)
    assert result.status == PASSED  # the same curve: a copy of it was previewed
    check("02.1", live)
    check("05.2", lambda opt: lr_scheduler.ReduceLROnPlateau(live.optimizer))
    assert live.last_epoch == 0 and live.optimizer.param_groups[0]["lr"] == 0.1


def test_a_live_factory_on_another_lr_is_told_so() -> None:
    live = lr_scheduler.StepLR(dummy_optimizer(0.5), step_size=15, gamma=0.5)
    result = check("02.1", lambda opt: live)
    assert result.status == FAILED
    assert "another optimizer" in result.message and "5 times" in result.message
    assert live.last_epoch == 0


ODD_ANSWERS = [
    None, ..., "text", b"bytes", -1, True, math.nan, math.inf, 10**400, [], {}, object(),
    lambda: 1 / 0, lambda *a, **k: 1 / 0, torch.tensor([1.0, 2.0]), torch.tensor(math.nan),
    lr_scheduler.StepLR, dummy_optimizer(), print, type, BadStr(), [math.nan], {"A": math.inf},
]


@pytest.mark.parametrize("exercise_id", list(all_exercises()))
def test_every_odd_answer_exports_as_json_and_grades_as_a_failure(exercise_id: str) -> None:
    for answer in ODD_ANSWERS:
        exported = export_answer(exercise_id, answer)
        text = json.dumps(exported, allow_nan=False)  # always plain JSON
        result = grade_export(exercise_id, json.loads(text))
        blank = answer is None or answer is Ellipsis
        assert result.status == (NOT_ATTEMPTED if blank else FAILED), (answer, str(result))
