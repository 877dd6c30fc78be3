"""The hiker widget, driven headless: set control values and assert the effect."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest

from course_utils.hiker import LANDSCAPES
from course_utils.hiker_widget import HikerWidget
from course_utils.schedules import SCHEDULE_PRESETS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def hiker() -> HikerWidget:
    return HikerWidget()


def test_one_line_presets_open_as_asked():
    w = HikerWidget(landscape="ledge", schedule="warm_restarts", lr=0.3)
    assert isinstance(w, widgets.Box)
    assert w.schedule_dropdown.value == "warm_restarts" and w.lr_slider.value == pytest.approx(0.3)
    assert w.hike.outcome == "valley" and "VALLEY" in w.status.value
    assert set(w.param_controls) == {"T_0", "T_mult", "eta_min"}
    assert HikerWidget(schedule="cosine").hike.lrs[-1] < 0.01


def test_controls_are_what_the_learner_needs(hiker):
    assert isinstance(hiker.lr_slider, widgets.FloatLogSlider)
    assert isinstance(hiker.play, widgets.Play)
    assert hiker.image.png.startswith(PNG) and 'alt=""' in hiker.image.value  # the overlay names it
    assert [value for _, value in hiker.schedule_dropdown.options] == list(SCHEDULE_PRESETS)
    assert hiker.steps_slider.continuous_update is False


def test_lr_slider_changes_the_picture_and_the_story(hiker):
    before_image, before_status = hiker.overlay.value, hiker.status.value
    before_trail = list(hiker._trail.get_xdata())
    hiker.lr_slider.value = 1.5
    assert hiker.hike.outcome == "fell" and "FELL OFF" in hiker.status.value
    assert hiker.overlay.value != before_image and hiker.status.value != before_status
    assert list(hiker._trail.get_xdata()) != before_trail
    # Fallen hikers are drawn at the edge of the map, falling.
    assert hiker._trail.get_xdata()[-1] == LANDSCAPES["bowl"].x_range[1]
    assert hiker._hiker.get_marker() == "v"


def test_schedule_dropdown_swaps_parameters_and_changes_the_lr_line(hiker):
    assert hiker.params_box.children == ()
    flat = list(hiker._lr_line.get_ydata())
    hiker.schedule_dropdown.value = "step"
    assert set(hiker.param_controls) == {"step_size", "gamma"}
    # Each parameter's slider, then the labelled number box that names it.
    assert list(hiker.params_box.children)[::2] == list(hiker.param_controls.values())
    assert [box.description for box in hiker.params_box.children[1::2]] == ["step_size", "gamma"]
    assert list(hiker._lr_line.get_ydata()) != flat
    stepped = list(hiker._lr_line.get_ydata())
    hiker.param_controls["gamma"].value = 0.5
    assert list(hiker._lr_line.get_ydata()) != stepped
    assert hiker.schedule_params()["gamma"] == 0.5


def test_every_schedule_and_its_parameter_ranges_work(hiker):
    for name, preset in SCHEDULE_PRESETS.items():
        hiker.schedule_dropdown.value = name
        assert len(hiker.param_controls) == len(preset.params)
        for control in hiker.param_controls.values():
            for value in (control.min, control.max):
                control.value = value
                assert hiker.hike.outcome in hiker.status.value.lower() or "FELL" in (
                    hiker.status.value
                )


def test_play_step_animates_step_by_step(hiker):
    final_image = hiker.overlay.value
    hiker.play_step()  # at the end, a step wraps to the start
    assert hiker.play.value == 0 and hiker.status.value.startswith("Step 0 of")
    start_image = hiker.overlay.value
    hiker.play_step()
    assert hiker.play.value == 1 and hiker.status.value.startswith("Step 1 of")
    assert len(hiker._trail.get_xdata()) == 2 and len(hiker._lr_line.get_xdata()) == 1
    assert hiker.overlay.value not in (start_image, final_image)
    hiker.play.value = hiker.play.max
    assert "VALLEY" in hiker.status.value and hiker.overlay.value == final_image


def test_steps_and_landscape_redraw_with_new_axes(hiker):
    hiker.steps_slider.value = 50
    assert hiker.hike.steps == 50 and hiker.play.max == 50
    assert hiker._lr_line.axes.get_xlim() == (0, 50)
    hiker.landscape_dropdown.value = "plateau"
    assert hiker.start_slider.value == LANDSCAPES["plateau"].start
    assert hiker._trail.axes.get_xlim() == LANDSCAPES["plateau"].x_range
    assert hiker.hike.landscape.name == "plateau"


def test_extreme_settings_never_raise(hiker):
    for landscape in LANDSCAPES:
        hiker.landscape_dropdown.value = landscape
        for steps in (1, 1000):
            hiker.steps_slider.value = steps
            for lr in (hiker.lr_slider.min, hiker.lr_slider.max):
                hiker.lr_slider.value = 10**lr
                for start in (hiker.start_slider.min, hiker.start_slider.max):
                    hiker.start_slider.value = start
                    hiker.momentum_slider.value = 0.99
                    hiker.play_step()
                    assert hiker.image.png.startswith(PNG) and hiker.status.value
                    assert hiker.overlay.value.startswith("<svg")
                    hiker.noise_slider.value = hiker.noise_slider.max
                    hiker.resample_button.click()
                    hiker.play_step()
                    assert hiker.image.png.startswith(PNG) and hiker.status.value
                    hiker.noise_slider.value = 0


def test_static_viewers_get_a_picture_and_the_story(hiker):
    bundle = hiker._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
    assert '<img src="data:image/png;base64,' in bundle["text/html"]
    assert "Reached the valley floor" in bundle["text/html"]
    assert "Reached the valley floor" in bundle["text/plain"]


def test_schedule_parameters_can_be_set_when_the_widget_opens():
    from course_utils import simulate_hike

    w = HikerWidget(landscape="ledge", schedule="warm_restarts", lr=0.02, momentum=0.8, T_0=40)
    assert w.schedule_params()["T_0"] == 40
    expected = simulate_hike("ledge", 0.02, schedule=SCHEDULE_PRESETS["warm_restarts"].factory(
        200, **w.schedule_params()), momentum=0.8)
    assert w.hike.outcome == expected.outcome and w.hike.lrs == expected.lrs
    with pytest.raises(TypeError, match="no parameter 'T0'"):
        HikerWidget(schedule="warm_restarts", T0=40)


# ---- noise, the edge that follows momentum, clamping said aloud -------------------------------
def test_noise_slider_defaults_to_smooth_so_lessons_read_the_same(hiker):
    from course_utils import simulate_hike

    assert hiker.noise_slider.value == 0 and hiker.resample_button.disabled
    assert hiker.hike.positions == simulate_hike("bowl", 0.1).positions


def test_noisy_hikes_are_deterministic_while_dragging_and_resample_on_request():
    w = HikerWidget(noise=1.0, lr=0.3)
    assert w.hike.outcome == "hovering" and "HOVERING" in w.status.value
    assert not w.resample_button.disabled and "sample 0" in w.status.value
    first_positions, first_image = w.hike.positions, w.overlay.value
    w.lr_slider.value = 0.05
    assert w.hike.positions != first_positions
    w.lr_slider.value = 0.3
    assert w.hike.positions == first_positions and w.overlay.value == first_image
    w.resample_button.click()
    assert w.seed == 1 and "sample 1" in w.status.value
    assert w.hike.positions != first_positions
    w.noise_slider.value = 0
    assert w.resample_button.disabled and w.hike.outcome == "valley"


def test_edge_line_and_words_follow_the_momentum(hiker):
    assert "edge 2/a = 1 (no momentum)" in hiker.status.value
    assert set(hiker._edge_line.get_ydata()) == {1.0}
    hiker.momentum_slider.value = 0.9
    assert "edge 2(1+μ)/a = 1.9 at μ = 0.90" in hiker.status.value
    assert list(hiker._edge_line.get_ydata()) == pytest.approx([1.9, 1.9])
    hiker.schedule_dropdown.value = "onecycle"
    assert "the schedule cycles μ from 0.85 to 0.95" in hiker.status.value
    edges = hiker._edge_line.get_ydata()
    assert min(edges) == pytest.approx(3.7 / 2) and max(edges) == pytest.approx(3.9 / 2)
    hiker.landscape_dropdown.value = "ravine"  # no single curvature: no edge
    assert "Dashed line" not in hiker.status.value and len(hiker._edge_line.get_ydata()) == 0


def test_the_momentum_edge_shows_on_the_hiker(hiker):
    hiker.momentum_slider.value = 0.9
    hiker.lr_slider.value = 1.85
    assert hiker.hike.outcome == "valley" and "VALLEY" in hiker.status.value
    hiker.play.value = 1  # the first stride leaves the map; the bowl goes on, so it comes back
    assert "off the map" in hiker.status.value
    assert hiker._hiker.get_xdata()[0] == LANDSCAPES["bowl"].x_range[1]
    assert hiker._hiker.get_marker() == ">"
    hiker.lr_slider.value = 1.95
    assert hiker.hike.outcome == "fell" and "FELL OFF" in hiker.status.value


def test_impossible_values_are_clamped_and_said():
    w = HikerWidget(lr=100, momentum=1.5, noise=-1, steps=5000, start=-50)
    assert w.lr_slider.value == pytest.approx(10) and w.momentum_slider.value == 0.99
    assert w.noise_slider.value == 0 and w.steps_slider.value == 1000
    assert w.start_slider.value == LANDSCAPES["bowl"].x_range[0]
    for words in ("lr = 100 is outside", "so the widget uses 10", "momentum = 1.5",
                  "so the widget uses 0.99", "noise = -1", "steps = 5000", "start = -50"):
        assert words in w.status.value, words
    w.lr_slider.value = 0.1  # the learner's own choice: the notes go
    assert "Note:" not in w.status.value
    assert "Note:" not in HikerWidget(lr=0.5).status.value
    w = HikerWidget(schedule="step", gamma=5.0)
    assert w.schedule_params()["gamma"] == w.param_controls["gamma"].max
    assert "gamma = 5 is outside" in w.status.value


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"landscape": "nope"}, ValueError, "landscape must be one of: bowl, ravine"),
        ({"schedule": "cosinus"}, ValueError, "schedule must be one of: constant"),
        ({"schedule": 3}, TypeError, "schedule must be a name"),
        ({"lr": "fast"}, TypeError, "lr must be a number"),
        ({"lr": float("nan")}, ValueError, "lr must be a number from 0.0001 to 10"),
        ({"steps": 2.5}, TypeError, "steps must be a whole number"),
        ({"seed": "x"}, TypeError, "seed must be a whole number"),
    ],
)
def test_bad_arguments_are_explained(kwargs, error, words):
    with pytest.raises(error, match=words):
        HikerWidget(**kwargs)


def test_works_on_ipywidgets_7_and_8_no_tooltips():
    import inspect

    import course_utils.hiker_widget as module

    assert "tooltip=" not in inspect.getsource(module).replace("(no `tooltip=`)", "")
    w = HikerWidget(schedule="warm_restarts")
    # Help text sits where both versions show it, and no control carries a tooltip (on
    # ipywidgets 8.1 an Image with one is not even drawn).
    assert "T_0" in w.help.value and "noise" in w.help.value
    stack, seen = [w], 0
    while stack:
        widget = stack.pop()
        seen += 1
        assert not getattr(widget, "tooltip", None), widget
        stack.extend(getattr(widget, "children", ()))
    assert seen > 15


def test_the_still_figure_is_a_small_palette_png_under_an_svg_overlay(hiker):
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(hiker.image.png))
    assert picture.format == "PNG" and picture.mode == "P"
    assert picture.size == hiker._canvas.get_width_height()
    assert len(hiker.image.png) < 25_000
    assert hiker.picture.children == (hiker.image, hiker.overlay)
    assert hiker.image.layout.grid_area == hiker.overlay.layout.grid_area == "picture"
    # The still figure does not change with the LR; the overlay does, and names the verdict.
    still = hiker.image.png
    hiker.lr_slider.value = 3.0
    assert hiker.image.png == still and "FELL OFF" in hiker.overlay.value
    width, height = hiker._canvas.get_width_height()
    assert f'viewBox="0 0 {width} {height}"' in hiker.overlay.value
    assert len(hiker.overlay.value) < 20_000


def test_overlay_lines_lie_where_matplotlib_draws_them(hiker):
    """The SVG's points are the artists' own display coordinates, y measured from the top."""
    import re

    hiker.lr_slider.value = 0.3
    line = hiker._lr_line
    x, y = line.get_transform().transform((line.get_xdata()[0], line.get_ydata()[0]))
    height = hiker._canvas.get_width_height()[1]
    assert f"M{x:.1f} {height - y:.1f}L" in hiker.overlay.value
    # One clip path per axes, and every line of an axes clipped to it.
    assert len(re.findall("<clipPath", hiker.overlay.value)) == len(hiker._figure.axes)


def test_composite_png_holds_the_whole_figure(hiker):
    import io

    from PIL import Image, ImageChops

    still = Image.open(io.BytesIO(hiker.image.png)).convert("RGB")
    whole = Image.open(io.BytesIO(hiker.composite_png())).convert("RGB")
    assert still.size == whole.size and ImageChops.difference(still, whole).getbbox() is not None


def test_moving_a_slider_pauses_play_on_every_ipywidgets(hiker):
    # ipywidgets 7.7 names Play's trait `_playing`, 8 names it `playing`: both must pause.
    trait = "playing" if "playing" in hiker.play.trait_names() else "_playing"
    setattr(hiker.play, trait, True)
    hiker.lr_slider.value = hiker.lr_slider.value / 2
    assert getattr(hiker.play, trait) is False
