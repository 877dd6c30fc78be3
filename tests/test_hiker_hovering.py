"""A noisy hiker hovers only when it jitters around the floor; one still creeping up walks."""

from __future__ import annotations

from course_utils import simulate_hike


def test_a_slow_noisy_hiker_on_one_side_is_walking_not_hovering() -> None:
    # At lr 0.005 the pull shrinks the distance by 1% a step: after 200 steps the hiker is
    # still about half a unit short of the floor, on one side of it, whatever the noise.
    for seed in range(5):
        hike = simulate_hike("bowl", 0.005, steps=200, noise=1.0, seed=seed)
        assert hike.outcome == "walking", hike.story
        assert all(x < 0 for x in hike.positions[-20:])


def test_a_large_constant_rate_with_noise_hovers_across_the_floor() -> None:
    outcomes = [simulate_hike("bowl", 0.5, steps=200, noise=1.0, seed=s).outcome for s in range(10)]
    assert outcomes.count("hovering") >= 8, outcomes


def test_a_factory_returning_a_live_scheduler_is_never_stepped() -> None:
    import warnings

    import torch
    from torch.optim import lr_scheduler

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    live = lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hike = simulate_hike("bowl", 0.1, schedule=lambda opt: live, steps=30)
    assert live.last_epoch == 0 and optimizer.param_groups[0]["lr"] == 0.1
    assert hike.lrs[0] == 0.1 and hike.lrs[-1] == 0.025
    assert any("another optimizer" in str(w.message) for w in caught)
