"""Lesson 07 exercises: counting optimizer steps, warmup by hand, per-group LRs, scaling, AMP."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

from torch.optim import Optimizer
from torch.optim import lr_scheduler as lrs

from course_utils.grader.builders import choice_check, function_check, number_check
from course_utils.grader.protocol import Exercise, Wrong
from course_utils.grader.schedule_feedback import Knob, peak_step, schedule_check
from course_utils.warmup import linear_with_warmup


# 07.1: the scheduler steps once per optimizer step; the last, partial group of each epoch
# still makes an optimizer step.
def optimizer_steps_reference(epochs: int, batches: int, accumulation: int) -> int:
    """Optimizer (and scheduler) steps in a run with gradient accumulation."""
    return epochs * math.ceil(batches / accumulation)


STEP_CASES = [
    {"epochs": 3, "batches": 1000, "accumulation": 4},
    {"epochs": 1, "batches": 79, "accumulation": 4},
    {"epochs": 5, "batches": 10, "accumulation": 1},
    {"epochs": 2, "batches": 7, "accumulation": 8},
    {"epochs": 10, "batches": 250, "accumulation": 3},
    {"epochs": 4, "batches": 1, "accumulation": 2},
]


def _draw_run(rng: random.Random) -> dict[str, int]:
    return {"epochs": rng.randint(1, 20), "batches": rng.randint(1, 3000),
            "accumulation": rng.randint(1, 16)}


check_steps = function_check(optimizer_steps_reference, STEP_CASES, tol=0.0,
                             name="optimizer_steps", draw=_draw_run)


def _steps_floor(epochs: int, batches: int, accumulation: int) -> int:
    return epochs * (batches // accumulation)


def _steps_per_batch(epochs: int, batches: int, accumulation: int) -> int:
    return epochs * batches


# 07.2: Hugging Face's linear warmup and decay, written as a LambdaLR.
WARMUP, TOTAL = 10, 100


def linear_warmup_reference(optimizer: Optimizer) -> lrs.LambdaLR:
    """Warmup from 0 over 10 steps, then a straight line to 0 at step 100."""
    return linear_with_warmup(optimizer, WARMUP, TOTAL)




def _vary_linear_warmup(name: str, value: Any) -> Any:
    params = {"warmup_steps": WARMUP, "total_steps": TOTAL, **{name: value}}
    return lambda opt: linear_with_warmup(opt, **params)


def _total_guesses(y: list[float]) -> list[int]:
    """Where a straight decay through the learner's last two LRs would reach 0."""
    if len(y) < 2 or y[-2] <= y[-1]:
        return []
    return [round(len(y) - 1 + y[-1] / (y[-2] - y[-1]))]


LINEAR_WARMUP_KNOBS = (
    Knob("warmup_steps", lambda y: [peak_step(y)],
         "The warmup ends where the LR first reaches its peak: step 10, counting from 0."),
    Knob("total_steps", _total_guesses,
         "The decay reaches 0 at step 100: it spans the steps from the end of the warmup to "
         "there."),
)


def _linear_warmup_advice(yours: list[float], expected: list[float], first: int) -> str:
    """07.2: name the part that differs; a straight decay at the wrong slope is its denominator."""
    if first < WARMUP:
        return ("The warmup differs: its factor should rise in equal steps, from 0 at step 0 "
                "to 1 at the step where the warmup ends.")
    falls = [a - b for a, b in itertools.pairwise(yours[WARMUP:])]
    peak = expected[WARMUP]
    straight = bool(falls) and falls[0] > 0 and all(
        math.isclose(f, falls[0], rel_tol=1e-6, abs_tol=1e-12) for f in falls)
    if not straight or not peak:
        return ("The warmup matches; the decay differs. It should fall in a straight line, from "
                "the peak where the warmup ends to 0 at step 100.")
    spans = peak / falls[0]  # the denominator the learner's decay divides by
    which = ("the whole run's steps" if round(spans) == TOTAL
             else f"{spans:.4g} steps")
    return (f"The warmup matches, and your decay is a straight line, but its denominator is "
            f"off: it divides by {which}, so its factor is not 1 where the warmup ends. Divide by "
            "the number of steps the decay spans, from the end of the warmup to step 100.")


