"""The view of the plateau simulator: a plot of a trace, and a slider per parameter.

`plot_plateau` draws a `PlateauTrace` on an Axes; `PlateauWidget` wires one
control per ReduceLROnPlateau parameter to `simulate_plateau` and shows the
result as a full view beside a zoom on the epochs where the rule starts to
matter. The model, `course_utils.plateau`, knows nothing of either. Each slider has a
labelled twin a screen reader can name (`course_utils.widget_access`), and the summary
line is a polite live region.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from .arguments import choice, learning_rate, numbers_list, real_number, whole_number
from .plateau import PlateauTrace, scripted_losses, simulate_plateau
from .plotting import course_style
from .widget_access import PictureHTML, live_status, number_box
from .widget_bundle import view_bundle


def plot_plateau(trace: PlateauTrace, ax: Axes | None = None, *, first_epoch: int = 1,
                 legend: bool = True) -> Axes:
    """Loss and best-so-far per epoch from `first_epoch` on, the LR on a twin axis, drops marked."""
    if not isinstance(trace, PlateauTrace):
        raise TypeError(f"trace must be a PlateauTrace (simulate_plateau gives one), "
                        f"not {type(trace).__name__}.")
    first_epoch = whole_number("first_epoch", first_epoch, low=1)
    ax = ax or plt.gca()
    rows = [r for r in trace.rows if r.epoch >= first_epoch]
    epochs = [r.epoch for r in rows]
    ax.plot(epochs, [r.loss for r in rows], "o-", markersize=3, label="validation loss")
    ax.step(epochs, [r.best for r in rows], where="post", color="tab:green",
            label="best so far")
    for e in trace.drop_epochs:
        if e >= first_epoch:
            ax.axvline(e + 0.5, color="tab:red", linestyle=":", linewidth=1.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    twin = ax.twinx()
    lrs = [r.lr for r in rows]
    twin.step(epochs, lrs, where="mid", color="tab:orange", label="LR")
    if lrs and min(lrs) > 0:
        twin.set_yscale("log")
    twin.set_ylabel("learning rate", color="tab:orange")
    twin.grid(False)
    if legend:
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="best")
    if first_epoch == 1:
        ax.set_title(trace.summary())
    else:
        ax.set_title(f"zoom: epochs {first_epoch} to {epochs[-1] if epochs else first_epoch}")
    return ax


def zoom_start(trace: PlateauTrace, before: int = 2) -> int:
    """The epoch a zoom starts at: `before` epochs ahead of the first one that did not improve."""
    first = trace.first_bad_epoch
    return 1 if first is None else max(1, first - before)


def plot_plateau_zoomed(trace: PlateauTrace,
                        axes: tuple[Axes, Axes] | None = None) -> tuple[Axes, Axes]:
    """The whole run on the left, a zoom from just before the first bad epoch on the right."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), width_ratios=[1, 1.6],
                               layout="constrained")
    whole, zoom = axes
    plot_plateau(trace, ax=whole, legend=False)
    whole.set_title("the whole run")
    plot_plateau(trace, ax=zoom, first_epoch=zoom_start(trace))
    whole.figure.suptitle(trace.summary())
    return whole, zoom


PNG_COLOURS = 128  # a palette PNG: a third of the bytes, no visible loss on flat line art


