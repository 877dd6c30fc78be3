"""Schedule previews and the course's named schedule presets.

`preview_schedule` is a dry run: it never steps a scheduler that a learner
will train with. A factory is built on a fresh `ScheduleProbe` (an SGD's param
group, without the cost of a first real optimizer); a live
scheduler is deep-copied (its parameters swapped for a dummy) and the copy is
stepped instead, and so is a scheduler that a factory returns built on another
optimizer than the one it was given.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim import lr_scheduler as lrs

from .arguments import learning_rate, numbers_list, real_number, step_count
from .warmup import cosine_with_warmup, linear_with_warmup, warmup_stable_decay

Scheduler = lrs.LRScheduler | lrs.ReduceLROnPlateau
SchedulerFactory = Callable[[Optimizer], Scheduler]


def _lr_and_momentum(base_lr: float, momentum: float) -> tuple[float, float]:
    # Any LR from 0 up, even an infinite one: the hiker shows what an absurd LR does.
    if isinstance(base_lr, bool) or not isinstance(base_lr, numbers.Real):
        raise TypeError(f"base_lr must be a number of 0 or more, not {type(base_lr).__name__}.")
    if not base_lr >= 0:
        raise ValueError(f"base_lr must be a number of 0 or more, not {base_lr!r}.")
    return base_lr, real_number("momentum", momentum, low=0, high=1, high_open=True)


def dummy_optimizer(base_lr: float = 0.1, momentum: float = 0.9) -> torch.optim.SGD:
    """A one-parameter SGD optimizer with momentum, for building schedulers on."""
    base_lr, momentum = _lr_and_momentum(base_lr, momentum)
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr, momentum=momentum)


_SGD_DEFAULTS = {
    name: p.default for name, p in inspect.signature(torch.optim.SGD.__init__).parameters.items()
    if p.default is not inspect.Parameter.empty
}
_HOOK_TABLES = tuple(f"_optimizer_{kind}_{when}_hooks" for kind in
                     ("step", "state_dict", "load_state_dict") for when in ("pre", "post"))


class ScheduleProbe(torch.optim.SGD):
    """An SGD's param group without SGD's machinery: all a scheduler reads and writes.

    A scheduler only ever touches its optimizer's `param_groups` (the LR, and the momentum
    that CyclicLR and OneCycleLR cycle), its `defaults` and its `step`. The probe holds
    exactly those, as `torch.optim.SGD(lr=base_lr, momentum=momentum)` would, so a real
    `torch.optim.lr_scheduler` built on it sets the same LRs (the tests hold it to a real SGD
    for every scheduler class and preset). `step()` changes nothing: the previews, the
    hikers and the plateau trace do their own arithmetic. What it skips is
    `Optimizer.__init__`, which imports `torch._dynamo` (about 900 modules, some 2 s) the first
    time a process builds an optimizer: so a widget's first change of schedule is as quick as
    its later ones, with nothing warmed in the background.
    """

    def __init__(self, base_lr: float = 0.1, momentum: float = 0.9) -> None:
        base_lr, momentum = _lr_and_momentum(base_lr, momentum)
        # Optimizer.__init__ is not called, on purpose (see above): set what it would set.
        self.defaults = {**_SGD_DEFAULTS, "lr": base_lr, "momentum": momentum}
        for table in _HOOK_TABLES:
            setattr(self, table, OrderedDict())
        self._zero_grad_profile_name = "Optimizer.zero_grad#ScheduleProbe.zero_grad"
        self.state: defaultdict[torch.Tensor, Any] = defaultdict(dict)
        self.param_groups = [{"params": [torch.zeros(1, requires_grad=True)], **self.defaults}]

    def step(self, closure: Callable[[], float] | None = None) -> None:
        """Nothing to update: the probe has no parameters that learn."""
        return None

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)  # a copy stays a probe (Optimizer's would patch `step`)


def is_scheduler(obj: Any) -> bool:
    """True for any torch LR scheduler object, ReduceLROnPlateau included."""
    return isinstance(obj, (lrs.LRScheduler, lrs.ReduceLROnPlateau))


def _copy_live(scheduler: Scheduler) -> Scheduler:
    """Deep-copy a scheduler and its optimizer, with every parameter swapped for a dummy."""
    memo: dict[int, Any] = {}
    optimizer = scheduler.optimizer
    for group in optimizer.param_groups:
        for p in group["params"]:
            memo[id(p)] = torch.zeros(1, requires_grad=True)
    # Momentum buffers and Adam moments play no part in the LR: skip copying them.
    memo[id(optimizer.state)] = {}
    return copy.deepcopy(scheduler, memo)


def build_scheduler(
    scheduler_or_factory: Scheduler | SchedulerFactory, base_lr: float = 0.1,
    *, momentum: float = 0.9,
) -> Scheduler:
    """A scheduler safe to step: a fresh one from a factory, or a copy of a live one."""
    if is_scheduler(scheduler_or_factory):
        return _copy_live(scheduler_or_factory)
    if not callable(scheduler_or_factory):
        raise TypeError(
            "preview_schedule needs a scheduler or a factory such as "
            f"`lambda opt: StepLR(opt, 30, 0.1)`, not {type(scheduler_or_factory).__name__}."
        )
    optimizer = ScheduleProbe(base_lr, momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = scheduler_or_factory(optimizer)
    if not is_scheduler(scheduler):
        raise TypeError(
            "The factory should return a torch.optim.lr_scheduler object, "
            f"but it returned {type(scheduler).__name__}."
        )
    if getattr(scheduler, "optimizer", None) is not optimizer:
        # Built on another optimizer (a live one, perhaps): step a copy, never the original.
        warnings.warn(
            "The factory returned a scheduler built on another optimizer, not on the one it "
            "was given, so its LRs start from that optimizer's LR; the preview steps a copy "
            "of it. Build the scheduler on the factory's argument: `lambda opt: StepLR(opt, ...)`.",
            UserWarning,
            stacklevel=3,
        )
        return _copy_live(scheduler)
    return scheduler


def current_lr(scheduler: Scheduler) -> float:
    """The LR of the first param group, read from the optimizer itself."""
    return float(scheduler.optimizer.param_groups[0]["lr"])


def preview_schedule(
    scheduler_or_factory: Scheduler | SchedulerFactory,
    steps: int,
    *,
    base_lr: float = 0.1,
    metrics: Sequence[float] | None = None,
) -> list[float]:
    """The LR for each of `steps` optimizer steps, from a dry run that changes nothing."""
    steps = step_count("steps", steps, whole_floats=True)
    base_lr = learning_rate("base_lr", base_lr)
    scheduler = build_scheduler(scheduler_or_factory, base_lr)
    plateau = isinstance(scheduler, lrs.ReduceLROnPlateau)
    if plateau and metrics is not None:
        metrics = numbers_list("metrics", metrics)
    if plateau:
        needed = max(steps - 1, 0)
        if metrics is None or len(metrics) < needed:
            given = 0 if metrics is None else len(metrics)
            raise ValueError(
                f"ReduceLROnPlateau decides from a metric, so a {steps}-step preview needs "
                f"{needed} metric values (one per scheduler.step), but got {given}. "
                "Pass them as metrics=[...], e.g. the validation loss after each epoch."
            )
    group = scheduler.optimizer.param_groups[0]
    lrs_seen: list[float] = []
    with warnings.catch_warnings():
        # PyTorch warns that step() came before optimizer.step(): true here, and harmless.
        warnings.simplefilter("ignore")
        for i in range(steps):
            lrs_seen.append(float(group["lr"]))
            if i == steps - 1:
                break
            try:
                if plateau:
                    scheduler.step(metrics[i])
                else:
                    scheduler.step()
            except ValueError as err:
                if isinstance(scheduler, lrs.OneCycleLR):
                    raise ValueError(
                        f"OneCycleLR was built for total_steps={scheduler.total_steps}, "
                        f"but a {steps}-step run steps it {steps - 1} times. A real training "
                        "run fails the same way: set total_steps = epochs * len(loader) "
                        f"and step once per batch. (PyTorch said: {err})"
                    ) from None
                raise
    return lrs_seen


# --------------------------------------------------------------------------
# Presets: one factory per schedule the course teaches, shared by the hiker
# and the lessons. Each is scaled to the run's length (`steps`).
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One tunable parameter of a preset, with the range a slider should offer."""

    name: str
    default: float | Callable[[int], float]
    low: float
    high: float | None  # None: bounded by the run's length
    kind: str = "float"  # "float", "int" or "log"
    help: str = ""

    def default_for(self, steps: int) -> float:
        """The default value for a run of `steps` steps."""
        value = self.default(steps) if callable(self.default) else self.default
        return int(value) if self.kind == "int" else float(value)

    def high_for(self, steps: int) -> float:
        """The upper end of the slider for a run of `steps` steps."""
        return float(max(steps, self.low)) if self.high is None else self.high


