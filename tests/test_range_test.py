"""The LR range test: exponential sweep, early stop, exact restore, and the hiker's version."""

from __future__ import annotations

import copy
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import RangeTestResult, lr_range_test
from course_utils.range_test import _analyse, hike_range_test


def setup(momentum=0.9, seed=0, opt="sgd"):
    """A small classifier on a fixed random dataset, with a shuffling loader."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 8, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.BatchNorm1d(16), nn.Linear(16, 2))
    if opt == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=momentum)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, loader, optimizer


def warm_up(model, loader, optimizer, n=3):
    """A few real steps, so the optimizer has momentum buffers or moments to restore."""
    for _, (x, y) in zip(range(n), loader, strict=False):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def snapshot(model, loader, optimizer):
    return (copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict()),
            torch.random.get_rng_state(), loader.generator.get_state(), model.training)


def assert_same(a, b):
    model_a, opt_a, rng_a, gen_a, mode_a = a
    model_b, opt_b, rng_b, gen_b, mode_b = b
    assert model_a.keys() == model_b.keys()
    for key in model_a:
        assert torch.equal(model_a[key], model_b[key]), key
    assert opt_a["param_groups"] == opt_b["param_groups"]  # lr, momentum, every setting
    assert opt_a["state"].keys() == opt_b["state"].keys()
    for i in opt_a["state"]:
        for name, value in opt_a["state"][i].items():
            assert torch.equal(value, opt_b["state"][i][name]), (i, name)
    assert torch.equal(rng_a, rng_b) and torch.equal(gen_a, gen_b) and mode_a == mode_b


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_model_optimizer_and_random_state_come_back_bit_for_bit(opt):
    model, loader, optimizer = setup(opt=opt)
    warm_up(model, loader, optimizer)
    model.eval()
    before = snapshot(model, loader, optimizer)
    assert before[1]["state"]  # there are buffers to lose
    result = lr_range_test(model, loader, optimizer, start_lr=1e-4, end_lr=10, steps=40)
    assert len(result.lrs) > 5
    assert_same(before, snapshot(model, loader, optimizer))
    assert all(g["lr"] == before[1]["param_groups"][0]["lr"] for g in optimizer.param_groups)


def test_training_after_the_test_matches_training_without_it():
    runs = []
    for do_test in (False, True):
        model, loader, optimizer = setup()
        warm_up(model, loader, optimizer)
        if do_test:
            lr_range_test(model, loader, optimizer, steps=30)
        warm_up(model, loader, optimizer, n=4)
        runs.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_state_is_restored_even_when_the_loss_raises():
    model, loader, optimizer = setup()
    warm_up(model, loader, optimizer)
    before = snapshot(model, loader, optimizer)
    calls = []

    def failing_loss(out, y):
        calls.append(1)
        if len(calls) > 5:
            raise RuntimeError("boom")
        return nn.functional.cross_entropy(out, y)

    with pytest.raises(RuntimeError, match="boom"):
        lr_range_test(model, loader, optimizer, loss_fn=failing_loss)
    assert_same(before, snapshot(model, loader, optimizer))


def test_lrs_are_exponentially_spaced_from_start_to_end():
    model, loader, optimizer = setup()
    result = lr_range_test(model, loader, optimizer, start_lr=1e-6, end_lr=1e-3, steps=25)
    assert not result.stopped_early and len(result.lrs) == 25  # cycles the 8-batch loader
    assert result.lrs[0] == pytest.approx(1e-6) and result.lrs[-1] == pytest.approx(1e-3)
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:], strict=False)]
    assert ratios == pytest.approx([1000 ** (1 / 24)] * 24)


def test_it_stops_early_when_the_loss_blows_up():
    model, loader, optimizer = setup(momentum=0.9)
    result = lr_range_test(model, loader, optimizer, start_lr=1e-3, end_lr=1e4, steps=200,
                           smooth=0.3)
    assert result.stopped_early and len(result.lrs) < 200
    assert result.losses[-1] > 4.0 * min(result.losses)


def test_it_stops_early_on_a_non_finite_loss():
    model, loader, optimizer = setup()
    calls = []

    def nan_after_ten(out, y):
        calls.append(1)
        loss = nn.functional.cross_entropy(out, y)
        return loss * math.nan if len(calls) > 10 else loss

    result = lr_range_test(model, loader, optimizer, start_lr=1e-5, end_lr=1e-3, steps=50,
                           loss_fn=nan_after_ten)
    assert result.stopped_early and len(result.lrs) == 10
    assert all(math.isfinite(v) for v in result.losses)


def test_same_seed_same_curve_other_seed_other_curve():
    def run(seed):
        model, loader, optimizer = setup()
        return lr_range_test(model, loader, optimizer, steps=40, seed=seed)

    a, b, c = run(0), run(0), run(1)
    assert a.losses == b.losses and a.lrs == b.lrs and a.raw_losses == b.raw_losses
    assert a.raw_losses != c.raw_losses


def test_suggestion_rule_on_a_hand_built_curve():
    lrs = [10.0**k for k in range(-5, 2)]  # 1e-5 .. 10, one point per decade
    losses = [2.0, 1.98, 1.9, 1.2, 0.9, 0.8, 3.0]  # steepest drop around 1e-2, lowest at 1
    result = _analyse(lrs, losses, losses, stopped=True)
    assert result.steepest_lr == pytest.approx(1e-2)
    assert result.min_loss_lr == pytest.approx(1.0)
    assert result.suggested_max_lr == pytest.approx(0.1)
    assert result.suggested_range == pytest.approx((1e-2, 0.1))
    assert "max_lr about 0.1" in result.summary() and "stopped early" in result.summary()


def test_plot_returns_the_axes_with_a_log_x_axis_and_the_range_shaded():
    model, loader, optimizer = setup()
    result = lr_range_test(model, loader, optimizer, steps=40)
    fig, ax = plt.subplots()
    try:
        assert result.plot(ax=ax) is ax
        assert ax.get_xscale() == "log"
        lo, hi = result.suggested_range
        spans = [p for p in ax.patches if p.get_label() == "suggested range"]
        assert len(spans) == 1
        left, width = spans[0].get_x(), spans[0].get_width()
        assert left == pytest.approx(lo) and left + width == pytest.approx(hi)
    finally:
        plt.close(fig)


def test_bad_arguments_are_refused():
    model, loader, optimizer = setup()
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        lr_range_test(model, loader, optimizer, start_lr=1.0, end_lr=0.1)


def test_the_hiker_draws_smiths_curve_on_the_bowl():
    result = hike_range_test("bowl", start_lr=1e-4, end_lr=10, steps=100)
    assert isinstance(result, RangeTestResult)
    assert result.stopped_early  # the hiker fell off the mountain once the LR passed 1
    assert 1.0 < result.lrs[-1] < 10
    start, lowest = result.losses[0], min(result.losses)
    assert lowest < 0.01 * start  # flat, then a fall to the valley floor...
    assert result.losses[-1] > 10 * lowest  # ...then the climb as the strides overshoot
    # on a bowl of curvature 2 a stride at lr 1 lands on the floor in one step
    assert 0.5 < result.min_loss_lr < 2.0
    assert result.steepest_lr < result.min_loss_lr
    assert result.label == "altitude" and result.losses == result.raw_losses


def test_the_hike_version_is_exponential_and_deterministic():
    a = hike_range_test("ravine", start_lr=1e-3, end_lr=5, steps=60)
    assert a == hike_range_test("ravine", start_lr=1e-3, end_lr=5, steps=60)
    ratios = [b / x for x, b in zip(a.lrs, a.lrs[1:], strict=False)]
    assert ratios == pytest.approx([5000 ** (1 / 59)] * len(ratios))


def test_the_raw_minimum_is_marked_beside_the_smoothed_one():
    lrs = [10.0**k for k in range(-3, 2)]
    raw = [2.0, 1.0, 0.4, 0.9, 3.0]  # the raw loss is lowest at 0.1
    smoothed = [2.0, 1.5, 1.0, 0.95, 1.6]  # the running average lags: lowest at 1
    result = _analyse(lrs, raw, smoothed, stopped=True)
    assert result.raw_min_loss_lr == pytest.approx(0.1) and result.min_loss_lr == pytest.approx(1)
    fig, ax = plt.subplots()
    try:
        result.plot(ax=ax)
        labels = ax.get_legend_handles_labels()[1]
        assert "lowest raw loss (0.1)" in labels and "lowest smoothed loss (1)" in labels
        span = next(p for p in ax.patches if p.get_label() == "suggested range")
        assert span.get_linewidth() > 0  # edges drawn, so a narrow range stays visible
    finally:
        plt.close(fig)
