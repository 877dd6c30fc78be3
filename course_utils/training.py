"""One honest training loop: optimizer.step() then scheduler.step(), every LR recorded."""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.utils.data import DataLoader

from .arguments import (
    loss_function,
    module_with_parameters,
    optimizer_of,
    seed_value,
    step_count,
    whole_number,
)


@dataclass
class History:
    """What a run did: the LR of every optimizer step, and per-epoch losses and accuracy."""

    lrs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    diverged: bool = False
    message: str = ""
    epochs: int = 0
    steps_per_epoch: int = 0
    seconds: float = field(default=0.0, compare=False, repr=False)

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy after the last epoch run (NaN if none ran)."""
        return self.val_acc[-1] if self.val_acc else math.nan

    @property
    def best_val_acc(self) -> float:
        """The best validation accuracy of any epoch (NaN if none ran)."""
        return max(self.val_acc) if self.val_acc else math.nan

    @property
    def final_val_loss(self) -> float:
        """Validation loss after the last epoch run (NaN if none ran)."""
        return self.val_loss[-1] if self.val_loss else math.nan

    @property
    def best_val_loss(self) -> float:
        """The lowest validation loss of any epoch (NaN if none ran)."""
        return min(self.val_loss) if self.val_loss else math.nan

    def summary(self) -> str:
        """One line: epochs run, final losses and accuracy, or why the run stopped."""
        if self.diverged:
            return self.message
        if not self.val_acc:
            return "No epoch finished."
        return (
            f"{len(self.val_acc)} epochs: train loss {self.train_loss[-1]:.3f}, "
            f"val loss {self.val_loss[-1]:.3f}, val accuracy {self.final_val_acc:.1%}"
        )


MAX_THREADS = 1024  # far more than any machine the course runs on


@contextmanager
def cpu_threads(n: int = 1) -> Iterator[None]:
    """Run the body with `n` CPU threads for torch, then restore the learner's setting.

    The course's models are tiny: splitting each small matrix product across
    threads costs more than it saves, and on a busy machine the threads wait
    on each other. One thread is faster here, often many times over.
    """
    n = whole_number("n", n, low=1, high=MAX_THREADS)
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def default_device() -> torch.device:
    """CUDA where there is one, else the CPU: the course runs on either."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: Callable[..., torch.Tensor],
             device: torch.device) -> tuple[float, float]:
    """Mean loss and accuracy of `model` over `loader`, without touching its gradients."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            total_loss += float(loss_fn(out, y)) * len(y)
            correct += int((out.argmax(1) == y).sum())
            count += len(y)
    model.train(was_training)
    return total_loss / max(count, 1), correct / max(count, 1)


class _Progress:
    """One line in a notebook, updated in place each epoch; silent elsewhere."""

    def __init__(self, enabled: bool | None) -> None:
        if enabled is None:
            enabled = _in_kernel()
        self.handle = None
        if enabled:
            from IPython.display import display

            self.handle = display("starting...", display_id=True)

    def update(self, text: str) -> None:
        if self.handle is not None:
            self.handle.update(text)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _split_loaders(loaders: Sequence[DataLoader]) -> tuple[DataLoader, DataLoader]:
    """The (train, val) loaders, each checked to be a loader with at least one batch."""
    accepts = "(train, val) or the (train, val, test) of make_loaders"
    if not isinstance(loaders, (tuple, list)):
        raise TypeError(f"loaders must be {accepts}, not {type(loaders).__name__}.")
    if len(loaders) not in (2, 3):
        raise ValueError(f"loaders must be {accepts}; got {len(loaders)} of them.")
    for loader, role in zip(loaders[:2], ("training", "validation"), strict=True):
        if isinstance(loader, (str, bytes)) or not (hasattr(loader, "__iter__")
                                                   and hasattr(loader, "__len__")):
            raise TypeError(f"the {role} loader must be a DataLoader (make_loaders gives "
                            f"them), not {type(loader).__name__}.")
        if len(loader) == 0:
            raise ValueError(f"the {role} loader is empty: it yields no batches, so there is "
                             "nothing to train or measure on. (A DataLoader with drop_last=True "
                             "and fewer samples than batch_size is one way to get there.)")
    return loaders[0], loaders[1]


def loader_generator(loader: Any) -> torch.Generator | None:
    """The random generator that orders a loader's batches, if it has one."""
    return (getattr(loader, "generator", None)
            or getattr(getattr(loader, "sampler", None), "generator", None))


def _reseed(loader: DataLoader, seed: int) -> None:
    torch.manual_seed(seed)
    generator = loader_generator(loader)
    if generator is not None:
        generator.manual_seed(seed)


def _lr_text(optimizer: Optimizer) -> str:
    return f"{type(optimizer).__name__} at lr {optimizer.param_groups[0]['lr']:g}"


def _check_scheduler(scheduler: Any, optimizer: Optimizer) -> None:
    """Refuse a scheduler that would not drive `optimizer`, instead of a silently flat LR."""
    if scheduler is None:
        return
    if isinstance(scheduler, Optimizer):
        raise TypeError(f"scheduler must be an LR scheduler built on the optimizer, such as "
                        f"StepLR(optimizer, 30), not an optimizer ({type(scheduler).__name__}): "
                        "train(model, loaders, optimizer, scheduler, ...) takes the optimizer "
                        "third and its scheduler fourth.")
    if not callable(getattr(scheduler, "step", None)):
        fix = (" It looks like a factory: pass what it returns, scheduler=factory(optimizer)."
               if callable(scheduler) else "")
        raise TypeError(f"scheduler must be an LR scheduler such as StepLR(optimizer, 30), or "
                        f"None, not {type(scheduler).__name__}.{fix}")
    driven = getattr(scheduler, "optimizer", None)
    if isinstance(driven, Optimizer) and driven is not optimizer:
        raise ValueError(f"scheduler ({type(scheduler).__name__}) was built on another optimizer "
                         f"({_lr_text(driven)}) than the optimizer given to train "
                         f"({_lr_text(optimizer)}), so the LR of this run would never change. "
                         f"Build it on the optimizer you pass: "
                         f"{type(scheduler).__name__}(optimizer, ...).")


