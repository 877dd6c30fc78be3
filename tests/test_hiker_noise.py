"""The hiker under noise, the momentum-aware edge, and today's noiseless hikes kept exactly."""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

import pytest
import torch

from course_utils.hiker import (
    LANDSCAPES,
    OUTCOME_RULES,
    OUTCOMES,
    Landscape,
    simulate_hike,
)
from course_utils.schedules import SCHEDULE_PRESETS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_hiker_reference import OUT as REFERENCE
from make_hiker_reference import digest
from test_hiker import torch_hike

BOWL = LANDSCAPES["bowl"]
SEEDS = range(20)


# ---- noise = 0 walks today's hikes, position for position -------------------------------------
def test_noiseless_hikes_equal_the_recorded_reference():
    """Recorded from the model before noise existed (tests/make_hiker_reference.py)."""
    rows = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert len(rows) == 300
    changed = []
    for row in rows:
        hike = simulate_hike(row["landscape"], row["lr"], schedule=row["schedule"],
                             steps=row["steps"], momentum=row["momentum"], noise=0.0, seed=7)
        # Every position the old hike walked is walked again, bit for bit.
        assert digest(hike.positions[: row["n"]]) == row["sha256"], row
        assert hike.positions[: len(row["first3"])] == row["first3"]
        if row["outcome"] == "fell" and LANDSCAPES[row["landscape"]].open_ends:
            # The old bowl ended at its map's edge; now the ground goes on, so a hiker that
            # left the map walks on: it either comes back (momentum) or diverges, as torch does.
            assert hike.outcome in ("fell", "valley", "bouncing"), row
            assert len(hike.positions) > row["n"]
            if hike.outcome != "fell":
                assert max(abs(x) for x in hike.positions) > BOWL.x_range[1]
                changed.append(row)
            continue
        assert len(hike.positions) == row["n"], row
        if hike.outcome != row["outcome"]:
            # The one verdict fix: a hiker that ends on the valley marker is never 'walking'.
            assert (row["outcome"], hike.outcome) == ("walking", "valley"), row
            assert abs(hike.positions[-1] - hike.landscape.floor) < hike.landscape.tolerance
            changed.append(row)
    assert 0 < len(changed) < 40


def test_noise_zero_ignores_the_seed():
    for seed in (0, 1, 12345):
        hike = simulate_hike("ledge", 0.3, schedule="cosine", momentum=0.5, seed=seed)
        assert hike.positions == simulate_hike("ledge", 0.3, schedule="cosine",
                                               momentum=0.5).positions


# ---- noise: reproducible, different across seeds, and the same update as torch ------------------
def test_noisy_hikes_are_reproducible_by_seed_and_differ_across_seeds():
    hikes = [simulate_hike("ravine", 0.2, schedule="cosine", noise=0.5, seed=s) for s in range(5)]
    again = [simulate_hike("ravine", 0.2, schedule="cosine", noise=0.5, seed=s) for s in range(5)]
    assert [h.positions for h in hikes] == [h.positions for h in again]
    assert len({tuple(h.positions) for h in hikes}) == 5
    assert hikes[0].positions != simulate_hike("ravine", 0.2, schedule="cosine").positions
    assert hikes[0].noise == 0.5 and hikes[3].seed == 3


@pytest.mark.parametrize("name", ["constant", "cosine", "onecycle", "plateau"])
def test_noisy_path_equals_torch_sgd_with_the_same_draws(name):
    for land_name, lr in [("ravine", 0.3), ("bowl", 0.4)]:
        land = LANDSCAPES[land_name]
        factory = SCHEDULE_PRESETS[name].factory(120)
        hike = simulate_hike(land, lr, schedule=factory, steps=120, momentum=0.9, noise=0.7,
                             seed=3)
        reference = torch_hike(land, lr, factory, 120, 0.9, noise=0.7, seed=3)
        assert hike.positions == pytest.approx(reference, abs=1e-6, rel=1e-9)


