"""Exercise 06.6 asks 06.4's situations with today's guide; 06.4 keeps its meaning."""

from __future__ import annotations

from course_utils.grader.engine import evaluate
from course_utils.grader.exercises import get_exercise, lesson06


def test_06_4_keeps_its_key_and_06_6_changes_only_situation_a() -> None:
    assert lesson06.BEST["A"] == "adam"
    changed = {k for k in lesson06.BEST if lesson06.BEST[k] != lesson06.TODAY_BEST[k]}
    assert changed == {"A"}
    assert lesson06.TODAY_BEST["A"] == "adamw_warmup_cosine"


def test_each_key_passes_its_own_exercise_only() -> None:
    old, new = dict(lesson06.BEST), dict(lesson06.TODAY_BEST)
    then, now = get_exercise("06.4"), get_exercise("06.6")
    assert then is not None and now is not None
    assert evaluate(then, old).passed and not evaluate(then, new).passed
    assert evaluate(now, new).passed and not evaluate(now, old).passed


def test_06_6_exports_plain_data_and_names_the_guide() -> None:
    exercise = get_exercise("06.6")
    assert exercise is not None and exercise.kind == "mapping"
    result = evaluate(exercise, {**lesson06.TODAY_BEST, "B": "adamw_warmup_cosine"})
    assert not result.passed and "fixes the optimizer" in result.message
