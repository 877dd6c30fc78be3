"""Peak-LR sweeps: every schedule at every peak LR, over seeds, on the noisy hiker or the digits.

A schedule is judged fairly only against a constant LR that was tuned too. A sweep
runs each schedule from every peak LR in a list, once per seed, and keeps one
number per run: the hiker's final height above the floor (`sweep_hiker`), or the
network's final validation loss (`sweep_digits`). `Sweep` then says, per schedule,
the best peak, its mean, and the range of peaks that stay within a bar.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .arguments import real_number, whole_number

SWEEP_SCHEDULES = ("constant", "cosine", "wsd", "step")
DIGITS_SCHEDULES = ("constant", "cosine", "wsd")


@dataclass(frozen=True)
class Sweep:
    """One number per (schedule, peak LR, seed): `values[schedule][i]` holds peak i's seeds."""

    peaks: tuple[float, ...]
    seeds: tuple[int, ...]
    values: dict[str, list[list[float]]]
    metric: str

    @property
    def schedules(self) -> tuple[str, ...]:
        """The schedules swept, in order."""
        return tuple(self.values)

    def means(self, schedule: str) -> list[float]:
        """The mean over the seeds at every peak (NaN where a seed diverged)."""
        return [statistics.fmean(row) for row in self._rows(schedule)]

    def spreads(self, schedule: str) -> list[tuple[float, float]]:
        """(lowest, highest) over the seeds at every peak."""
        return [(min(row), max(row)) for row in self._rows(schedule)]

    def best(self, schedule: str) -> tuple[float, float]:
        """(peak, mean) of the schedule's best peak: the lowest mean."""
        means = self.means(schedule)
        i = min(range(len(means)), key=lambda k: math.inf if math.isnan(means[k]) else means[k])
        return self.peaks[i], means[i]

    def good_peaks(self, schedule: str, bar: float) -> list[float]:
        """The peaks whose mean is at most `bar`."""
        bar = real_number("bar", bar)
        return [p for p, m in zip(self.peaks, self.means(schedule), strict=True) if m <= bar]

    def table(self, digits: int = 4) -> str:
        """Mean per schedule (rows) and peak (columns), rounded, the best of each row marked *."""
        width = max(8, digits + 4)
        head = "peak LR".ljust(10) + "".join(f"{p:>{width}.3g}" for p in self.peaks)
        lines = [f"{self.metric}, mean over {len(self.seeds)} seeds", head]
        for name in self.schedules:
            best = self.best(name)[0]
            cells = "".join(f"{m:>{width - 1}.{digits}f}{'*' if p == best else ' '}"
                            for p, m in zip(self.peaks, self.means(name), strict=True))
            lines.append(name.ljust(10) + cells)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _rows(self, schedule: str) -> list[list[float]]:
        if schedule not in self.values:
            raise ValueError(f"schedule must be one of: {', '.join(self.values)}; "
                             f"got {schedule!r}.")
        return self.values[schedule]


def _peaks(peaks: Any) -> tuple[float, ...]:
    accepts = "peaks must be a non-empty list of LRs above 0, such as (0.01, 0.1, 1.0)"
    if isinstance(peaks, (str, bytes)) or not isinstance(peaks, Sequence):
        raise TypeError(f"{accepts}, not {peaks!r}.")
    if not peaks:
        raise ValueError(f"{accepts}, not an empty one.")
    return tuple(real_number("each peak", p, low=0, low_open=True) for p in peaks)


def _seeds(seeds: Any) -> tuple[int, ...]:
    accepts = "seeds must be a non-empty list of whole numbers such as range(10)"
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, range)):
        raise TypeError(f"{accepts}, not {seeds!r}.")
    if not seeds:
        raise ValueError(f"{accepts}, not an empty one.")
    return tuple(whole_number("each seed", s) for s in seeds)


def _schedules(schedules: Any, known: Sequence[str]) -> tuple[str, ...]:
    accepts = f"schedules must be a non-empty list of names from: {', '.join(known)}"
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence) or not schedules:
        raise TypeError(f"{accepts}, not {schedules!r}.")
    for name in schedules:
        if name not in known:
            raise ValueError(f"{accepts}; {name!r} is not one of them.")
    return tuple(schedules)


