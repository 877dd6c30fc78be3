"""A ReduceLROnPlateau simulator: a real scheduler fed a scripted loss sequence, no training.

`simulate_plateau` steps a real `torch.optim.lr_scheduler.ReduceLROnPlateau`
once per scripted validation loss and reads, after each step, what the
scheduler itself holds: `best`, `num_bad_epochs`, `cooldown_counter` and the
optimizer's LR. Epoch k trains at `lrs[k-1]`; its loss is then fed to the
scheduler, whose decision applies from epoch k+1 on. `PlateauWidget` puts a
slider on each parameter over one loss curve.
"""

from __future__ import annotations

import base64
import html
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch.optim.lr_scheduler import ReduceLROnPlateau

from .schedules import dummy_optimizer


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

    def plot(self, ax: Axes | None = None) -> Axes:
        """Loss and best-so-far per epoch, the LR on a twin axis, each drop marked."""
        ax = ax or plt.gca()
        epochs = [r.epoch for r in self.rows]
        ax.plot(epochs, self.losses, "o-", markersize=3, label="validation loss")
        ax.step(epochs, self.best, where="post", color="tab:green", label="best so far")
        for e in self.drop_epochs:
            ax.axvline(e + 0.5, color="tab:red", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        twin = ax.twinx()
        twin.step(epochs, self.lrs, where="mid", color="tab:orange", label="LR")
        if self.lrs and min(self.lrs) > 0:
            twin.set_yscale("log")
        twin.set_ylabel("learning rate", color="tab:orange")
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=8, loc="upper right")
        ax.set_title(self.summary(), fontsize=9)
        return ax


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
    elif improved:
        text = f"new best (beats {best_before:.4g} past the threshold)"
    else:
        bar = _bar(best_before, sched.mode, sched.threshold, sched.threshold_mode)
        word = "below" if sched.mode == "min" else "above"
        text = f"no improvement (needed {word} {bar:.4g})"
        if in_cooldown:
            text += "; in cooldown, not counted"
        elif cut:
            text += f"; {sched.patience + 1} bad epochs > patience {sched.patience}"
        else:
            text += f"; bad epoch {sched.num_bad_epochs} of {sched.patience} allowed"
    if dropped:
        text += f" -> LR {old_lr:.3g} x {sched.factor:g} = {new_lr:.3g}"
        if sched.cooldown:
            text += f", cooldown {sched.cooldown}"
    elif cut:
        text += f" -> no cut: the LR is already at min_lr {sched.min_lrs[0]:.3g}"
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
    base_lr: float = 0.1,
) -> PlateauTrace:
    """Feed a real ReduceLROnPlateau one loss per epoch and record what it did, and why."""
    settings = dict(mode=mode, factor=factor, patience=int(patience), threshold=threshold,
                    threshold_mode=threshold_mode, cooldown=int(cooldown), min_lr=min_lr,
                    base_lr=base_lr)
    optimizer = dummy_optimizer(base_lr)
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
    if kind not in SCRIPTS:
        raise ValueError(f"kind must be one of {list(SCRIPTS)}, not {kind!r}.")
    rng = random.Random(seed)
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


def render_png(trace: PlateauTrace, size: tuple[float, float] = (7.5, 3.4)) -> bytes:
    """The trace's plot as PNG bytes, drawn off-screen: no pyplot figure is left open."""
    fig = Figure(figsize=size, dpi=90)
    FigureCanvasAgg(fig)
    trace.plot(ax=fig.add_subplot())
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class PlateauWidget(widgets.VBox):
    """A slider per ReduceLROnPlateau parameter over one scripted loss curve, one figure."""

    def __init__(
        self,
        losses: Sequence[float] | None = None,
        *,
        kind: str = "noisy_plateau",
        seed: int = 0,
        epochs: int = 40,
        mode: str = "min",
        base_lr: float = 0.1,
        factor: float = 0.5,
        patience: int = 3,
        threshold: float = 1e-2,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        self.losses = [float(v) for v in losses] if losses is not None else scripted_losses(
            kind, seed, epochs)
        self.mode, self.base_lr = mode, base_lr
        style = {"description_width": "110px"}
        slider = dict(continuous_update=False, style=style)
        self.factor = widgets.FloatSlider(value=factor, min=0.05, max=0.95, step=0.05,
                                          description="factor", **slider)
        self.patience = widgets.IntSlider(value=patience, min=0, max=20,
                                          description="patience", **slider)
        self.threshold = widgets.FloatLogSlider(value=threshold, base=10, min=-5, max=-0.5,
                                                step=0.25, readout_format=".1e",
                                                description="threshold", **slider)
        self.threshold_mode = widgets.Dropdown(options=["rel", "abs"], value=threshold_mode,
                                               description="threshold_mode", style=style)
        self.cooldown = widgets.IntSlider(value=cooldown, min=0, max=20,
                                          description="cooldown", **slider)
        floors = sorted({0.0, 1e-4, 1e-3, 1e-2, float(min_lr)})
        self.min_lr = widgets.SelectionSlider(options=[(f"{v:g}", v) for v in floors],
                                              value=float(min_lr), description="min_lr",
                                              **slider)
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        controls = [self.factor, self.patience, self.threshold, self.threshold_mode,
                    self.cooldown, self.min_lr]
        for control in controls:
            control.observe(self._update, names="value")
        self.children = [
            widgets.HBox([widgets.VBox(controls[:3]), widgets.VBox(controls[3:])]),
            self.status,
            self.image,
        ]
        self.trace: PlateauTrace = simulate_plateau([0.0])
        self._update()

    def settings(self) -> dict[str, Any]:
        """The scheduler's keyword arguments as the controls now set them."""
        return dict(mode=self.mode, factor=self.factor.value, patience=self.patience.value,
                    threshold=self.threshold.value, threshold_mode=self.threshold_mode.value,
                    cooldown=self.cooldown.value, min_lr=self.min_lr.value)

    def _update(self, change: Any = None) -> None:
        self.trace = simulate_plateau(self.losses, base_lr=self.base_lr, **self.settings())
        self.status.value = f"<b>{html.escape(self.trace.summary())}</b>"
        self.image.value = render_png(self.trace)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # Outside a live kernel the widget view is blank: the PNG and the summary stand in.
        data = super()._repr_mimebundle_(**kwargs) or {}
        png = base64.b64encode(self.image.value).decode("ascii")
        summary = html.escape(self.trace.summary())
        data["image/png"] = png
        data["text/html"] = (f'<img src="data:image/png;base64,{png}" alt="{summary}"/>'
                             f"<p>{summary}</p>")
        data["text/plain"] = self.trace.summary()
        return data
