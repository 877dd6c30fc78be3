"""The hiker on a map, as a widget: sliders wired to `simulate_hike_2d`, one figure kept in place.

The contour map, the axes and their labels are drawn once per map and run length
and shown as a PNG (an `<img alt="">`: the overlay names the picture). The moving
parts (the path, the hiker, the LR and edge lines, the height line) go over it as an SVG overlay
(`course_utils.svg_overlay`), as in `course_utils.hiker_widget`, whose controls,
looks and limits this view shares. The river runs on for ever downstream; the map
shows a fixed stretch of it, and a hiker beyond it is drawn at the map's edge
with the status line saying so. Viewers without a kernel get the whole figure as
one PNG.

Every control has a name a screen reader reads (`course_utils.widget_access`), as in
the 1-D hiker: each slider has a labelled number box beside it, Play has labelled
controls, the picture is named in words, and the status line is a polite live region
that says the LR and the outcome after each change. (Controls keep a tooltip for the
mouse too; the picture never gets one: ipywidgets 8.1 fails to draw an `Image` with one.)
Schedules are built on a `ScheduleProbe` (`course_utils.schedules`), never on a first real
optimizer, so the first change of schedule is as quick as the later ones.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from course_utils import widget_access as access
from course_utils.hiker import _number, _whole
from course_utils.hiker_map import LANDSCAPES_2D, Hike2D, simulate_hike_2d
from course_utils.hiker_widget import (
    FIGURE_PX,
    LOOKS,
    LR_RANGE,
    MOMENTUM_RANGE,
    NOISE_HELP,
    NOISE_RANGE,
    PLAY_INTERVAL_MS,
    STEPS_RANGE,
    HikerWidget,
    _choice,
)
from course_utils.schedule_controls import schedule_controls
from course_utils.schedules import SCHEDULE_PRESETS
from course_utils.svg_overlay import SvgOverlay
from course_utils.widget_bundle import view_bundle

MAP_LOOKS = {**LOOKS, "river": ("IN THE RIVER", "≋", "*", "#1a7f37")}
HEIGHT_RANGE = (1e-4, 1e3)  # the height panel's log axis


def _name(control: widgets.Widget, tooltip: str) -> widgets.Widget:
    """Give `control` a tooltip, in the trait its ipywidgets has (7.7: description_tooltip)."""
    traits = control.traits()
    if "tooltip" in traits:
        control.tooltip = tooltip
    elif "description_tooltip" in traits:
        control.description_tooltip = tooltip
    return control


class HikerMapWidget(widgets.VBox):
    """Drag the LR, pick a schedule and a map, and watch the hiker cross the contours."""

    def __init__(self, landscape: str = "valley", schedule: str = "constant", lr: float = 0.5,
                 steps: int = 200, momentum: float = 0.0, noise: float = 0.0, seed: int = 0,
                 **params: float) -> None:
        """Open preset; `params` set the schedule's own controls, e.g. `decay=60`.

        A value beyond its slider's range is clamped to the slider's end, and the status
        line says so.
        """
        landscape = _choice("landscape", landscape, LANDSCAPES_2D)
        schedule = _choice("schedule", schedule, SCHEDULE_PRESETS)
        self._notes: list[str] = []
        lr = self._fit("lr", _number("lr", lr), *LR_RANGE)
        steps = int(self._fit("steps", _whole("steps", steps), *STEPS_RANGE))
        momentum = self._fit("momentum", _number("momentum", momentum), *MOMENTUM_RANGE)
        noise = self._fit("noise", _number("noise", noise), *NOISE_RANGE)
        self.seed = _whole("seed", seed)
        self.landscape_dropdown = _name(widgets.Dropdown(
            options=list(LANDSCAPES_2D), value=landscape, description="landscape"),
            "the map: a long valley, or a river between steep walls")
        self.schedule_dropdown = _name(widgets.Dropdown(
            options=[(f"{n}: {p.title.split(':')[0]}", n) for n, p in SCHEDULE_PRESETS.items()],
            value=schedule, description="schedule"), "the LR schedule, a real torch scheduler")
        self.lr_slider = _name(widgets.FloatLogSlider(
            value=lr, base=10, min=math.log10(LR_RANGE[0]), max=math.log10(LR_RANGE[1]),
            step=0.01, description="LR", readout_format=".3g"),
            "the learning rate (the peak, under a schedule)")
        self.momentum_slider = _name(widgets.FloatSlider(
            value=momentum, min=MOMENTUM_RANGE[0], max=MOMENTUM_RANGE[1], step=0.01,
            description="momentum"), "SGD's momentum: the edge moves to 2(1+μ)/a_sharp")
        self.noise_slider = _name(widgets.FloatSlider(
            value=noise, min=NOISE_RANGE[0], max=NOISE_RANGE[1], step=0.05, description="noise",
            readout_format=".2f"), "how far each gradient scatters, per coordinate")
        self.steps_slider = _name(widgets.IntSlider(
            value=steps, min=STEPS_RANGE[0], max=STEPS_RANGE[1], description="steps",
            continuous_update=False), "how many strides the hiker takes")
        self.resample_button = _name(widgets.Button(
            description="new noise sample", disabled=not noise),
            "the same settings with another draw of the noise")
        self.play = _name(widgets.Play(value=steps, min=0, max=steps, interval=PLAY_INTERVAL_MS,
                                       description="play"), "play the hike step by step")
        self.help = widgets.HTML()
        # An <img alt=""> (the overlay names the whole picture), not an Image: see widget_access.
        self.image = access.PictureHTML(
            layout=widgets.Layout(grid_area="picture", width="100%", margin="0"))
        self.overlay = widgets.HTML(
            layout=widgets.Layout(grid_area="picture", width="100%", margin="0"))
        self.picture = widgets.GridBox([self.image, self.overlay], layout=widgets.Layout(
            grid_template_areas='"picture"', width=f"{FIGURE_PX[0]}px", max_width="100%"))
        self.status = widgets.HTML()
        # A labelled number box beside each slider: the name a screen reader reads, the
        # readout, and a place to type an exact value.
        self.lr_box, self.momentum_box, self.steps_box, self.noise_box = (
            access.number_box(slider, name) for slider, name in [
                (self.lr_slider, "learning rate (LR)"), (self.momentum_slider, "momentum"),
                (self.steps_slider, "steps"), (self.noise_slider, "noise")])
        self.play_row = access.play_controls(self.play, "the hike")
        self.play_row.add_class("hiker-play")
        self.params_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.param_controls: dict[str, widgets.Widget] = {}
        self._quiet = False
        self._opening = True
        self._build_params()
        self._build_figure()
        unknown = sorted(set(params) - set(self.param_controls))
        if unknown:
            names = ", ".join(self.param_controls) or "none"
            raise TypeError(f"Schedule {schedule!r} has no parameter {unknown[0]!r}; "
                            f"its parameters are: {names}.")
        for name, value in params.items():
            control = self.param_controls[name]
            control.value = self._fit(name, _number(name, value), control.min, control.max)
        self._opening = False
        self.hike = self._simulate()
        self._show(self.hike.steps)
        for control in (self.lr_slider, self.momentum_slider, self.noise_slider):
            control.observe(self._on_change, "value")
        self.resample_button.on_click(self.new_noise_sample)
        self.schedule_dropdown.observe(self._on_schedule, "value")
        self.steps_slider.observe(self._on_steps, "value")
        self.landscape_dropdown.observe(self._on_steps, "value")
        self.play.observe(self._on_play, "value")
        wrap = widgets.Layout(flex_flow="row wrap")
        super().__init__([
            widgets.HBox([self.landscape_dropdown, self.schedule_dropdown]),
            widgets.HBox([self.lr_slider, self.lr_box, self.momentum_slider, self.momentum_box],
                         layout=wrap),
            widgets.HBox([self.steps_slider, self.steps_box, self.noise_slider, self.noise_box,
                          self.resample_button], layout=wrap),
            self.params_box, self.help, self.play_row, self.picture, self.status,
        ])

    _fit = HikerWidget._fit
    new_noise_sample = HikerWidget.new_noise_sample
    schedule_params = HikerWidget.schedule_params
    play_step = HikerWidget.play_step
    _on_play = HikerWidget._on_play

    def _simulate(self) -> Hike2D:
        name, steps = self.schedule_dropdown.value, self.steps_slider.value
        # The constant preset's ConstantLR(factor=1) never changes the LR: skip stepping it.
        schedule = None if name == "constant" else SCHEDULE_PRESETS[name].factory(
            steps, **self.schedule_params())
        return simulate_hike_2d(self.landscape_dropdown.value, self.lr_slider.value,
                                schedule=schedule, steps=steps,
                                momentum=self.momentum_slider.value,
                                noise=self.noise_slider.value, seed=self.seed)

    def _build_params(self) -> None:
        self.param_controls, self.params_box.children, self.help.value = schedule_controls(
            self.schedule_dropdown.value, self.steps_slider.value, self._on_change, NOISE_HELP)
        for param in SCHEDULE_PRESETS[self.schedule_dropdown.value].params:
            _name(self.param_controls[param.name], param.help)

    # ---- reacting to controls ---------------------------------------------
    def _on_change(self, change: Any = None) -> None:
        if self._opening:
            return
        if change is not None:
            self._notes = []
        self.resample_button.disabled = not self.noise_slider.value
        self.hike = self._simulate()
        self._quiet = True
        access.stop_playing(self.play)
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

    # ---- drawing ----------------------------------------------------------
    def _build_figure(self) -> None:
        """Draw the contour map and the empty panels once, and keep them as the background."""
        land = LANDSCAPES_2D[self.landscape_dropdown.value]
        steps = max(self.steps_slider.value, 1)
        fig = Figure(figsize=(FIGURE_PX[0] / 80, FIGURE_PX[1] / 80), dpi=80, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 2, height_ratios=(1.5, 1))
        world = fig.add_subplot(grid[0, :])
        lr_ax, height_ax = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
        xs = np.linspace(*land.x_range, 160)
        ys = np.linspace(*land.y_range, 80)
        heights = np.array([[land.altitude(x, y) for x in xs] for y in ys])
        world.contourf(xs, ys, heights, levels=14, cmap="Greys_r", alpha=0.55)
        world.contour(xs, ys, heights, levels=14, colors="0.45", linewidths=0.5)
        label = {"textcoords": "offset points", "fontsize": 9, "ha": "center"}
        if land.river is not None:
            world.plot(xs, [land.river(x) for x in xs], color="#1f6feb", lw=2.5, alpha=0.7)
            x = land.x_range[0] + 0.75 * (land.x_range[1] - land.x_range[0])
            world.annotate("river", (x, land.river(x)), xytext=(0, -18), color="#0a3069",
                           bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7},
                           **label)
        elif land.floor is not None:
            world.plot(*land.floor, marker="+", color="k", ms=10)
            world.annotate("valley floor", land.floor, xytext=(0, -18), **label)
        world.plot(*land.start, marker="o", ms=7, mfc="none", mec="k", ls="none")
        world.annotate("start", land.start, xytext=(0, 8), **label)
        world.set(xlim=land.x_range, ylim=land.y_range, title=land.title, xlabel="x (along)",
                  ylabel="y (across)")
        base = self._base_words()
        lr_ax.set(yscale="log", xlim=(0, steps), ylim=(LR_RANGE[0] / 2, LR_RANGE[1] * 2),
                  xlabel="step", ylabel="LR (log scale)", title="LR at each step")
        height_ax.set(yscale="log", xlim=(0, steps), ylim=HEIGHT_RANGE, xlabel="step",
                      ylabel="height (log scale)", title=f"height above the {base}")
        for ax in (lr_ax, height_ax):
            ax.grid(alpha=0.3)
        (self._trail,) = world.plot([], [], "o-", ms=2.5, lw=0.8, color="#bc4c00", alpha=0.8)
        (self._hiker,) = world.plot([], [], ls="none", ms=13, mec="black", clip_on=False)
        world.legend([Line2D([], [], ls="none", marker="o", ms=8, mfc="0.1", mec="black"),
                      Line2D([], [], marker="o", ms=2.5, lw=0.8, color="#bc4c00")],
                     ["hiker (its shape and colour give the outcome)", "footsteps"],
                     loc="lower right", fontsize=7, framealpha=0.8)
        (self._lr_line,) = lr_ax.plot([], [], "-", color="#0969da", lw=1.5)
        (self._edge_line,) = lr_ax.plot([], [], ls="--", color="0.45", lw=1)
        (self._height_line,) = height_ax.plot([], [], "-", color="#8250df", lw=1.2)
        self._moving = (self._trail, self._hiker, self._lr_line, self._edge_line,
                        self._height_line)
        for artist in self._moving:
            artist.set_animated(True)
        canvas.draw()
        self._figure, self._canvas, self._world = fig, canvas, world
        self._background = canvas.copy_from_bbox(fig.bbox)
        self._svg = SvgOverlay(fig, prefix=f"map{id(self):x}")
        self.image.show(self._png())

    def _show(self, frame: int) -> None:
        """Draw the hike up to step `frame` as the overlay, and write the status line."""
        hike, land = self.hike, self.hike.landscape
        done = frame >= hike.steps
        (x0, x1), (y0, y1) = land.x_range, land.y_range
        points = [(min(max(x, x0), x1), min(max(y, y0), y1)) if math.isfinite(x + y)
                  else (math.nan, math.nan) for x, y in hike.positions[:frame + 1]]
        self._trail.set_data([p[0] for p in points], [p[1] for p in points])
        word, symbol, marker, colour = MAP_LOOKS[hike.outcome] if done else ("", "", "o", "0.1")
        last = points[-1] if math.isfinite(points[-1][0]) else points[max(len(points) - 2, 0)]
        self._hiker.set_data([last[0]], [last[1]])
        self._hiker.set(marker=marker, color=colour)
        self._lr_line.set_data(list(range(min(frame, hike.steps))),
                               [max(v, LR_RANGE[0] / 2) for v in hike.lrs[:frame]])
        momenta = hike.momenta or [self.momentum_slider.value]
        edges = [land.edge_lr(min(m, 0.999)) for m in momenta]
        self._edge_line.set_data([*range(len(edges)), len(edges)], [*edges, edges[-1]])
        heights = [min(max(h, HEIGHT_RANGE[0]), HEIGHT_RANGE[1])
                   for h in hike.heights[:frame + 1] if math.isfinite(h)]
        self._height_line.set_data(range(len(heights)), heights)
        self._frame = frame
        x, y = hike.positions[frame]
        where = (f"{word.lower()}: {hike.story}" if done
                 else f"the hiker at step {frame}, at ({x:.3g}, {y:.3g})")
        self.overlay.value = access.svg_label(self._svg.svg(
            [*(self._svg.line(line) for line in self._moving),
             self._svg.text(0.99, 0.95, self._world, f"{symbol} {word}" if done else
                            f"step {frame}", colour, 11)]),
            f"{self.picture_words()} The hike so far, {where}")
        self.status.value = self._status_html(frame)

    def _base_words(self) -> str:
        """What the height is measured above on this map: "river" or "valley floor"."""
        return "river" if self._land().river is not None else "valley floor"

    def _land(self) -> Any:
        """The map the landscape control picks."""
        return LANDSCAPES_2D[self.landscape_dropdown.value]

    def picture_words(self) -> str:
        """The picture in words, the name a screen reader reads for it."""
        land, base = self._land(), self._base_words()
        return (f"The hiker's map, {land.title}: contour lines of altitude, with the {base} "
                f"and the starting position, 'start', marked; below it, the LR and the height "
                f"above the {base} at each step.")

    def off_map(self) -> str:
        """Where the hike left the drawn stretch of the map, in words ("" if it never did)."""
        land, hike = self.hike.landscape, self.hike
        (x0, x1), (y0, y1) = land.x_range, land.y_range
        beyond = [x for x, y in hike.positions if math.isfinite(x + y) and
                  not (x0 <= x <= x1 and y0 <= y <= y1)]
        if not beyond:
            return ""
        if land.river is not None and max(beyond) > x1:
            return (f"The map shows x up to {x1:g}; the hiker went on downstream to "
                    f"x = {max(hike.xs):.3g}, drawn at the map's edge.")
        return "Part of the path lies off the map; it is drawn at the map's edge."

    def _status_html(self, frame: int) -> str:
        hike = self.hike
        notes = "".join(f"<div><b>Note:</b> {html.escape(n)}</div>" for n in self._notes)
        if frame < hike.steps:
            (x, y), lr = hike.positions[frame], hike.lrs[frame]
            return notes + (f"Step {frame} of {hike.steps}: at ({x:.3g}, {y:.3g}), next stride "
                            f"uses LR = {lr:.3g}.")
        word, symbol, _, colour = MAP_LOOKS[hike.outcome]
        sample = f" (noise {hike.noise:g}, sample {hike.seed})" if hike.noise else ""
        said = (f"LR {self.lr_slider.value:.3g}, {html.escape(self.schedule_dropdown.value)} "
                "schedule: ")
        edge = hike.landscape.edge_lr(min(self.momentum_slider.value, 0.999))
        off = self.off_map()
        off = f"<br><small>{html.escape(off)}</small>" if off else ""
        # A polite live region: a screen reader says the LR and the outcome after each change.
        symbol = access.hidden_from_readers(symbol)
        return access.live_status(notes + said + (
            f'<span style="color:{colour}"><b>{symbol} {word}</b></span> '
            f"{html.escape(hike.story)}{sample}<br><small style=\"color:#555\">Dashed line: the "
            f"edge 2(1+μ)/a_sharp = {edge:.3g}, set by the steep direction.</small>{off}"))

    def _png(self) -> bytes:
        rgb = Image.frombuffer("RGBA", self._canvas.get_width_height(),
                               self._canvas.buffer_rgba()).convert("RGB")
        out = io.BytesIO()
        rgb.save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def composite_png(self) -> bytes:
        """The whole figure as one PNG, still and moving parts, for viewers without a kernel."""
        self._canvas.restore_region(self._background)
        for artist in self._moving:
            self._figure.draw_artist(artist)
        return self._png()

    # ---- outside a live kernel --------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget, plus a picture and the story for viewers without a kernel."""
        data = view_bundle(self, **kwargs)
        png = base64.b64encode(self.composite_png()).decode("ascii")
        data["image/png"] = png
        alt = html.escape(f"{self.picture_words()} {self.hike.story}", quote=True)
        data["text/html"] = (f'<img src="data:image/png;base64,{png}" alt="{alt}"/>'
                             f"<div>{self.status.value}</div>")
        data["text/plain"] = f"HikerMapWidget: {self.hike.story}"
        return data
