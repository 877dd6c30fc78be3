"""A ReduceLROnPlateau simulator: a real scheduler fed a scripted loss sequence, no training.

`simulate_plateau` steps a real `torch.optim.lr_scheduler.ReduceLROnPlateau`
once per scripted validation loss and reads, after each step, what the
scheduler itself holds: `best`, `num_bad_epochs`, `cooldown_counter` and the
optimizer's LR. Epoch k trains at `lrs[k-1]`; its loss is then fed to the
scheduler, whose decision applies from epoch k+1 on. The model imports no
widget and no pyplot: `plateau_widget` draws a trace and puts a slider on each
parameter.
"""

from __future__ import annotations

import html
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from torch.optim.lr_scheduler import ReduceLROnPlateau

from .arguments import choice, learning_rate, numbers_list, real_number, seed_value, step_count
from .schedules import ScheduleProbe


@dataclass(frozen=True)
class PlateauEpoch:
    """One epoch as the scheduler saw it: the loss, the LR it ran at, and the decision."""

    epoch: int  # 1-based
    loss: float
    lr: float  # the LR this epoch trained at
    best: float  # best loss so far, after this epoch's loss
    improved: bool  # beat the previous best by more than the threshold
    bad_epochs: int  # scheduler.num_bad_epochs after the step
    cooldown: int  # scheduler.cooldown_counter after the step
    dropped: bool  # the LR was cut after this epoch
    next_lr: float  # the LR the next epoch trains at
    reason: str


@dataclass
class PlateauTrace:
    """Every epoch of a simulated ReduceLROnPlateau run, with the settings that produced it."""

    rows: list[PlateauEpoch]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def losses(self) -> list[float]:
        """The scripted losses, one per epoch."""
        return [r.loss for r in self.rows]

    @property
    def lrs(self) -> list[float]:
        """The LR each epoch trained at."""
        return [r.lr for r in self.rows]

    @property
    def best(self) -> list[float]:
        """The best loss so far, after each epoch."""
        return [r.best for r in self.rows]

    @property
    def bad_epochs(self) -> list[int]:
        """The bad-epoch counter after each epoch."""
        return [r.bad_epochs for r in self.rows]

    @property
    def drop_epochs(self) -> list[int]:
        """The (1-based) epochs whose loss made the LR drop; the next epoch runs lower."""
        return [r.epoch for r in self.rows if r.dropped]

    @property
    def first_bad_epoch(self) -> int | None:
        """The first epoch after the first whose value did not improve on the best, if any."""
        return next((r.epoch for r in self.rows[1:] if not r.improved), None)

    @property
    def final_lr(self) -> float:
        """The LR after the last epoch's step."""
        return self.rows[-1].next_lr if self.rows else float(self.settings.get("base_lr", 0))

    def summary(self) -> str:
        """One line: when the LR dropped and where it ended."""
        if not self.drop_epochs:
            return f"No drop in {len(self.rows)} epochs: the LR stays {self.final_lr:.3g}."
        path = " -> ".join(f"{lr:.3g}" for lr in [self.rows[0].lr] + [
            r.next_lr for r in self.rows if r.dropped])
        when = ", ".join(str(e) for e in self.drop_epochs)
        return f"LR cut after epoch {when}: {path}."

    def table(self) -> str:
        """A plain-text table, one rounded row per epoch."""
        head = (f"{'epoch':>5} {'loss':>8} {'lr':>9} {'best':>8} {'bad':>3} {'cool':>4}"
                "  what happened")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.epoch:>5} {r.loss:>8.4f} {r.lr:>9.3g} {r.best:>8.4f} "
                         f"{r.bad_epochs:>3} {r.cooldown:>4}  {r.reason}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        mark = ' style="background:#fde2e2"'
        cells = "".join(
            f"<tr{mark if r.dropped else ''}><td>{r.epoch}</td>"
            f"<td>{r.loss:.4f}</td><td>{r.lr:.3g}</td><td>{r.best:.4f}</td>"
            f"<td>{r.bad_epochs}</td><td>{r.cooldown}</td><td style='text-align:left'>"
            f"{html.escape(r.reason)}</td></tr>" for r in self.rows)
        return ("<table><tr><th>epoch</th><th>loss</th><th>lr</th><th>best</th><th>bad</th>"
                f"<th>cooldown</th><th>what happened</th></tr>{cells}</table>"
                f"<p>{html.escape(self.summary())}</p>")

    def __repr__(self) -> str:
        return self.table() + "\n" + self.summary()


def _bar(best: float, mode: str, threshold: float, threshold_mode: str) -> float:
    """The value a loss must beat to count as an improvement on `best`."""
    sign = -1 if mode == "min" else 1
    if threshold_mode == "rel":
        return best * (1 + sign * threshold)
    return best + sign * threshold