def test_plateau_scheduler_is_fed_the_exact_altitude_where_the_hiker_stands():
    hike = simulate_hike("plateau", 1.0, schedule="plateau", noise=0.3, seed=1)
    land = hike.landscape
    assert all(a == land.altitude(x) for x, a in zip(hike.positions, hike.altitudes, strict=True))
    from course_utils.schedules import preview_schedule

    factory = SCHEDULE_PRESETS["plateau"].factory(200)
    assert hike.lrs == pytest.approx(
        preview_schedule(factory, 200, base_lr=1.0, metrics=hike.altitudes[1:]))


def final_heights(schedule: str, lr: float = 0.3, noise: float = 1.0) -> list[float]:
    return [simulate_hike("bowl", lr, schedule=schedule, noise=noise, seed=s).height
            for s in SEEDS]


@pytest.mark.parametrize("decay", ["step", "cosine", "exponential"])
def test_decay_ends_lower_than_constant_under_noise_over_many_seeds(decay):
    constant, decayed = final_heights("constant"), final_heights(decay)
    assert statistics.mean(decayed) < 0.5 * statistics.mean(constant)
    lower = sum(d < c for d, c in zip(decayed, constant, strict=True))
    assert lower >= 15, f"{decay} ended lower than constant in only {lower} of 20 seeds"


def test_a_constant_lr_hovers_higher_the_larger_the_lr():
    means = [statistics.mean(final_heights("constant", lr)) for lr in (0.03, 0.1, 0.3)]
    assert means[0] < means[1] < means[2]
    hike = simulate_hike("bowl", 0.3, noise=1.0)
    assert hike.outcome == "hovering"
    window = hike.positions[-20:]
    mean = statistics.mean(BOWL.altitude(x) - BOWL.altitude(BOWL.floor) for x in window)
    assert f"on average {mean:.2g} above it" in hike.story


def test_heights_are_measured_from_the_floor():
    ledge = LANDSCAPES["ledge"]
    assert ledge.height(ledge.floor) == 0
    assert ledge.height(ledge.dips[0]) == pytest.approx(
        ledge.altitude(ledge.dips[0]) - ledge.altitude(ledge.floor))
    assert math.isnan(simulate_hike("ravine", 5.0).height)
    assert simulate_hike("bowl", 0.1).height == pytest.approx(0, abs=1e-12)


# ---- every outcome is declared, and every combination gives one -----------------------------
def test_every_outcome_has_one_documented_rule():
    assert set(OUTCOME_RULES) == set(OUTCOMES)
    assert all(rule.strip().endswith((".", ")")) for rule in OUTCOME_RULES.values())
    import course_utils.hiker as hiker

    assert "OUTCOME_RULES" in hiker.__doc__


@pytest.mark.parametrize("noise", [0.0, 0.3, 3.0])
@pytest.mark.parametrize("landscape", sorted(LANDSCAPES))
def test_every_preset_on_every_landscape_gives_a_declared_outcome_and_a_story(landscape, noise):
    for name in SCHEDULE_PRESETS:
        for lr in (0.03, 0.3, 1.5):
            for momentum in (0.0, 0.9):
                hike = simulate_hike(landscape, lr, schedule=name, momentum=momentum,
                                     noise=noise, seed=2)
                assert hike.outcome in OUTCOMES
                assert hike.story.endswith(".") and len(hike.story) > 30
                if hike.outcome == "hovering":
                    assert noise > 0 and "above it" in hike.story


def test_a_hiker_on_the_valley_marker_is_never_walking():
    # One-cycle on the ravine ends 0.02 from the floor: the last-window rule used to say walking.
    hike = simulate_hike("ravine", 0.3, schedule="onecycle", steps=200)
    floor, tol = hike.landscape.floor, hike.landscape.tolerance
    assert abs(hike.positions[-1] - floor) < tol
    assert hike.outcome == "valley" and hike.event_step is not None
    for name in SCHEDULE_PRESETS:
        for land in LANDSCAPES.values():
            for lr in (0.01, 0.1, 0.3, 1.0):
                hike = simulate_hike(land, lr, schedule=name, steps=150)
                if abs(hike.positions[-1] - land.floor) < land.tolerance:
                    assert hike.outcome != "walking", (name, land.name, lr)


