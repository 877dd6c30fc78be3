"""The hiker widget: sliders wired to `simulate_hike`, one figure updated in place.

The figure is drawn once per landscape and run length (the mountain, axes and
labels) and cached; a slider change redraws only the moving parts (footsteps,
the hiker, the LR and altitude lines) over that cached background, and sends
the result as a PNG to an `ipywidgets.Image`. The axes never rescale: the LR
axis is logarithmic and spans the whole LR slider.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from course_utils.hiker import LANDSCAPES, Hike, simulate_hike
from course_utils.schedules import SCHEDULE_PRESETS, Param

LR_RANGE = (1e-4, 10.0)
# Each outcome has a word, a symbol, a marker and a colour, so colour is never the only signal.
LOOKS = {
    "valley": ("VALLEY", "✔", "*", "#1a7f37"),
    "stuck": ("STUCK", "■", "X", "#9a6700"),
    "hovering": ("HOVERING", "≈", "h", "#8250df"),
    "bouncing": ("BOUNCING", "↔", "D", "#bc4c00"),
    "fell": ("FELL OFF", "✘", "v", "#cf222e"),
    "walking": ("WALKING", "→", ">", "#0969da"),
}


def _param_control(param: Param, steps: int) -> widgets.Widget:
    """A slider for one preset parameter, its range scaled to the run length."""
    value, high = param.default_for(steps), param.high_for(steps)
    common = {
        "description": param.name,
        "tooltip": param.help,
        "continuous_update": False,
        "style": {"description_width": "initial"},
    }
    if param.kind == "int":
        return widgets.IntSlider(value=int(value), min=int(param.low), max=int(high), **common)
    if param.kind == "log":
        return widgets.FloatLogSlider(
            value=value,
            base=10,
            min=math.log10(param.low),
            max=math.log10(high),
            step=0.01,
            readout_format=".3g",
            **common,
        )
    return widgets.FloatSlider(
        value=value,
        min=param.low,
        max=high,
        step=(high - param.low) / 100,
        readout_format=".3g",
        **common,
    )


class HikerWidget(widgets.VBox):
    """Drag the LR, pick a schedule, and watch the hiker walk down the mountain."""

    def __init__(
        self,
        landscape: str = "bowl",
        schedule: str = "constant",
        lr: float = 0.1,
        steps: int = 200,
        start: float | None = None,
        momentum: float = 0.0,
        **params: float,
    ) -> None:
        """Open preset; `params` set the schedule's own controls, e.g. `T_0=40`."""
        land = LANDSCAPES[landscape]
        self.landscape_dropdown = widgets.Dropdown(
            options=list(LANDSCAPES), value=landscape, description="landscape"
        )
        self.schedule_dropdown = widgets.Dropdown(
            options=[
                (f"{name}: {p.title.split(':')[0]}", name) for name, p in SCHEDULE_PRESETS.items()
            ],
            value=schedule,
            description="schedule",
        )
        self.lr_slider = widgets.FloatLogSlider(
            value=lr,
            base=10,
            min=math.log10(LR_RANGE[0]),
            max=math.log10(LR_RANGE[1]),
            step=0.01,
            description="LR",
            readout_format=".3g",
        )
        self.steps_slider = widgets.IntSlider(
            value=steps, min=1, max=1000, description="steps", continuous_update=False
        )
        lo, hi = land.x_range
        self.start_slider = widgets.FloatSlider(
            value=land.start if start is None else start,
            min=lo,
            max=hi,
            step=0.05,
            description="start",
        )
        self.momentum_slider = widgets.FloatSlider(
            value=momentum, min=0.0, max=0.99, step=0.01, description="momentum"
        )
        self.play = widgets.Play(value=steps, min=0, max=steps, interval=50, description="play")
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        # Stable CSS hooks for the browser test and for anyone styling the lesson.
        self.lr_slider.add_class("hiker-lr-slider")
        self.image.add_class("hiker-image")
        self.status.add_class("hiker-status")
        self.params_box = widgets.HBox()
        self.param_controls: dict[str, widgets.Widget] = {}
        self._quiet = False
        self._build_params()
        self._build_figure()
        unknown = sorted(set(params) - set(self.param_controls))
        if unknown:
            names = ", ".join(self.param_controls) or "none"
            raise TypeError(f"Schedule {schedule!r} has no parameter {unknown[0]!r}; "
                            f"its parameters are: {names}.")
        for name, value in params.items():
            self.param_controls[name].value = value
        self.hike = self._simulate()
        self._show(self.hike.steps)

        for control in (self.lr_slider, self.start_slider, self.momentum_slider):
            control.observe(self._on_change, "value")
        self.schedule_dropdown.observe(self._on_schedule, "value")
        self.steps_slider.observe(self._on_steps, "value")
        self.landscape_dropdown.observe(self._on_landscape, "value")
        self.play.observe(self._on_play, "value")
        super().__init__(
            [
                widgets.HBox([self.landscape_dropdown, self.schedule_dropdown]),
                widgets.HBox([self.lr_slider, self.momentum_slider]),
                widgets.HBox([self.steps_slider, self.start_slider]),
                self.params_box,
                self.play,
                self.image,
                self.status,
            ]
        )

    # ---- the model side --------------------------------------------------
    def schedule_params(self) -> dict[str, float]:
        """The chosen schedule's parameters, as its controls show them."""
        return {name: control.value for name, control in self.param_controls.items()}

    def _simulate(self) -> Hike:
        preset = SCHEDULE_PRESETS[self.schedule_dropdown.value]
        steps = self.steps_slider.value
        return simulate_hike(
            self.landscape_dropdown.value,
            self.lr_slider.value,
            schedule=preset.factory(steps, **self.schedule_params()),
            steps=steps,
            start=self.start_slider.value,
            momentum=self.momentum_slider.value,
        )

    def _build_params(self) -> None:
        preset = SCHEDULE_PRESETS[self.schedule_dropdown.value]
        steps = self.steps_slider.value
        self.param_controls = {p.name: _param_control(p, steps) for p in preset.params}
        for control in self.param_controls.values():
            control.observe(self._on_change, "value")
        self.params_box.children = tuple(self.param_controls.values())

    # ---- reacting to controls ---------------------------------------------
    def _on_change(self, _change: Any = None) -> None:
        self.hike = self._simulate()
        self._quiet = True
        self.play.playing = False
        self.play.max = max(self.hike.steps, 1)
        self.play.value = self.play.max
        self._quiet = False
        self._show(self.hike.steps)

    def _on_schedule(self, _change: Any) -> None:
        self._build_params()
        self._on_change()

    def _on_steps(self, _change: Any) -> None:
        self._build_params()
        self._build_figure()
        self._on_change()

    def _on_landscape(self, change: Any) -> None:
        land = LANDSCAPES[change["new"]]
        lo, hi = land.x_range
        self.start_slider.unobserve(self._on_change, "value")
        self.start_slider.min, self.start_slider.max = min(lo, self.start_slider.min), hi
        self.start_slider.value, self.start_slider.min = land.start, lo
        self.start_slider.observe(self._on_change, "value")
        self._build_figure()
        self._on_change()

    def _on_play(self, change: Any) -> None:
        if not self._quiet:
            self._show(min(change["new"], self.hike.steps))

    def play_step(self) -> None:
        """Advance the animation by one step (what one tick of Play does), wrapping at the end."""
        self.play.value = 0 if self.play.value >= self.play.max else self.play.value + 1

    # ---- drawing ----------------------------------------------------------
    def _build_figure(self) -> None:
        """Draw the parts that stay put, and cache them as the background."""
        land = LANDSCAPES[self.landscape_dropdown.value]
        steps = self.steps_slider.value
        fig = Figure(figsize=(7.5, 4.6), dpi=80, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 2, height_ratios=(1.4, 1))
        mountain = fig.add_subplot(grid[0, :])
        lr_ax, alt_ax = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
        mountain.plot(*land.curve(), color="0.35", lw=2)
        mountain.set(
            xlim=land.x_range,
            ylim=land.ylim,
            title=land.title,
            xlabel="position x",
            ylabel="altitude",
        )
        mountain.annotate(
            "valley",
            (land.floor, land.altitude(land.floor)),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            fontsize=9,
        )
        for dip in land.dips:
            mountain.annotate(
                "dip",
                (dip, land.altitude(dip)),
                xytext=(0, -16),
                textcoords="offset points",
                ha="center",
                fontsize=9,
            )
        lr_ax.set(
            yscale="log",
            xlim=(0, max(steps, 1)),
            ylim=(LR_RANGE[0] / 2, LR_RANGE[1] * 2),
            xlabel="step",
            ylabel="LR (log scale)",
        )
        if land.stability_limit is not None:
            lr_ax.axhline(land.stability_limit, ls="--", color="0.5", lw=1)
            lr_ax.text(
                0.02 * steps, land.stability_limit * 1.3, "2 / curvature", fontsize=8, color="0.3"
            )
        alt_ax.set(xlim=(0, max(steps, 1)), ylim=land.ylim, xlabel="step", ylabel="altitude")
        for ax in (mountain, lr_ax, alt_ax):
            ax.grid(alpha=0.3)
        (self._trail,) = mountain.plot([], [], "o-", ms=3, lw=0.8, color="0.2", alpha=0.6)
        (self._hiker,) = mountain.plot([], [], ls="none", ms=14, mec="black", clip_on=False)
        self._label = mountain.text(
            0.99,
            0.95,
            "",
            transform=mountain.transAxes,
            ha="right",
            va="top",
            fontsize=11,
            fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "0.6", "alpha": 0.9},
        )
        (self._lr_line,) = lr_ax.plot([], [], "o-", color="#0969da", lw=1.5, ms=2)
        (self._alt_line,) = alt_ax.plot([], [], "o-", color="#8250df", lw=1.5, ms=2)
        self._moving = (self._trail, self._hiker, self._label, self._lr_line, self._alt_line)
        for artist in self._moving:
            artist.set_animated(True)
        canvas.draw()
        self._figure, self._canvas = fig, canvas
        self._background = canvas.copy_from_bbox(fig.bbox)

    def _show(self, frame: int) -> None:
        """Draw the hike up to step `frame` over the cached background, and send the PNG."""
        hike, land = self.hike, self.hike.landscape
        done = frame >= hike.steps
        xs = hike.positions[: frame + 1]
        on_map = [x for x in xs if land.on_map(x)]
        trail_x, trail_y = on_map, [land.altitude(x) for x in on_map]
        if done and hike.outcome == "fell":
            # Off the map: the hiker is drawn at the edge it went over, falling.
            ground = land.ylim[0] + 0.05 * (land.ylim[1] - land.ylim[0])
            went = hike.positions[hike.event_step or 0]  # where it left the map for good
            edge = land.x_range[1] if went > land.x_range[1] else land.x_range[0]
            trail_x, trail_y = [*trail_x, edge, edge], [*trail_y, land.altitude(edge), ground]
        word, symbol, marker, colour = LOOKS[hike.outcome] if done else ("", "", "o", "0.1")
        self._trail.set_data(trail_x, trail_y)
        self._hiker.set_data(trail_x[-1:], trail_y[-1:])
        self._hiker.set(marker=marker, color=colour)
        self._label.set(text=f"{symbol} {word}" if done else f"step {frame}", color=colour)
        shown = range(min(frame, hike.steps))
        self._lr_line.set_data(list(shown), [max(v, LR_RANGE[0] / 2) for v in hike.lrs[:frame]])
        alts = [a for a in hike.altitudes[: frame + 1] if math.isfinite(a)]
        self._alt_line.set_data(range(len(alts)), alts)
        self._canvas.restore_region(self._background)
        for artist in self._moving:
            self._figure.draw_artist(artist)
        self.image.value = self._png()
        self.status.value = self._status_html(frame)

    def _png(self) -> bytes:
        width, height = self._canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba())
        out = io.BytesIO()
        rgba.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def _status_html(self, frame: int) -> str:
        hike = self.hike
        if frame < hike.steps:
            x, lr = hike.positions[frame], hike.lrs[frame]
            return f"Step {frame} of {hike.steps}: at x = {x:.3g}, next stride uses LR = {lr:.3g}."
        word, symbol, _, colour = LOOKS[hike.outcome]
        return (
            f'<span style="color:{colour}"><b>{symbol} {word}</b></span> {html.escape(hike.story)}'
        )

    # ---- outside a live kernel --------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget, plus a picture and the story for viewers without a kernel."""
        data = super()._repr_mimebundle_(**kwargs)
        png = base64.b64encode(self.image.value).decode("ascii")
        data["image/png"] = png
        data["text/html"] = (
            f'<img src="data:image/png;base64,{png}" alt="{html.escape(self.hike.story)}"/>'
            f"<p>{self.status.value}</p>"
        )
        data["text/plain"] = f"HikerWidget: {self.hike.story}"
        return data