def _explain(loss: float, before: PlateauEpoch | None, sched: ReduceLROnPlateau,
             improved: bool, in_cooldown: bool, cut: bool, dropped: bool, old_lr: float,
             new_lr: float) -> str:
    best_before = math.inf if before is None else before.best
    if not math.isfinite(best_before):
        text = "first loss: the best so far"
    elif improved and (loss > best_before if sched.mode == "min" else loss < best_before):
        # a relative threshold scales a negative best the wrong way: worse counts as better
        text = f"new best, though worse than {best_before:.4g} (rel threshold on a negative best)"
    elif improved:
        text = f"new best (beats {best_before:.4g} past the threshold)"
    else:
        bar = _bar(best_before, sched.mode, sched.threshold, sched.threshold_mode)
        word = "below" if sched.mode == "min" else "above"
        text = f"no improvement (needed {word} {bar:.4g})"
        if in_cooldown:
            text += "; in cooldown, not counted"
        elif cut:
            bad = sched.patience + 1
            text += f"; {bad} bad epoch{'s' if bad > 1 else ''} > patience {sched.patience}"
        else:
            text += f"; bad epoch {sched.num_bad_epochs} of {sched.patience} allowed"
    if dropped:
        text += f" -> LR {old_lr:.3g} x {sched.factor:g} = {new_lr:.3g}"
        if sched.cooldown:
            text += f", cooldown {sched.cooldown}"
    elif cut:
        if old_lr * sched.factor <= sched.min_lrs[0]:
            text += f" -> no cut: the LR is already at min_lr {sched.min_lrs[0]:.3g}"
        else:
            text += (f" -> no cut: {old_lr:.3g} -> {old_lr * sched.factor:.3g} would change "
                     f"the LR by less than eps {sched.eps:.3g}")
    return text


def simulate_plateau(
    losses: Sequence[float],
    *,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
    base_lr: float = 0.1,
) -> PlateauTrace:
    """Feed a real ReduceLROnPlateau one loss per epoch and record what it did, and why."""
    losses = numbers_list("losses", losses)
    settings = dict(mode=choice("mode", mode, ("min", "max")),
                    factor=real_number("factor", factor, low=0, high=1, high_open=True),
                    patience=step_count("patience", patience, whole_floats=True),
                    threshold=real_number("threshold", threshold, low=0),
                    threshold_mode=choice("threshold_mode", threshold_mode, ("rel", "abs")),
                    cooldown=step_count("cooldown", cooldown, whole_floats=True),
                    min_lr=real_number("min_lr", min_lr, low=0),
                    eps=real_number("eps", eps, low=0), base_lr=learning_rate("base_lr", base_lr))
    optimizer = ScheduleProbe(base_lr)
    sched = ReduceLROnPlateau(optimizer, **{k: v for k, v in settings.items() if k != "base_lr"})
    group = optimizer.param_groups[0]
    rows: list[PlateauEpoch] = []
    for epoch, value in enumerate(losses, start=1):
        loss = float(value)
        old_lr, best_before = float(group["lr"]), sched.best
        in_cooldown, bad_before = sched.in_cooldown, sched.num_bad_epochs
        sched.step(loss)
        new_lr = float(group["lr"])
        improved = sched.best != best_before
        cut = not improved and not in_cooldown and bad_before + 1 > sched.patience
        dropped = new_lr < old_lr
        reason = _explain(loss, rows[-1] if rows else None, sched, improved, in_cooldown,
                          cut, dropped, old_lr, new_lr)
        rows.append(PlateauEpoch(epoch, loss, old_lr, float(sched.best), improved,
                                 int(sched.num_bad_epochs), int(sched.cooldown_counter),
                                 dropped, new_lr, reason))
    return PlateauTrace(rows, settings)


SCRIPTS = ("plateau", "noisy_plateau", "creeping", "overfitting")


def scripted_losses(kind: str = "noisy_plateau", seed: int = 0, epochs: int = 40) -> list[float]:
    """A deterministic validation-loss curve of a named shape, rounded to 4 decimals."""
    if not isinstance(kind, str) or kind not in SCRIPTS:
        raise ValueError(f"kind must be one of {list(SCRIPTS)}, not {kind!r}.")
    rng = random.Random(seed_value("seed", seed))
    epochs = step_count("epochs", epochs)
    out = []
    for e in range(epochs):
        if kind == "plateau":  # falls fast, then flattens out completely
            loss = 0.4 + 1.6 * math.exp(-e / 3)
        elif kind == "noisy_plateau":  # the same shape, with epoch-to-epoch noise of ~0.01
            loss = 0.4 + 1.6 * math.exp(-e / 3) + rng.gauss(0, 0.01)
        elif kind == "creeping":  # keeps improving, but by less than 0.01% an epoch late on
            loss = 0.5 + 1.5 * math.exp(-e / 2) - 2e-5 * e
        else:  # "overfitting": falls, bottoms out near epoch 12, then climbs
            loss = 0.4 + 1.6 * math.exp(-e / 3) + 0.0015 * max(e - 12, 0) ** 1.5
        out.append(round(loss, 4))
    return out
