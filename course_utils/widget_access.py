"""Widgets everyone can use: names a screen reader reads, on ipywidgets 7.7 and 8.

ipywidgets' Python API sets no ARIA attributes, and a slider's handle is not an element a
`<label>` can name, so a screen reader hears an unnamed slider (and for a log slider, its
exponent). The pieces here work around that with what both versions render:

- `number_box(slider, name)`: a labelled number box kept in step with a slider. Its label
  is a real `<label for=...>`, so the box carries the name; it shows the value (the slider's
  own readout is turned off) and lets a learner type an exact one.
- `play_controls(play)`: Play, stop and repeat as a labelled toggle, button and checkbox
  driving an `ipywidgets.Play`, whose own icon buttons have no names (they are hidden).
- `live_status(html)`: markup for an `ipywidgets.HTML` status line that a screen reader
  announces after each change (a polite live region); `hidden_from_readers(text)` for
  symbols that only repeat the words beside them.
- `svg_label(svg, text)` names an SVG picture drawn in an HTML widget. (An `Image` can't
  be named: it has no alt text, and ipywidgets 8.1 fails to draw an `Image` with a
  `tooltip`, so a widget names its picture through an SVG or HTML laid over it.)
- `PictureHTML`: a PNG as an `<img>` in an HTML widget, with alt text (or `alt=""` for a
  still figure that the named overlay on top of it describes), where an `Image` would be
  announced as an unnamed picture.

A widget adopts them where it builds its controls, for example::

    self.lr_box = number_box(self.lr_slider, "learning rate (LR)")
    row = widgets.HBox([self.lr_slider, self.lr_box])
    self.play_row = play_controls(self.play)
    self.status.value = live_status(words)
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import ipywidgets as widgets

# The label stays in the page for screen readers; the slider beside it shows the name.
_HIDDEN_LABEL = {"description_width": "0px"}


def number_box(slider: widgets.Widget, name: str, *, digits: int = 3,
               width: str = "7em") -> widgets.Widget:
    """A labelled number box that shows and sets `slider`'s value, named `name`.

    Works with `IntSlider`, `FloatSlider` and `FloatLogSlider` (the box holds the value, not
    the exponent). The box shows the value to `digits` significant digits; a number typed in
    goes to the slider exactly, clamped to its range (and the box then shows where it went).
    The slider's own readout is turned off: the box is the readout. Its bounds follow the
    slider's when those change.
    """
    integer = isinstance(slider, widgets.IntSlider)
    log = isinstance(slider, widgets.FloatLogSlider)

    def bounds() -> tuple[float, float]:
        if log:
            return slider.base ** slider.min, slider.base ** slider.max
        return slider.min, slider.max

    def shown(value: float) -> float:
        if integer or value == 0 or not math.isfinite(value):
            return value
        return float(f"{value:.{digits}g}")

    low, high = bounds()
    kind = widgets.BoundedIntText if integer else widgets.BoundedFloatText
    box = kind(value=shown(slider.value), min=low, max=high, description=name,
               style=_HIDDEN_LABEL, layout=widgets.Layout(width=width))
    slider.readout = False
    busy = [False]

    def from_slider(change: Any) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            box.value = shown(change["new"])
        finally:
            busy[0] = False

    def from_box(change: Any) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            slider.value = min(max(change["new"], bounds()[0]), bounds()[1])
            box.value = shown(slider.value)
        finally:
            busy[0] = False

    def follow_bounds(_change: Any) -> None:
        low, high = bounds()
        busy[0] = True
        try:
            # Widen first, then narrow, so min never passes max on the way.
            box.min, box.max = min(low, box.min), max(high, box.max)
            box.min, box.max = low, high
            box.value = shown(slider.value)
        finally:
            busy[0] = False

    slider.observe(from_slider, "value")
    box.observe(from_box, "value")
    slider.observe(follow_bounds, ["min", "max"])
    return box


def _play_trait(play: widgets.Play, name: str) -> str:
    """The name of Play's `playing` / `repeat` trait: ipywidgets 7.7 calls them `_playing` ..."""
    return name if name in play.trait_names() else f"_{name}"


def stop_playing(play: widgets.Play) -> None:
    """Pause `play`, on ipywidgets 7.7 (`_playing`) as on 8 (`playing`)."""
    setattr(play, _play_trait(play, "playing"), False)


def play_controls(play: widgets.Play, what: str = "the hike") -> widgets.HBox:
    """Labelled Play / pause, stop and repeat controls driving `play`, which is then hidden.

    The toggle's words say what it does next ("play the hike" or "pause"); stop pauses and
    goes back to the first frame; repeat is a checkbox. The `Play` widget stays in the page,
    hidden, and keeps the animation's clock.
    """
    playing, repeat = _play_trait(play, "playing"), _play_trait(play, "repeat")
    toggle = widgets.ToggleButton(value=bool(getattr(play, playing)), description=f"play {what}")
    stop = widgets.Button(description="stop")
    again = widgets.Checkbox(value=bool(getattr(play, repeat)), description="repeat",
                             indent=False, layout=widgets.Layout(width="auto"))

    def words() -> None:
        toggle.description = "pause" if toggle.value else f"play {what}"

    def from_toggle(change: Any) -> None:
        setattr(play, playing, change["new"])
        words()

    def from_play(change: Any) -> None:
        toggle.value = bool(change["new"])
        words()

    def on_stop(_button: Any) -> None:
        stop_playing(play)
        play.value = play.min

    toggle.observe(from_toggle, "value")
    play.observe(from_play, playing)
    stop.on_click(on_stop)
    widgets.link((again, "value"), (play, repeat))
    play.layout.display = "none"
    return widgets.HBox([toggle, stop, again, play])


def live_status(inner_html: str) -> str:
    """`inner_html` as a polite live region: read out after each change, never interrupting."""
    return f'<div role="status" aria-live="polite" aria-atomic="true">{inner_html}</div>'


def hidden_from_readers(text: str) -> str:
    """`text` (a symbol that repeats the words beside it) shown but not read out."""
    return f'<span aria-hidden="true">{html.escape(text)}</span>'


def svg_label(svg: str, text: str) -> str:
    """An SVG picture's markup with `role="img"` and `aria-label` (its name) on the root."""
    head, sep, rest = svg.partition("<svg")
    if not sep:
        return svg
    label = html.escape(text, quote=True)
    return f'{head}<svg role="img" aria-label="{label}"{rest}'


class PictureHTML(widgets.HTML):
    """A PNG shown as an `<img>` with alt text, in an HTML widget (an `Image` takes no alt).

    Set `show(png, alt)`; `png` holds the bytes shown. With `alt=""` (the default) the
    picture is decorative to a screen reader: use it for a still figure under an overlay that
    carries the picture's name, so the reader hears the name once, not an unnamed image too.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.png = b""

    def show(self, png: bytes, alt: str = "") -> None:
        """Show `png`, described by `alt` (empty: decorative)."""
        self.png = bytes(png)
        data = base64.b64encode(self.png).decode("ascii")
        self.value = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
                      'style="display:block; width:100%; height:auto">')