def _run(peaks: tuple[float, ...], seeds: tuple[int, ...], schedules: tuple[str, ...],
         once: Callable[[str, float, int], float], metric: str) -> Sweep:
    values = {name: [[once(name, peak, seed) for seed in seeds] for peak in peaks]
              for name in schedules}
    return Sweep(peaks, seeds, values, metric)


def sweep_hiker(peaks: Sequence[float], *, schedules: Sequence[str] = SWEEP_SCHEDULES,
                seeds: Sequence[int] = range(10), landscape: str = "bowl", steps: int = 200,
                noise: float = 1.0, momentum: float = 0.0) -> Sweep:
    """Final height above the floor of the noisy hiker, per schedule preset, peak LR and seed.

    Each run is `simulate_hike(landscape, peak, schedule=name, steps=steps, noise=noise,
    momentum=momentum, seed=seed)`; a run that fell counts as infinitely high.
    """
    from .hiker import simulate_hike
    from .schedules import SCHEDULE_PRESETS

    def once(name: str, peak: float, seed: int) -> float:
        # The constant preset never changes the LR: skip stepping its ConstantLR (same hike).
        hike = simulate_hike(landscape, peak, schedule=None if name == "constant" else name,
                             steps=steps, noise=noise, momentum=momentum, seed=seed)
        return math.inf if hike.outcome == "fell" else hike.height

    return _run(_peaks(peaks), _seeds(seeds), _schedules(schedules, list(SCHEDULE_PRESETS)),
                once, "final height above the floor")


def _digits_scheduler(name: str, optimizer: Any, steps: int) -> Any:
    """The schedule `name` over `steps` optimizer steps (None for a constant LR)."""
    from torch.optim.lr_scheduler import CosineAnnealingLR

    from .warmup import warmup_stable_decay

    if name == "cosine":
        return CosineAnnealingLR(optimizer, T_max=steps)
    if name == "wsd":
        return warmup_stable_decay(optimizer, warmup_steps=steps // 20, total_steps=steps,
                                   decay_steps=max(steps // 5, 1))
    return None


def _final_loss(history: Any) -> float:
    """The run's last validation loss, or infinity if it diverged."""
    if history.diverged or not history.val_loss or not math.isfinite(history.val_loss[-1]):
        return math.inf
    return history.val_loss[-1]


def sweep_digits(peaks: Sequence[float], *, schedules: Sequence[str] = DIGITS_SCHEDULES,
                 seeds: Sequence[int] = (0, 1), epochs: int = 3, model: str = "mlp",
                 train_size: int | None = None) -> Sweep:
    """Final validation loss of SGD on the digits, per schedule, peak LR and seed.

    Each schedule is stepped once per batch: "constant" holds the peak, "cosine" is
    `CosineAnnealingLR(T_max=all steps)`, "wsd" is `warmup_stable_decay` with a 5%
    warmup from 0 and a linear decay over the last 20%. A run that diverged counts as
    infinitely high. The runs go through one `compare_recipes`.
    """
    import torch

    from .experiments import compare_recipes

    epochs = whole_number("epochs", epochs, low=1)
    peaks_, seeds_ = _peaks(peaks), _seeds(seeds)
    names = _schedules(schedules, DIGITS_SCHEDULES)

    def recipe_for(name: str, peak: float) -> Callable[..., Any]:
        def recipe(net: Any, epochs: int, batches: int) -> tuple[Any, Any, str]:
            opt = torch.optim.SGD(net.parameters(), lr=peak)
            return opt, _digits_scheduler(name, opt, epochs * batches), "batch"
        return recipe

    # One comparison for every (schedule, peak): the data loaders are made once per seed.
    keys = {(name, peak): f"{name} at {peak:g}" for name in names for peak in peaks_}
    race = compare_recipes({key: recipe_for(*pair) for pair, key in keys.items()},
                           epochs=epochs, seeds=list(seeds_), model=model, train_size=train_size)
    values = {name: [[_final_loss(h) for h in race.runs[keys[name, peak]]] for peak in peaks_]
              for name in names}
    return Sweep(peaks_, seeds_, values, "final validation loss")
