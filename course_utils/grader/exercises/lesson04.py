"""Lesson 04 exercises: OneCycle's step count, a max_lr read off a range test, a target curve."""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch.optim import lr_scheduler as lrs

from course_utils.grader.answers import finite_number
from course_utils.grader.builders import as_number, number_check
from course_utils.grader.protocol import Check, Exercise, Wrong
from course_utils.grader.results import Verdict
from course_utils.grader.schedule_feedback import Knob, peak_step, schedule_check, with_rounded
from course_utils.schedules import preview_schedule

# 04.1: 15 epochs over the 1,257 training images in batches of 32.
EPOCHS, IMAGES, BATCH = 15, 1257, 32
BATCHES = math.ceil(IMAGES / BATCH)  # the last, smaller batch is a step too

check_total_steps = number_check(
    EPOCHS * BATCHES,
    tol=0.5,
    mistakes={
        EPOCHS: "That is the number of epochs: OneCycleLR is stepped once per batch.",
        BATCHES: "That is one epoch's batches; the cycle spans the whole run.",
        EPOCHS * IMAGES / BATCH: "Steps are whole batches: the last, smaller batch counts as one.",
        EPOCHS * (IMAGES // BATCH): ("The DataLoader keeps the last, smaller batch (unless "
                                     "drop_last=True): round up, not down."),
        EPOCHS * IMAGES: "That counts images; the optimizer steps once per batch.",
    },
)


# 04.2: the range test of the lesson, run again here exactly as the lesson runs it.
RANGE_SEED = 0


@lru_cache(maxsize=1)
def range_result():  # -> RangeTestResult
    """The MLP's range test with SGD (momentum 0.9), seed 0, as the lesson's first sweep."""
    from course_utils.data import make_loaders
    from course_utils.models import make_model
    from course_utils.range_test import lr_range_test
    from course_utils.training import cpu_threads

    model = make_model("mlp", seed=RANGE_SEED)
    train, _, _ = make_loaders(seed=RANGE_SEED)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with cpu_threads(1):
        return lr_range_test(model, train, optimizer, seed=RANGE_SEED)


# Reading an LR off a log axis by eye is good to about 10%, so the band gets that much slack.
READING_SLACK = 1.1


def max_lr_band() -> tuple[float, float]:
    """Fair answers: a tenth to a third of the lowest-loss LR, with slack for reading the plot."""
    result = range_result()
    return result.min_loss_lr / 10 / READING_SLACK, result.min_loss_lr / 3 * READING_SLACK


def grade_max_lr(data: object) -> Verdict:
    """04.2: a max_lr inside the band the range test supports."""
    value = finite_number(data)
    if value <= 0:
        return Verdict(False, f"A learning rate is a positive number; got {value:g}.")
    result = range_result()
    low, high = max_lr_band()
    band = ("a tenth to a third of it, ±10%", f"{low:.3g} to {high:.3g}")
    table = [("", "learning rate"), ("steepest fall", f"{result.steepest_lr:.3g}"),
             ("lowest loss", f"{result.min_loss_lr:.3g}"), ("yours", f"{value:.3g}")]
    if low <= value <= high:
        return Verdict(True, f"Right: {value:.3g} lies between a tenth and a third of the "
                             f"lowest-loss LR ({result.min_loss_lr:.2g}), well below the edge. "
                             f"The cautious rule of thumb would say {result.suggested_max_lr:.2g}.",
                       [*table[:3], band, table[3]])
    if value > result.lrs[-1]:
        why = "That is beyond the end of the sweep: the loss had already blown up before it."
    elif value >= result.min_loss_lr * 0.8:
        why = ("That is near the lowest point of the smoothed curve, which lags the raw loss: "
               "there the raw loss is already rising, past the edge of stability. Step back by "
               "a few times.")
    elif value > high:
        why = "That is close to the edge where the loss turns up; leave more margin."
    elif value < result.lrs[0] * 100:
        why = "That is in the flat start of the curve, where the LR is too small to move the loss."
    else:
        why = ("That is below a tenth of the lowest-loss LR: safe, but a cycle can afford a "
               "larger peak.")
    return Verdict(False, f"{value:.3g} is outside the fair band. {why}", table,
                   reveal=f"The fair band is {low:.3g} to {high:.3g}: {band[0]}.")


