"""Today's schedules: linear warmup from 0, then a decay, stepped once per optimizer step.

Each factory returns a `torch.optim.lr_scheduler.LambdaLR` whose one LR lambda is a
`WarmupSchedule`: a small, readable object (not an anonymous function) that says
what the curve is. The linter reads it, `scheduler.state_dict()` saves it, and
every param group is scaled from its own `initial_lr` by the same factor.

With `final_lr_ratio=0`, `cosine_with_warmup` and `linear_with_warmup` follow the
published formulas of Hugging Face's `get_cosine_schedule_with_warmup` (half a
cosine) and `get_linear_schedule_with_warmup` step for step, up to `total_steps`.
Past `total_steps` the LR stays at its final value (Hugging Face's cosine would
climb back up).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from .arguments import MAX_STEPS

DECAY_SHAPES = ("linear", "cosine", "sqrt")


@dataclass(frozen=True)
class WarmupSchedule:
    """The LR factor at each step: warmup from 0, (a flat stretch,) then a decay to the end.

    `kind` is "cosine" or "linear" (decay over everything after the warmup) or
    "wsd" (warmup, stable, then decay over the last `decay_steps`, with `shape`).
    """

    kind: str
    warmup_steps: int
    total_steps: int
    decay_steps: int
    final_lr_ratio: float = 0.0
    shape: str = "linear"

    @property
    def decay_start(self) -> int:
        """The step at which the decay begins (the end of the warmup or the stable phase)."""
        return self.total_steps - self.decay_steps

    def __call__(self, step: int) -> float:
        """The factor that multiplies each group's initial LR at scheduler step `step`."""
        if step < self.warmup_steps:
            return step / max(1, self.warmup_steps)
        if step < self.decay_start:
            return 1.0
        elapsed = min(step - self.decay_start, self.decay_steps)
        progress = elapsed / max(1, self.decay_steps)
        if self.shape == "cosine":
            left = 0.5 * (1.0 + math.cos(math.pi * progress))
        elif self.shape == "sqrt":
            left = 1.0 - math.sqrt(progress)
        else:
            left = (self.decay_steps - elapsed) / max(1, self.decay_steps)
        return self.final_lr_ratio + (1.0 - self.final_lr_ratio) * max(0.0, left)

    def describe(self) -> str:
        """One line in words: the phases and their lengths in steps."""
        end = f"{self.final_lr_ratio:g}x" if self.final_lr_ratio else "0"
        warm = f"linear warmup from 0 over {self.warmup_steps} steps"
        if self.kind == "wsd":
            flat = self.decay_start - self.warmup_steps
            return (f"{warm}, flat for {flat} steps, then a {self.shape} decay to {end} "
                    f"over the last {self.decay_steps} of {self.total_steps} steps")
        return f"{warm}, then a {self.shape} decay to {end} at step {self.total_steps}"


def _whole(name: str, value: Any, least: int) -> int:
    """A whole number of steps, at least `least`; a clear error otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number of steps, not {type(value).__name__}.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a whole number of steps, got {value!r}.")
    if not isinstance(value, numbers.Integral) and not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number of steps, got {value!r}: "
                         f"round it first, e.g. {name}=round({value!r}) = {round(value)}.")
    if value < least:
        raise ValueError(f"{name} must be {least} or more, got {value!r}.")
    if value > MAX_STEPS:
        raise ValueError(f"{name} must be at most {MAX_STEPS:,}, got {value!r}.")
    return int(value)


def _ratio(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"final_lr_ratio must be a number, not {type(value).__name__}.")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"final_lr_ratio must be in [0, 1): the final LR as a fraction of the "
                         f"peak, e.g. 0.1 for a tenth; got {value!r}.")
    return float(value)


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError("The first argument must be a torch.optim optimizer such as "
                        f"AdamW(model.parameters(), lr=1e-3), not {type(optimizer).__name__}.")


def _decay_over_the_rest(kind: str, optimizer: Optimizer, warmup_steps: int, total_steps: int,
                         final_lr_ratio: float) -> LambdaLR:
    _check_optimizer(optimizer)
    total = _whole("total_steps", total_steps, 1)
    warmup = _whole("warmup_steps", warmup_steps, 0)
    if warmup >= total:
        raise ValueError(f"warmup_steps ({warmup}) must be smaller than total_steps ({total}): "
                         "the warmup is part of the run, usually 1-10% of it.")
    spec = WarmupSchedule(kind, warmup, total, total - warmup, _ratio(final_lr_ratio), kind)
    return LambdaLR(optimizer, spec)


def cosine_with_warmup(optimizer: Optimizer, warmup_steps: int, total_steps: int,
                       final_lr_ratio: float = 0.0) -> LambdaLR:
    """Linear warmup from 0 to each group's LR, then half a cosine down to `final_lr_ratio` x LR.

    Step it once per optimizer step; `total_steps` counts optimizer steps.
    """
    return _decay_over_the_rest("cosine", optimizer, warmup_steps, total_steps, final_lr_ratio)


def linear_with_warmup(optimizer: Optimizer, warmup_steps: int, total_steps: int,
                       final_lr_ratio: float = 0.0) -> LambdaLR:
    """Linear warmup from 0 to each group's LR, then a straight line down to `final_lr_ratio` x LR.

    Step it once per optimizer step; `total_steps` counts optimizer steps.
    """
    return _decay_over_the_rest("linear", optimizer, warmup_steps, total_steps, final_lr_ratio)


def warmup_stable_decay(optimizer: Optimizer, warmup_steps: int, total_steps: int,
                        decay_steps: int, final_lr_ratio: float = 0.0,
                        shape: str = "linear") -> LambdaLR:
    """Warmup-stable-decay (WSD): linear warmup from 0, flat at the LR, decay over the last steps.

    `shape` is the decay's: "linear", "cosine" or "sqrt" (1 - sqrt of the progress).
    """
    _check_optimizer(optimizer)
    total = _whole("total_steps", total_steps, 1)
    warmup = _whole("warmup_steps", warmup_steps, 0)
    decay = _whole("decay_steps", decay_steps, 1)
    if shape not in DECAY_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(map(repr, DECAY_SHAPES))}, "
                         f"not {shape!r}.")
    if warmup + decay > total:
        raise ValueError(f"warmup_steps + decay_steps ({warmup} + {decay} = {warmup + decay}) "
                         f"must not exceed total_steps ({total}): the decay takes the last "
                         "decay_steps of the run, after the warmup.")
    return LambdaLR(optimizer, WarmupSchedule("wsd", warmup, total, decay,
                                              _ratio(final_lr_ratio), shape))


def warmup_schedule_of(scheduler: Any) -> WarmupSchedule | None:
    """The `WarmupSchedule` behind a scheduler built by this module, else None."""
    if not isinstance(scheduler, LambdaLR):
        return None
    found = [fn for fn in scheduler.lr_lambdas if isinstance(fn, WarmupSchedule)]
    return found[0] if found else None
