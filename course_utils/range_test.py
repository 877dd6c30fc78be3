"""The LR range test (LR finder): train briefly while the LR grows, and watch the loss.

`lr_range_test` raises the LR exponentially from `start_lr` to `end_lr`, one
batch per step, records the smoothed loss at each LR, and stops once the loss
blows up. Then it puts the model, the optimizer and the random state back
exactly as they were, so the learner trains from the same start afterwards.

The suggestion is two rules of thumb, not a measurement: the LR where the
smoothed loss falls fastest, and a tenth of the LR where it is lowest. Both
move between runs and seeds; read them as a range to try. `hike_range_test`
runs the same sweep on the hiker's mountain, where it takes milliseconds.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from torch import nn
from torch.optim import Optimizer
from torch.utils.data import DataLoader

from .arguments import (
    MAX_LR,
    loss_function,
    module_with_parameters,
    optimizer_of,
    real_number,
    seed_value,
    step_count,
)
from .plotting import axes_or_current
from .training import cpu_threads, loader_generator


@dataclass(repr=False)
class RangeTestResult:
    """The LRs tried, the smoothed loss at each, and the range the curve suggests."""

    lrs: list[float]
    losses: list[float]  # smoothed
    raw_losses: list[float]
    stopped_early: bool
    steepest_lr: float  # where the smoothed loss falls fastest per decade of LR
    min_loss_lr: float  # where the smoothed loss is lowest
    label: str = "loss"

    @property
    def suggested_max_lr(self) -> float:
        """A tenth of the LR at the lowest loss: a cautious max_lr for OneCycleLR."""
        return self.min_loss_lr / 10

    @property
    def raw_min_loss_lr(self) -> float:
        """Where the unsmoothed loss is lowest: the smoothed minimum lags behind it."""
        return self.lrs[int(np.argmin(self.raw_losses))]

    @property
    def suggested_range(self) -> tuple[float, float]:
        """The band between the two rules of thumb (steepest fall, lowest loss / 10)."""
        a, b = self.steepest_lr, self.suggested_max_lr
        return (min(a, b), max(a, b))

    def summary(self) -> str:
        """Two sentences: how the sweep went and what it suggests, rounded."""
        lo, hi = self.suggested_range
        end = (f"stopped early at lr {self.lrs[-1]:.2g}, where the {self.label} blew up"
               if self.stopped_early else f"reached lr {self.lrs[-1]:.2g}")
        return (f"Swept {len(self.lrs)} LRs from {self.lrs[0]:.2g}; {end}. Lowest {self.label} "
                f"at lr {self.min_loss_lr:.2g}, steepest fall at lr {self.steepest_lr:.2g}: "
                f"try max_lr about {self.suggested_max_lr:.2g} (range {lo:.2g} to {hi:.2g}).")

    def __repr__(self) -> str:
        return f"RangeTestResult({self.summary()})"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Loss against LR on a log axis, the suggested range shaded."""
        ax = axes_or_current(ax)
        smoothed = self.losses != self.raw_losses
        if smoothed:
            ax.plot(self.lrs, self.raw_losses, color="tab:blue", alpha=0.25, linewidth=1)
        ax.plot(self.lrs, self.losses, color="tab:blue",
                label=f"smoothed {self.label}" if smoothed else self.label)
        lo, hi = self.suggested_range
        # Edge lines keep a narrow range visible: two rules that agree shade only a sliver.
        ax.axvspan(lo, hi, facecolor="tab:green", alpha=0.2, edgecolor="tab:green",
                   linewidth=1.2, label="suggested range")
        ax.plot(self.steepest_lr, _at(self, self.steepest_lr), "o", color="tab:green",
                label=f"steepest fall ({self.steepest_lr:.2g})")
        ax.plot(self.min_loss_lr, _at(self, self.min_loss_lr), "v", color="tab:red",
                label=f"lowest {'smoothed ' if smoothed else ''}{self.label} "
                      f"({self.min_loss_lr:.2g})")
        if smoothed:
            raw_lr = self.raw_min_loss_lr
            ax.plot(raw_lr, self.raw_losses[self.lrs.index(raw_lr)], "^", color="black",
                    label=f"lowest raw {self.label} ({raw_lr:.2g})")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel(self.label)
        top = max(self.losses[0], min(max(self.losses), 1.5 * self.losses[0]))
        bottom = min(self.losses + self.raw_losses)
        ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.1 * (top - bottom))
        ax.legend()
        return ax


def _at(result: RangeTestResult, lr: float) -> float:
    return result.losses[result.lrs.index(lr)]


def _analyse(lrs: list[float], raw: list[float], smoothed: list[float], stopped: bool,
             label: str = "loss") -> RangeTestResult:
    """Find the lowest point and the steepest fall before it."""
    lowest = int(np.argmin(smoothed))
    steepest = 0
    if lowest >= 2:
        slopes = np.gradient(np.asarray(smoothed[: lowest + 1]), np.log10(lrs[: lowest + 1]))
        steepest = int(np.argmin(slopes))
    return RangeTestResult(lrs, smoothed, raw, stopped, lrs[steepest], lrs[lowest], label)


