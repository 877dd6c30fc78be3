"""train(): repeatable, in the right order, per batch or per epoch, and safe when it blows up."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
from torch.optim import lr_scheduler as L

from course_utils import (
    History,
    compare_runs,
    cpu_threads,
    make_loaders,
    make_model,
    plot_history,
    plot_schedule,
    preview_schedule,
    train,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def loaders():
    return make_loaders(batch_size=64, seed=0)


def _run(loaders, lr=0.1, sched=None, epochs=3, step_every="epoch", seed=0, kind="mlp"):
    model = make_model(kind, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = sched(opt) if sched else None
    return train(model, loaders, opt, scheduler, epochs=epochs, step_every=step_every,
                 seed=seed, device="cpu")


def test_same_seed_same_history(loaders):
    a, b = _run(loaders, seed=1), _run(loaders, seed=1)
    assert a == b
    assert a.val_loss != _run(loaders, seed=2).val_loss


def test_history_has_one_lr_per_step_and_one_row_per_epoch(loaders):
    h = _run(loaders, epochs=4)
    assert len(h.lrs) == 4 * len(loaders[0]) == 4 * h.steps_per_epoch
    assert len(h.train_loss) == len(h.val_loss) == len(h.val_acc) == 4
    assert 0.5 < h.final_val_acc <= 1 and h.best_val_acc >= h.final_val_acc
    assert not h.diverged and "val accuracy" in h.summary()


def test_per_epoch_stepping_matches_the_preview(loaders):
    h = _run(loaders, sched=lambda o: L.StepLR(o, 2, 0.1), epochs=5)
    per_epoch = h.lrs[:: h.steps_per_epoch]
    assert per_epoch == pytest.approx(preview_schedule(lambda o: L.StepLR(o, 2, 0.1), 5))
    assert len(set(h.lrs[: h.steps_per_epoch])) == 1


def test_per_batch_stepping_matches_the_preview(loaders):
    steps = 3 * len(loaders[0])
    factory = lambda o: L.OneCycleLR(o, 0.5, total_steps=steps)  # noqa: E731
    h = _run(loaders, sched=factory, epochs=3, step_every="batch")
    assert h.lrs == pytest.approx(preview_schedule(factory, steps))


def test_optimizer_steps_before_scheduler(loaders, recwarn):
    _run(loaders, sched=lambda o: L.StepLR(o, 1, 0.5), epochs=2)
    assert not [w for w in recwarn if "before `optimizer.step()`" in str(w.message)]


def test_plateau_is_fed_the_validation_loss(loaders):
    h = _run(loaders, lr=0.05, sched=lambda o: L.ReduceLROnPlateau(o, patience=0, factor=0.5),
             epochs=6)
    per_epoch = h.lrs[:: h.steps_per_epoch]
    expected = preview_schedule(lambda o: L.ReduceLROnPlateau(o, patience=0, factor=0.5), 6,
                                base_lr=0.05, metrics=h.val_loss)
    assert per_epoch == pytest.approx(expected)
    with pytest.raises(ValueError, match="once per epoch"):
        _run(loaders, sched=lambda o: L.ReduceLROnPlateau(o), step_every="batch")


def test_divergence_stops_the_run_with_a_message(loaders):
    h = _run(loaders, lr=1e6, epochs=5)
    assert h.diverged
    assert len(h.val_acc) < 5
    assert "too large" in h.message or "smaller learning rate" in h.message
    assert h.summary() == h.message
    assert all(math.isfinite(v) for v in h.lrs)


def test_bad_arguments_are_clear(loaders):
    with pytest.raises(ValueError, match="step_every"):
        _run(loaders, step_every="iteration")
    model = make_model("mlp")
    with pytest.raises(ValueError, match="loaders"):
        train(model, [loaders[0]], torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)


def test_cnn_trains_too(loaders):
    assert _run(loaders, kind="cnn", epochs=2).final_val_acc > 0.3


def test_models_are_seeded_and_leave_the_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    a = make_model("mlp", seed=1)
    assert torch.equal(torch.rand(1), expected)
    b = make_model("mlp", seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    with pytest.raises(ValueError, match="mlp"):
        make_model("resnet")


def test_plot_helpers_return_their_axes(loaders):
    import matplotlib.pyplot as plt

    h = _run(loaders, epochs=2)
    fig, ax = plt.subplots()
    assert plot_schedule(h, ax=ax) is ax
    assert plot_schedule(lambda o: L.StepLR(o, 3), 10, ax=ax, label="step", log=True) is ax
    assert plot_history(h, "val_loss", ax=ax, label="run") is ax
    assert compare_runs({"a": h, "seeds": [h, h]}, ax=ax) is ax
    assert len(ax.lines) >= 4
    assert ax.lines[1].get_drawstyle() == "steps-post"
    with pytest.raises(ValueError, match="metric"):
        plot_history(h, "accuracy", ax=ax)
    assert History().summary() == "No epoch finished."
    plt.close(fig)


def test_training_runs_on_one_thread_and_restores_the_setting(loaders):
    torch.set_num_threads(2)
    seen = []
    model = make_model("mlp")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    original_step = opt.step

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original_step(*args, **kwargs)

    opt.step = spy
    train(model, loaders, opt, epochs=1, device="cpu", progress=False)
    assert set(seen) == {1}
    assert torch.get_num_threads() == 2
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


class _ModeRecorder(torch.optim.SGD):
    """An SGD with schedule-free's train()/eval(), recording each call and each step's mode."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.calls, self.step_modes, self.mode = [], [], "eval"

    def train(self):
        self.calls.append("train")
        self.mode = "train"

    def eval(self):
        self.calls.append("eval")
        self.mode = "eval"

    def step(self, closure=None):
        self.step_modes.append(self.mode)
        return super().step(closure)


def test_a_schedule_free_optimizer_steps_in_train_mode_and_is_evaluated_in_eval_mode(loaders):
    model = make_model(seed=0)
    opt = _ModeRecorder(model.parameters(), lr=0.1)
    history = train(model, loaders, opt, epochs=2, device="cpu", progress=False)
    assert opt.calls == ["train", "eval", "train", "eval", "eval"]  # ends in eval mode
    assert set(opt.step_modes) == {"train"} and len(opt.step_modes) == len(history.lrs)


def test_schedule_free_adamw_is_left_holding_the_weights_it_was_scored_on(loaders):
    schedulefree = pytest.importorskip("schedulefree")
    from course_utils.training import evaluate

    model = make_model(seed=0)
    opt = schedulefree.AdamWScheduleFree(model.parameters(), lr=0.01, warmup_steps=5)
    history = train(model, loaders, opt, epochs=2, device="cpu", progress=False)
    loss_fn = torch.nn.CrossEntropyLoss()
    assert not opt.param_groups[0]["train_mode"]
    scored = evaluate(model, loaders[1], loss_fn, torch.device("cpu"))[0]
    assert scored == pytest.approx(history.final_val_loss, abs=1e-6)
    opt.train()  # the weights it steps from are not the ones it reported
    assert evaluate(model, loaders[1], loss_fn, torch.device("cpu"))[0] != pytest.approx(
        history.final_val_loss, abs=1e-6)


def test_an_optimizer_with_only_one_of_the_two_methods_is_left_alone(loaders):
    model = make_model(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.train = lambda: (_ for _ in ()).throw(AssertionError("train() must not be called"))
    history = train(model, loaders, opt, epochs=1, device="cpu", progress=False)
    assert len(history.val_loss) == 1
