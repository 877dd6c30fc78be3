"""The hiker-on-a-map widget, driven headless: set control values and assert the effect."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest

from course_utils.hiker_map import LANDSCAPES_2D
from course_utils.hiker_map_widget import HikerMapWidget
from course_utils.schedules import SCHEDULE_PRESETS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def hiker() -> HikerMapWidget:
    return HikerMapWidget()


def test_it_opens_as_asked_with_every_control():
    w = HikerMapWidget(landscape="river", schedule="wsd", lr=0.6, noise=1.0, seed=3, decay=50)
    assert isinstance(w, widgets.Box)
    assert w.hike.landscape is LANDSCAPES_2D["river"] and w.hike.seed == 3
    assert w.param_controls["decay"].value == 50 and w.hike.lrs[-1] < 0.05
    for control in (w.landscape_dropdown, w.schedule_dropdown, w.lr_slider, w.momentum_slider,
                    w.noise_slider, w.steps_slider, w.resample_button, w.play,
                    *w.param_controls.values()):
        assert control.description  # an accessible name for every control
        tip = getattr(control, "tooltip", None) or getattr(control, "description_tooltip", None)
        assert tip, control.description
    assert [value for _, value in w.schedule_dropdown.options] == list(SCHEDULE_PRESETS)
    assert bytes(w.image.value).startswith(PNG) and "<svg" in w.overlay.value


def test_the_lr_slider_moves_the_path_and_the_verdict(hiker):
    hiker.lr_slider.value = 0.5
    assert hiker.hike.outcome == "valley" and "VALLEY" in hiker.status.value
    before, trail = hiker.overlay.value, list(hiker._trail.get_xdata())
    hiker.lr_slider.value = 1.05 * LANDSCAPES_2D["valley"].edge_lr()
    assert hiker.hike.outcome == "fell" and "FELL OFF" in hiker.status.value
    assert hiker.overlay.value != before and list(hiker._trail.get_xdata()) != trail
    hiker.lr_slider.value = 0.02
    assert hiker.hike.outcome == "walking" and "flat direction" in hiker.status.value


def test_momentum_moves_the_edge_line(hiker):
    hiker.momentum_slider.value = 0.0
    assert hiker._edge_line.get_ydata()[0] == pytest.approx(1.0)
    hiker.momentum_slider.value = 0.9
    assert hiker._edge_line.get_ydata()[0] == pytest.approx(1.9)
    assert "1.9" in hiker.status.value
    hiker.momentum_slider.value = 0.0


def test_noise_the_new_sample_button_and_the_schedule(hiker):
    hiker.noise_slider.value = 1.0
    assert not hiker.resample_button.disabled
    first = hiker.hike.positions
    hiker.resample_button.click()
    assert hiker.hike.positions != first and "sample 1" in hiker.status.value
    hiker.schedule_dropdown.value = "cosine"
    assert set(hiker.param_controls) == {"T_max", "eta_min"} and hiker.hike.lrs[-1] < 1e-3
    hiker.param_controls["eta_min"].value = 0.05
    assert hiker.hike.lrs[-1] == pytest.approx(0.05, abs=1e-3)
    hiker.schedule_dropdown.value = "constant"
    hiker.noise_slider.value = 0.0
    assert hiker.resample_button.disabled


def test_steps_landscape_and_play(hiker):
    hiker.steps_slider.value = 50
    assert hiker.hike.steps == 50 and hiker.play.max == 50
    hiker.play_step()
    assert hiker.play.value == 0 and hiker.status.value.startswith("Step 0 of 50")
    hiker.play.value = 20
    assert hiker.status.value.startswith("Step 20 of 50")
    still = bytes(hiker.image.value)
    hiker.landscape_dropdown.value = "river"
    assert bytes(hiker.image.value) != still and hiker.hike.progress is not None
    assert "downstream" in hiker.status.value
    hiker.landscape_dropdown.value = "valley"
    hiker.steps_slider.value = 200


def test_a_fast_river_hike_runs_off_the_drawn_map_and_the_status_says_so():
    w = HikerMapWidget(landscape="river", lr=0.9, steps=1000)
    assert max(w.hike.xs) > LANDSCAPES_2D["river"].x_range[1]
    assert "went on downstream" in w.status.value and "map's edge" in w.off_map()
    # The path is drawn clipped to the map.
    assert max(w._trail.get_xdata()) <= LANDSCAPES_2D["river"].x_range[1]


def test_viewers_without_a_kernel_get_a_picture_and_the_story(hiker):
    bundle = hiker._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
    assert hiker.hike.story in bundle["text/plain"] and "<img" in bundle["text/html"]


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="landscape must be one of: valley, river"):
        HikerMapWidget(landscape="lake")
    with pytest.raises(TypeError, match="lr must be a number"):
        HikerMapWidget(lr="big")
    with pytest.raises(TypeError, match="has no parameter 'T_0'"):
        HikerMapWidget(schedule="cosine", T_0=3)
    w = HikerMapWidget(lr=50.0)
    assert w.lr_slider.value == pytest.approx(10.0)
    assert "outside its slider&#x27;s range" in w.status.value and w.hike.outcome == "fell"