def _check(start_lr: float, end_lr: float, steps: int) -> tuple[float, float, int]:
    """The sweep's bounds and length, checked: 0 < start_lr < end_lr, finite, steps >= 2."""
    start_lr = real_number("start_lr", start_lr, low=0, high=MAX_LR, low_open=True)
    end_lr = real_number("end_lr", end_lr, low=0, high=MAX_LR, low_open=True)
    steps = step_count("steps", steps, low=2)
    if not start_lr < end_lr:
        raise ValueError("Need 0 < start_lr < end_lr: the sweep grows the LR; got "
                         f"start_lr={start_lr:g}, end_lr={end_lr:g}.")
    return start_lr, end_lr, steps


def _batches(loader: DataLoader) -> Iterator[Any]:
    """The loader's batches, starting over whenever it runs out."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("loader is empty: it yields no batches to sweep the LR over.")


def lr_range_test(
    model: nn.Module,
    loader: DataLoader,
    optimizer: Optimizer,
    *,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    steps: int = 100,
    diverge_factor: float = 4.0,
    smooth: float = 0.05,
    seed: int = 0,
    loss_fn: Callable[..., torch.Tensor] | None = None,
) -> RangeTestResult:
    """Sweep the LR exponentially over `steps` batches, then restore everything it touched."""
    start_lr, end_lr, steps = _check(start_lr, end_lr, steps)
    module_with_parameters("model", model)
    optimizer_of("optimizer", optimizer, model)
    smooth = real_number("smooth", smooth, low=0, high=1, low_open=True)
    diverge_factor = real_number("diverge_factor", diverge_factor, low=1, low_open=True)
    seed = seed_value("seed", seed)
    if isinstance(loader, (str, bytes)) or not hasattr(loader, "__iter__"):
        raise TypeError("loader must be a DataLoader of (inputs, targets) batches, "
                        f"not {type(loader).__name__}.")
    loss_fn = loss_function(loss_fn)
    device = next(model.parameters()).device
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    saved_lrs = [group["lr"] for group in optimizer.param_groups]
    saved_rng = torch.random.get_rng_state()
    generator = loader_generator(loader)
    saved_gen = generator.get_state() if generator is not None else None
    was_training = model.training
    gamma = (end_lr / start_lr) ** (1 / (steps - 1))
    lrs, raw, smoothed = [], [], []
    stopped, average, best = False, 0.0, math.inf
    try:
        with cpu_threads(1) if device.type == "cpu" else contextlib.nullcontext():
            torch.manual_seed(seed)
            if generator is not None:
                generator.manual_seed(seed)
            model.train()
            batches = _batches(loader)
            for k in range(steps):
                lr = start_lr * gamma**k
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, y = next(batches)
                optimizer.zero_grad()
                loss = loss_fn(model(x.to(device)), y.to(device))
                value = float(loss.item())
                if not math.isfinite(value):
                    stopped = True
                    break
                average = smooth * value + (1 - smooth) * average
                current = average / (1 - (1 - smooth) ** (k + 1))  # bias-corrected
                lrs.append(lr)
                raw.append(value)
                smoothed.append(current)
                best = min(best, current)
                if current > diverge_factor * best:
                    stopped = True
                    break
                loss.backward()
                optimizer.step()
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        for group, lr in zip(optimizer.param_groups, saved_lrs, strict=True):
            group["lr"] = lr
        torch.random.set_rng_state(saved_rng)
        if generator is not None:
            generator.set_state(saved_gen)
        model.train(was_training)
    if len(lrs) < 2:
        raise ValueError(f"The loss blew up at once, at lr {start_lr:g}: try a smaller start_lr.")
    return _analyse(lrs, raw, smoothed, stopped)


def hike_range_test(
    landscape: str = "bowl",
    *,
    start_lr: float = 1e-4,
    end_lr: float = 10.0,
    steps: int = 100,
    start: float | None = None,
    momentum: float = 0.0,
) -> RangeTestResult:
    """The same sweep on the hiker's mountain: one stride per LR, ExponentialLR growing it."""
    from torch.optim.lr_scheduler import ExponentialLR

    from .hiker import simulate_hike

    start_lr, end_lr, steps = _check(start_lr, end_lr, steps)
    gamma = (end_lr / start_lr) ** (1 / (steps - 1))
    hike = simulate_hike(landscape, start_lr, schedule=lambda opt: ExponentialLR(opt, gamma),
                         steps=steps, start=start, momentum=momentum)
    # altitudes[k + 1] is where stride k, taken at lrs[k], landed; off the map it is NaN.
    pairs = [(lr, alt) for lr, alt in zip(hike.lrs, hike.altitudes[1:], strict=True)
             if math.isfinite(alt)]
    if len(pairs) < 2:
        raise ValueError(f"The hiker fell off at once, at lr {start_lr:g}: "
                         "try a smaller start_lr.")
    lrs, altitudes = [p[0] for p in pairs], [p[1] for p in pairs]
    return _analyse(lrs, altitudes, list(altitudes), hike.outcome == "fell", "altitude")
