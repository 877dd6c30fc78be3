"""The hiker model: landscapes, outcomes, and the float path against torch.optim.SGD."""

from __future__ import annotations

import math
import random
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as lrs

from course_utils.hiker import LANDSCAPES, OUTCOMES, Hike, Landscape, simulate_hike
from course_utils.schedules import SCHEDULE_PRESETS, preview_schedule

BOWL = LANDSCAPES["bowl"]


def torch_hike(
    land: Landscape, lr: float, factory, steps: int, momentum: float, noise: float = 0.0,
    seed: int = 0,
) -> list[float]:
    """The same hike with a real torch.optim.SGD moving a float64 parameter.

    With noise, the gradient gets `noise` times the same standard normal draws as the hiker's.
    """
    x = torch.tensor([land.start], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr, momentum=momentum)
    draw = random.Random(seed).gauss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = factory(opt)
        positions = [x.item()]
        for i in range(steps):
            g = land.gradient(x.item()) + (noise * draw(0.0, 1.0) if noise else 0.0)
            x.grad = torch.tensor([g], dtype=torch.float64)
            opt.step()
            positions.append(x.item())
            if not land.on_ground(x.item()):
                break
            if i < steps - 1:
                if isinstance(scheduler, lrs.ReduceLROnPlateau):
                    scheduler.step(land.altitude(x.item()))
                else:
                    scheduler.step()
    return positions


def test_landscapes_are_complete_and_gradients_match_altitudes():
    assert set(LANDSCAPES) == {"bowl", "ravine", "ledge", "plateau"}
    for land in LANDSCAPES.values():
        lo, hi = land.x_range
        assert lo < land.floor < hi and lo < land.start < hi
        assert abs(land.gradient(land.floor)) < 1e-6, land.name
        for dip in land.dips:
            assert abs(land.gradient(dip)) < 1e-6 and land.altitude(dip) > land.altitude(land.floor)
        xs, ys = land.curve(50)
        assert len(xs) == len(ys) == 50 and xs[0] == lo and xs[-1] == hi
        assert land.ylim[0] < min(ys) and land.ylim[1] > max(ys)
        assert min(land.curve(2001)[1]) >= land.altitude(land.floor) - 1e-9, land.name
        h = 1e-6
        for x in xs[1:-1]:
            numeric = (land.altitude(x + h) - land.altitude(x - h)) / (2 * h)
            assert land.gradient(x) == pytest.approx(numeric, rel=1e-4, abs=1e-6), (land.name, x)


def test_bowl_diverges_exactly_above_two_over_curvature():
    assert BOWL.curvature == 2.0 and BOWL.stability_limit == 1.0
    limit = 2 / BOWL.curvature
    assert simulate_hike("bowl", 0.9 * limit, steps=300).outcome == "valley"
    assert simulate_hike("bowl", 1.1 * limit, steps=300).outcome == "fell"
    assert simulate_hike("bowl", limit, steps=300).outcome == "bouncing"


def test_ledge_small_lr_is_stuck_and_warm_restarts_reach_the_valley():
    small = simulate_hike("ledge", 0.05, steps=200)
    assert small.outcome == "stuck"
    assert abs(small.positions[-1] - LANDSCAPES["ledge"].dips[0]) < 0.05
    assert "dip" in small.story
    restarts = simulate_hike("ledge", 0.3, schedule="warm_restarts", steps=200)
    assert restarts.outcome == "valley"
    assert abs(restarts.positions[-1] - LANDSCAPES["ledge"].floor) < 0.05
    assert simulate_hike("ledge", 0.3, steps=200).outcome == "bouncing"


@pytest.mark.parametrize(
    ("landscape", "lr", "schedule", "outcome"),
    [
        ("bowl", 0.1, None, "valley"),
        ("bowl", 1e-4, None, "walking"),
        ("bowl", 3.0, None, "fell"),
        ("ravine", 0.3, None, "bouncing"),
        ("ravine", 0.3, "cosine", "valley"),
        ("ledge", 0.1, None, "stuck"),
        ("plateau", 0.1, None, "walking"),
        ("plateau", 1.0, None, "bouncing"),
        ("plateau", 1.0, "plateau", "valley"),
        ("plateau", 10.0, None, "fell"),
    ],
)
def test_each_outcome_is_reached(landscape, lr, schedule, outcome):
    hike = simulate_hike(landscape, lr, schedule=schedule, steps=200)
    assert hike.outcome == outcome, hike.story
    assert hike.story.endswith(".") and hike.story.count(". ") == 0


def test_outcomes_cover_every_name():
    seen = {
        simulate_hike(land, lr, schedule=sch).outcome
        for land, lr, sch in [
            ("bowl", 0.1, None),
            ("ledge", 0.1, None),
            ("ravine", 0.3, None),
            ("bowl", 3.0, None),
            ("plateau", 0.1, None),
        ]
    }
    seen.add(simulate_hike("bowl", 0.1, noise=1.0).outcome)
    assert seen == set(OUTCOMES)


