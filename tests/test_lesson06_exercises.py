"""Lesson 06 exercises match the linter: each broken setup is flagged, each fix is clean."""

from __future__ import annotations

import pytest

from course_utils.grader.exercises import lesson06
from course_utils.lint import lint_schedule
from course_utils.schedules import preview_schedule


@pytest.mark.parametrize("name", sorted(lesson06.BROKEN))
def test_broken_setup_is_flagged_and_its_fix_is_clean(name: str) -> None:
    assert lesson06.run_warnings(lesson06.BROKEN[name])
    assert lesson06.run_warnings(lesson06.FIXED[name]) == []


@pytest.mark.parametrize("name", sorted(lesson06.TRANSFER_BROKEN))
def test_transfer_setups_are_flagged_on_their_run_and_their_fixes_are_clean(name: str) -> None:
    run = (lesson06.T_EPOCHS, lesson06.T_STEPS_PER_EPOCH)
    assert lesson06.run_warnings(lesson06.TRANSFER_BROKEN[name], *run)
    assert lesson06.run_warnings(lesson06.TRANSFER_FIXED[name], *run) == []
    assert lesson06.run_warnings(lesson06.FIXED[name], *run)  # the lesson's answer won't do


def test_onecycle_transfer_accepts_epochs_and_steps_per_epoch() -> None:
    from course_utils.grader.engine import evaluate
    from course_utils.grader.exercises import get_exercise

    answer = lambda opt: lesson06.lrs.OneCycleLR(opt, max_lr=0.5, epochs=12,  # noqa: E731
                                                 steps_per_epoch=25)
    assert evaluate(get_exercise("06.1"), answer).passed


def test_exponential_fix_ends_at_one_hundredth() -> None:
    lrs = preview_schedule(lesson06.FIXED["exponential"], lesson06.RUN_STEPS,
                           base_lr=lesson06.PEAK_LR)
    assert lrs[-1] / lrs[0] == pytest.approx(lesson06.END_RATIO, rel=1e-9)


def test_situation_b_reference_fits_its_run_with_the_answered_t_max() -> None:
    assert lint_schedule(lesson06.warmup_cosine_reference, epochs=lesson06.B_EPOCHS,
                         steps_per_epoch=lesson06.B_BATCHES, step_every="batch") == []
    lrs = preview_schedule(lesson06.warmup_cosine_reference,
                           lesson06.B_EPOCHS * lesson06.B_BATCHES)
    assert lrs[-1] < 1e-6 * max(lrs)  # what 06.5's prompt tells the learner to look for


def test_situation_b_whole_run_t_max_stays_visibly_above_the_floor() -> None:
    from torch.optim import lr_scheduler as lrs

    warmup = lesson06.B_WARMUP_EPOCHS * lesson06.B_BATCHES
    run = lesson06.B_EPOCHS * lesson06.B_BATCHES

    def whole_run(opt):  # the mistake 06.5's prompt contrasts: T_max = the whole run
        return lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                                      lrs.CosineAnnealingLR(opt, T_max=run)],
                                milestones=[warmup])

    lrs_seen = preview_schedule(whole_run, run)
    assert lrs_seen[-1] / max(lrs_seen) == pytest.approx(0.008, abs=0.001)


def test_exponential_accepts_the_number_gamma_or_a_factory() -> None:
    from course_utils.grader.engine import evaluate
    from course_utils.grader.exercises import get_exercise

    ex = get_exercise("06.3")
    assert evaluate(ex, 0.01 ** (1 / 159)).passed
    assert evaluate(ex, 0.9714).passed
    assert evaluate(ex, 0.971).passed and evaluate(ex, 0.972).passed  # three decimals do
    assert not evaluate(ex, 0.97).passed
    assert evaluate(ex, lesson06.FIXED["exponential"]).passed
    assert not evaluate(ex, 0.5).passed
    assert not evaluate(ex, True).passed
