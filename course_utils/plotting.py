"""Plot helpers that compose: each takes `ax=None`, draws on it, and returns the Axes.

Importing this module applies the course's one figure style (`course_style`),
so every figure of every lesson has the same resolution and type sizes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from .arguments import learning_rate, step_count
from .schedules import is_scheduler, preview_schedule
from .training import History


def course_style() -> dict[str, Any]:
    """The course's figure style as rcParams: 100 dpi, type sizes legible at that resolution."""
    return {
        "figure.dpi": 100,  # the figure sizes in the lessons keep PNGs near 600-1000 px wide
        "savefig.dpi": "figure",
        "font.size": 10.5,
        "axes.titlesize": 11,
        "axes.labelsize": 10.5,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 9.5,
        "legend.framealpha": 0.85,
        "figure.titlesize": 11.5,
        "lines.linewidth": 1.6,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
    }


matplotlib.rcParams.update(course_style())

METRIC_LABELS = {
    "val_acc": "validation accuracy",
    "val_loss": "validation loss",
    "train_loss": "training loss",
}


def axes_or_current(ax: Any) -> Axes:
    """`ax` if it is a matplotlib Axes, the current Axes if it is None; else a clear TypeError."""
    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise TypeError("ax must be a matplotlib Axes (e.g. from fig, ax = plt.subplots()) or "
                        f"None, not {type(ax).__name__}.")
    return ax


def _lr_values(schedule: Any) -> list[float]:
    """A plain list of LRs given as numbers; a clear TypeError for anything else."""
    accepts = ("schedule must be a list of LRs, a History, a scheduler or a factory "
               "such as lambda opt: StepLR(opt, 30)")
    if isinstance(schedule, (str, bytes, Mapping)) or not hasattr(schedule, "__iter__"):
        raise TypeError(f"{accepts}, not {type(schedule).__name__}.")
    values = []
    for i, value in enumerate(schedule):
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            values.append(float(value))  # numbers, numpy scalars, one-element tensors
        except (TypeError, ValueError):
            raise TypeError(f"{accepts}; item {i} of the list is {value!r}, "
                            "not a number.") from None
    return values


def _check_metric(metric: Any) -> None:
    if not isinstance(metric, str) or metric not in METRIC_LABELS:
        raise ValueError(f"metric must be one of {sorted(METRIC_LABELS)}, not {metric!r}.")


def plot_schedule(
    schedule: Any,
    steps: int | None = None,
    *,
    ax: Axes | None = None,
    label: str | None = None,
    log: bool = False,
    base_lr: float = 0.1,
    **line_kwargs: Any,
) -> Axes:
    """Draw an LR curve from a list of LRs, a History, a scheduler or a factory."""
    ax = axes_or_current(ax)
    if steps is not None:
        steps = step_count("steps", steps)
    base_lr = learning_rate("base_lr", base_lr)
    if isinstance(schedule, History):
        values = schedule.lrs
    elif is_scheduler(schedule) or callable(schedule):
        if steps is None:
            raise ValueError("Say how many steps to preview: plot_schedule(factory, steps).")
        values = preview_schedule(schedule, steps, base_lr=base_lr)
    else:
        values = _lr_values(schedule)
    if steps is not None:
        values = values[:steps]
    # The LR holds for a whole step, so draw a staircase: a StepLR cut shows as a cliff.
    line_kwargs.setdefault("drawstyle", "steps-post")
    ax.plot(range(len(values)), values, label=label, **line_kwargs)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if log:
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    return ax


def plot_history(
    history: History,
    metric: str = "val_acc",
    *,
    ax: Axes | None = None,
    label: str | None = None,
    **line_kwargs: Any,
) -> Axes:
    """Draw one per-epoch metric of a run ("val_acc", "val_loss" or "train_loss")."""
    if not isinstance(history, History):
        raise TypeError("history must be a History (what train returns), "
                        f"not {type(history).__name__}.")
    _check_metric(metric)
    ax = axes_or_current(ax)
    values = getattr(history, metric)
    ax.plot(range(1, len(values) + 1), values, label=label, **line_kwargs)
    if history.diverged and values:
        ax.plot(len(values), values[-1], "x", color="black", markersize=8)
    ax.set_xlabel("epoch")
    ax.set_ylabel(METRIC_LABELS[metric])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if label is not None:
        ax.legend()
    return ax


def compare_runs(
    runs: Mapping[str, History | Sequence[History]],
    metric: str = "val_acc",
    *,
    ax: Axes | None = None,
) -> Axes:
    """Overlay several runs; a list of runs (seeds) draws its mean, and its min and max dashed."""
    if not isinstance(runs, Mapping):
        raise TypeError("runs must be a dict of {name: History or list of Histories}, "
                        f"not {type(runs).__name__}.")
    _check_metric(metric)
    for name, run in runs.items():
        if not (isinstance(run, History) or (isinstance(run, Sequence)
                                             and all(isinstance(h, History) for h in run))):
            raise TypeError(f"runs[{name!r}] must be a History or a list of Histories, "
                            f"not {type(run).__name__}.")
    ax = axes_or_current(ax)
    seeded = False
    for name, run in runs.items():
        if isinstance(run, History):
            plot_history(run, metric, ax=ax, label=name)
            continue
        curves = [getattr(h, metric) for h in run]
        length = min((len(c) for c in curves), default=0)
        if length == 0:
            continue
        xs = range(1, length + 1)
        cols = [[c[i] for c in curves] for i in range(length)]
        mean = [sum(col) / len(col) for col in cols]
        (line,) = ax.plot(xs, mean, label=f"{name} (mean of {len(curves)})")
        # Thin lines, not translucent bands: overlapping bands of several recipes blend into
        # one grey area, while lines keep each recipe's colour.
        for edge in ([min(c) for c in cols], [max(c) for c in cols]):
            ax.plot(xs, edge, color=line.get_color(), linewidth=0.8, linestyle="--", alpha=0.7)
        seeded = True
    if seeded:
        ax.plot([], [], color="0.4", linewidth=0.8, linestyle="--", label="dashed: min and max")
    ax.set_xlabel("epoch")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax
