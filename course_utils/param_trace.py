"""What a scheduler writes into the optimizer's param groups, step by step, on a dry run.

`preview_schedule` records only the LR. Some schedulers also move other
hyperparameters: OneCycleLR and CyclicLR cycle SGD's `momentum`, or Adam's
first beta. `trace_param_groups` builds a scheduler on a fresh one-parameter
optimizer and reads the first param group after every step, so a lesson can
plot the LR and the momentum exactly as the optimizer sees them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
from torch.optim import Optimizer

from .arguments import step_count
from .schedules import SchedulerFactory, dummy_optimizer, is_scheduler

OptimizerFactory = Callable[[list[torch.Tensor]], Optimizer]


def trace_param_groups(
    scheduler_factory: SchedulerFactory,
    steps: int,
    *,
    optimizer: OptimizerFactory | None = None,
    keys: Sequence[str] = ("lr", "momentum"),
) -> dict[str, list[float]]:
    """Each key of param group 0 at each of `steps` optimizer steps; "beta1" reads betas[0].

    `optimizer` builds the optimizer from a parameter list (default: SGD with
    lr 0.1 and momentum 0.9). The scheduler is stepped after each recorded
    step, as in training; nothing outside this call is touched.
    """
    steps = step_count("steps", steps, whole_floats=True)
    if isinstance(keys, str) or not isinstance(keys, Sequence) or not all(
            isinstance(k, str) for k in keys):
        raise TypeError(f"keys must be a list of param-group keys such as ('lr', 'momentum'), "
                        f"not {keys!r}.")
    if optimizer is not None and not callable(optimizer):
        raise TypeError("optimizer must be a function from a parameter list to an optimizer, "
                        f"e.g. lambda params: torch.optim.AdamW(params, lr=1e-3), "
                        f"not {type(optimizer).__name__}.")
    param = torch.zeros(1, requires_grad=True)
    opt = optimizer([param]) if optimizer is not None else dummy_optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = scheduler_factory(opt)
    if not is_scheduler(scheduler):
        raise TypeError("The factory should return a torch.optim.lr_scheduler object, "
                        f"but it returned {type(scheduler).__name__}.")
    group = opt.param_groups[0]
    for key in keys:
        if _read(group, key) is None:
            raise KeyError(f"The optimizer's param group has no {key!r}; it has: "
                           f"{', '.join(k for k in group if k != 'params')}.")
    trace: dict[str, list[float]] = {key: [] for key in keys}
    with warnings.catch_warnings():
        # The scheduler is stepped without optimizer.step(): true here, and harmless.
        warnings.simplefilter("ignore")
        for i in range(steps):
            for key in keys:
                trace[key].append(float(_read(group, key)))  # type: ignore[arg-type]
            if i < steps - 1:
                scheduler.step()
    return trace


def _read(group: dict, key: str) -> float | None:
    if key == "beta1":
        betas = group.get("betas")
        return None if betas is None else betas[0]
    value = group.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
