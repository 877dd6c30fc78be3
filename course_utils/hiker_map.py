"""The hiker on a map: gradient descent in two dimensions, where one direction is sharp.

Real losses are ill-conditioned: steep in some directions, nearly flat in others.
The LR is capped by the sharpest direction (past 2 (1 + momentum) / a_sharp the
hiker bounces ever higher between the walls and falls), while progress waits on
the flattest one. Two maps show it:

- "valley": a long quadratic bowl, curvature 2 across and 0.15 along (a condition
  number of about 13), its floor at (0, 0);
- "river": steep walls either side of a winding river, f = a/2 (y - r(x))^2 - s x,
  whose bed slopes gently downhill for ever. There is no floor to reach: a large
  LR travels far downstream but bounces high on the walls, a small one sits in the
  river but crawls; a decaying LR travels first and then drops into the river.

The hike follows `course_utils.hiker` rule for rule: a real
`torch.optim.lr_scheduler` (a preset name or a factory) sets the LR of every
stride, the update is torch.optim.SGD's (momentum buffer: the first gradient, then
mu * buffer + g; dampening 0, no Nesterov, no weight decay), and with `noise > 0`
each coordinate of the gradient gets `noise` times its own standard normal draw
from a generator seeded by `seed`. How a hike ends is one of `OUTCOMES_2D`, told in
words; `OUTCOME_RULES_2D` gives the rules. Nothing here knows about widgets or
pyplot: `course_utils.hiker_map_widget` draws the map.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from torch.optim import lr_scheduler as lrs

from course_utils.hiker import (
    FAR,
    _factory,
    _number,
    _overshooting,
    _scheduler,
    _steps,
    _whole,
    hike_settings,
)
from course_utils.schedules import SchedulerFactory

Point = tuple[float, float]

OUTCOMES_2D = ("valley", "river", "hovering", "bouncing", "fell", "walking")

OUTCOME_RULES_2D: dict[str, str] = {
    "fell": (
        "The hiker left the ground for good: its position overflowed, it went more than FAR "
        "map widths from the floor (or the river), or it ends off the map with each of the "
        "last strides across the sharp direction overshooting more than the one before."
    ),
    "valley": (
        "On the valley: every position in the final window is within `tolerance` of the floor."
    ),
    "river": (
        "On the river: every position in the final window is within `tolerance` of the river "
        "bed, or, with noise, the window's mean height above the bed is below `near_height` "
        "(settled in the river, jittering). The story says how far it travelled downstream."
    ),
    "hovering": (
        "On the valley, only with noise: the final window's mean distance from the floor is "
        "below a tenth of the map, but not every position is within `tolerance`."
    ),
    "bouncing": (
        "The final window crosses the floor (or the river) in the sharp direction at least "
        "twice: each stride overshoots from wall to wall."
    ),
    "walking": (
        "None of the above: still walking down towards the floor (or the river) when the "
        "steps ran out."
    ),
}


@dataclass(frozen=True)
class Landscape2D:
    """A 2-D mountain: altitude and gradient at (x, y), its curvatures, and the map around it.

    `sharp` and `flat` are the largest and smallest curvatures the hiker meets near the
    floor or the river bed. `river` is the bed's y as a function of x (None on a map
    without a river); there `floor` is None and `height` is measured above the bed.
    """

    name: str
    title: str
    altitude_fn: Callable[[float, float], float] = field(repr=False)
    gradient_fn: Callable[[float, float], Point] = field(repr=False)
    height_fn: Callable[[float, float], float] = field(repr=False)
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: Point
    sharp: float
    flat: float
    floor: Point | None = None
    river: Callable[[float], float] | None = field(default=None, repr=False)
    tolerance: float = 0.05
    near_height: float = 0.05

    def altitude(self, x: float, y: float) -> float:
        """The altitude at (x, y)."""
        return self.altitude_fn(x, y)

    def gradient(self, x: float, y: float) -> Point:
        """The slope (d altitude / dx, d altitude / dy) at (x, y)."""
        return self.gradient_fn(x, y)

    def height(self, x: float, y: float) -> float:
        """Altitude above the floor, or above the river bed at this x; NaN off the ground."""
        return self.height_fn(x, y) if self.on_ground(x, y) else math.nan

    def across(self, x: float, y: float) -> float:
        """The signed distance across the sharp direction: y from the floor, or from the bed."""
        if self.river is not None:
            return y - self.river(x)
        return y - (self.floor or (0.0, 0.0))[1]

    def on_ground(self, x: float, y: float) -> bool:
        """True while the hiker has not fallen: finite and within FAR map widths of the floor
        (across the river, on a river map: downstream the river runs on for ever)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return False
        width = max(self.x_range[1] - self.x_range[0], self.y_range[1] - self.y_range[0])
        if self.river is not None:
            return abs(self.across(x, y)) <= FAR * width
        fx, fy = self.floor or (0.0, 0.0)
        return math.hypot(x - fx, y - fy) <= FAR * width

    def on_map(self, x: float, y: float) -> bool:
        """True while (x, y) lies on the drawn map (on a river map: across it; downstream the
        river runs on past the map's edge)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return False
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        if self.river is not None:
            return abs(self.across(x, y)) <= (y1 - y0) / 2
        return x0 <= x <= x1 and y0 <= y <= y1

    @property
    def condition_number(self) -> float:
        """sharp / flat: how much steeper the steepest direction is than the flattest."""
        return self.sharp / self.flat

    def edge_lr(self, momentum: float = 0.0) -> float:
        """The largest constant LR that keeps the sharp direction stable: 2 (1 + mu) / a_sharp.

        This holds for torch.optim.SGD's defaults (dampening 0, nesterov=False, no weight decay).
        """
        momentum = _number("momentum", momentum)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}.")
        return 2.0 * (1.0 + momentum) / self.sharp


def _valley(sharp: float = 2.0, flat: float = 0.15) -> Landscape2D:
    def altitude(x: float, y: float) -> float:
        return 0.5 * (flat * x * x + sharp * y * y)

    return Landscape2D(
        "valley",
        f"Valley: curvature {flat:g} along, {sharp:g} across (condition number {sharp / flat:.0f})",
        altitude,
        lambda x, y: (flat * x, sharp * y),
        altitude,
        x_range=(-5.0, 5.0),
        y_range=(-2.5, 2.5),
        start=(-4.5, 1.5),
        sharp=sharp,
        flat=flat,
        floor=(0.0, 0.0),
    )


def _river(walls: float = 2.0, slope: float = 0.12, bend: float = 0.5,
           wave: float = 4.0) -> Landscape2D:
    # The bed winds as r(x) = bend * sin(x / wave); across it the walls have curvature
    # walls * (1 + r'(x)^2) at the bed, at most walls * (1 + (bend / wave)^2).
    def bed(x: float) -> float:
        return bend * math.sin(x / wave)

    def altitude(x: float, y: float) -> float:
        d = y - bed(x)
        return 0.5 * walls * d * d - slope * x

    def gradient(x: float, y: float) -> Point:
        d = walls * (y - bed(x))
        return -d * (bend / wave) * math.cos(x / wave) - slope, d

    return Landscape2D(
        "river",
        f"River: walls of curvature {walls:g}, the bed sloping down {slope:g} per unit downstream",
        altitude,
        gradient,
        lambda x, y: 0.5 * walls * (y - bed(x)) * (y - bed(x)),
        x_range=(-2.0, 30.0),
        y_range=(-3.0, 3.0),
        start=(0.0, 2.0),
        sharp=walls * (1.0 + (bend / wave) ** 2),
        flat=0.0,
        river=bed,
    )


LANDSCAPES_2D: dict[str, Landscape2D] = {land.name: land for land in (_valley(), _river())}


@dataclass(frozen=True)
class Hike2D:
    """What happened on one hike on a map: every (x, y), altitude, LR and momentum, and the end.

    `positions` and `altitudes` hold the start and the place after every step (one
    longer than `lrs` and `momenta`). A hike that fell stops at the step that left
    the ground; its last altitude is NaN.
    """

    landscape: Landscape2D
    positions: list[Point]
    altitudes: list[float]
    lrs: list[float]
    outcome: str
    story: str
    event_step: int | None = None
    noise: float = 0.0
    seed: int = 0
    momenta: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        """How many strides the hiker took."""
        return len(self.lrs)

    @property
    def xs(self) -> list[float]:
        """The x of every position."""
        return [p[0] for p in self.positions]

    @property
    def ys(self) -> list[float]:
        """The y of every position."""
        return [p[1] for p in self.positions]

    @property
    def heights(self) -> list[float]:
        """Height above the floor (or the river bed) at every position."""
        return [self.landscape.height(x, y) for x, y in self.positions]

    @property
    def height(self) -> float:
        """The final height above the floor, or above the river bed; NaN if it fell."""
        return self.landscape.height(*self.positions[-1])

    @property
    def progress(self) -> float | None:
        """How far downstream the hiker travelled (x at the end minus x at the start); None
        on a map without a river."""
        if self.landscape.river is None:
            return None
        return self.positions[-1][0] - self.positions[0][0]

    def mean_altitude(self, last: int = 10) -> float:
        """The mean altitude over the last `last` positions (NaN if it fell)."""
        last = _whole("last", last)
        if last < 1:
            raise ValueError(f"last must be a whole number >= 1; got last={last}.")
        tail = self.altitudes[-last:]
        return sum(tail) / len(tail)


def _landscape_2d(landscape: object) -> Landscape2D:
    """A map by name, or the Landscape2D itself; a clear error for anything else."""
    if isinstance(landscape, Landscape2D):
        return landscape
    names = ", ".join(LANDSCAPES_2D)
    if isinstance(landscape, str):
        if landscape in LANDSCAPES_2D:
            return LANDSCAPES_2D[landscape]
        raise ValueError(f"Unknown landscape {landscape!r}; landscape must be one of: {names} "
                         "(or a Landscape2D).")
    raise TypeError(f"landscape must be a name ({names}) or a Landscape2D; "
                    f"got {type(landscape).__name__}.")


def _point(start: object) -> Point:
    """`start` as an (x, y) pair of finite numbers, or a clear error."""
    if isinstance(start, str) or not isinstance(start, Sequence) or len(start) != 2:
        raise TypeError(f"start must be an (x, y) pair of numbers, or None; got {start!r}.")
    x, y = _number("start x", start[0]), _number("start y", start[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"start must be a finite (x, y) pair; got {start!r}.")
    return x, y


def simulate_hike_2d(
    landscape: str | Landscape2D,
    lr: float,
    *,
    schedule: str | SchedulerFactory | None = None,
    steps: int = 200,
    start: Sequence[float] | None = None,
    momentum: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Hike2D:
    """Walk `steps` SGD strides over the map `landscape`, the LR set by a real scheduler each step.

    `schedule` is a preset name from `SCHEDULE_PRESETS`, a factory such as
    `lambda opt: CosineAnnealingLR(opt, T_max=200)`, or None for a constant LR.
    With `noise > 0` each coordinate of every stride's gradient gets `noise` times its own
    standard normal draw (x first, then y) from a generator seeded by `seed`.
    ReduceLROnPlateau is fed the exact altitude after every step.
    """
    land = _landscape_2d(landscape)
    lr, momentum, steps, noise, seed = hike_settings(lr, momentum, steps, noise, seed,
                                                     finite_lr=True)
    x, y = land.start if start is None else _point(start)
    scheduler = _scheduler(_factory(schedule, steps), lr, momentum)
    plateau = isinstance(scheduler, lrs.ReduceLROnPlateau)
    fixed = {"lr": lr, "momentum": momentum}
    group = fixed if scheduler is None else scheduler.optimizer.param_groups[0]
    draw = random.Random(seed).gauss if noise else None
    positions = [(x, y)]
    altitudes = [land.altitude(x, y) if land.on_ground(x, y) else math.nan]
    lrs_used: list[float] = []
    momenta: list[float] = []
    velocity: Point | None = None
    with warnings.catch_warnings():
        # PyTorch warns that scheduler.step() came before optimizer.step(): true, and harmless.
        warnings.simplefilter("ignore")
        for i in range(steps):
            if not land.on_ground(x, y):
                break
            step_lr, mu = float(group["lr"]), float(group["momentum"])
            lrs_used.append(step_lr)
            momenta.append(mu)
            gx, gy = land.gradient(x, y)
            if draw is not None:
                gx += noise * draw(0.0, 1.0)
                gy += noise * draw(0.0, 1.0)
            if mu:
                # torch.optim.SGD's momentum buffer: the first gradient, then mu * buffer + g.
                velocity = (gx, gy) if velocity is None else (mu * velocity[0] + gx,
                                                              mu * velocity[1] + gy)
                gx, gy = velocity
            x, y = x - step_lr * gx, y - step_lr * gy
            positions.append((x, y))
            altitudes.append(land.altitude(x, y) if land.on_ground(x, y) else math.nan)
            if scheduler is None or i == steps - 1 or not land.on_ground(x, y):
                continue
            if plateau:
                scheduler.step(altitudes[-1])
            else:
                scheduler.step()
    outcome, story, event = _judge_2d(land, positions, len(lrs_used), noise)
    return Hike2D(land, positions, altitudes, lrs_used, outcome, story, event, noise, seed, momenta)


def _judge_2d(land: Landscape2D, points: list[Point], n: int,
              noise: float) -> tuple[str, str, int | None]:
    """The outcome of a hike on a map, its one-sentence story, and the step it happened."""
    across = [land.across(x, y) if math.isfinite(x) and math.isfinite(y) else math.inf
              for x, y in points]
    x_end, y_end = points[-1]
    # As on the 1-D bowl: off the map, strides that each overshoot more than the last diverge.
    if not land.on_ground(x_end, y_end) or (not land.on_map(x_end, y_end)
                                            and _overshooting(across)):
        why = ("the stride grew too large to count" if not math.isfinite(across[-1])
               else "each stride across overshot more than the last")
        return "fell", f"Fell: after {_steps(n)} the hiker was thrown off the walls ({why}).", n
    window = points[-max(3, math.ceil(0.1 * n)):]
    cross = across[-len(window):]
    crossings = sum(a * b < 0 for a, b in pairwise(cross))
    heights = [land.height(x, y) for x, y in window]
    mean_height = sum(heights) / len(heights)
    if land.river is not None:
        return _judge_river(land, points, n, noise, cross, crossings, mean_height)
    fx, fy = land.floor or (0.0, 0.0)
    distance = [math.hypot(x - fx, y - fy) for x, y in points]
    if all(d < land.tolerance for d in distance[-len(window):]):
        since = len(distance) - 1
        while since > 0 and distance[since - 1] < land.tolerance:
            since -= 1
        story = f"Reached the valley floor at step {since} and stayed there"
        if noise:
            story += f", jittering at most {max(heights):.2g} above it"
        return "valley", story + ".", since
    near = 0.1 * (land.x_range[1] - land.x_range[0])
    if noise and sum(distance[-len(window):]) < near * len(window):
        return "hovering", (f"Hovering around the valley floor after {_steps(n)}: the noisy "
                            f"strides keep it on average {mean_height:.2g} above it."), None
    if crossings >= 2 and max(abs(c) for c in cross) >= land.tolerance:
        return "bouncing", (f"Bouncing from wall to wall after {_steps(n)}, up to "
                            f"{max(abs(c) for c in cross):.3g} across: each stride overshoots "
                            "the sharp direction."), None
    return "walking", (f"Still walking along the valley after {_steps(n)}, "
                       f"{distance[-1]:.3g} from the floor: the flat direction is slow."), None


def _judge_river(land: Landscape2D, points: list[Point], n: int, noise: float, cross: list[float],
                 crossings: int, mean_height: float) -> tuple[str, str, int | None]:
    """The verdict on a river map: in the river, bouncing on the walls, or still walking down."""
    travelled = f"travelled {points[-1][0] - points[0][0]:.3g} downstream"
    if all(abs(c) < land.tolerance for c in cross) or (
            noise and crossings >= 2 and mean_height < land.near_height):
        since = len(points) - 1
        while since > 0 and abs(land.across(*points[since - 1])) < land.tolerance:
            since -= 1
        jitter = f", jittering on average {mean_height:.2g} above the bed" if noise else ""
        return "river", (f"Settled in the river and following it{jitter}: "
                         f"{travelled} in {_steps(n)}."), since
    if crossings >= 2:
        return "bouncing", (f"Bouncing on the walls, from bank to bank across the river, on "
                            f"average {mean_height:.2g} above the bed; {travelled} in "
                            f"{_steps(n)}."), None
    return "walking", (f"Still walking down the wall towards the river after {_steps(n)}, "
                       f"{abs(cross[-1]):.3g} from it; {travelled}."), None
