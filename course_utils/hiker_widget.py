"""The hiker widget: sliders wired to `simulate_hike`, one figure updated in place.

The figure's still parts (the mountain, axes, labels) are drawn once per
landscape and run length, and shown as a small palette PNG (an `<img alt="">`:
the overlay names the picture). The moving parts (footsteps, the hiker, the LR, edge and
altitude lines, the verdict) are matplotlib artists too, but a slider change
sends them as an SVG overlay (`course_utils.svg_overlay`) laid over the PNG in the
same grid cell: a few kilobytes of text the browser draws at once, where a new
PNG had to be drawn, encoded, sent, loaded and decoded. Viewers without a kernel
get the whole figure as one PNG. The axes never rescale: the LR axis is
logarithmic and spans the whole LR slider.

It uses only what ipywidgets 7.7 and 8 both know (no `tooltip=`): help text
sits in a small HTML line under the controls. Every control has a name a screen reader
reads (`course_utils.widget_access`): each slider has a labelled number box beside it,
Play has labelled controls, and the status line is a polite live region that says the LR
and the outcome in words after each change.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from course_utils import widget_access as access
from course_utils.arguments import seed_value
from course_utils.hiker import LANDSCAPES, Hike, _number, _whole, simulate_hike
from course_utils.schedule_controls import schedule_controls
from course_utils.schedules import SCHEDULE_PRESETS
from course_utils.svg_overlay import SvgOverlay
from course_utils.widget_bundle import view_bundle

LR_RANGE = (1e-4, 10.0)
MOMENTUM_RANGE = (0.0, 0.99)
NOISE_RANGE = (0.0, 4.0)
STEPS_RANGE = (1, 1000)
PLAY_INTERVAL_MS = 50  # Play's tick: 20 frames a second
FIGURE_PX = (600, 368)  # the figure's size in pixels: 7.5 x 4.6 inches at 80 dpi
PNG_COLOURS = 128  # a palette this size draws the figure with no visible loss
PICTURE_WORDS = ("The hiker's mountain: altitude against position x, with the valley floor "
                 "marked; below it, the LR and the altitude at each step.")
NOISE_HELP = (
    "<b>noise</b>: how far each stride's gradient scatters around the true slope, as a "
    "mini-batch gradient does (0: the exact gradient). <b>new noise sample</b>: the same "
    "settings with another draw of the noise."
)
# Each outcome has a word, a symbol, a marker and a colour, so colour is never the only signal.
LOOKS = {
    "valley": ("VALLEY", "✔", "*", "#1a7f37"),
    "stuck": ("STUCK", "■", "X", "#9a6700"),
    "hovering": ("HOVERING", "≈", "h", "#6639ba"),
    "bouncing": ("BOUNCING", "↔", "D", "#bc4c00"),
    "fell": ("FELL OFF", "✘", "v", "#cf222e"),
    "walking": ("WALKING", "→", ">", "#0969da"),
}


def _choice(name: str, value: object, options: dict[str, Any]) -> str:
    """`value` if it names one of `options`, else a clear error that lists them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a name, one of: {', '.join(options)}; "
                        f"got {type(value).__name__}.")
    if value not in options:
        raise ValueError(f"Unknown {name} {value!r}; {name} must be one of: {', '.join(options)}.")
    return value


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
        noise: float = 0.0,
        seed: int = 0,
        **params: float,
    ) -> None:
        """Open preset; `params` set the schedule's own controls, e.g. `T_0=40`.

        A value beyond its slider's range is clamped to the slider's end, and the
        status line says so.
        """
        landscape = _choice("landscape", landscape, LANDSCAPES)
        schedule = _choice("schedule", schedule, SCHEDULE_PRESETS)
        land = LANDSCAPES[landscape]
        self._notes: list[str] = []
        lr = self._fit("lr", _number("lr", lr), *LR_RANGE)
        steps = int(self._fit("steps", _whole("steps", steps), *STEPS_RANGE))
        momentum = self._fit("momentum", _number("momentum", momentum), *MOMENTUM_RANGE)
        noise = self._fit("noise", _number("noise", noise), *NOISE_RANGE)
        start = land.start if start is None else self._fit(
            "start", _number("start", start), *land.x_range)
        self.seed = seed_value("seed", seed)
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
            value=steps, min=STEPS_RANGE[0], max=STEPS_RANGE[1], description="steps",
            continuous_update=False,
        )
        lo, hi = land.x_range
        self.start_slider = widgets.FloatSlider(
            value=start, min=lo, max=hi, step=0.05, description="start at x",
            style={"description_width": "initial"},
        )
        self.momentum_slider = widgets.FloatSlider(
            value=momentum, min=MOMENTUM_RANGE[0], max=MOMENTUM_RANGE[1], step=0.01,
            description="momentum",
        )
        self.noise_slider = widgets.FloatSlider(
            value=noise, min=NOISE_RANGE[0], max=NOISE_RANGE[1], step=0.05, description="noise",
            readout_format=".2f",
        )
        self.resample_button = widgets.Button(description="new noise sample", disabled=not noise)
        self.help = widgets.HTML(f'<small style="color:#555">{NOISE_HELP}</small>')
        self.play = widgets.Play(
            value=steps, min=0, max=steps, interval=PLAY_INTERVAL_MS, description="play"
        )
        # The still figure and the moving overlay share one grid cell, so they lie one on the other.
        # An <img alt=""> (the overlay names the whole picture), not an Image: see widget_access.
        self.image = access.PictureHTML(
            layout=widgets.Layout(grid_area="picture", width="100%", margin="0")
        )
        self.overlay = widgets.HTML(
            layout=widgets.Layout(grid_area="picture", width="100%", margin="0")
        )
        self.picture = widgets.GridBox(
            [self.image, self.overlay],
            layout=widgets.Layout(
                grid_template_areas='"picture"', width=f"{FIGURE_PX[0]}px", max_width="100%"
            ),
        )
        self.status = widgets.HTML()
        # A labelled number box beside each slider: the name a screen reader reads, the
        # readout, and a place to type an exact value.
        self.lr_box, self.momentum_box, self.steps_box, self.start_box, self.noise_box = (
            access.number_box(slider, name) for slider, name in [
                (self.lr_slider, "learning rate (LR)"), (self.momentum_slider, "momentum"),
                (self.steps_slider, "steps"), (self.start_slider, "starting position x"),
                (self.noise_slider, "noise")])
        self.play_row = access.play_controls(self.play, "the hike")
        # Stable CSS hooks for the browser test and for anyone styling the lesson.
        self.lr_slider.add_class("hiker-lr-slider")
        self.noise_slider.add_class("hiker-noise-slider")
        self.play_row.add_class("hiker-play")
        self.lr_box.add_class("hiker-lr-box")
        self.image.add_class("hiker-image")
        self.overlay.add_class("hiker-overlay")
        self.status.add_class("hiker-status")
        self.params_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.param_controls: dict[str, widgets.Widget] = {}
        self._quiet = False
        self._opening = True  # controls set while the widget opens do not redraw
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

        for control in (self.lr_slider, self.start_slider, self.momentum_slider,
                        self.noise_slider):
            control.observe(self._on_change, "value")
        self.resample_button.on_click(self.new_noise_sample)
        self.schedule_dropdown.observe(self._on_schedule, "value")
        self.steps_slider.observe(self._on_steps, "value")
        self.landscape_dropdown.observe(self._on_landscape, "value")
        self.play.observe(self._on_play, "value")
        wrap = widgets.Layout(flex_flow="row wrap")
        super().__init__(
            [
                widgets.HBox([self.landscape_dropdown, self.schedule_dropdown]),
                widgets.HBox([self.lr_slider, self.lr_box, self.momentum_slider,
                              self.momentum_box], layout=wrap),
                widgets.HBox([self.steps_slider, self.steps_box, self.start_slider,
                              self.start_box], layout=wrap),
                widgets.HBox([self.noise_slider, self.noise_box, self.resample_button],
                             layout=wrap),
                self.params_box,
                self.help,
                self.play_row,
                self.picture,
                self.status,
            ]
        )

    def _fit(self, name: str, value: float, low: float, high: float) -> float:
        """`value` clamped to a slider's range, with a note for the status line if it moved."""
        if math.isnan(value):
            raise ValueError(f"{name} must be a number from {low:g} to {high:g}; got nan.")
        fitted = min(max(value, low), high)
        if fitted != value:
            self._notes.append(
                f"{name} = {value:g} is outside its slider's range ({low:g} to {high:g}), "
                f"so the widget uses {fitted:g}."
            )
        return fitted

    def new_noise_sample(self, _button: Any = None) -> None:
        """The same settings with another draw of the noise (the next seed)."""
        self.seed += 1
        self._on_change()

    # ---- the model side --------------------------------------------------
    def schedule_params(self) -> dict[str, float]:
        """The chosen schedule's parameters, as its controls show them."""
        return {name: control.value for name, control in self.param_controls.items()}

    def _simulate(self) -> Hike:
        name = self.schedule_dropdown.value
        steps = self.steps_slider.value
        # The constant preset's ConstantLR(factor=1) never changes the LR: skip stepping it.
        schedule = None if name == "constant" else SCHEDULE_PRESETS[name].factory(
            steps, **self.schedule_params())
        return simulate_hike(
            self.landscape_dropdown.value,
            self.lr_slider.value,
            schedule=schedule,
            steps=steps,
            start=self.start_slider.value,
            momentum=self.momentum_slider.value,
            noise=self.noise_slider.value,
            seed=self.seed,
        )

    def _build_params(self) -> None:
        self.param_controls, self.params_box.children, self.help.value = schedule_controls(
            self.schedule_dropdown.value, self.steps_slider.value, self._on_change, NOISE_HELP)

    # ---- reacting to controls ---------------------------------------------
    def _on_change(self, change: Any = None) -> None:
        if self._opening:
            return
        if change is not None:
            self._notes = []  # the learner has moved a control: the opening notes are old news
        self.resample_button.disabled = not self.noise_slider.value
        self.hike = self._simulate()
        self._quiet = True
        access.stop_playing(self.play)
        self.play.max = max(self.hike.steps, 1)
        self.play.value = self.play.max
        self._quiet = False
        self._show(self.hike.steps)

    def _on_schedule(self, change: Any) -> None:
        if change["new"] is None:  # a dropdown emptied from code: keep the schedule shown
            self.schedule_dropdown.value = change["old"]
            return
        self._build_params()
        self._on_change()

    def _on_steps(self, _change: Any) -> None:
        self._build_params()
        self._build_figure()
        self._on_change()

    def _on_landscape(self, change: Any) -> None:
        if change["new"] is None:  # a dropdown emptied from code: keep the landscape shown
            self.landscape_dropdown.value = change["old"]
            return
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
        fig = Figure(figsize=(FIGURE_PX[0] / 80, FIGURE_PX[1] / 80), dpi=80, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 2, height_ratios=(1.4, 1))
        mountain = fig.add_subplot(grid[0, :])
        lr_ax, alt_ax = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
        mountain.plot(*land.curve(), color="0.35", lw=2)
        mountain.set(xlim=land.x_range, ylim=land.ylim, title=land.title,
                     xlabel="position x", ylabel="altitude")
        mountain.annotate(
            "valley floor",
            (land.floor, land.altitude(land.floor)),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            fontsize=9,
        )
        for dip in land.dips:
            mountain.annotate("dip", (dip, land.altitude(dip)), xytext=(0, -16),
                              textcoords="offset points", ha="center", fontsize=9)
        lr_ax.set(
            title="LR at each step",
            yscale="log",
            xlim=(0, max(steps, 1)),
            ylim=(LR_RANGE[0] / 2, LR_RANGE[1] * 2),
            xlabel="step",
            ylabel="LR (log scale)",
        )
        alt_ax.set(xlim=(0, max(steps, 1)), ylim=land.ylim, xlabel="step", ylabel="altitude",
                   title="altitude at each step")
        for ax in (mountain, lr_ax, alt_ax):
            ax.grid(alpha=0.3)
        (self._trail,) = mountain.plot([], [], "o-", ms=3, lw=0.8, color="0.2", alpha=0.6)
        (self._hiker,) = mountain.plot([], [], ls="none", ms=14, mec="black", clip_on=False)
        mountain.legend([Line2D([], [], ls="none", marker="o", ms=8, mfc="0.1", mec="black"),
                         Line2D([], [], marker="o", ms=3, lw=0.8, color="0.2")],
                        ["hiker (its shape and colour give the outcome)", "footsteps"],
                        loc="upper left", fontsize=7, framealpha=0.8)
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
        (self._lr_line,) = lr_ax.plot([], [], "-", color="#0969da", lw=1.5)
        (self._alt_line,) = alt_ax.plot([], [], "-", color="#8250df", lw=1.5)
        # The edge of stability follows the momentum, so its line moves with the sliders; its
        # legend is drawn once and its value is written in the status line (text is slow to draw).
        (self._edge_line,) = lr_ax.plot([], [], ls="--", color="0.45", lw=1, drawstyle="steps-post")
        if land.curvature is not None:
            lr_ax.legend(
                [Line2D([], [], ls="--", color="0.45", lw=1)],
                ["edge of stability, 2(1+μ)/a"],
                loc="lower left",
                fontsize=7,
                framealpha=0.8,
            )
        self._moving = (self._trail, self._hiker, self._lr_line, self._edge_line, self._alt_line)
        self._labels: dict[tuple[str, str], Any] = {}  # verdict label -> its rendered pixels
        for artist in (*self._moving, self._label):
            artist.set_animated(True)
        canvas.draw()
        self._figure, self._canvas = fig, canvas
        self._background = canvas.copy_from_bbox(fig.bbox)
        self._palette = self._make_palette()
        self._svg = SvgOverlay(fig, prefix=f"hiker{id(self):x}")
        self._mountain = mountain
        self.image.show(self._png())  # the still figure; the overlay draws the rest

    def _show(self, frame: int) -> None:
        """Draw the hike up to step `frame` over the cached background, and send the PNG."""
        hike, land = self.hike, self.hike.landscape
        lo, hi = land.x_range
        done = frame >= hike.steps
        xs = hike.positions[: frame + 1]
        # Off the map the trail breaks (NaN): the hiker is out of the picture there.
        trail_x = [x if land.on_map(x) else math.nan for x in xs]
        trail_y = [land.altitude(x) if land.on_map(x) else math.nan for x in xs]
        word, symbol, marker, colour = LOOKS[hike.outcome] if done else ("", "", "o", "0.1")
        if done and hike.outcome == "fell":
            # Fallen: the hiker is drawn at the edge it went over for good, falling.
            ground = land.ylim[0] + 0.05 * (land.ylim[1] - land.ylim[0])
            went = hike.positions[hike.event_step or 0]
            edge = hi if went > hi else lo
            trail_x = [*trail_x[:-1], edge, edge]  # from its last footstep over the edge, down
            trail_y = [*trail_y[:-1], land.altitude(edge), ground]
            spot = ([edge], [ground])
        elif not land.on_map(xs[-1]):
            # Off the map where the ground goes on (the bowl): drawn at the edge, pointing out.
            edge = hi if xs[-1] > hi else lo
            spot, marker = ([edge], [land.altitude(edge)]), (">" if edge == hi else "<")
        else:
            spot = ([xs[-1]], [land.altitude(xs[-1])])
        self._trail.set_data(trail_x, trail_y)
        self._hiker.set_data(*spot)
        self._hiker.set(marker=marker, color=colour)
        shown = range(min(frame, hike.steps))
        self._lr_line.set_data(list(shown), [max(v, LR_RANGE[0] / 2) for v in hike.lrs[:frame]])
        alts = [a for a in hike.altitudes[: frame + 1] if math.isfinite(a)]
        self._alt_line.set_data(range(len(alts)), alts)
        self._draw_edge()
        self._frame = frame
        words = f"{symbol} {word}" if done else f"step {frame}"
        where = (f"{word.lower()}: {hike.story}" if done
                 else f"the hiker at step {frame}, x = {xs[-1]:.3g}")
        self.overlay.value = access.svg_label(self._svg.svg(
            [*(self._svg.line(line) for line in self._moving),
             self._svg.text(0.99, 0.95, self._mountain, words, colour, 11)]
        ), f"{PICTURE_WORDS} The hike so far, {where}")
        self.status.value = self._status_html(frame)

    def composite_png(self) -> bytes:
        """The whole figure as one PNG, still and moving parts, for viewers without a kernel."""
        hike = self.hike
        done = self._frame >= hike.steps
        _, symbol, _, colour = LOOKS[hike.outcome] if done else ("", "", "", "0.1")
        word = LOOKS[hike.outcome][0] if done else ""
        # Rendered (once) before the frame is drawn, as rendering it draws on the canvas.
        label = self._verdict_label(f"{symbol} {word}", colour) if done else None
        self._canvas.restore_region(self._background)
        for artist in self._moving:
            self._figure.draw_artist(artist)
        if label is not None:  # on top, as a boxed label is
            self._canvas.restore_region(label)
        return self._png()

    def _verdict_label(self, text: str, colour: str) -> Any:
        """The verdict's boxed label over the background, rendered once and kept as pixels."""
        key = (text, colour)
        if key not in self._labels:
            self._label.set(text=text, color=colour)
            self._canvas.restore_region(self._background)
            self._figure.draw_artist(self._label)
            renderer = self._canvas.get_renderer()
            box = self._label.get_bbox_patch().get_window_extent(renderer).padded(2)
            self._labels[key] = self._canvas.copy_from_bbox(box)
        return self._labels[key]

    def edge_words(self) -> str:
        """Which edge of stability the LR panel draws, and at which momentum."""
        hike = self.hike
        land = hike.landscape
        if land.curvature is None:
            return ""
        momenta = hike.momenta or [self.momentum_slider.value]
        low, high = min(momenta), max(momenta)
        if high - low > 1e-9:
            return (f"edge 2(1+μ)/a at each step's μ: the schedule cycles μ from {low:.2f} "
                    f"to {high:.2f}")
        edge = land.edge_lr(low)
        set_by = "" if abs(low - self.momentum_slider.value) < 1e-9 else " (set by the schedule)"
        if low == 0:
            return f"edge 2/a = {edge:.3g} (no momentum)"
        return f"edge 2(1+μ)/a = {edge:.3g} at μ = {low:.2f}{set_by}"

    def _draw_edge(self) -> None:
        """Place the edge-of-stability line for this hike's momentum (at each step's, if cycled)."""
        land, hike = self.hike.landscape, self.hike
        if land.curvature is None:
            self._edge_line.set_data([], [])
            return
        steps = max(self.steps_slider.value, 1)
        momenta = hike.momenta or [self.momentum_slider.value]
        if max(momenta) - min(momenta) > 1e-9:
            edges = [2.0 * (1.0 + m) / land.curvature for m in momenta]  # edge_lr, step by step
            self._edge_line.set_data([*range(len(edges)), len(edges)], [*edges, edges[-1]])
        else:
            edge = land.edge_lr(momenta[0])
            self._edge_line.set_data([0, steps], [edge, edge])

    def _canvas_rgb(self) -> Image.Image:
        width, height = self._canvas.get_width_height()
        return Image.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba()).convert("RGB")

    def _make_palette(self) -> Image.Image:
        """One palette for every frame of this figure: the background's colours, and every
        colour the moving parts use, blended into white as their anti-aliased edges are."""
        background = self._canvas_rgb()
        inks = [LOOKS[o][3] for o in LOOKS] + ["#0969da", "#8250df", "0.2", "0.45", "0.1", "k"]
        shades = [i / 7 for i in range(8)]
        swatch = Image.new("RGB", (len(shades), len(inks)))
        for row, ink in enumerate(inks):
            rgb = to_rgb(ink)
            for col, t in enumerate(shades):
                swatch.putpixel((col, row), tuple(round(255 * (t * c + 1 - t)) for c in rgb))
        sample = Image.new("RGB", (background.width, 2 * background.height))
        sample.paste(background, (0, 0))
        sample.paste(swatch.resize(background.size, Image.Resampling.NEAREST),
                     (0, background.height))
        return sample.quantize(PNG_COLOURS, method=Image.Quantize.FASTOCTREE,
                               dither=Image.Dither.NONE)

    def _png(self) -> bytes:
        """The canvas as a palette PNG: small to send, quick to encode, the same to the eye."""
        frame = self._canvas_rgb().quantize(palette=self._palette, dither=Image.Dither.NONE)
        out = io.BytesIO()
        frame.save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def _status_html(self, frame: int) -> str:
        hike = self.hike
        notes = "".join(f"<div><b>Note:</b> {html.escape(n)}</div>" for n in self._notes)
        if frame < hike.steps:
            x, lr = hike.positions[frame], hike.lrs[frame]
            where = "" if hike.landscape.on_map(x) else " (off the map: the ground goes on)"
            return notes + (f"Step {frame} of {hike.steps}: at x = {x:.3g}{where}, "
                            f"next stride uses LR = {lr:.3g}.")
        word, symbol, _, colour = LOOKS[hike.outcome]
        sample = f" (noise {hike.noise:g}, sample {hike.seed})" if hike.noise else ""
        said = (f"LR {self.lr_slider.value:.3g}, {html.escape(self.schedule_dropdown.value)} "
                "schedule: ")
        edge = self.edge_words()
        if edge:
            edge = f"<br><small style=\"color:#555\">Dashed line: {html.escape(edge)}.</small>"
        # A polite live region: a screen reader says the LR and the outcome after each change.
        symbol = access.hidden_from_readers(symbol)
        return access.live_status(notes + said + (
            f'<span style="color:{colour}"><b>{symbol} {word}</b></span> '
            f"{html.escape(hike.story)}{sample}{edge}"
        ))

    # ---- outside a live kernel --------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget, plus a picture and the story for viewers without a kernel."""
        data = view_bundle(self, **kwargs)
        png = base64.b64encode(self.composite_png()).decode("ascii")
        data["image/png"] = png
        data["text/html"] = (
            f'<img src="data:image/png;base64,{png}" alt="The hiker\'s walk on the '
            f'{self.landscape_dropdown.value}: {html.escape(self.hike.story)}"/>'
            f"<div>{self.status.value}</div>"
        )
        data["text/plain"] = f"HikerWidget: {self.hike.story}"
        return data
