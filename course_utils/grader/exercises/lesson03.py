"""Lesson 03 exercises: the cosine formula, warmup plus cosine for a budget, restarts on time."""

from __future__ import annotations

import math
import random
from typing import Any

from torch.optim import Optimizer
from torch.optim import lr_scheduler as lrs

from course_utils.grader.builders import function_check
from course_utils.grader.protocol import Exercise, Wrong
from course_utils.grader.schedule_feedback import schedule_check
from course_utils.schedules import preview_schedule


def torch_cosine_lr(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """The LR that PyTorch's CosineAnnealingLR gives after `step` scheduler steps."""
    factory = lambda opt: lrs.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)  # noqa: E731
    return preview_schedule(factory, step + 1, base_lr=base_lr)[-1]


def cosine_lr_reference(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """The closed form: eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


COSINE_CASES = (
    [{"step": t, "base_lr": 0.1, "T_max": 10} for t in range(11)]
    + [{"step": t, "base_lr": 0.5, "T_max": 20, "eta_min": 0.01} for t in range(0, 21, 2)]
    + [{"step": t, "base_lr": 1.0, "T_max": 7, "eta_min": 0.2} for t in (0, 3, 7)]
)


def _draw_cosine_case(rng: random.Random) -> dict[str, Any]:
    T_max = rng.randint(2, 40)
    base_lr = round(rng.uniform(0.05, 1.0), 3)
    return {"step": rng.randint(0, T_max), "base_lr": base_lr, "T_max": T_max,
            "eta_min": round(rng.uniform(0.0, base_lr / 2), 3)}


check_cosine = function_check(torch_cosine_lr, COSINE_CASES, tol=1e-6, name="cosine_lr",
                              draw=_draw_cosine_case)


def _cosine_no_half(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max))


def _cosine_ignores_floor(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    return base_lr * (1 + math.cos(math.pi * step / T_max)) / 2


# 03.2: 30 epochs from LR 0.1; 5 warmup epochs from 0.01 up to 0.1, then cosine to the end.
BUDGET_EPOCHS = 30
WARMUP_EPOCHS = 5


def warmup_cosine_reference(optimizer: Optimizer) -> lrs.SequentialLR:
    """LinearLR from 0.1x over 5 epochs, then cosine over the remaining 25, one milestone."""
    warm = lrs.LinearLR(optimizer, start_factor=0.1, total_iters=WARMUP_EPOCHS)
    cool = lrs.CosineAnnealingLR(optimizer, T_max=BUDGET_EPOCHS - WARMUP_EPOCHS)
    return lrs.SequentialLR(optimizer, schedulers=[warm, cool], milestones=[WARMUP_EPOCHS])


def _warmup_advice(yours: list[float], expected: list[float], first: int) -> str:
    """03.2: where the curves part says which half of the schedule differs (no values)."""
    if first == 0:
        return ("The warmup should start at 0.01, a tenth of the optimizer's LR: is a "
                "LinearLR with the exercise's start_factor first in your SequentialLR?")
    if first <= WARMUP_EPOCHS:
        return ("The warmup part differs: LinearLR's total_iters is the warmup's length in "
                "epochs, and SequentialLR must hand over to the cosine at that same epoch "
                "(its milestones).")
    return ("The warmup matches; the cosine part differs. The cosine starts at the milestone "
            "and counts its own epochs from there, so its T_max is the number of epochs left "
            "after the warmup, not the whole run.")


_WARMUP_SETTINGS = (f"The target is LinearLR(opt, start_factor=0.1, total_iters={WARMUP_EPOCHS}), "
                    f"then CosineAnnealingLR(opt, T_max={BUDGET_EPOCHS - WARMUP_EPOCHS}), "
                    f"joined by SequentialLR with milestones=[{WARMUP_EPOCHS}].")
check_warmup = schedule_check(warmup_cosine_reference, BUDGET_EPOCHS, base_lr=0.1,
                              advice=_warmup_advice, reveal=_WARMUP_SETTINGS)


def _warmup_full_tmax(optimizer: Optimizer) -> lrs.SequentialLR:
    warm = lrs.LinearLR(optimizer, start_factor=0.1, total_iters=WARMUP_EPOCHS)
    cool = lrs.CosineAnnealingLR(optimizer, T_max=BUDGET_EPOCHS)
    return lrs.SequentialLR(optimizer, schedulers=[warm, cool], milestones=[WARMUP_EPOCHS])


def _warmup_early_milestone(optimizer: Optimizer) -> lrs.SequentialLR:
    warm = lrs.LinearLR(optimizer, start_factor=0.1, total_iters=WARMUP_EPOCHS)
    cool = lrs.CosineAnnealingLR(optimizer, T_max=BUDGET_EPOCHS - WARMUP_EPOCHS + 1)
    return lrs.SequentialLR(optimizer, schedulers=[warm, cool], milestones=[WARMUP_EPOCHS - 1])


# 03.3: restarts at epochs 15 and 60 of a 150-epoch run, and no other.
RESTART_EPOCHS = 150


def restarts_reference(optimizer: Optimizer) -> lrs.CosineAnnealingWarmRestarts:
    """Cycles of 15, 45 and 135 epochs: restarts at 15 and 60 (the next, 195, is past the run)."""
    return lrs.CosineAnnealingWarmRestarts(optimizer, T_0=15, T_mult=3)


def restart_epochs(lrs_seen: list[float]) -> list[int]:
    """The epochs where the LR jumps back up: the restarts."""
    return [i for i in range(1, len(lrs_seen)) if lrs_seen[i] > lrs_seen[i - 1] * (1 + 1e-9)]


def _restarts_advice(yours: list[float], expected: list[float], first: int) -> str:
    """03.3: say where the learner's restarts land."""
    shown = ", ".join(map(str, restart_epochs(yours))) or "nowhere"
    return (f"Your restarts land on epochs {shown}; they should land on 15 and 60 only. "
            "Check T_0 and T_mult.")


check_restarts = schedule_check(restarts_reference, RESTART_EPOCHS, base_lr=0.1,
                                advice=_restarts_advice)


# What a learner would type for 03.2: shown by hints and solution, never by a first wrong try.
_WARMUP_VALUES = ("T_max=25", "milestones=[5]", "total_iters=5", "T_max=30 - 5")

EXERCISES = [
    Exercise(
        id="03.1",
        title="Write the cosine formula",
        check=check_cosine,
        hints=(
            "The LR moves from base_lr down to eta_min along half a cosine: "
            "(1 + cos(pi * step / T_max)) / 2 goes from 1 at step 0 to 0 at step T_max.",
            "Scale that factor to the gap between the two ends, then add the floor: "
            "eta_min + (base_lr - eta_min) * factor.",
            "return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2",
        ),
        solution=(
            "import math\n\n"
            "def cosine_lr(step, base_lr, T_max, eta_min=0.0):\n"
            "    factor = (1 + math.cos(math.pi * step / T_max)) / 2\n"
            "    return eta_min + (base_lr - eta_min) * factor\n"
            "\n"
            "answer = cosine_lr"
        ),
        wrong=(
            Wrong(lambda: _cosine_no_half, "cases differ"),
            Wrong(lambda: _cosine_ignores_floor, "eta_min=0.01"),
            Wrong(lambda: 0.05, "wants a function"),
        ),
        reference=lambda: cosine_lr_reference,
    ),
    Exercise(
        id="03.2",
        title="Warmup then cosine for a 30-epoch budget",
        check=check_warmup,
        hints=(
            "Two schedulers on the same optimizer, joined by SequentialLR: LinearLR for the "
            "warmup, CosineAnnealingLR for the rest.",
            "The warmup lasts 5 epochs, so LinearLR gets total_iters=5 and SequentialLR gets "
            "milestones=[5]. The cosine has the other 25 epochs: T_max=25, not 30.",
            "warm = LinearLR(opt, start_factor=0.1, total_iters=5); "
            "cool = CosineAnnealingLR(opt, T_max=25); "
            "SequentialLR(opt, schedulers=[warm, cool], milestones=[5])",
        ),
        solution=(
            "from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR\n\n"
            "def warmup_cosine(opt):\n"
            "    warm = LinearLR(opt, start_factor=0.1, total_iters=5)\n"
            "    cool = CosineAnnealingLR(opt, T_max=30 - 5)\n"
            "    return SequentialLR(opt, schedulers=[warm, cool], milestones=[5])\n"
            "\n"
            "answer = warmup_cosine"
        ),
        wrong=(
            Wrong(lambda: _warmup_full_tmax, "epochs left after the warmup",
                  avoid=_WARMUP_VALUES),
            Wrong(lambda: _warmup_early_milestone, "hand over to the cosine at that same epoch",
                  avoid=_WARMUP_VALUES),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=30), "warmup should start",
                  avoid=_WARMUP_VALUES),
            Wrong(lambda: [0.01, 0.028], "not a list of numbers"),
        ),
        reference=lambda: warmup_cosine_reference,
    ),
    Exercise(
        id="03.3",
        title="Make the restarts land on epochs 15 and 60",
        check=check_restarts,
        hints=(
            "The first restart comes after T_0 epochs; each later cycle is T_mult times "
            "longer than the one before.",
            "The first cycle is 15 epochs long, the second 60 - 15 = 45: how many times "
            "longer is that?",
            "answer = lambda opt: CosineAnnealingWarmRestarts(opt, T_0=15, T_mult=3)",
        ),
        solution=(
            "from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts\n\n"
            "answer = lambda opt: CosineAnnealingWarmRestarts(opt, T_0=15, T_mult=3)"
        ),
        wrong=(
            Wrong(lambda: lambda opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=15, T_mult=1),
                  "15, 30, 45"),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=15, T_mult=2),
                  "on epochs 15, 45, 105"),
            Wrong(lambda: lrs.CosineAnnealingWarmRestarts, "class"),
        ),
        reference=lambda: restarts_reference,
    ),
]