@dataclass(frozen=True)
class SchedulePreset:
    """A named schedule: call it on an optimizer, or ask it for a factory."""

    name: str
    title: str
    builder: Callable[..., Scheduler]
    params: tuple[Param, ...] = field(default_factory=tuple)
    per_metric: bool = False

    def defaults(self, steps: int) -> dict[str, float]:
        """Every parameter's default value for a run of `steps` steps."""
        return {p.name: p.default_for(steps) for p in self.params}

    def __call__(self, optimizer: Optimizer, steps: int = 100, **params: float) -> Scheduler:
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            names = ", ".join(p.name for p in self.params) or "none"
            raise TypeError(
                f"Preset {self.name!r} has no parameter {min(unknown)!r}; "
                f"its parameters are: {names}."
            )
        values = {**self.defaults(steps), **params}
        for p in self.params:
            if p.kind == "int":
                values[p.name] = max(round(values[p.name]), 1 if p.low >= 1 else 0)
        return self.builder(optimizer, max(int(steps), 1), **values)

    def factory(self, steps: int = 100, **params: float) -> SchedulerFactory:
        """A one-argument factory, as `preview_schedule` and `simulate_hike` take."""
        return lambda optimizer: self(optimizer, steps, **params)


def _lr0(optimizer: Optimizer) -> float:
    return float(optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"]))


def _constant(opt: Optimizer, steps: int) -> Scheduler:
    return lrs.ConstantLR(opt, factor=1.0, total_iters=0)


def _step(opt: Optimizer, steps: int, step_size: int, gamma: float) -> Scheduler:
    return lrs.StepLR(opt, step_size=step_size, gamma=gamma)


def _multistep(opt: Optimizer, steps: int, first: int, second: int, gamma: float) -> Scheduler:
    return lrs.MultiStepLR(opt, milestones=sorted({first, second}), gamma=gamma)


def _exponential(opt: Optimizer, steps: int, gamma: float) -> Scheduler:
    return lrs.ExponentialLR(opt, gamma=gamma)


def _cosine(opt: Optimizer, steps: int, T_max: int, eta_min: float) -> Scheduler:
    return lrs.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)