def render_png(trace: PlateauTrace, size: tuple[float, float] = (10, 3.4)) -> bytes:
    """`plot_plateau_zoomed` as a palette PNG, drawn off-screen: no pyplot figure is left open."""
    with plt.rc_context(course_style()):
        fig = Figure(figsize=size, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        plot_plateau_zoomed(trace, tuple(fig.subplots(1, 2, width_ratios=[1, 1.6])))
        canvas.draw()
    rgb = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    buffer = io.BytesIO()
    rgb.quantize(PNG_COLOURS, method=Image.Quantize.FASTOCTREE,
                 dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def describe(trace: PlateauTrace) -> str:
    """The picture in words, for its alt text: what is drawn where, then what happened."""
    zoom = zoom_start(trace)
    where = (f"the whole run of {len(trace.rows)} epochs on the left, and on the right a zoom "
             f"from epoch {zoom}" if zoom > 1 else
             f"the whole run of {len(trace.rows)} epochs, on the left and again on the right")
    return (f"ReduceLROnPlateau over one loss curve, drawn as {where}: the validation loss per "
            "epoch (blue dots), the best loss so far (green steps), the learning rate on a "
            "second axis (orange steps) and a dotted red line at each cut. "
            f"{trace.summary()}")


def _clamp(name: str, value: float, low: float, high: float, notes: list[str]) -> float:
    """`value` inside [low, high]; a value outside is noted for the status line."""
    if low <= value <= high:
        return value
    clamped = min(max(value, low), high)
    notes.append(f"{name}={value:g} is outside the slider range {low:g} to {high:g}, "
                 f"so it starts at {clamped:g}.")
    return clamped


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
        choice("mode", mode, ("min", "max"))
        choice("threshold_mode", threshold_mode, ("rel", "abs"))
        min_lr = real_number("min_lr", min_lr, low=0)
        base_lr = learning_rate("base_lr", base_lr)
        factor, patience, threshold, cooldown = (
            real_number(name, value) for name, value in (
                ("factor", factor), ("patience", patience), ("threshold", threshold),
                ("cooldown", cooldown)))
        self.losses = numbers_list("losses", losses) if losses is not None else scripted_losses(
            kind, seed, epochs)
        self.mode, self.base_lr = mode, base_lr
        self.notes: list[str] = []
        factor = _clamp("factor", factor, 0.05, 0.95, self.notes)
        patience = int(_clamp("patience", patience, 0, 20, self.notes))
        threshold = _clamp("threshold", threshold, 1e-5, 10 ** -0.5, self.notes)
        cooldown = int(_clamp("cooldown", cooldown, 0, 20, self.notes))
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
        # An <img> with alt text in an HTML widget, not an Image (which takes no alt).
        self.picture = PictureHTML()
        controls = [self.factor, self.patience, self.threshold, self.threshold_mode,
                    self.cooldown, self.min_lr]
        for control in controls:
            control.observe(self._update, names="value")
        # A labelled twin beside each slider: the name a screen reader reads, and the readout.
        self.factor_box, self.patience_box, self.threshold_box, self.cooldown_box = (
            number_box(s, s.description, digits=2, width="6em")
            for s in (self.factor, self.patience, self.threshold, self.cooldown))
        self.min_lr_choice = widgets.Dropdown(options=self.min_lr.options, value=self.min_lr.value,
                                              description="min_lr",
                                              style={"description_width": "0px"},
                                              layout=widgets.Layout(width="6em"))
        widgets.link((self.min_lr_choice, "value"), (self.min_lr, "value"))
        self.min_lr.readout = False
        rows = [widgets.HBox(pair) for pair in [
            (self.factor, self.factor_box), (self.patience, self.patience_box),
            (self.threshold, self.threshold_box), (self.threshold_mode,),
            (self.cooldown, self.cooldown_box), (self.min_lr, self.min_lr_choice)]]
        self.children = [
            widgets.HBox([widgets.VBox(rows[:3]), widgets.VBox(rows[3:])]),
            self.status,
            self.picture,
        ]
        self.add_class("plateau-widget")
        self.trace: PlateauTrace = simulate_plateau([0.0])
        self._update()

    def settings(self) -> dict[str, Any]:
        """The scheduler's keyword arguments as the controls now set them."""
        return dict(mode=self.mode, factor=self.factor.value, patience=self.patience.value,
                    threshold=self.threshold.value, threshold_mode=self.threshold_mode.value,
                    cooldown=self.cooldown.value, min_lr=self.min_lr.value)

    def _update(self, change: Any = None) -> None:
        self.trace = simulate_plateau(self.losses, base_lr=self.base_lr, **self.settings())
        lines = [f"<b>{html.escape(self.trace.summary())}</b>"]
        lines += [html.escape(note) for note in self.notes]
        self.status.value = live_status("<br>".join(lines))
        self.picture.show(render_png(self.trace), describe(self.trace))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # Outside a live kernel the widget view is blank: the PNG and the summary stand in.
        data = view_bundle(self, **kwargs)
        data["image/png"] = base64.b64encode(self.picture.png).decode("ascii")
        data["text/html"] = f"{self.picture.value}<div>{self.status.value}</div>"
        data["text/plain"] = "\n".join([self.trace.summary(), *self.notes])
        return data
