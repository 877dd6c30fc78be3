"""The hiker on a map: the valley's edge, the river's claims, the path against torch SGD."""

from __future__ import annotations

import math
import random
import statistics
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as lrs

import course_utils
from course_utils.hiker_map import (
    LANDSCAPES_2D,
    OUTCOME_RULES_2D,
    OUTCOMES_2D,
    Hike2D,
    Landscape2D,
    simulate_hike_2d,
)

VALLEY, RIVER = LANDSCAPES_2D["valley"], LANDSCAPES_2D["river"]
SEEDS = range(10)


def torch_path(land, lr, factory, steps, momentum, noise=0.0, seed=0):
    """The same hike with torch.optim.SGD moving a float64 (x, y), the same noise draws."""
    p = torch.tensor(land.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    draw = random.Random(seed).gauss
    path = [tuple(p.tolist())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = factory(opt) if factory else None
        for i in range(steps):
            gx, gy = land.gradient(*p.tolist())
            if noise:
                gx, gy = gx + noise * draw(0.0, 1.0), gy + noise * draw(0.0, 1.0)
            p.grad = torch.tensor([gx, gy], dtype=torch.float64)
            opt.step()
            path.append(tuple(p.tolist()))
            if scheduler is not None and i < steps - 1:
                scheduler.step()
    return path


def test_maps_are_complete_and_gradients_match_altitudes():
    assert set(LANDSCAPES_2D) >= {"valley", "river"}
    assert 10 <= VALLEY.condition_number <= 20
    for land in LANDSCAPES_2D.values():
        assert isinstance(land, Landscape2D)
        for x, y in [(0.3, -0.7), (-2.0, 1.1), (4.0, 0.2)]:
            gx, gy = land.gradient(x, y)
            h = 1e-6
            assert gx == pytest.approx((land.altitude(x + h, y) - land.altitude(x - h, y)) / 2 / h,
                                       abs=1e-5)
            assert gy == pytest.approx((land.altitude(x, y + h) - land.altitude(x, y - h)) / 2 / h,
                                       abs=1e-5)
    assert VALLEY.gradient(0.0, 0.0) == (0.0, 0.0) and VALLEY.height(0.0, 0.0) == 0.0
    # The river bed: no slope across, downhill along, height 0 whatever the x.
    for x in (0.0, 7.0, 25.0, 400.0):
        y = RIVER.river(x)
        assert RIVER.gradient(x, y)[1] == 0.0 and RIVER.gradient(x, y)[0] < 0
        assert RIVER.height(x, y) == 0.0
        assert RIVER.altitude(x + 1, RIVER.river(x + 1)) < RIVER.altitude(x, y)
    assert set(OUTCOME_RULES_2D) == set(OUTCOMES_2D)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_valley_edge_is_2_1_plus_mu_over_a_sharp(momentum):
    edge = VALLEY.edge_lr(momentum)
    assert edge == pytest.approx(2 * (1 + momentum) / VALLEY.sharp)
    below = simulate_hike_2d("valley", 0.95 * edge, momentum=momentum)
    above = simulate_hike_2d("valley", 1.05 * edge, momentum=momentum)
    assert below.outcome == "valley" and below.height < 1e-3, below.story
    assert above.outcome == "fell" and "Fell" in above.story, above.story


def test_a_small_lr_crawls_along_the_flat_direction():
    hike = simulate_hike_2d("valley", 0.05)
    assert hike.outcome == "walking" and "flat direction" in hike.story
    # It has come down the steep wall but not along the floor.
    assert abs(hike.ys[-1]) < 0.1 < abs(hike.xs[-1])


def test_the_path_is_torch_sgd_step_by_step():
    cases = [
        (VALLEY, 0.4, None, 0.0, 0.0),
        (VALLEY, 0.6, lambda opt: lrs.CosineAnnealingLR(opt, T_max=60), 0.9, 0.0),
        (RIVER, 0.5, lambda opt: lrs.StepLR(opt, step_size=20, gamma=0.5), 0.5, 1.0),
    ]
    for land, lr, factory, momentum, noise in cases:
        hike = simulate_hike_2d(land, lr, schedule=factory, steps=60, momentum=momentum,
                                noise=noise, seed=3)
        reference = torch_path(land, lr, factory, 60, momentum, noise, seed=3)
        assert len(hike.positions) == len(reference) == 61
        for mine, theirs in zip(hike.positions, reference, strict=True):
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-9)


def test_a_preset_name_sets_every_strides_lr():
    hike = simulate_hike_2d("river", 0.5, schedule="cosine", steps=50)
    assert hike.lrs[0] == 0.5 and hike.lrs[-1] < 0.01
    assert all(b <= a for a, b in zip(hike.lrs, hike.lrs[1:], strict=False))
    assert len(hike.momenta) == 50 and len(hike.positions) == 51 == len(hike.altitudes)
    assert hike.xs == [p[0] for p in hike.positions] and hike.ys == [p[1] for p in hike.positions]


def test_without_noise_a_hike_is_deterministic_and_a_seed_repeats_its_hike():
    a = simulate_hike_2d("river", 0.6, schedule="wsd", seed=1)
    b = simulate_hike_2d("river", 0.6, schedule="wsd", seed=2)
    assert a.positions == b.positions
    noisy = [simulate_hike_2d("river", 0.6, noise=1.0, seed=s) for s in (5, 5, 6)]
    assert noisy[0].positions == noisy[1].positions and noisy[0].story == noisy[1].story
    assert noisy[0].positions != noisy[2].positions
    assert noisy[0].noise == 1.0 and noisy[0].seed == 5


def _mean(hikes, what):
    return statistics.fmean(what(h) for h in hikes)


def test_on_the_river_a_large_lr_travels_farther_and_bounces_higher():
    edge = RIVER.edge_lr()
    fast = [simulate_hike_2d("river", 0.7 * edge, noise=1.0, seed=s) for s in SEEDS]
    slow = [simulate_hike_2d("river", 0.05 * edge, noise=1.0, seed=s) for s in SEEDS]
    assert _mean(fast, lambda h: h.progress) > _mean(slow, lambda h: h.progress)
    assert _mean(fast, lambda h: h.height) > _mean(slow, lambda h: h.height)
    assert all(h.outcome in OUTCOMES_2D for h in fast + slow)
    assert "downstream" in fast[0].story
    assert VALLEY.edge_lr() and simulate_hike_2d("valley", 0.1).progress is None


def test_on_the_river_the_best_decaying_run_ends_lower_than_the_best_constant():
    edge = RIVER.edge_lr()
    peaks = [0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]

    def best(schedule):
        return min(
            _mean([simulate_hike_2d("river", f * edge, schedule=schedule, noise=1.0, seed=s)
                   for s in SEEDS], lambda h: h.mean_altitude(10))
            for f in peaks
        )

    constant = best(None)
    assert best("wsd") < constant
    assert best("cosine") < constant


def test_a_hike_that_falls_stops_and_says_so():
    hike = simulate_hike_2d("river", 1.2 * RIVER.edge_lr(), steps=300)
    assert hike.outcome == "fell" and math.isnan(hike.height)
    assert hike.steps < 300 or not math.isfinite(hike.altitudes[-1])


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="landscape must be one of: valley, river"):
        simulate_hike_2d("lake", 0.1)
    with pytest.raises(TypeError, match="landscape must be a name"):
        simulate_hike_2d(3, 0.1)
    with pytest.raises(TypeError, match="lr must be a number"):
        simulate_hike_2d("valley", "0.1")
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        simulate_hike_2d("valley", -0.1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        simulate_hike_2d("valley", 0.1, momentum=1.0)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        simulate_hike_2d("valley", 0.1, noise=-1)
    with pytest.raises(TypeError, match="steps must be a whole number"):
        simulate_hike_2d("valley", 0.1, steps=2.5)
    with pytest.raises(TypeError, match=r"start must be an \(x, y\) pair"):
        simulate_hike_2d("valley", 0.1, start=1.0)
    with pytest.raises(ValueError, match="start must be a finite"):
        simulate_hike_2d("valley", 0.1, start=(math.inf, 0))
    with pytest.raises(ValueError, match="Unknown schedule 'cosin'"):
        simulate_hike_2d("valley", 0.1, schedule="cosin")
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        VALLEY.edge_lr(1.5)
    with pytest.raises(ValueError, match="last must be"):
        simulate_hike_2d("valley", 0.1).mean_altitude(0)


def test_the_names_are_exported_lazily():
    assert course_utils.simulate_hike_2d is simulate_hike_2d
    assert course_utils.Hike2D is Hike2D and course_utils.Landscape2D is Landscape2D
    assert course_utils.LANDSCAPES_2D is LANDSCAPES_2D
