"""The hiker on the mountain: gradient descent in one dimension, in plain words.

A landscape is an altitude function of one position `x`, with its gradient.
The hiker starts on a slope and takes SGD strides, `x <- x - lr * gradient`,
with the learning rate set at every step by a real `torch.optim.lr_scheduler`
object. The update runs in plain floats, so a hike costs about a millisecond
plus the scheduler; the tests check it against `torch.optim.SGD` step by step.

With `noise > 0` every stride uses the gradient plus `noise` times a standard
normal draw, as a mini-batch gradient scatters around the full one; the draws
come from a private generator seeded by `seed`, so a hike is reproducible.

How a hike ends is one of `OUTCOMES`; `OUTCOME_RULES` says, in one place, the
rule that gives each one (`_judge` applies them in that order). "The final
window" is the last tenth of the hike (at least 3 positions).

Nothing here knows about widgets: `course_utils.hiker_widget` draws hikes.
"""

from __future__ import annotations

import math
import numbers
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from torch.optim import lr_scheduler as lrs

from course_utils.arguments import MAX_STEPS, seed_value
from course_utils.schedules import (
    SCHEDULE_PRESETS,
    Scheduler,
    SchedulerFactory,
    build_scheduler,
)

OUTCOMES = ("valley", "stuck", "hovering", "bouncing", "fell", "walking")

# Every outcome's rule, in the order `_judge` tries them: the first that holds wins.
OUTCOME_RULES: dict[str, str] = {
    "fell": (
        "The hiker left the ground for good. On a landscape whose map ends at cliffs (ravine, "
        "ledge, plateau) that is the first stride past the map's edge. Where the ground goes on "
        "past the map (the bowl), leaving the map is only a detour: the hiker has fallen "
        "(diverged) when it is more than FAR map widths from the floor or its position overflows, "
        "or when the hike ends off the map with each stride overshooting more than the last."
    ),
    "valley": (
        "Every position in the final window is within `tolerance` of the valley floor. "
        "(A hike that ends within `tolerance` of the floor and is not bouncing is also "
        "'valley': a hiker drawn on the valley marker is never 'walking'.)"
    ),
    "stuck": (
        "Every position in the final window is within `tolerance` of a dip that is not the "
        "valley; with noise, also when the window's mean distance from the dip is below `near`."
    ),
    "hovering": (
        "Only with noise: the final window's mean distance from the valley floor is below "
        "`near` (a tenth of the map) and the window crosses the floor at least twice, but not "
        "every position is within `tolerance`: the noisy strides keep the hiker jittering "
        "around the floor (a hiker still creeping up on one side is 'walking'). The story "
        "gives how far it strays and its mean height above the floor over that window, "
        "altitude(x) - altitude(floor)."
    ),
    "bouncing": (
        "The final window crosses the nearest minimum at least twice: each stride overshoots."
    ),
    "walking": (
        "None of the above, and the hike does not end within `tolerance` of the floor: still "
        "heading downhill when the steps ran out."
    ),
}
FAR = 100.0  # on an open landscape, a hiker this many map widths from the floor has diverged


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
    open_ends: bool = False  # the ground goes on past the map, so leaving it is not yet falling

    def altitude(self, x: float) -> float:
        """The altitude at position `x`."""
        return self.altitude_fn(x)

    def gradient(self, x: float) -> float:
        """The slope d(altitude)/dx at position `x`."""
        return self.gradient_fn(x)

    def on_map(self, x: float) -> bool:
        """True while `x` is a finite position between the map's edges."""
        return math.isfinite(x) and self.x_range[0] <= x <= self.x_range[1]

    def on_ground(self, x: float) -> bool:
        """True while a hiker at `x` has not fallen: on the map, or near it on open ground."""
        if not self.open_ends:
            return self.on_map(x)
        lo, hi = self.x_range
        return math.isfinite(x) and abs(x - self.floor) <= FAR * (hi - lo)

    @property
    def near(self) -> float:
        """How close to a minimum a jittering hiker counts as hovering there: a tenth of the map."""
        return 0.1 * (self.x_range[1] - self.x_range[0])

    def height(self, x: float) -> float:
        """How far above the valley floor position `x` is: altitude(x) - altitude(floor)."""
        return self.altitude(x) - self.altitude(self.floor) if self.on_ground(x) else math.nan

    def edge_lr(self, momentum: float = 0.0) -> float | None:
        """The largest constant LR that keeps a quadratic from diverging: 2 (1 + momentum) / a.

        With heavy-ball momentum mu (torch.optim.SGD's `momentum`), the edge moves from
        2 / a to 2 (1 + mu) / a. None where the landscape has no single curvature.
        """
        momentum = _number("momentum", momentum)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}.")
        return None if self.curvature is None else 2.0 * (1.0 + momentum) / self.curvature

    @property
    def stability_limit(self) -> float | None:
        """The largest constant LR that does not diverge on a quadratic without momentum (2 / a)."""
        return self.edge_lr(0.0)

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
        f"Bowl: altitude {'' if curvature == 2 else f'{curvature / 2:g} '}x², "
        f"curvature {curvature:g}",
        lambda x: 0.5 * curvature * x * x,
        lambda x: curvature * x,
        x_range=(-5.0, 5.0),
        floor=0.0,
        start=-4.0,
        curvature=curvature,
        open_ends=True,
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
    they are one longer than `lrs` and `momenta` (the LR and momentum used at each
    step; OneCycleLR and CyclicLR cycle the momentum). A hike that fell
    stops at the step that left the ground; its last position may be infinite and
    its last altitude is NaN (there is no ground there). On the bowl, whose ground
    goes on past the map, a hiker may leave the map and come back.
    """

    landscape: Landscape
    positions: list[float]
    altitudes: list[float]
    lrs: list[float]
    outcome: str
    story: str
    event_step: int | None = None  # step it settled, fell, or None
    noise: float = 0.0
    seed: int = 0
    momenta: list[float] = field(default_factory=list)  # the momentum used at each step

    @property
    def steps(self) -> int:
        """How many strides the hiker took."""
        return len(self.lrs)

    @property
    def height(self) -> float:
        """The final height above the floor, altitude(x) - altitude(floor); NaN if it fell."""
        return self.landscape.height(self.positions[-1])


def _number(name: str, value: object) -> float:
    """`value` as a float, or a TypeError that names the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}.")
    return float(value)


