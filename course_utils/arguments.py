"""Argument checks for the public API: a clear TypeError or ValueError, never a deep traceback.

Each check names the argument, says what it accepts and shows what it got,
and returns the value in the form the caller uses (an `int`, a `float`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from torch import nn
from torch.optim import Optimizer


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"greater than {low:g}" if low_open else f"at least {low:g}")
    if high is not None:
        parts.append(f"less than {high:g}" if high_open else f"at most {high:g}")
    return " and ".join(parts)


def whole_number(name: str, value: Any, *, low: int | None = None) -> int:
    """`value` as an int, if it is a whole number of at least `low`."""
    accepts = "a whole number" + (f" of {low} or more" if low is not None else "")
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be {accepts}, not {value!r} ({type(value).__name__}).")
    if low is not None and value < low:
        raise ValueError(f"{name} must be {accepts}, not {value!r}.")
    return int(value)


def real_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """`value` as a float, if it is a finite number within the bounds given."""
    bounds = _bounds(low, high, low_open, high_open)
    accepts = "a finite number" + (f" {bounds}" if bounds else "")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be {accepts}, not {value!r} ({type(value).__name__}).")
    number = float(value)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"{name} must be {accepts}, not {value!r}.")
    return number


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
