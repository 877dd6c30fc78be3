"""The hiker-on-a-map widget, driven headless: set control values and assert the effect."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest
from test_widget_access import assert_every_control_is_named

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
    assert w.image.png.startswith(PNG) and "<svg" in w.overlay.value


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
    still = hiker.image.png
    hiker.landscape_dropdown.value = "river"
    assert hiker.image.png != still and hiker.hike.progress is not None
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


def test_every_control_has_a_name_whatever_the_schedule():
    w = HikerMapWidget()
    for name in ("constant", "warm_restarts", "onecycle", "plateau", "wsd"):
        w.schedule_dropdown.value = name
        assert_every_control_is_named(w)
        boxes = [c for c in w.params_box.children if isinstance(c, widgets.BoundedFloatText
                                                                    | widgets.BoundedIntText)]
        assert [b.description for b in boxes] == list(w.param_controls)
    assert w.lr_box.description == "learning rate (LR)" and w.steps_box.description == "steps"


def test_the_number_boxes_set_the_sliders_and_the_hike():
    w = HikerMapWidget(lr=0.5)
    assert w.lr_box.value == pytest.approx(0.5)  # the value, not the slider's exponent
    w.lr_box.value = 0.3  # typed: exactly this LR
    assert w.lr_slider.value == 0.3 and w.hike.lrs[0] == 0.3
    w.momentum_box.value = 0.9
    assert w.momentum_slider.value == 0.9 and w._edge_line.get_ydata()[0] == pytest.approx(1.9)
    w.steps_box.value = 40
    assert w.hike.steps == 40 and w.play.max == 40
    w.lr_box.value = 50.0  # beyond the range: the box and the slider stop at its end
    assert w.lr_slider.value == 10.0 and w.hike.outcome == "fell"


def test_the_status_is_a_polite_live_region_that_says_the_lr_and_the_outcome():
    w = HikerMapWidget(lr=0.5)
    w.lr_slider.value = 0.4
    status = w.status.value
    assert 'aria-live="polite"' in status and 'role="status"' in status
    assert "LR 0.4, constant schedule:" in status and "VALLEY" in status
    assert '<span aria-hidden="true">✔</span>' in status  # the symbol only repeats the word
    w.schedule_dropdown.value = "cosine"
    assert "LR 0.4, cosine schedule:" in w.status.value
    # A frame of Play is not announced (it would talk over itself 20 times a second).
    w.play.value = 1
    assert "aria-live" not in w.status.value and "Step 1 of" in w.status.value


def test_play_has_labelled_controls():
    w = HikerMapWidget()
    toggle, stop, repeat, play = w.play_row.children
    assert w.play_row in w.children and w.play not in w.children
    assert "hiker-play" in w.play_row._dom_classes
    assert play is w.play and play.layout.display == "none"
    assert (toggle.description, stop.description, repeat.description) == (
        "play the hike", "stop", "repeat")
    playing = "playing" if "playing" in w.play.trait_names() else "_playing"  # 7.7: _playing
    toggle.value = True
    assert getattr(w.play, playing) is True and toggle.description == "pause"
    w.play.value = 5
    stop.click()
    assert getattr(w.play, playing) is False and w.play.value == w.play.min


@pytest.mark.parametrize(("landscape", "base"), [("valley", "valley floor"),
                                                 ("river", "river")])
def test_the_picture_names_the_hiker_the_start_and_the_floor(landscape, base):
    w = HikerMapWidget(landscape=landscape)
    texts = [t.get_text() for t in w._world.texts]
    legend = [t.get_text() for t in w._world.get_legend().get_texts()]
    assert base in texts and "start" in texts
    assert any(t.startswith("hiker") for t in legend)
    titles = [ax.get_title() for ax in w._figure.axes]
    assert "LR at each step" in titles and f"height above the {base}" in titles
    assert 'role="img" aria-label="The hiker&#x27;s map, ' in w.overlay.value
    assert f"the {base} and the starting position, &#x27;start&#x27;, marked" in w.overlay.value
    assert "The hike so far, " in w.overlay.value
    w.play.value = 3
    assert "The hike so far, the hiker at step 3, at (" in w.overlay.value
    assert not (w.image.traits().get("tooltip") and w.image.tooltip)  # breaks ipywidgets 8.1
    assert "starting position" in w._repr_mimebundle_()["text/html"]


def test_moving_a_slider_pauses_play_on_every_ipywidgets():
    from course_utils.hiker_map_widget import HikerMapWidget

    hiker = HikerMapWidget(landscape="valley")
    trait = "playing" if "playing" in hiker.play.trait_names() else "_playing"
    setattr(hiker.play, trait, True)
    hiker.lr_slider.value = hiker.lr_slider.value / 2
    assert getattr(hiker.play, trait) is False
