"""Today's schedules: the published formulas step for step, clear errors, presets, per-group LRs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as lrs

from course_utils import (
    SCHEDULE_PRESETS,
    cosine_with_warmup,
    linear_with_warmup,
    preview_schedule,
    simulate_hike,
    warmup_stable_decay,
)
from course_utils.warmup import WarmupSchedule, warmup_schedule_of


# Hugging Face's published formulas (transformers.optimization), written out here so that no
# test depends on transformers: get_cosine_schedule_with_warmup (num_cycles=0.5) and
# get_linear_schedule_with_warmup.
def hf_cosine(step: int, warmup: int, total: int, num_cycles: float = 0.5) -> float:
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def hf_linear(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def real_run(factory, steps: int, lr: float = 0.5) -> list[float]:
    """The LR AdamW uses at each of `steps` optimizer steps, the scheduler stepped after each."""
    w = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.AdamW([w], lr=lr)
    sched = factory(opt)
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        (w**2).sum().backward()
        opt.step()
        sched.step()
    return seen


SIZES = [(0, 1), (0, 10), (1, 2), (3, 10), (6, 100), (100, 1000), (9, 10)]


@pytest.mark.parametrize(("warmup", "total"), SIZES)
def test_cosine_with_warmup_is_hugging_faces_formula_step_for_step(warmup, total):
    lr = 0.5
    expected = [lr * hf_cosine(k, warmup, total) for k in range(total + 1)]
    assert real_run(lambda o: cosine_with_warmup(o, warmup, total), total + 1, lr) == expected


@pytest.mark.parametrize(("warmup", "total"), SIZES)
def test_linear_with_warmup_is_hugging_faces_formula_step_for_step(warmup, total):
    lr = 0.5
    expected = [lr * hf_linear(k, warmup, total) for k in range(total + 1)]
    assert real_run(lambda o: linear_with_warmup(o, warmup, total), total + 1, lr) == expected


def test_warmup_starts_at_zero_peaks_at_the_lr_and_ends_at_the_final_ratio():
    for factory in (cosine_with_warmup, linear_with_warmup):
        seen = real_run(lambda o, f=factory: f(o, 4, 20, final_lr_ratio=0.1), 25, lr=1.0)
        assert seen[0] == 0.0 and seen[2] == 0.5 and seen[4] == 1.0
        assert seen[20:] == pytest.approx([0.1] * 5)  # holds at the final LR past total_steps
        assert all(a >= b for a, b in itertools.pairwise(seen[4:]))
        assert min(seen[4:]) == pytest.approx(0.1)


def test_past_total_steps_the_cosine_holds_where_hugging_faces_climbs_back():
    seen = real_run(lambda o: cosine_with_warmup(o, 2, 10), 15, lr=1.0)
    assert seen[10:] == [0.0] * 5
    assert hf_cosine(14, 2, 10) > 0.1  # the published formula rises again after the end


@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
def test_warmup_stable_decay_has_three_phases(shape):
    warmup, total, decay, ratio = 5, 40, 10, 0.2
    seen = real_run(lambda o: warmup_stable_decay(o, warmup, total, decay, ratio, shape), 42, 1.0)
    assert seen[:warmup + 1] == pytest.approx([k / warmup for k in range(warmup + 1)])
    assert seen[warmup:total - decay + 1] == [1.0] * (total - decay - warmup + 1)
    progress = [k / decay for k in range(decay + 1)]
    left = {"linear": [1 - p for p in progress],
            "cosine": [0.5 * (1 + math.cos(math.pi * p)) for p in progress],
            "sqrt": [1 - math.sqrt(p) for p in progress]}[shape]
    assert seen[total - decay:total + 1] == pytest.approx([ratio + (1 - ratio) * v for v in left])
    assert seen[total + 1] == pytest.approx(ratio)


def test_the_sqrt_decay_drops_fastest_at_first_and_cosine_slowest():
    def lr_at(step: int, shape: str) -> float:
        return real_run(lambda o: warmup_stable_decay(o, 0, 20, 10, shape=shape), step + 1, 1.0)[-1]

    early = {shape: lr_at(13, shape) for shape in ("linear", "cosine", "sqrt")}  # 30% in
    assert early["linear"] == pytest.approx(0.7)
    assert early["sqrt"] < early["linear"] < early["cosine"]


def test_each_group_is_scaled_from_its_own_initial_lr():
    body, head = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.AdamW([{"params": [body], "lr": 1e-4}, {"params": [head], "lr": 1e-2}])
    sched = cosine_with_warmup(opt, 2, 10)
    for step in range(10):
        assert sched.get_last_lr() == pytest.approx([1e-4 * hf_cosine(step, 2, 10),
                                                     1e-2 * hf_cosine(step, 2, 10)])
        opt.step()
        sched.step()
    assert [g["initial_lr"] for g in opt.param_groups] == [1e-4, 1e-2]


def test_the_schedule_is_saved_and_restored_with_the_scheduler():
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    sched = warmup_stable_decay(opt, 3, 30, 6, 0.1, "cosine")
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["lr_lambdas"][0]["shape"] == "cosine" and state["last_epoch"] == 7
    fresh_opt = torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    fresh = warmup_stable_decay(fresh_opt, 1, 2, 1)
    fresh.load_state_dict(state)
    assert warmup_schedule_of(fresh) == warmup_schedule_of(sched)
    for _ in range(25):
        opt.step()
        sched.step()
        fresh_opt.step()
        fresh.step()
        assert fresh.get_last_lr() == sched.get_last_lr()


def test_the_schedule_says_what_it_is():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    spec = warmup_schedule_of(warmup_stable_decay(opt, 6, 100, 20, shape="sqrt"))
    assert spec == WarmupSchedule("wsd", 6, 100, 20, 0.0, "sqrt") and spec.decay_start == 80
    assert spec.describe() == ("linear warmup from 0 over 6 steps, flat for 74 steps, then a "
                               "sqrt decay to 0 over the last 20 of 100 steps")
    assert "to 0.1x at step 50" in warmup_schedule_of(
        cosine_with_warmup(opt, 5, 50, 0.1)).describe()
    assert warmup_schedule_of(lrs.LambdaLR(opt, lambda k: 1.0)) is None
    assert warmup_schedule_of(lrs.StepLR(opt, 5)) is None


def test_a_preview_leaves_the_schedule_alone_and_matches_a_real_run():
    factory = lambda o: warmup_stable_decay(o, 4, 50, 10, shape="cosine")  # noqa: E731
    assert preview_schedule(factory, 50, base_lr=0.5) == pytest.approx(real_run(factory, 50))


BAD = [
    (lambda o: cosine_with_warmup(o, 10, 10), ValueError, "warmup_steps (10) must be smaller"),
    (lambda o: linear_with_warmup(o, -1, 10), ValueError, "warmup_steps must be 0 or more"),
    (lambda o: linear_with_warmup(o, 0, 0), ValueError, "total_steps must be 1 or more"),
    (lambda o: cosine_with_warmup(o, 179.99999999999997, 3000), ValueError,
     "warmup_steps=round(179.99999999999997) = 180"),
    (lambda o: cosine_with_warmup(o, "6%", 3000), TypeError, "warmup_steps must be a whole"),
    (lambda o: cosine_with_warmup(o, True, 3000), TypeError, "not bool"),
    (lambda o: cosine_with_warmup(o, 5, 50, final_lr_ratio=1.0), ValueError, "in [0, 1)"),
    (lambda o: cosine_with_warmup(o, 5, 50, final_lr_ratio=None), TypeError, "final_lr_ratio"),
    (lambda o: warmup_stable_decay(o, 10, 50, 45), ValueError, "10 + 45 = 55"),
    (lambda o: warmup_stable_decay(o, 10, 50, 0), ValueError, "decay_steps must be 1 or more"),
    (lambda o: warmup_stable_decay(o, 10, 50, 10, shape="exp"), ValueError, "'sqrt'"),
    (lambda o: cosine_with_warmup(o.param_groups, 5, 50), TypeError, "torch.optim optimizer"),
]


@pytest.mark.parametrize(("build", "error", "words"), BAD)
def test_bad_arguments_get_a_clear_error(build, error, words):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    with pytest.raises(error) as info:
        build(opt)
    assert words in str(info.value)


def test_whole_floats_and_numpy_numbers_are_accepted_as_step_counts():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    assert warmup_schedule_of(cosine_with_warmup(opt, 0.06 * 1000, 1000.0)).warmup_steps == 60
    spec = warmup_schedule_of(linear_with_warmup(opt, np.int64(6), np.int64(100), np.float32(0.5)))
    assert (spec.warmup_steps, spec.total_steps, spec.final_lr_ratio) == (6, 100, 0.5)
    assert type(spec.total_steps) is int


@pytest.mark.parametrize(("name", "formula"), [("hf_cosine", hf_cosine), ("hf_linear", hf_linear)])
def test_the_hiker_presets_are_hugging_faces_curves_scaled_to_the_run(name, formula):
    steps = 50
    warmup = SCHEDULE_PRESETS[name].defaults(steps)["warmup"]
    assert warmup == 3  # 6% of the run
    hike = simulate_hike("bowl", 0.1, schedule=name, steps=steps)
    assert hike.lrs == pytest.approx([0.1 * formula(k, warmup, steps) for k in range(steps)])


def test_the_two_warmup_cosines_are_named_apart():
    hf, old = SCHEDULE_PRESETS["hf_cosine"], SCHEDULE_PRESETS["warmup_cosine"]
    assert "from 0" in hf.title and "Hugging Face" in hf.title
    assert "from 0.1x" in old.title and "SequentialLR" in old.title
    first = {name: preview_schedule(SCHEDULE_PRESETS[name].factory(100), 2) for name in
             ("hf_cosine", "warmup_cosine")}
    assert first["hf_cosine"][0] == 0.0 and first["warmup_cosine"][0] == pytest.approx(0.01)


def test_the_wsd_preset_and_slider_extremes_build_without_errors():
    wsd = SCHEDULE_PRESETS["wsd"]
    assert preview_schedule(wsd.factory(100), 100)[90] == pytest.approx(0.05)
    for steps in (1, 2, 7):
        for warmup in (0, steps):
            for decay in (1, steps):
                for name, params in (("wsd", {"decay": decay}), ("hf_cosine", {}),
                                     ("hf_linear", {})):
                    lrs_seen = preview_schedule(
                        SCHEDULE_PRESETS[name].factory(steps, warmup=warmup, **params), steps)
                    assert len(lrs_seen) == steps and all(0 <= v <= 0.1 for v in lrs_seen)


@pytest.mark.parametrize(("images", "batch", "accum", "epochs"), [(100, 8, 4, 3), (64, 16, 4, 2),
                                                                  (50, 7, 3, 2), (10, 4, 8, 1)])
def test_an_accumulation_loop_steps_the_schedule_epochs_times_ceil_batches_over_accum(
        images, batch, accum, epochs):
    from course_utils.grader.exercises.lesson07 import optimizer_steps_reference

    data = torch.utils.data.TensorDataset(torch.randn(images, 3), torch.randn(images))
    loader = torch.utils.data.DataLoader(data, batch_size=batch)
    batches = len(loader)
    total = optimizer_steps_reference(epochs, batches, accum)
    assert total == epochs * math.ceil(batches / accum)
    w = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.AdamW([w], lr=0.1)
    sched = linear_with_warmup(opt, 0, total)
    updates = 0
    for _ in range(epochs):
        for i, (x, y) in enumerate(loader):
            ((x @ w - y) ** 2).mean().div(accum).backward()
            if (i + 1) % accum == 0 or i + 1 == batches:
                opt.step()
                sched.step()
                opt.zero_grad()
                updates += 1
    assert updates == sched.last_epoch == total
    assert opt.param_groups[0]["lr"] == 0.0  # the decay ended exactly with the run