def test_hike_records_every_step():
    hike = simulate_hike("ravine", 0.3, steps=50)
    assert isinstance(hike, Hike) and hike.steps == 50
    assert len(hike.positions) == len(hike.altitudes) == 51 and len(hike.lrs) == 50
    assert hike.altitudes[-1] == pytest.approx(LANDSCAPES["ravine"].altitude(hike.positions[-1]))


@pytest.mark.parametrize("name", sorted(SCHEDULE_PRESETS))
def test_lrs_equal_preview_schedule(name):
    steps, lr = 120, 0.3
    factory = SCHEDULE_PRESETS[name].factory(steps)
    hike = simulate_hike("bowl", lr, schedule=factory, steps=steps)
    assert hike.steps == steps
    metrics = hike.altitudes[1:] if SCHEDULE_PRESETS[name].per_metric else None
    assert hike.lrs == pytest.approx(preview_schedule(factory, steps, base_lr=lr, metrics=metrics))
    by_name = simulate_hike("bowl", lr, schedule=name, steps=steps)
    assert by_name.lrs == hike.lrs


def test_a_schedule_changes_the_stride():
    constant = simulate_hike("ravine", 0.3, steps=100)
    cosine = simulate_hike("ravine", 0.3, schedule="cosine", steps=100)
    assert set(constant.lrs) == {0.3}
    assert cosine.lrs[0] == 0.3 and cosine.lrs[-1] < 0.001
    assert cosine.positions != constant.positions


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("name", sorted(SCHEDULE_PRESETS))
def test_float_path_equals_torch_sgd(name, momentum):
    for land_name, lr in [("ravine", 0.5), ("ledge", 0.3), ("bowl", 1.2)]:
        land = LANDSCAPES[land_name]
        factory = SCHEDULE_PRESETS[name].factory(150)
        hike = simulate_hike(land, lr, schedule=factory, steps=150, momentum=momentum)
        reference = torch_hike(land, lr, factory, 150, momentum)
        assert len(hike.positions) == len(reference)
        for mine, theirs in zip(hike.positions, reference, strict=True):
            assert mine == pytest.approx(theirs, abs=1e-6, rel=1e-9)


def test_constant_lr_without_a_scheduler_equals_torch_sgd():
    hike = simulate_hike("ledge", 0.2, steps=100, momentum=0.5)
    reference = torch_hike(
        LANDSCAPES["ledge"], 0.2, lambda opt: lrs.ConstantLR(opt, 1.0, total_iters=0), 100, 0.5
    )
    assert hike.positions == pytest.approx(reference, abs=1e-6)


def test_falling_stops_the_hike_and_says_why():
    # The bowl's ground goes on past the map: the hike stops once it has diverged (FAR away),
    # and the story gives the step it left the map for good.
    hike = simulate_hike("bowl", 1.1, steps=300)
    assert hike.outcome == "fell" and hike.event_step == 2 < hike.steps < 300
    assert not BOWL.on_ground(hike.positions[-1]) and math.isnan(hike.altitudes[-1])
    assert all(not BOWL.on_map(x) for x in hike.positions[2:])
    assert "at step 2: each stride overshot more than the last" in hike.story
    # The ravine's map ends at cliffs: the first stride past the edge is the fall.
    cliff = simulate_hike("ravine", 5.0, steps=300)
    assert cliff.outcome == "fell" and cliff.event_step == cliff.steps == 1
    assert math.isnan(cliff.altitudes[-1]) and "carried the hiker past the edge" in cliff.story
    overflow = simulate_hike("bowl", 1e308, steps=5)
    assert overflow.outcome == "fell" and overflow.steps == 1


@pytest.mark.parametrize("landscape", sorted(LANDSCAPES))
def test_extreme_settings_never_raise(landscape):
    land = LANDSCAPES[landscape]
    lo, hi = land.x_range
    for lr in [0.0, 1e-12, 1e-4, 1.0, 1e3, 1e300, math.inf]:
        for steps in [0, 1, 2, 3000]:
            for start in [lo, hi, land.floor, lo - 1, math.nan]:
                for schedule in [None, "onecycle", "plateau", "warmup_cosine"]:
                    hike = simulate_hike(
                        land, lr, schedule=schedule, steps=steps, start=start, momentum=0.99
                    )
                    assert hike.outcome in OUTCOMES and hike.story
                    assert len(hike.positions) == len(hike.lrs) + 1 <= steps + 1


def test_every_preset_at_short_and_long_runs():
    for name in SCHEDULE_PRESETS:
        for steps in [1, 2, 5, 1000]:
            assert simulate_hike("ledge", 0.3, schedule=name, steps=steps).outcome in OUTCOMES


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="presets are"):
        simulate_hike("bowl", 0.1, schedule="cosinus")
    with pytest.raises(ValueError, match="lr must be a number >= 0"):
        simulate_hike("bowl", -0.1)
    with pytest.raises(TypeError, match="lr_scheduler"):
        simulate_hike("bowl", 0.1, schedule=lambda opt: opt)
