"""The hiker on the mountain: gradient descent in one dimension, in plain words.

A landscape is an altitude function of one position `x`, with its gradient.
The hiker starts on a slope and takes SGD strides, `x <- x - lr * gradient`,
with the learning rate set at every step by a real `torch.optim.lr_scheduler`
object. The update runs in plain floats, so a hike costs about a millisecond
plus the scheduler; the tests check it against `torch.optim.SGD` step by step.

Nothing here knows about widgets: `course_utils.hiker_widget` draws hikes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from torch.optim import lr_scheduler as lrs

from course_utils.schedules import (
    SCHEDULE_PRESETS,
    Scheduler,
    SchedulerFactory,
    dummy_optimizer,
    is_scheduler,
)

OUTCOMES = ("valley", "stuck", "bouncing", "fell", "walking")


@dataclass(frozen=True)
class Landscape:
    """A 1-D mountain: altitude and gradient of a position, and the map around it."""

    name: str
    title: str
    altitude_fn: Callable[[float], float] = field(repr=False)
    gradient_fn: Callable[[float], float] = field(repr=False)
    x_range: tuple[float, float]
    floor: float
    start: float
    dips: tuple[float, ...] = ()
    tolerance: float = 0.05
    curvature: float | None = None

    def altitude(self, x: float) -> float:
        """The altitude at position `x`."""
        return self.altitude_fn(x)

    def gradient(self, x: float) -> float:
        """The slope d(altitude)/dx at position `x`."""
        return self.gradient_fn(x)

    def on_map(self, x: float) -> bool:
        """True while `x` is a finite position between the map's edges."""
        return math.isfinite(x) and self.x_range[0] <= x <= self.x_range[1]

    @property
    def stability_limit(self) -> float | None:
        """The largest constant LR that does not diverge on a quadratic (2 / curvature)."""
        return None if self.curvature is None else 2.0 / self.curvature

    def curve(self, n: int = 400) -> tuple[list[float], list[float]]:
        """Positions and altitudes across the whole map, for drawing the mountain."""
        lo, hi = self.x_range
        xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        return xs, [self.altitude(x) for x in xs]

    @property
    def ylim(self) -> tuple[float, float]:
        """Fixed altitude limits for plots of this landscape."""
        _, ys = self.curve()
        span = max(ys) - min(ys)
        return min(ys) - 0.2 * span, max(ys) + 0.08 * span


def _bowl(curvature: float) -> Landscape:
    return Landscape(
        "bowl",
        f"Bowl: curvature {curvature:g}, so a constant LR above {2 / curvature:g} diverges",
        lambda x: 0.5 * curvature * x * x,
        lambda x: curvature * x,
        x_range=(-5.0, 5.0),
        floor=0.0,
        start=-4.0,
        curvature=curvature,
    )


def _v(x: float, slope: float, width: float) -> float:
    """A V-shaped valley at 0 with a rounded floor `width` wide."""
    return slope * (math.sqrt(x * x + width * width) - width)


def _dv(x: float, slope: float, width: float) -> float:
    return slope * x / math.sqrt(x * x + width * width)


def _ravine(slope: float = 2.0, width: float = 0.1) -> Landscape:
    return Landscape(
        "ravine",
        "Ravine: steep walls and a narrow floor",
        lambda x: _v(x, slope, width),
        lambda x: _dv(x, slope, width),
        x_range=(-5.0, 5.0),
        floor=0.0,
        start=-4.0,
    )


def _ledge(
    valley: float = 3.0,
    dip: float = -2.0,
    depth: float = 0.8,
    spread: float = 0.2,
    slope: float = 0.7,
    width: float = 0.05,
) -> Landscape:
    def altitude(x: float) -> float:
        return _v(x - valley, slope, width) - depth * math.exp(-((x - dip) ** 2) / (2 * spread**2))

    def gradient(x: float) -> float:
        bump = math.exp(-((x - dip) ** 2) / (2 * spread**2))
        return _dv(x - valley, slope, width) + depth * (x - dip) / spread**2 * bump

    return Landscape(
        "ledge",
        "Ledge: a small dip on the slope, the true valley further on",
        altitude,
        gradient,
        x_range=(-5.0, 5.0),
        floor=valley,
        start=-3.5,
        dips=(_solve(gradient, dip - spread, dip + spread),),
    )


