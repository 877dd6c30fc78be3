"""Names for screen readers (course_utils.widget_access), and the widgets that use them."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pytest

from course_utils.hiker import LANDSCAPES
from course_utils.hiker_widget import HikerWidget
from course_utils.plateau_widget import PlateauWidget
from course_utils.widget_access import (
    PictureHTML,
    live_status,
    number_box,
    play_controls,
    svg_label,
)

SLIDERS = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider,
           widgets.SelectionSlider)


def walk(widget: widgets.Widget) -> list[widgets.Widget]:
    found, stack = [], [widget]
    while stack:
        w = stack.pop()
        found.append(w)
        stack.extend(getattr(w, "children", ()))
    return found


def assert_every_control_is_named(root: widgets.Widget) -> None:
    """Each slider sits right before a labelled control that holds its value; others are named."""
    for box in walk(root):
        children = list(getattr(box, "children", ()))
        for i, child in enumerate(children):
            if isinstance(child, SLIDERS):
                twin = children[i + 1] if i + 1 < len(children) else None
                assert twin is not None and twin.description, f"{child.description} has no twin"
                assert not isinstance(twin, SLIDERS)
                if not isinstance(child, widgets.SelectionSlider):
                    assert twin.value == pytest.approx(child.value, rel=2e-3)
                assert child.readout is False  # the twin is the readout
            elif isinstance(child, widgets.Button | widgets.ToggleButton | widgets.Checkbox
                            | widgets.Dropdown | widgets.BoundedFloatText
                            | widgets.BoundedIntText):
                assert child.description.strip(), child


def test_the_lr_box_shows_and_sets_the_lr_not_its_exponent() -> None:
    w = HikerWidget(lr=0.1)
    assert w.lr_box.description == "learning rate (LR)"
    assert w.lr_box.value == pytest.approx(0.1)  # the slider's handle reports -1
    w.lr_slider.value = 10 ** -0.52
    assert w.lr_box.value == 0.302  # rounded for reading; the slider keeps its value
    assert w.lr_slider.value == pytest.approx(10 ** -0.52)
    w.lr_box.value = 0.4  # typed: exactly this LR
    assert w.lr_slider.value == 0.4 and w.hike.lrs[0] == 0.4
    w.lr_box.value = 50.0  # beyond the range: the box and the slider stop at its end
    assert w.lr_slider.value == 10.0 and w.lr_box.value == 10.0


def test_the_status_is_a_polite_live_region_that_says_the_lr_and_the_outcome() -> None:
    w = HikerWidget(lr=0.1)
    w.lr_box.value = 0.4
    status = w.status.value
    assert 'aria-live="polite"' in status and 'role="status"' in status
    assert "LR 0.4, constant schedule:" in status
    assert "VALLEY" in status and "Reached the valley floor at step" in status
    assert '<span aria-hidden="true">✔</span>' in status  # the symbol only repeats the word
    # A frame of Play is not announced (it would talk over itself 20 times a second).
    w.play.value = 1
    assert "aria-live" not in w.status.value and "Step 1 of" in w.status.value


def test_every_hiker_control_has_a_name_whatever_the_schedule() -> None:
    w = HikerWidget()
    for name in ("constant", "warm_restarts", "onecycle", "plateau"):
        w.schedule_dropdown.value = name
        assert_every_control_is_named(w)
    assert w.start_slider.description == "start at x"
    assert w.start_box.description == "starting position x"


def test_the_start_box_follows_the_landscape() -> None:
    w = HikerWidget()
    for name, land in LANDSCAPES.items():
        w.landscape_dropdown.value = name
        assert (w.start_box.min, w.start_box.max) == land.x_range
        assert w.start_box.value == pytest.approx(w.start_slider.value, abs=1e-3)


def test_play_stop_and_repeat_are_labelled_and_drive_play() -> None:
    w = HikerWidget()
    toggle, stop, repeat, play = w.play_row.children
    assert play is w.play and play.layout.display == "none"  # its icon buttons have no names
    assert (toggle.description, stop.description, repeat.description) == (
        "play the hike", "stop", "repeat")
    toggle.value = True
    assert w.play.playing is True and toggle.description == "pause"
    w.play.playing = False  # Play ended on its own
    assert toggle.value is False and toggle.description == "play the hike"
    repeat.value = True
    assert w.play.repeat is True
    w.play.value = 5
    toggle.value = True
    stop.click()
    assert w.play.playing is False and w.play.value == w.play.min


def test_the_picture_names_the_hiker_and_the_valley_floor() -> None:
    w = HikerWidget(lr=0.4)
    texts = [t.get_text() for t in w._mountain.texts]
    legend = [t.get_text() for t in w._mountain.get_legend().get_texts()]
    assert "valley floor" in texts and any(t.startswith("hiker") for t in legend)
    titles = [ax.get_title() for ax in w._figure.axes]
    assert "LR at each step" in titles and "altitude at each step" in titles
    assert 'role="img" aria-label="The hiker&#x27;s mountain:' in w.overlay.value
    assert "The hike so far, valley: Reached" in w.overlay.value


def test_the_plateau_widget_names_its_controls() -> None:
    w = PlateauWidget()
    assert_every_control_is_named(w)
    w.factor_box.value = 0.3
    assert w.factor.value == pytest.approx(0.3)
    assert 'aria-live="polite"' in w.status.value
    # The picture is an <img> whose alt text says what is drawn, and what the scheduler did.
    assert '<img src="data:image/png;base64,' in w.picture.value
    assert 'alt="ReduceLROnPlateau over one loss curve, drawn as ' in w.picture.value
    assert html.escape(w.trace.summary()) in w.picture.value
    w.patience_box.value = 0
    assert html.escape(w.trace.summary()) in w.picture.value  # it follows the controls
    assert w.min_lr_choice.description == "min_lr"
    w.min_lr_choice.value = 1e-3
    assert w.min_lr.value == 1e-3 and w.settings()["min_lr"] == 1e-3


def test_the_pieces_on_their_own() -> None:
    slider = widgets.IntSlider(value=3, min=0, max=9)
    box = number_box(slider, "count")
    assert isinstance(box, widgets.BoundedIntText) and (box.min, box.max) == (0, 9)
    box.value = 7
    assert slider.value == 7
    slider.max = 20
    box.value = 15
    assert slider.value == 15
    play = widgets.Play(max=10)
    row = play_controls(play, "it")
    assert row.children[0].description == "play it"
    assert live_status("x").startswith('<div role="status" aria-live="polite"')
    assert svg_label("<svg viewBox='0 0 1 1'></svg>", 'a "b"').startswith(
        '<svg role="img" aria-label="a &quot;b&quot;"')
    picture = PictureHTML()
    picture.show(b"\x89PNG fake", 'a <b> & "c"')
    assert picture.png == b"\x89PNG fake"
    assert picture.value.startswith(
        '<img src="data:image/png;base64,iVBORyBmYWtl" alt="a &lt;b&gt; &amp; &quot;c&quot;"')
    picture.show(b"\x89PNG")
    assert 'alt=""' in picture.value  # decorative: an overlay names the picture
