"""Peak-LR sweeps: every run is the hike (or the training run) it says, and the reading is right."""

from __future__ import annotations

import math
import statistics

import pytest

from course_utils.hiker import simulate_hike
from course_utils.sweep import Sweep, sweep_digits, sweep_hiker

PEAKS = (0.01, 0.02, 0.1, 0.5)


@pytest.fixture(scope="module")
def bowl() -> Sweep:
    return sweep_hiker(PEAKS, seeds=range(10))


def test_each_value_is_the_hike_it_names(bowl):
    assert bowl.schedules == ("constant", "cosine", "wsd", "step")
    assert bowl.seeds == tuple(range(10))
    for name in ("constant", "wsd"):
        for i, peak in enumerate(PEAKS):
            expected = [simulate_hike("bowl", peak, schedule=name, noise=1.0, seed=s).height
                        for s in range(10)]
            assert bowl.values[name][i] == pytest.approx(expected)
            assert bowl.means(name)[i] == pytest.approx(statistics.fmean(expected))
            assert bowl.spreads(name)[i] == (min(expected), max(expected))


def test_the_bowl_reading_a_tuned_constant_and_a_forgiving_schedule(bowl):
    constant_peak, constant_best = bowl.best("constant")
    # A tuned constant beats an untuned schedule started far too high or too low ...
    assert constant_best < bowl.means("wsd")[PEAKS.index(0.5)]
    # ... the best schedule ends lower than the best constant ...
    assert min(bowl.best(name)[1] for name in ("cosine", "wsd", "step")) < constant_best
    # ... and cosine stays good over a wider range of peaks than the constant.
    bar = 2 * constant_best
    assert len(bowl.good_peaks("cosine", bar)) > len(bowl.good_peaks("constant", bar))
    assert constant_peak in bowl.good_peaks("constant", bar)
    table = bowl.table()
    assert "mean over 10 seeds" in table and table.count("*") == 4


def test_a_fallen_hike_counts_as_infinitely_high():
    sweep = sweep_hiker([1.5], schedules=["constant"], seeds=[0], steps=50)
    assert sweep.values["constant"] == [[math.inf]]


def test_the_digits_sweep_trains_each_schedule_at_each_peak():
    sweep = sweep_digits([0.1, 1.0], schedules=["constant", "wsd"], seeds=[0], epochs=1,
                         train_size=640)
    assert sweep.peaks == (0.1, 1.0) and sweep.metric == "final validation loss"
    for name in ("constant", "wsd"):
        assert all(0 < v[0] < 3 for v in sweep.values[name])
    # A larger LR learns faster in one short epoch.
    assert sweep.means("constant")[1] < sweep.means("constant")[0]


def test_bad_arguments_get_clear_errors(bowl):
    with pytest.raises(ValueError, match="peaks must be a non-empty list"):
        sweep_hiker([])
    with pytest.raises(TypeError, match="peaks must be a non-empty list"):
        sweep_hiker(0.1)
    with pytest.raises(ValueError, match="each peak must be a finite number greater than 0"):
        sweep_hiker([0.0])
    with pytest.raises(ValueError, match="'cosin' is not one of them"):
        sweep_hiker([0.1], schedules=["cosin"])
    with pytest.raises(TypeError, match="seeds must be"):
        sweep_hiker([0.1], seeds=3)
    with pytest.raises(ValueError, match="'step' is not one of them"):
        sweep_digits([0.1], schedules=["step"])
    with pytest.raises(ValueError, match="schedule must be one of"):
        bowl.means("onecycle")