def _warm_restarts(opt: Optimizer, steps: int, T_0: int, T_mult: int, eta_min: float) -> Scheduler:
    return lrs.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)


def _warmup_cosine(opt: Optimizer, steps: int, warmup: int, start_factor: float) -> Scheduler:
    warmup = min(warmup, max(steps - 1, 1))
    warm = lrs.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
    cool = lrs.CosineAnnealingLR(opt, T_max=max(steps - warmup, 1))
    return lrs.SequentialLR(opt, schedulers=[warm, cool], milestones=[warmup])


def _hf_cosine(opt: Optimizer, steps: int, warmup: int, final_lr_ratio: float) -> Scheduler:
    return cosine_with_warmup(opt, min(warmup, steps - 1), steps, final_lr_ratio)


def _hf_linear(opt: Optimizer, steps: int, warmup: int, final_lr_ratio: float) -> Scheduler:
    return linear_with_warmup(opt, min(warmup, steps - 1), steps, final_lr_ratio)


def _wsd(opt: Optimizer, steps: int, warmup: int, decay: int, final_lr_ratio: float) -> Scheduler:
    warmup = min(warmup, steps - 1)
    decay = min(max(decay, 1), steps - warmup)
    return warmup_stable_decay(opt, warmup, steps, decay, final_lr_ratio)


def _cyclic(opt: Optimizer, steps: int, step_size_up: int, div: float) -> Scheduler:
    top = _lr0(opt)
    return lrs.CyclicLR(opt, base_lr=top / div, max_lr=top, step_size_up=step_size_up)


def _onecycle(
    opt: Optimizer, steps: int, pct_start: float, div_factor: float, final_div_factor: float
) -> Scheduler:
    return lrs.OneCycleLR(
        opt,
        max_lr=_lr0(opt),
        total_steps=steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )


def _plateau(
    opt: Optimizer, steps: int, factor: float, patience: int, threshold: float, cooldown: int
) -> Scheduler:
    return lrs.ReduceLROnPlateau(
        opt, mode="min", factor=factor, patience=patience, threshold=threshold, cooldown=cooldown
    )


def _frac(f: float, least: int = 1) -> Callable[[int], int]:
    return lambda steps: max(round(steps * f), least)