def _plateau(
    valley: float = 4.0,
    height: float = 2.0,
    tilt: float = 0.1,
    slope: float = 1.0,
    width: float = 0.1,
    soft: float = 0.2,
) -> Landscape:
    # A steep crater (V) in a gently tilted plain (P), joined by a smooth minimum.
    def parts(x: float) -> tuple[float, float, float, float]:
        d = x - valley
        plain = height + tilt * math.sqrt(d * d + 1.0)
        return _v(d, slope, width), _dv(d, slope, width), plain, tilt * d / math.sqrt(d * d + 1)

    def altitude(x: float) -> float:
        v, _, p, _ = parts(x)
        low = min(v, p)
        return low - soft * math.log(math.exp((low - v) / soft) + math.exp((low - p) / soft))

    def gradient(x: float) -> float:
        v, dv, p, dp = parts(x)
        low = min(v, p)
        wv, wp = math.exp((low - v) / soft), math.exp((low - p) / soft)
        return (wv * dv + wp * dp) / (wv + wp)

    return Landscape(
        "plateau",
        "Plateau: a long, nearly flat plain around a steep crater",
        altitude,
        gradient,
        x_range=(-10.0, 10.0),
        floor=valley,
        start=-8.0,
    )


def _solve(gradient: Callable[[float], float], lo: float, hi: float) -> float:
    """The position in [lo, hi] where the gradient changes sign from - to +, by bisection."""
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gradient(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


LANDSCAPES: dict[str, Landscape] = {
    land.name: land for land in (_bowl(2.0), _ravine(), _ledge(), _plateau())
}


@dataclass(frozen=True)
class Hike:
    """What happened on one hike: every position, altitude and LR, and how it ended.

    `positions` and `altitudes` hold the start and the place after every step, so
    they are one longer than `lrs` (the LR used at each step). A hike that fell
    stops at the step that left the map; its last position may be infinite and
    its last altitude is NaN (there is no ground there).
    """

    landscape: Landscape
    positions: list[float]
    altitudes: list[float]
    lrs: list[float]
    outcome: str
    story: str
    event_step: int | None = None  # step it settled, fell, or None

    @property
    def steps(self) -> int:
        """How many strides the hiker took."""
        return len(self.lrs)


def _factory(schedule: str | SchedulerFactory | None, steps: int) -> SchedulerFactory | None:
    if schedule is None or callable(schedule):
        return schedule
    if schedule not in SCHEDULE_PRESETS:
        names = ", ".join(SCHEDULE_PRESETS)
        raise ValueError(f"Unknown schedule {schedule!r}; the presets are: {names}.")
    return SCHEDULE_PRESETS[schedule].factory(steps)


def _scheduler(factory: SchedulerFactory | None, lr: float, momentum: float) -> Scheduler | None:
    """The schedule's scheduler, on a dummy SGD with the hike's LR and momentum.

    Some schedulers (CyclicLR, OneCycleLR) cycle the momentum as well as the LR, so
    the hike reads both from the optimizer at every step, as a real SGD does.
    """
    if factory is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = factory(dummy_optimizer(lr, momentum))
    if not is_scheduler(scheduler):
        raise TypeError(
            "The schedule should build a torch.optim.lr_scheduler object, "
            f"but it returned {type(scheduler).__name__}."
        )
    return scheduler


def simulate_hike(
    landscape: str | Landscape,
    lr: float,
    *,
    schedule: str | SchedulerFactory | None = None,
    steps: int = 200,
    start: float | None = None,
    momentum: float = 0.0,
) -> Hike:
    """Walk `steps` SGD strides down `landscape`, the LR set by a real scheduler each step.

    `schedule` is a preset name from `SCHEDULE_PRESETS`, a factory such as
    `lambda opt: CosineAnnealingLR(opt, T_max=200)`, or None for a constant LR.
    ReduceLROnPlateau is fed the altitude after every step.
    """
    land = LANDSCAPES[landscape] if isinstance(landscape, str) else landscape
    lr, steps, momentum = float(lr), int(steps), float(momentum)
    if not lr >= 0 or not 0 <= momentum < 1 or steps < 0:
        raise ValueError(
            f"Need lr >= 0, 0 <= momentum < 1 and steps >= 0; got lr={lr}, "
            f"momentum={momentum}, steps={steps}."
        )
    x = land.start if start is None else float(start)
    scheduler = _scheduler(_factory(schedule, steps), lr, momentum)
    plateau = isinstance(scheduler, lrs.ReduceLROnPlateau)
    fixed = {"lr": lr, "momentum": momentum}
    group = fixed if scheduler is None else scheduler.optimizer.param_groups[0]
    positions = [x]
    altitudes = [land.altitude(x) if land.on_map(x) else math.nan]
    lrs_used: list[float] = []
    velocity: float | None = None
    with warnings.catch_warnings():
        # PyTorch warns that scheduler.step() came before optimizer.step(): true, and harmless.
        warnings.simplefilter("ignore")
        for i in range(steps):
            if not land.on_map(x):
                break
            step_lr, mu = float(group["lr"]), float(group["momentum"])
            lrs_used.append(step_lr)
            g = land.gradient(x)
            if mu:
                # torch.optim.SGD's momentum buffer: the first gradient, then mu * buffer + g.
                velocity = g if velocity is None else mu * velocity + g
                x = x - step_lr * velocity
            else:
                x = x - step_lr * g
            positions.append(x)
            altitudes.append(land.altitude(x) if land.on_map(x) else math.nan)
            if scheduler is None or i == steps - 1 or not land.on_map(x):
                continue
            if plateau:
                scheduler.step(altitudes[-1])
            else:
                scheduler.step()
    outcome, story, event = _judge(land, positions, lrs_used)
    return Hike(land, positions, altitudes, lrs_used, outcome, story, event)


def _steps(n: int) -> str:
    return "1 step" if n == 1 else f"{n} steps"


def _judge(land: Landscape, xs: list[float], lrs_used: list[float]) -> tuple[str, str, int | None]:
    """The outcome of a hike, its one-sentence story, and the step it happened."""
    n = len(lrs_used)
    last = xs[-1]
    if not land.on_map(last):
        side = "right" if last > land.x_range[1] else "left"
        tail = xs[-4:]
        strides = [b - a for a, b in pairwise(tail) if math.isfinite(b - a)]
        growing = len(strides) >= 2 and all(
            abs(b) > abs(a) and a * b < 0 for a, b in pairwise(strides)
        )
        if n == 0:
            why = "the start is off the map"
        elif not math.isfinite(last):
            why = "the stride grew too large to count"
        elif growing:
            why = "each stride overshot more than the last"
        else:
            why = f"one stride of {abs(last - xs[-2]):.3g} carried the hiker past the edge"
        return "fell", f"Fell off the {side} edge of the mountain at step {n}: {why}.", n
    window = xs[-max(3, math.ceil(0.1 * n)) :]
    minima = [(land.floor, "valley")] + [(d, "dip") for d in land.dips]
    for place, kind in minima:
        if all(abs(x - place) < land.tolerance for x in window):
            since = n
            while since > 0 and abs(xs[since - 1] - place) < land.tolerance:
                since -= 1
            if kind == "valley":
                story = f"Reached the valley floor at step {since} and stayed there."
                return "valley", story, since
            return (
                "stuck",
                (
                    f"Came to rest at step {since} in a dip at x = {place:.2f}, "
                    f"not the true valley at x = {land.floor:.2f}: too short a stride to climb out."
                ),
                since,
            )
    place, kind = min(minima, key=lambda m: abs(last - m[0]))
    crossings = sum((a - place) * (b - place) < 0 for a, b in pairwise(window))
    if crossings >= min(2, len(window) - 1) > 0:
        swing = max(abs(b - a) for a, b in pairwise(window))
        where = "the valley floor" if kind == "valley" else f"the dip at x = {place:.2f}"
        return (
            "bouncing",
            (
                f"Still swinging across {where} after {_steps(n)}, strides up to {swing:.3g} long: "
                "each one overshoots."
            ),
            None,
        )
    return (
        "walking",
        (
            f"Still walking downhill after {_steps(n)}, {abs(last - land.floor):.3g} "
            "from the valley floor: the strides are too short to get there in time."
        ),
        None,
    )
