"""The plateau view: the plot of a trace, and the widget with a slider per parameter."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from course_utils import PlateauWidget, plot_plateau, simulate_plateau
from course_utils.plateau import PlateauTrace, scripted_losses
from course_utils.plateau_widget import zoom_start

FLAT = [1.0, 0.9] + [0.9] * 10  # one improvement, then nothing


def test_plot_returns_the_axes_with_drops_marked_and_lr_on_a_twin():
    trace = simulate_plateau(FLAT, factor=0.5, patience=2, threshold=0.0)
    fig, ax = plt.subplots()
    try:
        assert plot_plateau(trace, ax=ax) is ax
        twins = [a for a in fig.axes if a is not ax]
        assert len(twins) == 1 and twins[0].get_yscale() == "log"
        dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert [ln.get_xdata()[0] for ln in dotted] == [5.5, 8.5, 11.5]
    finally:
        plt.close(fig)


def test_zoom_starts_before_the_first_bad_epoch_and_draws_only_from_there():
    losses = scripted_losses("noisy_plateau", seed=0, epochs=30)
    trace = simulate_plateau(losses, factor=0.5, patience=2, threshold=0.01, cooldown=2)
    assert trace.first_bad_epoch == 14 and zoom_start(trace) == 12
    fig, ax = plt.subplots()
    try:
        plot_plateau(trace, ax=ax, first_epoch=12)
        loss_line = ax.get_lines()[0]
        assert list(loss_line.get_xdata()) == list(range(12, 31))
        assert max(loss_line.get_ydata()) < 0.44  # the zoom spans the plateau, not the fall
        assert ax.get_title() == "zoom: epochs 12 to 30"
    finally:
        plt.close(fig)


def test_widget_changing_patience_moves_the_drops(monkeypatch):
    import IPython.display

    def no_display(*args, **kwargs):
        raise AssertionError("the widget must not display itself")

    monkeypatch.setattr(IPython.display, "display", no_display)
    figures = plt.get_fignums()
    w = PlateauWidget(FLAT, factor=0.5, patience=2, threshold=1e-4)
    assert isinstance(w.trace, PlateauTrace) and w.trace.drop_epochs == [5, 8, 11]
    first_png, first_status = w.picture.png, w.status.value
    assert "5, 8, 11" in first_status
    w.patience.value = 4
    assert w.trace.drop_epochs == [7, 12]
    assert "after epoch 7, 12:" in w.status.value
    assert w.picture.png != first_png and w.picture.png[:4] == b"\x89PNG"
    assert base64.b64encode(w.picture.png).decode() in w.picture.value
    w.cooldown.value = 0
    w.min_lr.value = 0.01
    w.factor.value = 0.05
    assert w.trace.final_lr == pytest.approx(0.01)
    assert plt.get_fignums() == figures  # drawn off-screen, nothing left open


def test_widget_every_control_feeds_the_scheduler():
    w = PlateauWidget(kind="noisy_plateau", seed=0, epochs=30)
    w.threshold_mode.value = "abs"
    w.threshold.value = 0.01
    w.cooldown.value = 2
    expected = simulate_plateau(w.losses, **w.settings())
    assert w.trace.rows == expected.rows
    assert w.settings()["threshold_mode"] == "abs" and w.settings()["cooldown"] == 2


def test_widget_shows_a_static_picture_outside_a_live_kernel():
    w = PlateauWidget(FLAT, patience=2)
    bundle = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert bundle["text/plain"] == w.trace.summary()  # no clamp notes to add
    assert bundle["image/png"] in bundle["text/html"] and "LR cut after" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_widget_says_when_it_clamps_a_value_to_its_slider():
    w = PlateauWidget(FLAT, patience=30, factor=1.0)
    assert w.patience.value == 20 and w.factor.value == 0.95
    assert "patience=30 is outside the slider range 0 to 20, so it starts at 20" in w.status.value
    assert "factor=1 is outside" in w.status.value
    assert "patience=30" in w._repr_mimebundle_()["text/plain"]
    assert "outside" not in PlateauWidget(FLAT, patience=2).status.value


@pytest.mark.parametrize("kwargs, name", [(dict(mode="maximum"), "mode"),
                                          (dict(threshold_mode="relative"), "threshold_mode"),
                                          (dict(min_lr=-1.0), "min_lr")])
def test_widget_refuses_impossible_settings_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PlateauWidget(FLAT, **kwargs)


def test_every_slider_at_either_end_shows_a_run():
    w = PlateauWidget(kind="noisy_plateau", seed=0, epochs=20)
    for control in (w.factor, w.patience, w.threshold, w.cooldown):
        base = getattr(control, "base", None)  # a log slider's min and max are exponents
        for end in (control.min, control.max):
            value = base**end if base else end
            control.value = value
            assert w.trace.settings[control.description] == pytest.approx(value)
            assert len(w.trace.rows) == 20 and w.picture.png[:4] == b"\x89PNG"
    w.min_lr.value = w.min_lr.options[-1][1]
    assert w.trace.final_lr >= w.min_lr.value


def test_the_alt_text_says_where_the_zoom_starts_or_that_there_is_none():
    from course_utils.plateau_widget import describe

    falling = simulate_plateau([3.0, 2.0, 1.0, 0.5])  # never a bad epoch: the zoom is the run
    assert "the whole run of 4 epochs, on the left and again on the right" in describe(falling)
    flat = simulate_plateau([5.0, 4.0, 3.0, 2.0] + [1.0] * 8, patience=2)
    zoom = zoom_start(flat)
    assert zoom > 1 and f"a zoom from epoch {zoom}:" in describe(flat)
    assert describe(flat).endswith(flat.summary())
