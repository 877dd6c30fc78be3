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
    assert isinstance(hiker.image, widgets.Image) and bytes(hiker.image.value).startswith(PNG)
    assert [value for _, value in hiker.schedule_dropdown.options] == list(SCHEDULE_PRESETS)
    assert hiker.steps_slider.continuous_update is False


def test_lr_slider_changes_the_picture_and_the_story(hiker):
    before_image, before_status = hiker.image.value, hiker.status.value
    before_trail = list(hiker._trail.get_xdata())
    hiker.lr_slider.value = 1.5
    assert hiker.hike.outcome == "fell" and "FELL OFF" in hiker.status.value
    assert hiker.image.value != before_image and hiker.status.value != before_status
    assert list(hiker._trail.get_xdata()) != before_trail
    # Fallen hikers are drawn at the edge of the map, falling.
    assert hiker._trail.get_xdata()[-1] == LANDSCAPES["bowl"].x_range[1]
    assert hiker._hiker.get_marker() == "v"


def test_schedule_dropdown_swaps_parameters_and_changes_the_lr_line(hiker):
    assert hiker.params_box.children == ()
    flat = list(hiker._lr_line.get_ydata())
    hiker.schedule_dropdown.value = "step"
    assert set(hiker.param_controls) == {"step_size", "gamma"}
    assert list(hiker.params_box.children) == list(hiker.param_controls.values())
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
    final_image = hiker.image.value
    hiker.play_step()  # at the end, a step wraps to the start
    assert hiker.play.value == 0 and hiker.status.value.startswith("Step 0 of")
    start_image = hiker.image.value
    hiker.play_step()
    assert hiker.play.value == 1 and hiker.status.value.startswith("Step 1 of")
    assert len(hiker._trail.get_xdata()) == 2 and len(hiker._lr_line.get_xdata()) == 1
    assert hiker.image.value not in (start_image, final_image)
    hiker.play.value = hiker.play.max
    assert "VALLEY" in hiker.status.value and hiker.image.value == final_image


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
                    assert bytes(hiker.image.value).startswith(PNG) and hiker.status.value


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
