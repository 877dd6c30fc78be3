"""preview_schedule against real optimizers, stepped as a training loop steps them."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as L

from course_utils import SCHEDULE_PRESETS, preview_schedule

STEPS = 60
METRICS = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.79, 0.8, 0.8, 0.8] * 6


def _real_run(factory, steps, base_lr=0.1, metrics=None, optimizer="sgd"):
    """The LRs a real optimizer uses over `steps` training steps, reading param_groups."""
    w = torch.nn.Parameter(torch.ones(3))
    if optimizer == "adam":
        opt = torch.optim.Adam([w], lr=base_lr)
    else:
        opt = torch.optim.SGD([w], lr=base_lr, momentum=0.9)
    sched = factory(opt)
    seen = []
    for i in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        (w**2).sum().backward()
        opt.step()
        if i < steps - 1:
            if metrics is not None:
                sched.step(metrics[i])
            else:
                sched.step()
    return seen


CASES = {
    "LambdaLR": [lambda o: L.LambdaLR(o, lambda e: 1 / (1 + e)),
                 lambda o: L.LambdaLR(o, lambda e: 0.95**e)],
    "MultiplicativeLR": [lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
                         lambda o: L.MultiplicativeLR(o, lambda e: 1.0 if e % 5 else 0.5)],
    "StepLR": [lambda o: L.StepLR(o, 30, 0.1), lambda o: L.StepLR(o, 7, 0.5)],
    "MultiStepLR": [lambda o: L.MultiStepLR(o, [10, 40], 0.1),
                    lambda o: L.MultiStepLR(o, [5, 5, 20], 0.3)],
    "ConstantLR": [lambda o: L.ConstantLR(o, 0.5, 10), lambda o: L.ConstantLR(o, 0.1, 1)],
    "LinearLR": [lambda o: L.LinearLR(o, 0.1, 1.0, 20), lambda o: L.LinearLR(o, 1.0, 0.01, 50)],
    "ExponentialLR": [lambda o: L.ExponentialLR(o, 0.9), lambda o: L.ExponentialLR(o, 0.99)],
    "PolynomialLR": [lambda o: L.PolynomialLR(o, 40, 2.0), lambda o: L.PolynomialLR(o, 10, 1.0)],
    "CosineAnnealingLR": [lambda o: L.CosineAnnealingLR(o, 60),
                          lambda o: L.CosineAnnealingLR(o, 20, eta_min=0.01)],
    "CosineAnnealingWarmRestarts": [lambda o: L.CosineAnnealingWarmRestarts(o, 10),
                                    lambda o: L.CosineAnnealingWarmRestarts(o, 5, 2, 0.001)],
    "CyclicLR": [lambda o: L.CyclicLR(o, 0.01, 0.1, 8),
                 lambda o: L.CyclicLR(o, 0.001, 0.1, 5, mode="triangular2"),
                 lambda o: L.CyclicLR(o, 0.001, 0.1, 6, mode="exp_range", gamma=0.97)],
    "OneCycleLR": [lambda o: L.OneCycleLR(o, 0.5, total_steps=STEPS),
                   lambda o: L.OneCycleLR(o, 1.0, epochs=6, steps_per_epoch=10,
                                          anneal_strategy="linear", three_phase=True)],
    "ReduceLROnPlateau": [lambda o: L.ReduceLROnPlateau(o, patience=2),
                          lambda o: L.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=2,
                                                        threshold=0.05)],
    "SequentialLR": [
        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5),
                                     L.CosineAnnealingLR(o, 55)], milestones=[5]),
        lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 10), L.ExponentialLR(o, 0.9)],
                                 milestones=[10]),
    ],
    "ChainedScheduler": [
        lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 4), L.ExponentialLR(o, 0.95)]),
        lambda o: L.ChainedScheduler([L.StepLR(o, 10, 0.5), L.LinearLR(o, 0.2, total_iters=8)]),
    ],
}


def test_every_public_scheduler_is_covered():
    public = {name for name in L.__all__ if name != "LRScheduler"}
    assert len(public) == 15
    assert set(CASES) == public


@pytest.mark.parametrize(
    ("name", "index"), [(n, i) for n, fs in CASES.items() for i in range(len(fs))]
)
def test_preview_matches_a_real_optimizer(name, index):
    factory = CASES[name][index]
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    got = preview_schedule(factory, STEPS, metrics=metrics)
    want = _real_run(factory, STEPS, metrics=metrics)
    assert len(got) == STEPS
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", list(SCHEDULE_PRESETS))
def test_every_preset_previews_like_a_real_run(name):
    preset = SCHEDULE_PRESETS[name]
    factory = preset.factory(STEPS)
    metrics = METRICS if preset.per_metric else None
    got = preview_schedule(factory, STEPS, base_lr=0.3, metrics=metrics)
    assert got == pytest.approx(_real_run(factory, STEPS, 0.3, metrics), rel=1e-12)
    assert all(math.isfinite(v) and v >= 0 for v in got)


def test_value_zero_is_the_lr_before_any_step():
    assert preview_schedule(lambda o: L.StepLR(o, 1, 0.5), 3, base_lr=0.4) == [0.4, 0.2, 0.1]


def test_preview_of_a_live_scheduler_leaves_it_untouched():
    w = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    sched = L.StepLR(opt, 3, 0.1)
    for _ in range(4):
        opt.step()
        sched.step()
    before_state = dict(sched.state_dict())
    before_lr = opt.param_groups[0]["lr"]
    lrs = preview_schedule(sched, 5, base_lr=123.0)  # base_lr is ignored for a live scheduler
    assert lrs == pytest.approx([0.01, 0.01, 0.001, 0.001, 0.001])
    assert sched.state_dict() == before_state
    assert opt.param_groups[0]["lr"] == before_lr
    # The real run now continues exactly as the preview said it would.
    assert _continue(opt, sched, 5) == pytest.approx(lrs)


def _continue(opt, sched, steps):
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return seen


def test_preview_of_a_scheduler_on_a_real_model_copies_nothing_it_should_not():
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = L.CosineAnnealingLR(opt, 10)
    weights = [p.detach().clone() for p in model.parameters()]
    preview_schedule(sched, 10)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters(), strict=True))
    assert sched.last_epoch == 0


def test_preview_emits_no_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fs in CASES.values():
            for factory in fs:
                needs = factory(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1))
                metrics = METRICS if isinstance(needs, L.ReduceLROnPlateau) else None
                preview_schedule(factory, 20, metrics=metrics)
    assert [str(w.message) for w in caught] == []


def test_plateau_without_enough_metrics_is_a_clear_error():
    with pytest.raises(ValueError, match="needs 9 metric values"):
        preview_schedule(lambda o: L.ReduceLROnPlateau(o), 10, metrics=[1.0] * 3)
    with pytest.raises(ValueError, match="metrics="):
        preview_schedule(lambda o: L.ReduceLROnPlateau(o), 10)


def test_onecycle_past_total_steps_is_a_clear_error():
    factory = lambda o: L.OneCycleLR(o, 0.1, total_steps=20)  # noqa: E731
    assert len(preview_schedule(factory, 21)) == 21  # 20 scheduler steps: still fine
    with pytest.raises(ValueError, match="total_steps=20"):
        preview_schedule(factory, 22)


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(TypeError, match="factory"):
        preview_schedule([0.1, 0.2], 3)
    with pytest.raises(TypeError, match="returned"):
        preview_schedule(lambda o: 0.1, 3)
    with pytest.raises(ValueError, match="steps"):
        preview_schedule(lambda o: L.StepLR(o, 2), -1)
    assert preview_schedule(lambda o: L.StepLR(o, 2), 0) == []


def test_presets_scale_with_the_run_and_reject_unknown_parameters():
    cosine = preview_schedule(SCHEDULE_PRESETS["cosine"].factory(200), 201)
    assert cosine[0] == pytest.approx(0.1) and cosine[200] == pytest.approx(0.0, abs=1e-12)
    step = preview_schedule(SCHEDULE_PRESETS["step"].factory(100, step_size=10, gamma=0.5), 21)
    assert step[9] == pytest.approx(0.1) and step[10] == pytest.approx(0.05)
    with pytest.raises(TypeError, match="no parameter 'gama'"):
        SCHEDULE_PRESETS["step"].factory(100, gama=0.5)(torch.optim.SGD([torch.ones(1)], lr=1))
