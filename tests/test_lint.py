"""The schedule linter: every warning fires on a minimal bad setup, and good setups stay quiet."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.optim import lr_scheduler as lrs

from course_utils import lint_schedule
from course_utils.data import make_loaders
from course_utils.models import make_model
from course_utils.schedules import SCHEDULE_PRESETS, dummy_optimizer, preview_schedule
from course_utils.training import train
from course_utils.warmup import cosine_with_warmup, linear_with_warmup, warmup_stable_decay

E, S = 30, 20  # a run of 30 epochs of 20 batches


def lint(factory, step_every="epoch", epochs=E, steps_per_epoch=S):
    return lint_schedule(factory, epochs=epochs, steps_per_epoch=steps_per_epoch,
                         step_every=step_every)


def only(found: list[str], *words: str) -> str:
    assert len(found) == 1, found
    for word in words:
        assert word in found[0], (word, found[0])
    return found[0]


BAD = {
    "onecycle per epoch": (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=E * S), "epoch",
                           ("OneCycleLR", "once per epoch", "600", "5% of the cycle")),
    "onecycle per epoch, total = epochs": (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=E),
                                           "epoch", ("OneCycleLR", "once per epoch", "600")),
    "onecycle too short": (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=500), "batch",
                           ("total_steps=500", "ValueError", "step 501", "total_steps = 600")),
    "onecycle too long": (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=700), "batch",
                          ("total_steps=700", "86% of the cycle", "total_steps = 600")),
    "cosine short": (lambda o: lrs.CosineAnnealingLR(o, T_max=10), "epoch",
                     ("T_max=10", "shorter", "climbs back up", "T_max=30")),
    "cosine per batch with T_max=epochs": (lambda o: lrs.CosineAnnealingLR(o, T_max=E), "batch",
                                           ("T_max=30", "batches, not epochs", "T_max=600")),
    "cosine long": (lambda o: lrs.CosineAnnealingLR(o, T_max=100), "epoch",
                    ("T_max=100", "much longer", "30%", "T_max=30")),
    "step after the run": (lambda o: lrs.StepLR(o, step_size=30), "epoch",
                           ("StepLR", "step_size=30", "never changes", "step_size=10")),
    "multistep after the run": (lambda o: lrs.MultiStepLR(o, [10, 40, 50]), "epoch",
                                ("MultiStepLR", "[40, 50]", "2 of its 3", "below 30")),
    "tiny lr": (lambda o: lrs.ExponentialLR(o, gamma=0.2), "epoch",
                ("below 1e-08", "of the run's 30 epochs", "gamma closer to 1")),
    "long warmup": (lambda o: lrs.LinearLR(o, start_factor=0.1, total_iters=40), "epoch",
                    ("LinearLR", "40 epochs", "never reaches", "total_iters=3")),
    "long constant warmup": (lambda o: lrs.ConstantLR(o, factor=0.5, total_iters=35), "epoch",
                             ("ConstantLR", "35 epochs", "never reaches")),
    "warmup cut by its milestone": (
        lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, 0.1, total_iters=10),
                                       lrs.CosineAnnealingLR(o, T_max=25)], milestones=[5]),
        "epoch", ("LinearLR", "10 epochs", "milestone at 5", "total_iters=5")),
    "cosine short inside SequentialLR": (
        lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, 0.1, total_iters=3),
                                       lrs.CosineAnnealingLR(o, T_max=10)], milestones=[3]),
        "epoch", ("CosineAnnealingLR", "T_max=10", "T_max=27")),
    "step inside ChainedScheduler": (
        lambda o: lrs.ChainedScheduler([lrs.StepLR(o, step_size=50),
                                        lrs.ExponentialLR(o, gamma=0.99)]),
        "epoch", ("StepLR", "step_size=50")),
    "warmup from 0 longer than the run": (lambda o: cosine_with_warmup(o, 40, 100), "epoch",
                                          ("cosine_with_warmup", "40 epochs", "never reaches",
                                           "total_steps=30", "warmup_steps=2")),
    "cosine_with_warmup sized for batches, stepped per epoch": (
        lambda o: cosine_with_warmup(o, 36, E * S), "epoch",
        ("total_steps=600", "never reaches", "once per optimizer step")),
    "linear_with_warmup decay cut short": (lambda o: linear_with_warmup(o, 30, 1200), "batch",
                                           ("linear_with_warmup", "total_steps=1200", "51%",
                                            "total_steps=600", "accumulation")),
    "wsd decay after the run": (lambda o: warmup_stable_decay(o, 30, 1000, 100), "batch",
                                ("warmup_stable_decay", "decay_steps=100", "step 901",
                                 "no decay at all", "total_steps=600")),
    "run outlasts cosine_with_warmup": (lambda o: cosine_with_warmup(o, 2, 20, 0.1), "epoch",
                                        ("total_steps=20", "last 10 epochs", "0.1x the peak",
                                         "total_steps=30")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_warning_fires_on_a_minimal_bad_setup(case):
    factory, step_every, words = BAD[case]
    only(lint(factory, step_every), *words)


def test_warmup_longer_than_the_run_inside_sequential_also_says_the_cosine_never_runs():
    found = lint(lambda o: lrs.SequentialLR(
        o, [lrs.LinearLR(o, 0.1, total_iters=40), lrs.CosineAnnealingLR(o, T_max=30)],
        milestones=[40]))
    assert len(found) == 2
    assert "warmup" in found[0] and "SequentialLR milestone" in found[0]
    assert "never runs" in found[1] and "milestone 40" in found[1]


GOOD = {
    "constant": (lambda o: lrs.ConstantLR(o, factor=1.0, total_iters=0), "epoch"),
    "step": (lambda o: lrs.StepLR(o, step_size=10, gamma=0.1), "epoch"),
    "step per batch": (lambda o: lrs.StepLR(o, step_size=200, gamma=0.1), "batch"),
    "multistep": (lambda o: lrs.MultiStepLR(o, [15, 25], gamma=0.1), "epoch"),
    "exponential": (lambda o: lrs.ExponentialLR(o, gamma=0.9), "epoch"),
    "cosine": (lambda o: lrs.CosineAnnealingLR(o, T_max=E), "epoch"),
    "cosine ending at eta_min": (lambda o: lrs.CosineAnnealingLR(o, T_max=E - 1), "epoch"),
    "cosine per batch": (lambda o: lrs.CosineAnnealingLR(o, T_max=E * S), "batch"),
    "warm restarts": (lambda o: lrs.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2), "epoch"),
    "warmup then cosine": (lambda o: lrs.SequentialLR(
        o, [lrs.LinearLR(o, 0.1, total_iters=3), lrs.CosineAnnealingLR(o, T_max=E - 3)],
        milestones=[3]), "epoch"),
    "short linear warmup": (lambda o: lrs.LinearLR(o, start_factor=0.1, total_iters=5), "epoch"),
    "linear decay": (lambda o: lrs.LinearLR(o, 1.0, 0.01, total_iters=E), "epoch"),
    "chained": (lambda o: lrs.ChainedScheduler([lrs.StepLR(o, 10), lrs.ExponentialLR(o, 0.99)]),
                "epoch"),
    "onecycle per batch": (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=E * S), "batch"),
    "onecycle epochs+steps_per_epoch": (
        lambda o: lrs.OneCycleLR(o, 0.1, epochs=E, steps_per_epoch=S), "batch"),
    "cyclic": (lambda o: lrs.CyclicLR(o, 0.01, 0.1, step_size_up=50), "batch"),
    "lambda": (lambda o: lrs.LambdaLR(o, lambda k: 0.95**k), "epoch"),
    "plateau": (lambda o: lrs.ReduceLROnPlateau(o, patience=100), "epoch"),
    "cosine_with_warmup per batch": (lambda o: cosine_with_warmup(o, 36, E * S), "batch"),
    "linear_with_warmup per epoch": (lambda o: linear_with_warmup(o, 2, E, 0.05), "epoch"),
    "linear_with_warmup one step too long": (lambda o: linear_with_warmup(o, 36, E * S + 1),
                                             "batch"),
    "wsd per batch": (lambda o: warmup_stable_decay(o, 36, E * S, 120, shape="sqrt"), "batch"),
}


@pytest.mark.parametrize("case", list(GOOD))
def test_a_correct_setup_gives_no_warning(case):
    factory, step_every = GOOD[case]
    assert lint(factory, step_every) == []


@pytest.mark.parametrize("name", list(SCHEDULE_PRESETS))
@pytest.mark.parametrize(("epochs", "step_every"), [(30, "epoch"), (10, "epoch"), (5, "batch")])
def test_every_preset_built_for_the_run_gives_no_warning(name, epochs, step_every):
    if name == "onecycle" and step_every == "epoch":
        step_every = "batch"  # OneCycleLR belongs to per-batch stepping
    length = epochs * (S if step_every == "batch" else 1)
    assert lint(SCHEDULE_PRESETS[name].factory(length), step_every, epochs=epochs) == []


def test_onecycle_sized_for_the_epochs_and_stepped_per_epoch_gets_advice():
    text = only(lint(SCHEDULE_PRESETS["onecycle"].factory(E), "epoch"), "once per epoch")
    assert f"with {E} values" in text and f"= {E * S}" in text


def test_the_learners_scheduler_is_never_stepped():
    opt = dummy_optimizer(0.1)
    sched = lrs.CosineAnnealingLR(opt, T_max=5)
    before = sched.state_dict()
    assert lint(sched)  # T_max=5 in a 30-epoch run
    assert sched.state_dict() == before
    assert opt.param_groups[0]["lr"] == 0.1


def test_a_resumed_scheduler_is_judged_from_where_it_stands():
    opt = dummy_optimizer(0.1)
    sched = lrs.StepLR(opt, step_size=30)
    for _ in range(25):
        opt.step()
        sched.step()
    # 25 epochs done: the decay at 30 falls inside 10 more epochs, not inside 4
    assert lint(sched, epochs=10) == []
    only(lint(sched, epochs=4), "StepLR")


def test_a_home_made_scheduler_gets_no_false_alarm_and_nonsense_is_refused():
    class Halver:
        def step(self) -> None:
            pass

    assert lint(Halver()) == []
    with pytest.raises(TypeError, match="factory"):
        lint("cosine")
    with pytest.raises(ValueError, match="step_every"):
        lint(lambda o: lrs.StepLR(o, 10), step_every="iteration")


def test_a_one_step_run_does_not_ask_for_a_step_size_below_one():
    assert lint(lambda o: lrs.StepLR(o, 1), epochs=1) == []


def test_tiny_lr_warning_counts_the_steps_the_preview_shows():
    factory = lambda o: lrs.ExponentialLR(o, gamma=0.2)  # noqa: E731
    tiny = sum(lr < 1e-8 for lr in preview_schedule(factory, E))
    assert f"for {tiny} of" in only(lint(factory))


def test_train_shows_the_linters_warnings_before_the_run():
    train_loader, val_loader, _ = make_loaders(batch_size=256)
    model = make_model("mlp", seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = lrs.OneCycleLR(opt, max_lr=0.1, total_steps=100)
    with pytest.warns(UserWarning, match="OneCycleLR is stepped once per epoch"):
        history = train(model, (train_loader, val_loader), opt, sched, epochs=1,
                        step_every="epoch", progress=False, device="cpu")
    assert len(history.val_acc) == 1


def test_train_with_a_sound_schedule_warns_nothing_from_the_linter():
    train_loader, val_loader, _ = make_loaders(batch_size=256)
    model = make_model("mlp", seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = lrs.OneCycleLR(opt, max_lr=0.1, total_steps=len(train_loader))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(model, (train_loader, val_loader), opt, sched, epochs=1, step_every="batch",
              progress=False, device="cpu")
    assert not [w for w in caught if "Fix:" in str(w.message)]


def test_a_cosine_consumed_by_a_plot_is_named_as_such():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    cosine = lrs.CosineAnnealingLR(opt, T_max=20)
    for _ in range(20):
        opt.step()
        cosine.step()
    (warning,) = lint_schedule(cosine, epochs=20, steps_per_epoch=1)
    assert "already been stepped 20 times" in warning and "preview_schedule" in warning


def test_a_scheduler_stepped_before_the_run_is_named_with_its_starting_lr():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    step = lrs.StepLR(opt, step_size=30, gamma=0.1)
    for _ in range(90):
        opt.step()
        step.step()
    warnings_ = lint_schedule(step, epochs=90, steps_per_epoch=1)
    assert any("already been stepped 90 times" in w and "lr=0.0001" in w for w in warnings_)
    fresh = lrs.StepLR(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1), 30, 0.1)
    assert lint_schedule(fresh, epochs=90, steps_per_epoch=1) == []


def test_tiny_lr_advice_speaks_of_the_scheduler_at_hand():
    exponential = lint_schedule(lambda o: lrs.ExponentialLR(o, gamma=0.2), epochs=30,
                                steps_per_epoch=1)
    assert any("gamma closer to 1" in w for w in exponential)
    assert not any("milestones" in w or "eta_min" in w for w in exponential)
    multistep = lint_schedule(lambda o: lrs.MultiStepLR(o, [2, 4, 6, 8], gamma=0.01), epochs=30,
                              steps_per_epoch=1)
    assert any("fewer or later milestones" in w for w in multistep)


def test_a_zero_final_lr_over_most_of_the_run_gets_final_lr_ratio_advice():
    found = lint(lambda o: linear_with_warmup(o, 2, 10), "epoch")
    assert len(found) == 2 and "last 20 epochs" in found[0] and "do nothing" in found[0]
    assert "final_lr_ratio above 0" in found[1]


def test_a_live_warmup_scheduler_is_judged_from_where_it_stands():
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    sched = cosine_with_warmup(opt, 5, 40)
    for _ in range(10):
        opt.step()
        sched.step()
    resumed = lint(sched, "epoch", epochs=30)  # 10 done + 30 to go = 40: the schedule fits
    assert len(resumed) == 1 and "already been stepped 10 times" in resumed[0]
    short = lint(sched, "epoch", epochs=20)
    assert len(short) == 2 and "LR still at" in short[1] and "total_steps=30" in short[1]