check_linear_warmup = schedule_check(linear_warmup_reference, TOTAL, base_lr=0.1,
                                     knobs=LINEAR_WARMUP_KNOBS, vary=_vary_linear_warmup,
                                     advice=_linear_warmup_advice)


def _short_warmup(optimizer: Optimizer) -> lrs.LambdaLR:
    return lrs.LambdaLR(optimizer, lambda k: min(k / 5, (TOTAL - k) / (TOTAL - 5)))


def _decay_over_the_whole_run(optimizer: Optimizer) -> lrs.LambdaLR:
    return lrs.LambdaLR(optimizer, lambda k: k / WARMUP if k < WARMUP else (TOTAL - k) / TOTAL)


# What a learner would type for 07.2's decay, and the sentence that would blame the timing.
_DECAY_VALUES = ("90 steps", "/ 90", "100 - 10", "changes later")


def _decay_of_100_after_the_warmup(optimizer: Optimizer) -> lrs.LambdaLR:
    return lrs.LambdaLR(optimizer,
                        lambda k: k / WARMUP if k < WARMUP else (TOTAL + WARMUP - k) / TOTAL)


# 07.3: two param groups, one schedule: each group is scaled from its own initial LR.
BODY_LR, HEAD_LR, STEP = 1e-4, 1e-3, 60


def body_lr_reference() -> float:
    """The body's LR after 60 steps of cosine_with_warmup(opt, 10, 110): half of 1e-4."""
    progress = (STEP - 10) / (110 - 10)
    return BODY_LR * 0.5 * (1 + math.cos(math.pi * progress))


# 07.4: the linear scaling rule, from a single-process recipe to a data-parallel run.
RECIPE_BATCH, RECIPE_LR, RANKS, RANK_BATCH = 64, 0.05, 4, 32
SCALED_LR = RECIPE_LR * RANKS * RANK_BATCH / RECIPE_BATCH