def _whole(name: str, value: object) -> int:
    """`value` as an int, or a TypeError that names the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number; got {type(value).__name__} {value!r}.")
    return int(value)


def _landscape(landscape: object) -> Landscape:
    """A landscape by name, or the Landscape itself; a clear error for anything else."""
    if isinstance(landscape, Landscape):
        return landscape
    if isinstance(landscape, str):
        if landscape in LANDSCAPES:
            return LANDSCAPES[landscape]
        raise ValueError(
            f"Unknown landscape {landscape!r}; landscape must be one of: {', '.join(LANDSCAPES)} "
            "(or a Landscape)."
        )
    raise TypeError(
        f"landscape must be a name ({', '.join(LANDSCAPES)}) or a Landscape; "
        f"got {type(landscape).__name__}."
    )


def _factory(schedule: str | SchedulerFactory | None, steps: int) -> SchedulerFactory | None:
    if schedule is None or callable(schedule):
        return schedule
    if not isinstance(schedule, str):
        raise TypeError(
            "schedule must be a preset name, a factory such as lambda opt: "
            f"CosineAnnealingLR(opt, T_max=200), or None; got {type(schedule).__name__}."
        )
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
    # A factory that hands back a live scheduler (built on another optimizer) gets a copy
    # stepped, never the original.
    return build_scheduler(factory, lr, momentum=momentum)


def hike_settings(lr: object, momentum: object, steps: object, noise: object, seed: object, *,
                  finite_lr: bool = False) -> tuple[float, float, int, float, int]:
    """A hike's settings checked, in the course's words: (lr, momentum, steps, noise, seed)."""
    lr, momentum, noise = _number("lr", lr), _number("momentum", momentum), _number("noise", noise)
    steps, seed = _whole("steps", steps), seed_value("seed", seed)
    if not (lr >= 0 and (math.isfinite(lr) or not finite_lr)):
        raise ValueError(f"lr must be a {'finite ' if finite_lr else ''}number >= 0; got lr={lr}.")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1); got momentum={momentum}.")
    if steps < 0:
        raise ValueError(f"steps must be a whole number >= 0; got steps={steps}.")
    if steps > MAX_STEPS:
        raise ValueError(f"steps must be a whole number of at most {MAX_STEPS:,}; "
                         f"got steps={steps}.")
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"noise must be a finite number >= 0; got noise={noise}.")
    return lr, momentum, steps, noise, seed


def simulate_hike(
    landscape: str | Landscape,
    lr: float,
    *,
    schedule: str | SchedulerFactory | None = None,
    steps: int = 200,
    start: float | None = None,
    momentum: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Hike:
    """Walk `steps` SGD strides down `landscape`, the LR set by a real scheduler each step.

    `schedule` is a preset name from `SCHEDULE_PRESETS`, a factory such as
    `lambda opt: CosineAnnealingLR(opt, T_max=200)`, or None for a constant LR.
    With `noise > 0` each stride uses the gradient plus `noise` times a standard
    normal draw from a generator seeded by `seed` (the same seed, the same hike).
    ReduceLROnPlateau is fed the exact altitude where the hiker stands after every step.
    """
    land = _landscape(landscape)
    lr, momentum, steps, noise, seed = hike_settings(lr, momentum, steps, noise, seed)
    x = land.start if start is None else _number("start", start)
    scheduler = _scheduler(_factory(schedule, steps), lr, momentum)
    plateau = isinstance(scheduler, lrs.ReduceLROnPlateau)
    fixed = {"lr": lr, "momentum": momentum}
    group = fixed if scheduler is None else scheduler.optimizer.param_groups[0]
    draw = random.Random(seed).gauss if noise else None
    positions = [x]
    altitudes = [land.altitude(x) if land.on_ground(x) else math.nan]
    lrs_used: list[float] = []
    momenta: list[float] = []
    velocity: float | None = None
    with warnings.catch_warnings():
        # PyTorch warns that scheduler.step() came before optimizer.step(): true, and harmless.
        warnings.simplefilter("ignore")
        for i in range(steps):
            if not land.on_ground(x):
                break
            step_lr, mu = float(group["lr"]), float(group["momentum"])
            lrs_used.append(step_lr)
            momenta.append(mu)
            g = land.gradient(x)
            if draw is not None:
                g += noise * draw(0.0, 1.0)
            if mu:
                # torch.optim.SGD's momentum buffer: the first gradient, then mu * buffer + g.
                velocity = g if velocity is None else mu * velocity + g
                x = x - step_lr * velocity
            else:
                x = x - step_lr * g
            positions.append(x)
            altitudes.append(land.altitude(x) if land.on_ground(x) else math.nan)
            if scheduler is None or i == steps - 1 or not land.on_ground(x):
                continue
            if plateau:
                scheduler.step(altitudes[-1])
            else:
                scheduler.step()
    outcome, story, event = _judge(land, positions, lrs_used, noise)
    return Hike(land, positions, altitudes, lrs_used, outcome, story, event, noise, seed, momenta)


def _steps(n: int) -> str:
    return "1 step" if n == 1 else f"{n} steps"


def _overshooting(xs: list[float]) -> bool:
    """Whether the last strides each overshoot more than the one before (a diverging swing)."""
    tail = xs[-4:]
    strides = [b - a for a, b in pairwise(tail) if math.isfinite(b - a)]
    return len(strides) >= 2 and all(abs(b) > abs(a) and a * b < 0 for a, b in pairwise(strides))


def _fell(land: Landscape, xs: list[float], n: int) -> tuple[str, str, int | None] | None:
    """The 'fell' verdict, or None if the hiker is still on the ground (see OUTCOME_RULES)."""
    last = xs[-1]
    if land.on_ground(last) and (land.on_map(last) or not _overshooting(xs)):
        return None
    # The step it left the map for the last time: on cliffs, the step it fell.
    left = n
    while left > 0 and not land.on_map(xs[left - 1]):
        left -= 1
    side = "right" if xs[left] > land.x_range[1] else "left"
    if n == 0:
        why = "the start is off the map"
    elif not math.isfinite(last):
        why = "the stride grew too large to count"
    elif _overshooting(xs):
        why = "each stride overshot more than the last"
    elif land.open_ends:
        why = f"it went on to x = {last:.3g} and never came back"
    else:
        why = f"one stride of {abs(last - xs[-2]):.3g} carried the hiker past the edge"
    if land.open_ends and n:
        # The ground goes on past the map: leaving it is when the fall became visible, not
        # where it ended, so say both.
        story = (f"Fell: the hiker left the map on the {side} at step {left} and never came back "
                 f"({why}); after {_steps(n)} it was {abs(last - land.floor):.3g} from the floor.")
        return "fell", story, left
    return "fell", f"Fell off the {side} edge of the mountain at step {left}: {why}.", left


def _judge(
    land: Landscape, xs: list[float], lrs_used: list[float], noise: float = 0.0
) -> tuple[str, str, int | None]:
    """The outcome of a hike, its one-sentence story, and the step it happened (OUTCOME_RULES)."""
    n = len(lrs_used)
    fell = _fell(land, xs, n)
    if fell is not None:
        return fell
    last = xs[-1]
    window = xs[-max(3, math.ceil(0.1 * n)) :]
    minima = [(land.floor, "valley")] + [(d, "dip") for d in land.dips]
    for place, kind in minima:
        if all(abs(x - place) < land.tolerance for x in window):
            return _settled(land, xs, place, kind, noise, window)
    if noise:
        for place, kind in minima:
            near = sum(abs(x - place) for x in window) < land.near * len(window)
            # Jittering means on both sides of it: a hiker still creeping up on one side walks.
            if near and _crossings(window, place) >= 2:
                return _jittering(land, place, kind, n, window)
    place, kind = min(minima, key=lambda m: abs(last - m[0]))
    crossings = _crossings(window, place)
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
    if abs(last - land.floor) < land.tolerance:
        # Drawn on the valley marker: arrived, whatever the window says.
        return _settled(land, xs, land.floor, "valley", noise, window)
    return (
        "walking",
        (
            f"Still walking downhill after {_steps(n)}, {abs(last - land.floor):.3g} "
            "from the valley floor: the strides are too short to get there in time."
        ),
        None,
    )


def _crossings(window: list[float], place: float) -> int:
    """How many strides in the window cross `place` from one side to the other."""
    return sum((a - place) * (b - place) < 0 for a, b in pairwise(window))


def _settled(
    land: Landscape, xs: list[float], place: float, kind: str, noise: float, window: list[float]
) -> tuple[str, str, int | None]:
    """The 'valley' or 'stuck' verdict for a hiker within tolerance of `place` at the end."""
    n = len(xs) - 1
    since = n
    while since > 0 and abs(xs[since - 1] - place) < land.tolerance:
        since -= 1
    if kind == "valley":
        story = f"Reached the valley floor at step {since} and stayed there"
        if noise:
            top = max(land.height(x) for x in window)
            story += f", jittering at most {top:.2g} above it"
        return "valley", story + ".", since
    return (
        "stuck",
        (
            f"Came to rest at step {since} in a dip at x = {place:.2f}, "
            f"not the true valley at x = {land.floor:.2f}: too short a stride to climb out."
        ),
        since,
    )


def _jittering(
    land: Landscape, place: float, kind: str, n: int, window: list[float]
) -> tuple[str, str, int | None]:
    """The 'hovering' (or, in a dip, 'stuck') verdict for a noisy hiker near a minimum."""
    spread = max(abs(x - place) for x in window)
    if kind == "valley":
        mean = sum(land.height(x) for x in window) / len(window)
        return (
            "hovering",
            (
                f"Hovering around the valley floor after {_steps(n)}: the noisy strides keep it "
                f"jittering up to {spread:.2g} from the floor, on average {mean:.2g} above it."
            ),
            None,
        )
    return (
        "stuck",
        (
            f"Jittering in a dip at x = {place:.2f} after {_steps(n)}, up to {spread:.2g} from it, "
            f"not the true valley at x = {land.floor:.2f}: the strides are too short to climb out."
        ),
        None,
    )