def optimizer_mode(optimizer: Optimizer, mode: str) -> None:
    """Put a schedule-free optimizer in "train" or "eval" mode; any other is left as it is.

    A schedule-free optimizer (the `schedulefree` package) trains one set of weights and
    evaluates another, their running average: `optimizer.train()` must come before the
    training steps and `optimizer.eval()` before evaluating or saving. Optimizers without
    those two methods (all of torch.optim) need neither, and nothing happens to them.
    """
    switch = getattr(optimizer, mode, None)
    if callable(switch) and callable(getattr(optimizer, "train" if mode == "eval" else "eval",
                                             None)):
        switch()


def _device(device: str | torch.device | None) -> torch.device:
    """`device` as a torch.device; None picks CUDA where there is one."""
    if device is None:
        return default_device()
    accepts = 'device must be "cpu", "cuda" (where there is a GPU), a torch.device or None'
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{accepts}, not {type(device).__name__}.")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ValueError(f"{accepts}, not {device!r}.") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{accepts}; there is no CUDA GPU here, so not {device!r}.")
    return chosen


def _pre_run_warnings(scheduler: Any, epochs: int, steps_per_epoch: int, step_every: str) -> None:
    """Show the schedule linter's warnings, if it has any, before the run starts."""
    if scheduler is None:
        return
    try:
        from .lint import lint_schedule
    except ImportError:
        return
    for text in lint_schedule(scheduler, epochs=epochs, steps_per_epoch=steps_per_epoch,
                              step_every=step_every):
        warnings.warn(text, UserWarning, stacklevel=3)


def train(
    model: nn.Module,
    loaders: Sequence[DataLoader],
    optimizer: Optimizer,
    scheduler: Any = None,
    *,
    epochs: int,
    step_every: str = "epoch",
    seed: int = 0,
    loss_fn: Callable[..., torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    progress: bool | None = None,
) -> History:
    """Train `model` for `epochs`, stepping the scheduler per "epoch" or per "batch".

    A schedule-free optimizer (one with `train()` and `eval()` methods) is put in train mode
    before each epoch's steps and in eval mode before each evaluation, and left in eval mode.
    """
    if step_every not in ("epoch", "batch"):
        raise ValueError(f'step_every must be "epoch" or "batch", not {step_every!r}.')
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    if plateau and step_every == "batch":
        raise ValueError(
            "ReduceLROnPlateau reacts to the validation loss, which exists once per epoch: "
            'use step_every="epoch" with it.'
        )
    module_with_parameters("model", model)
    optimizer_of("optimizer", optimizer, model)
    _check_scheduler(scheduler, optimizer)
    epochs = step_count("epochs", epochs, low=1)
    seed = seed_value("seed", seed)
    train_loader, val_loader = _split_loaders(loaders)
    device = _device(device)
    loss_fn = loss_function(loss_fn)
    model.to(device)
    history = History(epochs=epochs, steps_per_epoch=len(train_loader))
    _pre_run_warnings(scheduler, epochs, len(train_loader), step_every)
    _reseed(train_loader, seed)
    bar = _Progress(progress)
    group = optimizer.param_groups[0]
    start = time.perf_counter()
    threads = cpu_threads(1) if device.type == "cpu" else contextlib.nullcontext()
    with threads:
        try:
            for epoch in range(epochs):
                model.train()
                optimizer_mode(optimizer, "train")
                total, count = 0.0, 0
                for batch, (x, y) in enumerate(train_loader):
                    x, y = x.to(device), y.to(device)
                    history.lrs.append(float(group["lr"]))
                    optimizer.zero_grad()
                    loss = loss_fn(model(x), y)
                    value = loss.item()
                    if not math.isfinite(value):
                        history.diverged = True
                        history.message = (
                            f"Stopped: the loss became {value} at epoch {epoch + 1}, "
                            f"batch {batch + 1}, with lr={group['lr']:.3g}. "
                            "The steps are too large for this model: try a smaller learning rate."
                        )
                        return history
                    loss.backward()
                    optimizer.step()
                    if scheduler is not None and step_every == "batch":
                        scheduler.step()
                    total += value * len(y)
                    count += len(y)
                optimizer_mode(optimizer, "eval")
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                if not math.isfinite(val_loss):
                    history.diverged = True
                    history.message = (
                        f"Stopped: the validation loss became {val_loss} after epoch {epoch + 1}, "
                        f"with lr={group['lr']:.3g}. Try a smaller learning rate."
                    )
                    return history
                history.train_loss.append(total / max(count, 1))
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                if scheduler is not None and step_every == "epoch":
                    if plateau:
                        scheduler.step(val_loss)
                    else:
                        scheduler.step()
                bar.update(f"epoch {epoch + 1}/{epochs}: " + history.summary().split(": ", 1)[1])
        except KeyboardInterrupt:
            done = len(history.val_acc)
            history.message = f"Interrupted after {done} epochs; the history so far is kept."
        finally:
            # A schedule-free optimizer ends in eval mode: the model holds the averaged
            # weights, the ones to evaluate and save.
            optimizer_mode(optimizer, "eval")
            history.seconds = time.perf_counter() - start
            bar.update(history.message or f"done: {history.summary()}")
    return history
