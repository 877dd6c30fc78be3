"""A schedule linter: plain-language warnings about a schedule, before training starts.

`lint_schedule` reads a scheduler's settings and previews its LR curve on a
copy, so the learner's own scheduler is never stepped. Each warning names the
problem, the numbers behind it, and a fix. Schedulers it does not know
(a plain LambdaLR, CyclicLR, ReduceLROnPlateau, custom ones) get no warnings
rather than false ones; a LambdaLR built by `course_utils.warmup` says what its
curve is, so it is checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from torch.optim import lr_scheduler as lrs

from .arguments import MAX_STEPS, learning_rate, step_count
from .schedules import build_scheduler, is_scheduler, preview_schedule
from .warmup import WarmupSchedule, warmup_schedule_of

TINY_LR = 1e-8


@dataclass(frozen=True)
class _Run:
    """The run as the scheduler sees it: how many times it is stepped, and in what unit."""

    epochs: int
    steps_per_epoch: int
    step_every: str

    @property
    def length(self) -> int:
        return self.epochs * (self.steps_per_epoch if self.step_every == "batch" else 1)

    @property
    def unit(self) -> str:
        return "epoch" if self.step_every == "epoch" else "batch step"

    def count(self, n: int) -> str:
        return f"{n} {self.unit}{'' if n == 1 else 's'}"

    def where(self, step: int) -> str:
        """Say where step `step` (0-based) falls, in words."""
        if self.step_every == "epoch":
            return f"epoch {step + 1}"
        epoch = step // max(self.steps_per_epoch, 1) + 1
        return f"step {step + 1} (epoch {epoch})"

    def size(self) -> str:
        if self.step_every == "epoch":
            return self.count(self.epochs)
        return (f"{self.length} batch steps ({self.epochs} epochs x "
                f"{self.steps_per_epoch} batches)")


def _name(scheduler: Any) -> str:
    return type(scheduler).__name__


def _lint_onecycle(s: lrs.OneCycleLR, pos: int, span: int, run: _Run) -> list[str]:
    total = int(s.total_steps)
    left = total - pos
    batches = run.epochs * run.steps_per_epoch
    fix = (f'step it per batch (step_every="batch") with total_steps = epochs * steps_per_epoch '
           f"= {run.epochs} * {run.steps_per_epoch} = {batches}")
    if run.step_every == "epoch":
        if left > span:
            effect = (f"it gets through only {span} of its {total} steps "
                      f"({span / total:.0%} of the cycle), so the LR never anneals")
        elif left < span:
            effect = f"PyTorch raises a ValueError at the end of {run.where(left)}"
        else:
            effect = (f"the LR moves only once per epoch, so the whole cycle is drawn with "
                      f"{span} value{'' if span == 1 else 's'}")
        return [f"OneCycleLR is stepped once per epoch, but it is built to be stepped once per "
                f"batch: with total_steps={total} and a run of {run.size()}, {effect}. "
                f"Fix: {fix}."]
    if left == span:
        return []
    if left > span:
        effect = (f"the run ends after {span / total:.0%} of the cycle, "
                  "before the LR has annealed")
    else:
        effect = (f"PyTorch raises a ValueError at {run.where(left)}, "
                  f"when the scheduler is stepped past total_steps={total}")
    return [f"OneCycleLR has total_steps={total}, but the run has {run.size()}: "
            f"{effect}. Fix: total_steps = {batches}, or pass "
            f"epochs={run.epochs} and steps_per_epoch={run.steps_per_epoch} instead."]


def _lint_cosine(s: lrs.CosineAnnealingLR, pos: int, span: int, run: _Run) -> list[str]:
    t_max, needed = int(s.T_max), pos + span
    if pos >= t_max > 0 and span > 1:
        return [f"This CosineAnnealingLR has already been stepped {pos} times, and T_max={t_max}: "
                "it starts this run at eta_min and climbs back up from the first step. Was it "
                "stepped to draw a plot? Fix: build a fresh scheduler for the run, and preview "
                "with preview_schedule, which never steps it."]
    if t_max < needed - 1:
        hint = ""
        if run.step_every == "batch" and t_max == run.epochs:
            hint = ", and T_max counts scheduler steps, which here are batches, not epochs"
        return [f"CosineAnnealingLR has T_max={t_max}, shorter than the run of "
                f"{run.size()}{hint}: the LR reaches eta_min at {run.where(t_max - pos)} and then "
                f"climbs back up. Fix: T_max={needed}, the number of times it is stepped."]
    if t_max > 1.5 * needed:
        return [f"CosineAnnealingLR has T_max={t_max}, much longer than the run of "
                f"{run.size()}: the run ends {needed / t_max:.0%} of the way down the curve, "
                f"far above eta_min. Fix: T_max={needed}."]
    return []


def _lint_step(s: lrs.StepLR, pos: int, span: int, run: _Run) -> list[str]:
    size = int(s.step_size)
    first = (pos // size + 1) * size
    if s.gamma == 1 or first - pos < span or span < 2:
        return []
    return [f"StepLR has step_size={size}, so its first decay comes after {run.count(size)}, "
            f"but the run is only {run.size()}: the LR never changes. Fix: a step_size "
            f"below {span}, e.g. step_size={max(span // 3, 1)} for a decay every third of "
            "the run."]


def _lint_multistep(s: lrs.MultiStepLR, pos: int, span: int, run: _Run) -> list[str]:
    late = sorted(m for m in s.milestones if m - pos >= span and m > pos)
    if s.gamma == 1 or not late:
        return []
    never = "none of its decays happens" if len(late) == len(s.milestones) else (
        f"{len(late)} of its {len(s.milestones)} decays never "
        f"{'happens' if len(late) == 1 else 'happen'}")
    return [f"MultiStepLR has milestones {late} at or after the end of the run "
            f"({run.size()}): {never}. Fix: milestones below {pos + span}."]


def _lint_warmup(s: lrs.LinearLR | lrs.ConstantLR, pos: int, span: int, run: _Run,
                 milestone: int | None, nested: bool) -> list[str]:
    if isinstance(s, lrs.LinearLR):
        if s.start_factor >= s.end_factor:
            return []
        what = f"LinearLR(start_factor={s.start_factor:g}, total_iters={s.total_iters})"
    else:
        if s.factor >= 1:
            return []
        what = f"ConstantLR(factor={s.factor:g}, total_iters={s.total_iters})"
    left = int(s.total_iters) - pos
    if left <= span:
        return []
    if milestone is not None:
        room = f"the {run.count(span)} before SequentialLR's milestone at {milestone}"
        fix = f"total_iters={span} to match the milestone, or the milestone at {left}"
    else:
        room = f"the run, which has {run.count(span)}"
        fix = f"a warmup of about a tenth of the run, e.g. total_iters={max(run.length // 10, 1)}"
        if nested:
            fix += " (and the SequentialLR milestone with it)"
    return [f"The warmup {what} lasts {run.count(left)}, longer than {room}: the LR never "
            f"reaches its full value. Fix: {fix}."]


FACTORY_NAMES = {"cosine": "cosine_with_warmup", "linear": "linear_with_warmup",
                 "wsd": "warmup_stable_decay"}
ENDS_NEAR = 0.05  # a run that ends within 5% of the peak above the final LR has decayed


def _lint_warmup_decay(spec: WarmupSchedule, pos: int, span: int, run: _Run) -> list[str]:
    """Warmup longer than the run; a decay cut short; or a run that outlasts the schedule."""
    name, total, needed = FACTORY_NAMES[spec.kind], spec.total_steps, pos + span
    what = f"{name}(warmup_steps={spec.warmup_steps}, total_steps={total}"
    what += f", decay_steps={spec.decay_steps})" if spec.kind == "wsd" else ")"
    count = ("epochs * ceil(batches / accumulation) with gradient accumulation"
             if run.step_every == "batch" else "one per epoch, as you step it")
    fix = f"total_steps={needed}, the number of times it is stepped ({count})"
    per_batch = ""
    if run.step_every == "epoch" and total >= run.epochs * run.steps_per_epoch > needed:
        per_batch = " Or step it once per optimizer step (per batch), as it is meant to be."
    if spec.warmup_steps >= needed:
        return [f"The warmup of {what} lasts {run.count(spec.warmup_steps)}, longer than the "
                f"run of {run.size()}: the LR never reaches its peak and never decays. "
                f"Fix: {fix}, and a warmup of a few percent of that, e.g. "
                f"warmup_steps={max(round(0.06 * needed), 1)}.{per_batch}"]
    if needed > total:
        extra = needed - total
        final = f"{spec.final_lr_ratio:g}x the peak" if spec.final_lr_ratio else "0"
        waste = ", so those steps do nothing" if not spec.final_lr_ratio else ""
        return [f"{what} is shorter than the run of {run.size()}: the last "
                f"{run.count(extra)} run at the final LR ({final}){waste}. Fix: {fix}."]
    last = spec(needed - 1)
    if total == needed or last - spec.final_lr_ratio <= ENDS_NEAR * (1 - spec.final_lr_ratio):
        return []
    if needed - 1 < spec.decay_start:
        effect = (f"its decay starts at {run.where(spec.decay_start - pos)}, after the run "
                  "ends, so the run ends at the peak LR with no decay at all")
    else:
        effect = (f"the run ends with the LR still at {last:.0%} of its peak, "
                  "before the decay reaches its end")
    return [f"{what} is longer than the run of {run.size()}: {effect}. Fix: {fix}.{per_batch}"]


def _lint_node(s: Any, pos: int, span: int, run: _Run, milestone: int | None = None,
               nested: bool = False) -> list[str]:
    """Warnings for one scheduler, driven from its own step `pos` for `span` steps."""
    if isinstance(s, lrs.SequentialLR):
        return _lint_sequential(s, pos, span, run)
    if isinstance(s, lrs.ChainedScheduler):
        return [w for child in s._schedulers
                for w in _lint_node(child, max(child.last_epoch, 0), span, run)]
    if isinstance(s, lrs.OneCycleLR):
        return _lint_onecycle(s, pos, span, run)
    if isinstance(s, lrs.CosineAnnealingLR):
        return _lint_cosine(s, pos, span, run)
    if isinstance(s, lrs.StepLR):
        return _lint_step(s, pos, span, run)
    if isinstance(s, lrs.MultiStepLR):
        return _lint_multistep(s, pos, span, run)
    if isinstance(s, (lrs.LinearLR, lrs.ConstantLR)):
        return _lint_warmup(s, pos, span, run, milestone, nested)
    spec = warmup_schedule_of(s)
    if spec is not None:
        return _lint_warmup_decay(spec, pos, span, run)
    return []


def _lint_sequential(s: lrs.SequentialLR, pos: int, span: int, run: _Run) -> list[str]:
    """Each child runs from one milestone to the next, restarting its own count at zero."""
    bounds = [0, *s._milestones]
    end = pos + span
    found: list[str] = []
    for i, child in enumerate(s._schedulers):
        begin = bounds[i]
        stop = bounds[i + 1] if i + 1 < len(bounds) else end
        if begin >= end:
            found.append(f"SequentialLR switches to scheduler #{i + 1} ({_name(child)}) at "
                         f"milestone {begin}, but the run has only {run.size()}: that "
                         f"scheduler never runs. Fix: milestones below {end}.")
            continue
        first, last = max(begin, pos), min(stop, end)
        if last <= first:
            continue
        milestone = None if last == end else stop
        found += _lint_node(child, first - begin, last - first, run, milestone, nested=True)
    return found


def _contains_plateau(s: Any) -> bool:
    children = getattr(s, "_schedulers", None) or []
    return isinstance(s, lrs.ReduceLROnPlateau) or any(_contains_plateau(c) for c in children)


def _lint_tiny_lr(scheduler: Any, run: _Run, base_lr: float) -> list[str]:
    try:
        lrs_seen = preview_schedule(scheduler, run.length, base_lr=base_lr)
    except ValueError:
        return []  # a OneCycleLR stepped too far: its own warning says so
    tiny = [i for i, lr in enumerate(lrs_seen) if lr < TINY_LR]
    if len(tiny) <= run.length / 2:
        return []
    return [f"The LR is below {TINY_LR:g} for {len(tiny)} of the run's {run.size()}, "
            f"{len(tiny) / run.length:.0%} of it, first at {run.where(tiny[0])}: those "
            f"steps barely move the weights. Fix: {_gentler(scheduler)}."]


def _gentler(scheduler: Any) -> str:
    """Advice for a decay that goes too far, in the terms of the scheduler at hand."""
    kinds = {type(s) for s in [scheduler, *getattr(scheduler, "_schedulers", [])]}
    advice = []
    if kinds & {lrs.ExponentialLR, lrs.StepLR, lrs.MultiStepLR}:
        advice.append("a gamma closer to 1")
    if lrs.StepLR in kinds:
        advice.append("a longer step_size")
    if lrs.MultiStepLR in kinds:
        advice.append("fewer or later milestones")
    if kinds & {lrs.CosineAnnealingLR, lrs.CosineAnnealingWarmRestarts}:
        advice.append("a floor with eta_min")
    if lrs.OneCycleLR in kinds:
        advice.append("a smaller final_div_factor")
    if lrs.LambdaLR in kinds and warmup_schedule_of(scheduler) is not None:
        advice.append("a final_lr_ratio above 0")
    return " or ".join(advice) if advice else "a gentler decay, or a floor on the LR"


def lint_schedule(
    scheduler_or_factory: Any,
    *,
    epochs: int,
    steps_per_epoch: int,
    step_every: str = "epoch",
    base_lr: float = 0.1,
) -> list[str]:
    """Plain-language warnings about a schedule for this run; an empty list when it looks right."""
    if not isinstance(step_every, str) or step_every not in ("epoch", "batch"):
        raise ValueError(f'step_every must be "epoch" or "batch", not {step_every!r}.')
    if not is_scheduler(scheduler_or_factory) and not callable(scheduler_or_factory):
        if hasattr(scheduler_or_factory, "step"):
            return []  # a home-made scheduler: nothing known to check
        raise TypeError("lint_schedule needs a scheduler or a factory such as "
                        "`lambda opt: StepLR(opt, 30, 0.1)`, not "
                        f"{type(scheduler_or_factory).__name__}.")
    epochs = step_count("epochs", epochs, whole_floats=True)
    steps_per_epoch = step_count("steps_per_epoch", steps_per_epoch, low=1, whole_floats=True)
    if epochs * steps_per_epoch > MAX_STEPS:
        raise ValueError(f"epochs x steps_per_epoch ({epochs:,} x {steps_per_epoch:,}) must be "
                         f"at most {MAX_STEPS:,} steps.")
    base_lr = learning_rate("base_lr", base_lr)
    run = _Run(epochs, steps_per_epoch, step_every)
    if run.length <= 0:
        return []
    scheduler = build_scheduler(scheduler_or_factory, base_lr)
    if _contains_plateau(scheduler):
        return []
    pos = max(getattr(scheduler, "last_epoch", 0), 0)
    found = _lint_node(scheduler, pos, run.length, run)
    if is_scheduler(scheduler_or_factory) and not any("already been stepped" in w for w in found):
        found = _already_stepped(scheduler, pos) + found
    return found + _lint_tiny_lr(scheduler, run, base_lr)


def _already_stepped(scheduler: Any, pos: int) -> list[str]:
    """A live scheduler that has moved its LR before this run starts."""
    group = scheduler.optimizer.param_groups[0]
    now, initial = float(group["lr"]), float(group.get("initial_lr", group["lr"]))
    if pos <= 0 or math.isclose(now, initial, rel_tol=1e-9):
        return []
    return [f"This {_name(scheduler)} has already been stepped {pos} times, so the run starts "
            f"at lr={now:.3g}, not at its initial {initial:.3g}. Resuming a run? Then that is "
            "right. Stepped to draw a plot? Then build a fresh scheduler for training: "
            "preview_schedule never steps the one you pass it."]