SCHEDULE_PRESETS: dict[str, SchedulePreset] = {
    p.name: p
    for p in [
        SchedulePreset("constant", "Constant LR", _constant),
        SchedulePreset(
            "step",
            "StepLR: multiply by gamma every step_size steps",
            _step,
            (
                Param("step_size", _frac(0.3), 1, None, "int", "steps between decays"),
                Param("gamma", 0.1, 0.01, 0.99, "float", "factor at each decay"),
            ),
        ),
        SchedulePreset(
            "multistep",
            "MultiStepLR: multiply by gamma at two milestones",
            _multistep,
            (
                Param("first", _frac(0.5), 1, None, "int", "first milestone"),
                Param("second", _frac(0.75), 1, None, "int", "second milestone"),
                Param("gamma", 0.1, 0.01, 0.99, "float", "factor at each milestone"),
            ),
        ),
        SchedulePreset(
            "exponential",
            "ExponentialLR: multiply by gamma every step",
            _exponential,
            (Param("gamma", 0.97, 0.8, 0.999, "float", "factor per step"),),
        ),
        SchedulePreset(
            "cosine",
            "CosineAnnealingLR: half a cosine from the LR down to eta_min",
            _cosine,
            (
                Param("T_max", lambda steps: steps, 1, None, "int", "steps to reach eta_min"),
                Param("eta_min", 0.0, 0.0, 0.1, "float", "the floor LR"),
            ),
        ),
        SchedulePreset(
            "warm_restarts",
            "CosineAnnealingWarmRestarts (SGDR): cosine, then restart",
            _warm_restarts,
            (
                Param("T_0", _frac(0.25), 1, None, "int", "length of the first cycle"),
                Param("T_mult", 1, 1, 3, "int", "each cycle is T_mult times longer"),
                Param("eta_min", 0.0, 0.0, 0.1, "float", "the floor LR"),
            ),
        ),
        SchedulePreset(
            "warmup_cosine",
            "LinearLR warmup from 0.1x, then cosine (SequentialLR)",
            _warmup_cosine,
            (
                Param("warmup", _frac(0.1), 1, None, "int", "warmup steps"),
                Param("start_factor", 0.1, 0.01, 1.0, "float", "warmup starts at LR x this"),
            ),
        ),
        SchedulePreset(
            "hf_cosine",
            "cosine_with_warmup, warmup from 0 (Hugging Face's curve): then half a cosine to 0",
            _hf_cosine,
            (
                Param("warmup", _frac(0.06, 0), 0, None, "int", "warmup steps, from LR 0"),
                Param("final_lr_ratio", 0.0, 0.0, 0.5, "float", "final LR as a fraction"),
            ),
        ),
        SchedulePreset(
            "hf_linear",
            "linear_with_warmup, warmup from 0 (Hugging Face's curve): then straight to 0",
            _hf_linear,
            (
                Param("warmup", _frac(0.06, 0), 0, None, "int", "warmup steps, from LR 0"),
                Param("final_lr_ratio", 0.0, 0.0, 0.5, "float", "final LR as a fraction"),
            ),
        ),
        SchedulePreset(
            "wsd",
            "warmup_stable_decay (WSD): warmup from 0, flat, then a linear decay at the end",
            _wsd,
            (
                Param("warmup", _frac(0.06, 0), 0, None, "int", "warmup steps, from LR 0"),
                Param("decay", _frac(0.2), 1, None, "int", "the last steps, decaying"),
                Param("final_lr_ratio", 0.0, 0.0, 0.5, "float", "final LR as a fraction"),
            ),
        ),
        SchedulePreset(
            "cyclic",
            "CyclicLR (triangular) between LR/div and LR",
            _cyclic,
            (
                Param("step_size_up", _frac(0.1), 1, None, "int", "steps from bottom to top"),
                Param("div", 10.0, 1.5, 100.0, "log", "bottom LR is LR / div"),
            ),
        ),
        SchedulePreset(
            "onecycle",
            "OneCycleLR: warm up to the LR, then anneal far below it",
            _onecycle,
            (
                Param("pct_start", 0.3, 0.05, 0.9, "float", "fraction spent warming up"),
                Param("div_factor", 25.0, 2.0, 100.0, "log", "start LR is LR / div_factor"),
                Param("final_div_factor", 1e4, 10.0, 1e5, "log", "final LR is start / this"),
            ),
        ),
        SchedulePreset(
            "plateau",
            "ReduceLROnPlateau: cut the LR when the metric stops improving",
            _plateau,
            (
                Param("factor", 0.5, 0.05, 0.95, "float", "LR x factor at each cut"),
                Param("patience", 5, 0, 50, "int", "bad steps tolerated before a cut"),
                Param("threshold", 1e-4, 1e-6, 0.1, "log", "relative improvement that counts"),
                Param("cooldown", 0, 0, 50, "int", "steps to wait after a cut"),
            ),
            per_metric=True,
        ),
    ]
}