EXERCISES = [
    Exercise(
        id="07.1",
        title="Count the optimizer steps under gradient accumulation",
        check=check_steps,
        hints=(
            "The scheduler is stepped right after each optimizer step, and with accumulation the "
            "optimizer steps once per `accumulation` batches, not once per batch.",
            "An epoch of 79 batches with accumulation 4 makes 19 full groups and one group of 3; "
            "the loop steps the optimizer for that last group too, so 20 steps: round up.",
            "return epochs * math.ceil(batches / accumulation)",
        ),
        solution=(
            "import math\n\n"
            "def optimizer_steps(epochs, batches, accumulation):\n"
            "    return epochs * math.ceil(batches / accumulation)\n"
            "\n"
            "answer = optimizer_steps"
        ),
        wrong=(
            Wrong(lambda: _steps_floor, "cases differ"),
            Wrong(lambda: _steps_per_batch, "should be 750"),
            Wrong(lambda: 750, "wants a function"),
        ),
        reference=lambda: optimizer_steps_reference,
    ),
    Exercise(
        id="07.2",
        title="Warmup from 0 and a linear decay, with LambdaLR",
        check=check_linear_warmup,
        hints=(
            "LambdaLR multiplies the optimizer's LR by f(step). Write f in two pieces: the "
            "warmup (step < 10) and the decay (step >= 10).",
            "Warmup: f rises from 0 at step 0 to 1 at step 10, so step / 10. Decay: f falls from "
            "1 at step 10 to 0 at step 100, over the 90 steps after the warmup.",
            "f = lambda k: k / 10 if k < 10 else (100 - k) / (100 - 10)",
        ),
        solution=(
            "from torch.optim.lr_scheduler import LambdaLR\n\n"
            "def factor(step, warmup=10, total=100):\n"
            "    if step < warmup:\n"
            "        return step / warmup\n"
            "    return max(0.0, (total - step) / (total - warmup))\n"
            "\n"
            "answer = lambda opt: LambdaLR(opt, factor)"
        ),
        wrong=(
            Wrong(lambda: _short_warmup, "at step 1"),
            Wrong(lambda: _decay_of_100_after_the_warmup, "total_steps=110",
                  avoid=_DECAY_VALUES),
            Wrong(lambda: _decay_over_the_whole_run, "denominator is off",
                  avoid=_DECAY_VALUES),
            Wrong(lambda: [0.0, 0.01], "not a list of numbers"),
        ),
        reference=lambda: linear_warmup_reference,
    ),
    Exercise(
        id="07.3",
        title="The body's LR in a two-group optimizer",
        check=number_check(body_lr_reference(), tol=1e-9, mistakes={
            HEAD_LR * 0.5: "That is the head's LR: each group is scaled from its own initial LR.",
            BODY_LR: "That is the body's peak LR; by step 60 the cosine has come down.",
            BODY_LR * 0.5 * (1 + math.cos(math.pi * STEP / 110)):
                "The cosine starts after the warmup: count its progress from step 10.",
        }),
        hints=(
            "One scheduler, one factor per step, applied to every group's own initial LR: "
            "lr_group = initial_lr_group x factor(step).",
            "After the 10 warmup steps the cosine has 100 steps to go; at step 60 it is 50 steps "
            "in, half way: 0.5 x (1 + cos(pi x 0.5)) = 0.5.",
            "answer = 1e-4 * 0.5",
        ),
        solution=(
            "import math\n\n"
            "progress = (60 - 10) / (110 - 10)\n"
            "answer = 1e-4 * 0.5 * (1 + math.cos(math.pi * progress))   # 5e-05"
        ),
        wrong=(
            Wrong(lambda: 5e-4, "head's LR"),
            Wrong(lambda: 1e-4, "peak LR"),
            Wrong(lambda: [5e-05, 5e-04], "single number"),
        ),
        reference=body_lr_reference,
    ),
    Exercise(
        id="07.4",
        title="Scale the LR for a data-parallel run",
        check=number_check(SCALED_LR, tol=1e-9, mistakes={
            RECIPE_LR * RANK_BATCH / RECIPE_BATCH:
                "That scales by one rank's batch; DDP averages the gradients of all ranks, so "
                "each step sees the effective batch, ranks x batch.",
            RECIPE_LR * RANKS:
                "That scales by the number of ranks alone; the effective batch is ranks x batch "
                "per rank, compared with the recipe's batch.",
            RECIPE_LR * math.sqrt(RANKS * RANK_BATCH / RECIPE_BATCH):
                "That is the square-root rule, often used for Adam-type optimizers; the "
                "exercise asks for the linear rule.",
        }),
        hints=(
            "The linear scaling rule: multiply the LR by k when the batch behind each optimizer "
            "step grows by a factor of k.",
            "The recipe's batch is 64. The data-parallel run's effective batch is 4 ranks x 32.",
            "answer = 0.05 * (4 * 32) / 64",
        ),
        solution="answer = 0.05 * (4 * 32) / 64   # effective batch 128, twice 64: LR 0.1",
        wrong=(
            Wrong(lambda: 0.025, "one rank's batch"),
            Wrong(lambda: 0.2, "number of ranks alone"),
            Wrong(lambda: "0.1", "single number"),
        ),
        reference=lambda: SCALED_LR,
    ),
    Exercise(
        id="07.5",
        title="Why AMP's skipped step set off the warning",
        check=choice_check("b", {
            "a": "The loop does call optimizer.step() (through scaler.step) before "
                 "scheduler.step(); the order in the code is right.",
            "b": "scaler.step() found an inf gradient and skipped optimizer.step(), so when "
                 "scheduler.step() ran, the optimizer had not stepped yet.",
            "c": "LambdaLR behaves like every other scheduler here; any of them would warn.",
            "d": "GradScaler scales the loss and the gradients, never the learning rate.",
        }),
        hints=(
            "PyTorch warns when, at the first scheduler.step(), the optimizer's step() has not "
            "run yet. Which call did not run in that first iteration?",
            "In lesson 07's AMP demo, what did scaler.step(opt) do with an inf gradient?",
            "answer = \"b\"",
        ),
        solution='answer = "b"   # the first optimizer.step() was skipped: a false alarm',
        wrong=(
            Wrong(lambda: "a", "order in the code is right"),
            Wrong(lambda: "d", "never the learning rate"),
            Wrong(lambda: "e", "Choose one of"),
        ),
        reference=lambda: "b",
    ),
]