check_max_lr = Check("number", as_number, grade_max_lr)


# 04.3: the OneCycleLR behind a target curve.
TARGET_STEPS = 100


TARGET_PARAMS: dict[str, object] = dict(
    max_lr=0.5, total_steps=TARGET_STEPS, pct_start=0.25, anneal_strategy="linear",
    div_factor=10, final_div_factor=100)


def target_factory(opt: torch.optim.Optimizer) -> lrs.OneCycleLR:
    """The target: start 0.05, peak 0.5 at step 24 (from 0), end 0.0005, straight lines."""
    return lrs.OneCycleLR(opt, **TARGET_PARAMS)  # type: ignore[arg-type]


def _target_with(**changes: object):
    params = {**TARGET_PARAMS, **changes}
    return lambda opt: lrs.OneCycleLR(opt, **params)


def _vary_target(name: str, value: object):
    return _target_with(**{name: value})


def _pct_guesses(y: list[float]) -> list[float]:
    p, n = peak_step(y), len(y)
    guesses = [(p + 1) / n, (p + 1.5) / n, (p + 0.5) / n]
    if p >= 1 and y[1] != y[0]:  # a straight warmup: its slope gives the peak's exact step
        guesses.append(((y[p] - y[0]) / (y[1] - y[0]) + 1) / n)
    return with_rounded(guesses)


def _total_guesses(y: list[float]) -> list[float]:
    p = peak_step(y)
    guesses = [round((p + 1) / 0.25)]
    if p + 1 < len(y) and y[p] != y[p + 1]:
        low = y[0] / 100
        guesses.append(round(p + 1 + (y[p] - low) / (y[p] - y[p + 1])))
    return [g for g in guesses if g > TARGET_STEPS]


TARGET_KNOBS = (
    Knob("anneal_strategy", lambda y: ["cos", "linear"],
         "Straight lines or a curved fall: that is anneal_strategy."),
    Knob("div_factor", lambda y: with_rounded([0.5 / y[0], max(y) / y[0]], (1,)),
         "The first LR is max_lr / div_factor: read the start off the plot."),
    Knob("final_div_factor", lambda y: with_rounded([y[0] / y[-1], 0.05 / y[-1]], (0, 1)),
         "The last LR is the first LR / final_div_factor: read the end off the log plot."),
    Knob("pct_start", _pct_guesses,
         "Counting steps from 0, the peak comes at step pct_start * total_steps - 1: find the "
         "peak's step on the plot."),
    Knob("max_lr", lambda y: with_rounded([max(y), y[0] * 10]),
         "max_lr is the height of the peak."),
    Knob("total_steps", _total_guesses,
         "total_steps is the length of the whole curve, 100 steps here."),
)

# Feedback on 04.3 names OneCycleLR's parameters only, never another scheduler's.
# 04.2's band is its answer: a first wrong try shows neither its row nor its reveal.
_BAND_TEXT = ("fair band is", "a tenth to a third of it")
_NOT_ONECYCLE = ("T_max", "T_0", "eta_min", "gamma", "step_size")

check_target = schedule_check(target_factory, TARGET_STEPS, knobs=TARGET_KNOBS,
                              vary=_vary_target)


def target_lrs() -> list[float]:
    """The target curve alone: the LR at each of the 100 steps (the lesson plots this)."""
    return preview_schedule(target_factory, TARGET_STEPS)


