"""trace_param_groups reads what a real optimizer's param group holds at every step."""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler as lrs

from course_utils.param_trace import trace_param_groups
from course_utils.schedules import preview_schedule


def onecycle(opt: torch.optim.Optimizer) -> lrs.OneCycleLR:
    return lrs.OneCycleLR(opt, max_lr=1.0, total_steps=50)


def test_lr_matches_preview_schedule() -> None:
    trace = trace_param_groups(onecycle, 50)
    assert trace["lr"] == pytest.approx(preview_schedule(onecycle, 50))


def test_onecycle_momentum_moves_against_the_lr() -> None:
    trace = trace_param_groups(onecycle, 50)
    peak = trace["lr"].index(max(trace["lr"]))
    assert trace["momentum"][0] == pytest.approx(0.95)
    assert trace["momentum"][peak] == pytest.approx(0.85)
    assert trace["momentum"][-1] == pytest.approx(0.95, abs=1e-3)


def test_same_values_as_stepping_a_real_optimizer_by_hand() -> None:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    sched = lrs.CyclicLR(opt, base_lr=1e-4, max_lr=1e-2, step_size_up=4)
    by_hand = []
    for _ in range(10):
        by_hand.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    trace = trace_param_groups(
        lambda o: lrs.CyclicLR(o, base_lr=1e-4, max_lr=1e-2, step_size_up=4), 10,
        optimizer=lambda params: torch.optim.Adam(params, lr=1e-3), keys=("beta1",))
    assert trace["beta1"] == pytest.approx(by_hand)


def test_errors_name_the_problem() -> None:
    with pytest.raises(KeyError, match="no 'momentum'"):
        trace_param_groups(onecycle, 5, optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-3))
    with pytest.raises(TypeError, match="scheduler"):
        trace_param_groups(lambda opt: opt, 5)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="steps"):
        trace_param_groups(onecycle, -1)
    assert trace_param_groups(onecycle, 0) == {"lr": [], "momentum": []}
