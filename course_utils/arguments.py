"""Argument checks for the public API: a clear TypeError or ValueError, never a deep traceback.

Each check names the argument, says what it accepts and shows what it got,
and returns the value in the form the caller uses (an `int`, a `float`).
Counts of steps and epochs stop at `MAX_STEPS`, refused before any work starts;
learning rates at `MAX_LR`; seeds are what `torch.manual_seed` takes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer

MAX_STEPS = 10_000_000  # steps or epochs in one call: far beyond any run of the course
MAX_LR = 1e6  # far beyond any useful LR, and well inside float32 (torch's parameters)
SEED_RANGE = (-(2**63), 2**64 - 1)  # what torch.manual_seed accepts


def _shown(value: Any) -> str:
    """`value` for a message: its repr, cut short, on one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"greater than {low:g}" if low_open else f"at least {low:g}")
    if high is not None:
        parts.append(f"less than {high:g}" if high_open else f"at most {high:g}")
    return " and ".join(parts)


def whole_number(name: str, value: Any, *, low: int | None = None,
                 high: int | None = None, whole_floats: bool = False) -> int:
    """`value` as an int, if it is a whole number of at least `low` and at most `high`.

    With `whole_floats`, a float with nothing after the point (`10.0`) counts too.
    """
    if (whole_floats and isinstance(value, numbers.Real) and not isinstance(value, bool)
            and not isinstance(value, numbers.Integral) and math.isfinite(value)
            and float(value).is_integer()):
        value = int(value)
    accepts = "a whole number" + (f" of {low} or more" if low is not None else "")
    if high is not None:
        accepts += f"{',' if low is not None else ''} at most {high:,}"
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be {accepts}, not {_shown(value)} "
                        f"({type(value).__name__}).")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {accepts}, not {_shown(value)}.")
    return int(value)


def step_count(name: str, value: Any, *, low: int = 0, whole_floats: bool = False) -> int:
    """A number of steps or epochs: a whole number from `low` to `MAX_STEPS`."""
    return whole_number(name, value, low=low, high=MAX_STEPS, whole_floats=whole_floats)


def seed_value(name: str, value: Any) -> int:
    """A seed: a whole number torch.manual_seed accepts."""
    low, high = SEED_RANGE
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and not (
            low <= value <= high):
        raise ValueError(f"{name} must be a whole number from 0 to 2**64 - 1 (a seed), "
                         f"not {_shown(value)}.")
    return whole_number(name, value)


def learning_rate(name: str, value: Any) -> float:
    """A learning rate: a finite number from 0 to `MAX_LR`."""
    return real_number(name, value, low=0, high=MAX_LR)


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """`value`, if it is one of the `options` (strings)."""
    if not isinstance(value, str) or value not in options:
        raise (ValueError if isinstance(value, str) else TypeError)(
            f"{name} must be one of {', '.join(map(repr, options))}, not {_shown(value)}.")
    return value


def flag(name: str, value: Any) -> bool:
    """`value`, if it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, not {_shown(value)}.")
    return bool(value)


def real_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """`value` as a float, if it is a finite number within the bounds given."""
    bounds = _bounds(low, high, low_open, high_open)
    accepts = "a finite number" + (f" {bounds}" if bounds else "")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be {accepts}, not {_shown(value)} "
                        f"({type(value).__name__}).")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"{name} must be {accepts}, not {_shown(value)}.")
    return number


def numbers_list(name: str, values: Any) -> list[float]:
    """A sequence of finite numbers (a list, a tuple, a 1-d array or tensor) as floats."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or (
            getattr(values, "ndim", 1) != 1):
        raise TypeError(f"{name} must be a list of numbers, one per epoch, not "
                        f"{_shown(values)} ({type(values).__name__}).")
    if len(values) > MAX_STEPS:
        raise ValueError(f"{name} may hold at most {MAX_STEPS:,} values, not {len(values):,}.")
    out = []
    for i, v in enumerate(values):
        if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
            v = v.item()
        out.append(real_number(f"item {i} of {name}", v))
    return out


def module_with_parameters(name: str, model: Any) -> nn.Module:
    """`model`, if it is a torch module with at least one parameter."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch nn.Module (make_model() gives one), "
                        f"not {type(model).__name__}.")
    if next(model.parameters(), None) is None:
        raise ValueError(f"{name} ({type(model).__name__}) has no parameters to train.")
    return model


def optimizer_of(name: str, optimizer: Any, model: nn.Module) -> Optimizer:
    """`optimizer`, if it is a torch optimizer that updates some of `model`'s parameters."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name} must be a torch optimizer such as "
                        f"torch.optim.SGD(model.parameters(), lr=0.1), "
                        f"not {type(optimizer).__name__}.")
    for i, group in enumerate(optimizer.param_groups):
        lr = group.get("lr")
        if isinstance(lr, torch.Tensor) and lr.numel() == 1:  # torch allows a tensor LR
            lr = lr.item()
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not 0 <= lr <= MAX_LR:
            raise ValueError(f"{name} ({type(optimizer).__name__}) has lr={_shown(lr)} in param "
                             f"group {i}: an LR must be a finite number from 0 to {MAX_LR:g}.")
    owned = {id(p) for p in model.parameters()}
    if not any(id(p) in owned for group in optimizer.param_groups for p in group["params"]):
        raise ValueError(f"{name} ({type(optimizer).__name__}) holds none of the model's "
                         "parameters, so it would never change the model: build it from "
                         "this model, e.g. torch.optim.SGD(model.parameters(), lr=0.1).")
    return optimizer


def loss_function(loss_fn: Any) -> Callable[..., Any]:
    """`loss_fn` if it can be called, cross-entropy if it is None."""
    if loss_fn is None:
        return nn.CrossEntropyLoss()
    if not callable(loss_fn):
        raise TypeError("loss_fn must be a loss function such as nn.CrossEntropyLoss(), or None, "
                        f"not {type(loss_fn).__name__}.")
    return loss_fn