# ---- the edge follows momentum -------------------------------------------------------------
def test_edge_lr_formula_and_stability_limit():
    assert BOWL.edge_lr() == BOWL.stability_limit == 1.0
    assert BOWL.edge_lr(0.9) == pytest.approx(1.9)
    assert BOWL.edge_lr(momentum=0.5) == pytest.approx(1.5)
    steep = Landscape("q", "q", lambda x: 2.5 * x * x, lambda x: 5 * x, (-1, 1), 0.0, -0.5,
                      curvature=5.0)
    assert steep.edge_lr(0.9) == pytest.approx(2 * 1.9 / 5)
    assert LANDSCAPES["ravine"].edge_lr(0.9) is None and LANDSCAPES["ledge"].stability_limit is None
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        BOWL.edge_lr(1.5)
    with pytest.raises(TypeError, match="momentum must be a number"):
        BOWL.edge_lr("0.9")


def torch_diverges(lr: float, momentum: float, curvature: float = 2.0, steps: int = 1000) -> bool:
    """Whether torch.optim.SGD on curvature/2 x^2 from x = 1 ends farther out than it began."""
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr, momentum=momentum)
    for _ in range(steps):
        x.grad = curvature * x.detach()  # the gradient of curvature / 2 x^2
        opt.step()
        if not math.isfinite(x.item()) or abs(x.item()) > 1e6:
            return True
    return abs(x.item()) > 1.0


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_edge_lr_brackets_torchs_divergence_threshold(momentum):
    edge = BOWL.edge_lr(momentum)
    lo, hi = 0.5 * edge, 2.0 * edge
    assert not torch_diverges(lo, momentum) and torch_diverges(hi, momentum)
    for _ in range(14):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if torch_diverges(mid, momentum) else (mid, hi)
    # torch's threshold, found by bisection, lies within 1% of 2 (1 + mu) / a.
    assert lo <= hi and abs(0.5 * (lo + hi) - edge) < 0.01 * edge, (lo, hi, edge)
    assert not torch_diverges(0.98 * edge, momentum) and torch_diverges(1.02 * edge, momentum)


def test_the_momentum_edge_is_visible_on_the_hiker():
    near = simulate_hike("bowl", 1.85, momentum=0.9)
    assert near.outcome == "valley", near.story
    assert max(abs(x) for x in near.positions) > BOWL.x_range[1]  # it left the map and came back
    over = simulate_hike("bowl", 1.95, momentum=0.9)
    assert over.outcome == "fell" and "overshot more than the last" in over.story
    assert simulate_hike("bowl", 1.45, momentum=0.5).outcome == "valley"
    assert simulate_hike("bowl", 1.55, momentum=0.5).outcome == "fell"
    assert "above 1" not in BOWL.title and "diverge" not in BOWL.title


# ---- bad input gets a clear message -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"landscape": "nope"}, ValueError, "landscape must be one of: bowl, ravine"),
        ({"landscape": 3}, TypeError, "landscape must be a name"),
        ({"lr": "fast"}, TypeError, "lr must be a number"),
        ({"lr": None}, TypeError, "lr must be a number"),
        ({"lr": -1}, ValueError, "lr must be a number >= 0"),
        ({"lr": math.nan}, ValueError, "lr must be a number >= 0"),
        ({"momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\)"),
        ({"momentum": "high"}, TypeError, "momentum must be a number"),
        ({"steps": 2.5}, TypeError, "steps must be a whole number"),
        ({"steps": -1}, ValueError, "steps must be a whole number >= 0"),
        ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": math.inf}, ValueError, "noise must be a finite number >= 0"),
        ({"seed": 1.5}, TypeError, "seed must be a whole number"),
        ({"start": "left"}, TypeError, "start must be a number"),
        ({"schedule": 3}, TypeError, "schedule must be a preset name"),
        ({"schedule": "nope"}, ValueError, "the presets are"),
    ],
)
def test_bad_arguments_name_the_argument_and_what_it_accepts(kwargs, error, words):
    args = {"landscape": "bowl", "lr": 0.1, **kwargs}
    with pytest.raises(error, match=words):
        simulate_hike(args.pop("landscape"), args.pop("lr"), **args)