EXERCISES = [
    Exercise(
        id="04.1",
        title="How many steps is one cycle?",
        check=check_total_steps,
        hints=(
            "OneCycleLR is stepped once per batch, so total_steps counts batches over the run.",
            "Batches per epoch = len(loader) = ceil(1257 / 32): the last, smaller batch counts.",
            "ceil(1257 / 32) = 40 batches per epoch; multiply by the 15 epochs.",
        ),
        solution="import math\nanswer = 15 * math.ceil(1257 / 32)",
        wrong=(
            Wrong(lambda: 15, "stepped once per batch", avoid=("600",)),
            Wrong(lambda: 585, "round up"),
            Wrong(lambda: 15 * 1257, "counts images"),
            Wrong(lambda: "600", "single number"),
        ),
        reference=lambda: EPOCHS * BATCHES,
    ),
    Exercise(
        id="04.2",
        title="Pick max_lr from the range test",
        check=check_max_lr,
        hints=(
            "Find two points on the curve: where the loss falls fastest, and where it is lowest.",
            "The lowest point is the edge: beyond it the loss blows up. Take max_lr well below.",
            "A fair pick: a tenth to a third of the LR at the lowest loss, "
            "e.g. result.min_loss_lr / 5.",
        ),
        solution=(
            "from course_utils.grader.exercises.lesson04 import range_result\n"
            "result = range_result()  # the seed-0 sweep of section 2\n"
            "answer = result.min_loss_lr / 5  # well below the edge, where the loss still falls"
        ),
        wrong=(
            Wrong(lambda: range_result().min_loss_lr, "edge of stability", avoid=_BAND_TEXT),
            Wrong(lambda: 1e-4, "flat start", avoid=_BAND_TEXT),
            Wrong(lambda: 20.0, "beyond the end", avoid=_BAND_TEXT),
            Wrong(lambda: "0.1", "single number"),
            Wrong(lambda: -0.1, "positive number"),
        ),
        reference=lambda: range_result().suggested_max_lr,
    ),
    Exercise(
        id="04.3",
        title="Build the OneCycleLR behind a target curve",
        check=check_target,
        hints=(
            "Read three LRs off the plot: the start, the peak and its step, and the end.",
            "start = max_lr / div_factor; end = start / final_div_factor; counting steps from 0, "
            "the peak comes at step pct_start * total_steps - 1; straight lines mean "
            "anneal_strategy='linear'.",
            "max_lr=0.5, total_steps=100, pct_start=0.25, div_factor=10, "
            "final_div_factor=100, anneal_strategy='linear'.",
        ),
        solution=(
            "from torch.optim.lr_scheduler import OneCycleLR\n"
            "answer = lambda opt: OneCycleLR(opt, max_lr=0.5, total_steps=100, pct_start=0.25,\n"
            "                                anneal_strategy='linear', div_factor=10,\n"
            "                                final_div_factor=100)"
        ),
        wrong=(
            Wrong(lambda: _target_with(anneal_strategy="cos"),
                  "Only anneal_strategy differs:", avoid=_NOT_ONECYCLE),
            Wrong(lambda: _target_with(div_factor=25), "Only div_factor differs:",
                  avoid=(*_NOT_ONECYCLE, "build the scheduler on that optimizer")),
            Wrong(lambda: _target_with(pct_start=0.24), "Only pct_start differs:",
                  avoid=_NOT_ONECYCLE),
            Wrong(lambda: _target_with(final_div_factor=1000),
                  "yours ends at 5e-05, the target at 0.0005. Only final_div_factor "
                  "differs:", avoid=_NOT_ONECYCLE),
            Wrong(lambda: _target_with(max_lr=0.4), "Only max_lr differs:"),
            Wrong(lambda: _target_with(total_steps=120),
                  "Only total_steps differs:"),
            Wrong(lambda: _target_with(total_steps=50), "total_steps=50"),
            Wrong(lambda: [0.05, 0.5], "not a list"),
        ),
        reference=lambda: target_factory,
    ),
]
