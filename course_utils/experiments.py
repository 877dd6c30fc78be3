"""Fair comparisons: several training recipes on the same model, data, budget and seeds."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.optim import Optimizer

from .arguments import MAX_STEPS, seed_value, step_count, whole_number
from .data import make_loaders
from .models import MODELS, make_model
from .plotting import compare_runs
from .training import History, train

# A recipe gets a fresh model, the number of epochs and the batches per epoch, and
# returns (optimizer, scheduler or None, step_every).
Recipe = Callable[[nn.Module, int, int], tuple[Optimizer, Any, str]]
# What the table can summarise over the seeds: a number per run.
STAT_METRICS = ("final_val_acc", "best_val_acc", "final_val_loss", "best_val_loss")
# The tiny language model of lesson 08, trained on TinyLang instead of the digits.
LANGUAGE_MODEL = "char_lm"


@dataclass
class Comparison:
    """Every recipe's runs, one History per seed, with a table of mean and spread."""

    runs: dict[str, list[History]] = field(default_factory=dict)
    epochs: int = 0
    seeds: tuple[int, ...] = ()
    metric: str = "final_val_acc"  # what the printed table shows

    def stats(self, metric: str = "final_val_acc") -> dict[str, tuple[float, float, float, float]]:
        """Per recipe: mean, standard deviation, min and max of `metric` over the seeds."""
        if metric not in STAT_METRICS:
            raise ValueError(f"metric must be one of {list(STAT_METRICS)}, not {metric!r}.")
        out = {}
        for name, runs in self.runs.items():
            values = [getattr(h, metric) for h in runs]
            values = [v for v in values if not math.isnan(v)] or [math.nan]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            out[name] = (statistics.fmean(values), spread, min(values), max(values))
        return out

    def table(self, metric: str | None = None) -> list[tuple[str, str, str, str]]:
        """Rows of (recipe, mean ± sd, range, diverged runs), best mean first, rounded.

        `metric` defaults to the comparison's own (accuracy for the digits, validation
        loss for the language model); a loss is best lowest, an accuracy highest.
        """
        metric = self.metric if metric is None else metric
        rows = []
        stats = self.stats(metric)
        loss = metric.endswith("loss")
        show = "{:.3f}".format if loss else "{:.1%}".format

        def rank(name: str) -> float:  # best first, a NaN mean last
            mean = stats[name][0]
            return math.inf if math.isnan(mean) else (mean if loss else -mean)

        for name in sorted(stats, key=rank):
            mean, sd, lo, hi = stats[name]
            fell = sum(h.diverged for h in self.runs[name])
            rows.append((name, f"{show(mean)} ± {show(sd)}", f"{show(lo)} to {show(hi)}",
                         f"{fell}/{len(self.runs[name])}"))
        return rows

    def __str__(self) -> str:
        what = "val loss" if self.metric.endswith("loss") else "val acc"
        head = ("recipe", f"{what} after {self.epochs} epochs", "range", "diverged")
        rows = [head, *self.table()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:],
                          f"({len(self.seeds)} seeds each: {', '.join(map(str, self.seeds))})"])

    def __repr__(self) -> str:
        return str(self)

    def plot(self, metric: str = "val_acc", *, ax: Any = None) -> Any:
        """Mean curve of each recipe with a min-max band over the seeds; returns the Axes."""
        return compare_runs(self.runs, metric, ax=ax)


def compare_recipes(
    recipes: Mapping[str, Recipe],
    *,
    epochs: int,
    seeds: Sequence[int] = (0, 1, 2),
    model: str = "mlp",
    batch_size: int = 64,
    train_size: int | None = None,
) -> Comparison:
    """Train every recipe once per seed on the same data and budget, quietly.

    `model` is a digits model ("mlp", "cnn") or "char_lm", the tiny language model on
    TinyLang (`batch_size` then counts windows of 64 characters; its table shows the
    validation loss). A recipe may return a schedule-free optimizer with no scheduler.
    """
    _check_recipes(recipes)
    epochs = step_count("epochs", epochs, low=1)
    accepts = "seeds must be a non-empty list of whole numbers such as (0, 1, 2)"
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"{accepts}, not {seeds!r}.")
    if not seeds:
        raise ValueError(f"{accepts}, not an empty one.")
    kinds = [*sorted(MODELS), LANGUAGE_MODEL]
    if not isinstance(model, str) or model not in kinds:
        raise ValueError(f"model must be one of {kinds}, not {model!r}.")
    if model == LANGUAGE_MODEL and train_size is not None:
        raise ValueError("train_size picks a subset of the digits; the language model "
                         f"({LANGUAGE_MODEL!r}) always trains on all of TinyLang: leave it None.")
    seeds = [seed_value("each seed", seed) for seed in seeds]
    batch_size = whole_number("batch_size", batch_size, low=1, high=MAX_STEPS)
    language = model == LANGUAGE_MODEL
    result = Comparison(epochs=epochs, seeds=tuple(seeds),
                        metric="final_val_loss" if language else "final_val_acc")
    for seed in seeds:
        if language:
            from .char_lm import make_char_lm
            from .text_data import make_text_loaders

            loaders = make_text_loaders(batch_size=batch_size, seed=seed)
        else:
            loaders = make_loaders(batch_size=batch_size, seed=seed, train_size=train_size)
        for name, recipe in recipes.items():
            net = make_char_lm(seed=seed) if language else make_model(model, seed=seed)
            made = recipe(net, epochs, len(loaders[0]))
            if not (isinstance(made, tuple) and len(made) == 3):
                raise TypeError(f"recipe {name!r} must return (optimizer, scheduler or None, "
                                f'step_every), e.g. (opt, None, "epoch"); it returned '
                                f"{type(made).__name__}.")
            optimizer, scheduler, step_every = made
            history = train(net, loaders, optimizer, scheduler, epochs=epochs,
                            step_every=step_every, seed=seed, progress=False)
            result.runs.setdefault(name, []).append(history)
    return result


def _check_recipes(recipes: Any) -> None:
    """A non-empty {name: recipe} mapping whose recipes are functions."""
    accepts = ("recipes must be a non-empty dict of {name: function(model, epochs, "
               "steps_per_epoch) -> (optimizer, scheduler or None, step_every)}")
    if not isinstance(recipes, Mapping):
        raise TypeError(f"{accepts}, not {type(recipes).__name__}.")
    if not recipes:
        raise ValueError(f"{accepts}; this one is empty.")
    for name, recipe in recipes.items():
        if not callable(recipe):
            raise TypeError(f"{accepts}; recipes[{name!r}] is {type(recipe).__name__}.")
