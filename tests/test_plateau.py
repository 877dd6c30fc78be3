"""The plateau simulator agrees with torch's ReduceLROnPlateau, and explains each epoch."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from torch.optim.lr_scheduler import ReduceLROnPlateau

from course_utils import simulate_plateau
from course_utils.plateau import SCRIPTS, scripted_losses
from course_utils.schedules import preview_schedule

FLAT = [1.0, 0.9] + [0.9] * 10  # one improvement, then nothing


def plateau_preview(losses, base_lr=0.1, **kw):
    factory = lambda o: ReduceLROnPlateau(o, **kw)  # noqa: E731
    return preview_schedule(factory, len(losses) + 1, base_lr=base_lr, metrics=losses)


SETTINGS = [
    dict(mode="min", factor=f, patience=p, threshold=t, threshold_mode=tm, cooldown=c,
         min_lr=m)
    for f, p, (t, tm), c, m in itertools.product(
        [0.1, 0.5], [0, 2, 5], [(1e-4, "rel"), (0.05, "rel"), (0.01, "abs")], [0, 3],
        [0.0, 0.02])
]


@pytest.mark.parametrize("kind", SCRIPTS)
def test_agrees_with_preview_schedule_for_many_settings(kind):
    losses = scripted_losses(kind, seed=3, epochs=40)
    for settings in SETTINGS:
        trace = simulate_plateau(losses, **settings)
        expected = plateau_preview(losses, **settings)
        assert trace.lrs == expected[:-1], settings  # the LR each epoch trains at
        assert trace.final_lr == expected[-1], settings
        assert [r.next_lr for r in trace.rows] == expected[1:], settings


def test_mode_max_agrees_too():
    accuracy = [0.5, 0.7, 0.8, 0.85, 0.86, 0.86, 0.85, 0.86, 0.86, 0.87, 0.86, 0.86]
    trace = simulate_plateau(accuracy, mode="max", factor=0.5, patience=1, threshold=0.01)
    assert trace.lrs == plateau_preview(accuracy, mode="max", factor=0.5, patience=1,
                                        threshold=0.01)[:-1]
    assert trace.drop_epochs  # the accuracy stalls
    assert "needed above" in trace.rows[-1].reason or "in cooldown" in trace.rows[-1].reason


def test_patience_two_drops_at_the_hand_computed_epochs():
    # best 0.9 at epoch 2; epochs 3, 4, 5 are bad: the third bad epoch (3 > 2) cuts the LR
    trace = simulate_plateau(FLAT, factor=0.5, patience=2, threshold=0.0)
    assert trace.bad_epochs[:5] == [0, 0, 1, 2, 0]
    assert trace.drop_epochs == [5, 8, 11]
    assert trace.lrs[4] == 0.1 and trace.lrs[5] == 0.05  # epoch 6 trains at the cut LR
    assert "3 bad epochs > patience 2" in trace.rows[4].reason
    assert "0.1 x 0.5 = 0.05" in trace.rows[4].reason


def test_cooldown_delays_the_next_drop():
    trace = simulate_plateau(FLAT, factor=0.5, patience=2, threshold=0.0, cooldown=2)
    assert trace.drop_epochs == [5, 10]  # two cooldown epochs, then three bad ones
    assert [r.cooldown for r in trace.rows[4:8]] == [2, 1, 0, 0]
    assert [r.bad_epochs for r in trace.rows[4:8]] == [0, 0, 0, 1]
    assert "in cooldown, not counted" in trace.rows[5].reason


def test_threshold_ignores_tiny_improvements():
    creeping = [1.0 - 1e-5 * k for k in range(8)]  # better by 0.001% an epoch
    strict = simulate_plateau(creeping, factor=0.5, patience=2, threshold=1e-4)
    assert not any(r.improved for r in strict.rows[1:])
    assert strict.best[:4] == [1.0] * 4
    assert strict.drop_epochs == [4, 7]
    assert "needed below 0.9999" in strict.rows[1].reason
    lenient = simulate_plateau(creeping, factor=0.5, patience=2, threshold=1e-6)
    assert all(r.improved for r in lenient.rows[1:])
    assert lenient.drop_epochs == []


def test_abs_threshold_ignores_noise_of_that_size():
    noisy = [1.0, 0.5, 0.49, 0.51, 0.495, 0.3, 0.31, 0.305]
    trace = simulate_plateau(noisy, patience=5, threshold=0.02, threshold_mode="abs")
    assert [r.improved for r in trace.rows] == [True, True, False, False, False, True, False,
                                                False]
    assert trace.best == [1.0, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3]


def test_min_lr_stops_the_cuts_and_says_so():
    trace = simulate_plateau(FLAT, factor=0.1, patience=2, threshold=0.0, min_lr=0.01)
    assert trace.drop_epochs == [5]
    assert trace.final_lr == pytest.approx(0.01)
    assert "already at min_lr" in trace.rows[7].reason


def test_table_is_rounded_and_repeatable():
    losses = scripted_losses("noisy_plateau", seed=0, epochs=30)
    a = simulate_plateau(losses, factor=0.5, patience=3, threshold=1e-2)
    b = simulate_plateau(losses, factor=0.5, patience=3, threshold=1e-2)
    assert a.table() == b.table() and repr(a) == repr(b)
    lines = a.table().splitlines()
    assert len(lines) == 2 + 30
    assert lines[2].split()[:4] == ["1", f"{losses[0]:.4f}", "0.1", f"{losses[0]:.4f}"]
    html = a._repr_html_()
    assert html.count("<tr") == 31 and html.count("background") == len(a.drop_epochs)


def test_summary_names_each_drop():
    trace = simulate_plateau(FLAT, factor=0.5, patience=2, threshold=0.0)
    assert trace.summary() == "LR cut after epoch 5, 8, 11: 0.1 -> 0.05 -> 0.025 -> 0.0125."
    assert "No drop" in simulate_plateau([3.0, 2.0, 1.0]).summary()


@pytest.mark.parametrize("kind", SCRIPTS)
def test_scripted_losses_are_deterministic(kind):
    a = scripted_losses(kind, seed=1, epochs=25)
    assert a == scripted_losses(kind, seed=1, epochs=25)
    assert len(a) == 25 and all(round(v, 4) == v for v in a)
    assert a[0] > a[10]  # every script starts by improving


def test_noise_depends_on_the_seed_and_unknown_kinds_are_refused():
    assert scripted_losses("noisy_plateau", seed=0) != scripted_losses("noisy_plateau", seed=1)
    with pytest.raises(ValueError, match="noisy_plateau"):
        scripted_losses("wobbly")


def test_first_bad_epoch_is_the_first_that_does_not_improve():
    assert simulate_plateau(FLAT, patience=2, threshold=0.0).first_bad_epoch == 3
    assert simulate_plateau([3.0, 2.0, 1.0]).first_bad_epoch is None


def test_the_model_and_the_checks_import_no_widgets_and_no_pyplot():
    # The headless checker imports these; a widget or pyplot import would pull in a GUI stack.
    code = (
        "import importlib, sys\n"
        "for name in ['course_utils.plateau', 'course_utils.grader.engine',"
        " 'course_utils.grader.exercises']"
        " + [f'course_utils.grader.exercises.lesson0{i}' for i in range(1, 7)]:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in ('ipywidgets', 'matplotlib.pyplot') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_eps_stops_the_cuts_and_says_so():
    flat = [1.0] * 8
    trace = simulate_plateau(flat, base_lr=1e-6, factor=0.1, patience=0, threshold=0.0)
    assert trace.drop_epochs == [2, 3] and trace.final_lr == pytest.approx(1e-8)
    assert "less than eps 1e-08" in trace.rows[3].reason
    assert len(simulate_plateau(flat, base_lr=1e-6, factor=0.1, patience=0, threshold=0.0,
                                eps=0.0).drop_epochs) == 7


def test_a_relative_threshold_on_a_negative_metric_counts_worse_as_better():
    worse_each_epoch = [-1.62, -1.60, -1.59, -1.57, -1.56]
    rel = simulate_plateau(worse_each_epoch, patience=1, threshold=0.02)
    assert all(r.improved for r in rel.rows) and rel.drop_epochs == []
    assert "though worse than -1.62" in rel.rows[1].reason
    absolute = simulate_plateau(worse_each_epoch, patience=1, threshold=0.02,
                                threshold_mode="abs")
    assert absolute.drop_epochs == [3, 5]
