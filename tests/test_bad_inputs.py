"""Bad input to the public API gets a clear TypeError or ValueError, never a deep traceback.

One table: what is called, the exception it must raise, and words its message
must contain (the argument's name, and what it accepts where that helps).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

from course_utils.char_lm import CharMLP, generate, make_char_lm
from course_utils.data import load_digits, make_loaders, show_digits
from course_utils.distributed import run_data_parallel
from course_utils.experiments import Comparison, compare_recipes
from course_utils.hiker import simulate_hike
from course_utils.hiker_map import simulate_hike_2d
from course_utils.hiker_map_widget import HikerMapWidget
from course_utils.hiker_widget import HikerWidget
from course_utils.lint import lint_schedule
from course_utils.maintainer import execute
from course_utils.models import TinyCNN, TinyMLP, make_model
from course_utils.param_trace import trace_param_groups
from course_utils.plateau import scripted_losses, simulate_plateau
from course_utils.plateau_widget import PlateauWidget, plot_plateau
from course_utils.plotting import compare_runs, plot_history, plot_schedule
from course_utils.range_test import hike_range_test, lr_range_test
from course_utils.schedules import dummy_optimizer, preview_schedule
from course_utils.sweep import sweep_hiker
from course_utils.text_data import load_text, make_text_loaders
from course_utils.training import History, cpu_threads, train
from course_utils.warmup import cosine_with_warmup, linear_with_warmup, warmup_stable_decay


class NoParameters(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


@pytest.fixture(scope="module")
def kit() -> SimpleNamespace:
    loaders = make_loaders(batch_size=128, train_size=128)
    model = make_model("mlp", seed=0)
    return SimpleNamespace(loaders=loaders, train=loaders[0], model=model,
                           opt=torch.optim.SGD(model.parameters(), lr=0.1))


def sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1)


def recipe(model: nn.Module, epochs: int, steps: int) -> tuple[Any, None, str]:
    return sgd(model), None, "epoch"


def sweep(k: SimpleNamespace, **kwargs: Any) -> Any:
    return lr_range_test(k.model, k.train, k.opt, steps=5, **kwargs)


def fit(k: SimpleNamespace, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("epochs", 1)
    return train(k.model, k.loaders, k.opt, *args, progress=False, **kwargs)


def recipes(**kwargs: Any) -> Any:
    kwargs.setdefault("epochs", 1)
    kwargs.setdefault("seeds", (0,))
    return compare_recipes(kwargs.pop("recipes", {"sgd": recipe}), train_size=64, **kwargs)


def plateau_of(**kwargs: Any) -> Any:
    return simulate_plateau([1.0, 0.9, 0.9], **kwargs)


def preview(**kwargs: Any) -> Any:
    kwargs.setdefault("steps", 5)
    return preview_schedule(lambda o: StepLR(o, 2), **kwargs)


def lint(**kwargs: Any) -> Any:
    kwargs = {"epochs": 3, "steps_per_epoch": 2, **kwargs}
    return lint_schedule(lambda o: StepLR(o, 2), **kwargs)


def huge_lr_recipe(model: nn.Module, epochs: int, steps: int) -> tuple[Any, None, str]:
    return torch.optim.SGD(model.parameters(), lr=1e308), None, "epoch"


Row = tuple[str, Callable[[SimpleNamespace], Any], type[Exception], str]

ROWS: list[Row] = [
    # models
    ("make_model(hidden=-1)", lambda k: make_model(hidden=-1), ValueError, "hidden"),
    ("make_model(hidden=0)", lambda k: make_model(hidden=0), ValueError, "1 or more"),
    ("make_model(hidden=1.5)", lambda k: make_model(hidden=1.5), TypeError, "whole number"),
    ("make_model(hidden=None)", lambda k: make_model(hidden=None), TypeError, "hidden"),
    ("make_model('cnn', channels=0)", lambda k: make_model("cnn", channels=0), ValueError,
     "channels"),
    ("make_model('cnn', hidden=8)", lambda k: make_model("cnn", hidden=8), TypeError,
     "accepts only channels"),
    ("make_model(width=3)", lambda k: make_model(width=3), TypeError, "accepts only hidden"),
    ("make_model(kind=[])", lambda k: make_model([]), ValueError, "kind must be one of"),
    ("make_model(seed=None)", lambda k: make_model(seed=None), TypeError, "seed"),
    ("make_model(seed=nan)", lambda k: make_model(seed=math.nan), TypeError, "seed"),
    ("TinyMLP(-1)", lambda k: TinyMLP(-1), ValueError, "hidden"),
    ("TinyCNN(-1)", lambda k: TinyCNN(-1), ValueError, "channels"),
    # train
    ("train(model=None)", lambda k: train(None, k.loaders, k.opt, epochs=1), TypeError,
     "model must be a torch nn.Module"),
    ("train(model without parameters)",
     lambda k: train(NoParameters(), k.loaders, k.opt, epochs=1), ValueError, "no parameters"),
    ("train(optimizer=None)", lambda k: train(k.model, k.loaders, None, epochs=1), TypeError,
     "optimizer must be a torch optimizer"),
    ("train(optimizer of another model)",
     lambda k: train(k.model, k.loaders, sgd(make_model()), epochs=1), ValueError,
     "holds none of the model's parameters"),
    ("train(loaders=None)", lambda k: train(k.model, None, k.opt, epochs=1), TypeError,
     "loaders must be (train, val)"),
    ("train(loaders='ab')", lambda k: train(k.model, "ab", k.opt, epochs=1), TypeError,
     "loaders must be"),
    ("train(loaders=(a str, a str))", lambda k: train(k.model, ("a", "b"), k.opt, epochs=1),
     TypeError, "training loader must be a DataLoader"),
    ("train(empty training loader)",
     lambda k: train(k.model, ([], k.loaders[1]), k.opt, epochs=1), ValueError,
     "training loader is empty"),
    ("train(empty validation loader)",
     lambda k: train(k.model, (k.train, []), k.opt, epochs=1), ValueError,
     "validation loader is empty"),
    ("train(scheduler=<an optimizer>)", lambda k: fit(k, k.opt), TypeError,
     "not an optimizer (SGD)"),
    ("train(scheduler built on another optimizer)",
     lambda k: fit(k, StepLR(sgd(make_model()), 1)), ValueError,
     "scheduler (StepLR) was built on another optimizer (SGD"),
    ("train(scheduler=a factory)", lambda k: fit(k, lambda opt: StepLR(opt, 1)), TypeError,
     "scheduler=factory(optimizer)"),
    ("train(scheduler=3)", lambda k: fit(k, 3), TypeError, "scheduler must be an LR scheduler"),
    ("train(epochs=0)", lambda k: fit(k, epochs=0), ValueError, "epochs"),
    ("train(epochs=-1)", lambda k: fit(k, epochs=-1), ValueError, "1 or more"),
    ("train(epochs=1.5)", lambda k: fit(k, epochs=1.5), TypeError, "epochs"),
    ("train(epochs=nan)", lambda k: fit(k, epochs=math.nan), TypeError, "epochs"),
    ("train(seed=None)", lambda k: fit(k, seed=None), TypeError, "seed"),
    ("train(step_every=None)", lambda k: fit(k, step_every=None), ValueError, "step_every"),
    ("train(device='gpu')", lambda k: fit(k, device="gpu"), ValueError, "device must be"),
    ("train(device=3.5)", lambda k: fit(k, device=3.5), TypeError, "device must be"),
    ("train(loss_fn=3)", lambda k: fit(k, loss_fn=3), TypeError, "loss_fn"),
    ("cpu_threads(0)", lambda k: cpu_threads(0).__enter__(), ValueError, "1 or more"),
    ("cpu_threads(None)", lambda k: cpu_threads(None).__enter__(), TypeError, "whole number"),
    # lr_range_test and hike_range_test
    ("lr_range_test(model without parameters)",
     lambda k: lr_range_test(NoParameters(), k.train, k.opt, steps=5), ValueError,
     "no parameters"),
    ("lr_range_test(model=None)", lambda k: lr_range_test(None, k.train, k.opt), TypeError,
     "model must be"),
    ("lr_range_test(optimizer=None)", lambda k: lr_range_test(k.model, k.train, None),
     TypeError, "optimizer must be"),
    ("lr_range_test(optimizer of another model)",
     lambda k: lr_range_test(k.model, k.train, sgd(make_model())), ValueError,
     "holds none of the model's parameters"),
    ("lr_range_test(loader=None)", lambda k: lr_range_test(k.model, None, k.opt), TypeError,
     "loader must be a DataLoader"),
    ("lr_range_test(loader=[])", lambda k: lr_range_test(k.model, [], k.opt, steps=5),
     ValueError, "loader is empty"),
    ("lr_range_test(smooth=0)", lambda k: sweep(k, smooth=0), ValueError,
     "smooth must be a finite number greater than 0 and at most 1"),
    ("lr_range_test(smooth=2)", lambda k: sweep(k, smooth=2), ValueError, "smooth"),
    ("lr_range_test(smooth=-1)", lambda k: sweep(k, smooth=-1), ValueError, "smooth"),
    ("lr_range_test(smooth=nan)", lambda k: sweep(k, smooth=math.nan), ValueError, "smooth"),
    ("lr_range_test(smooth=None)", lambda k: sweep(k, smooth=None), TypeError, "smooth"),
    ("lr_range_test(start_lr=0)", lambda k: sweep(k, start_lr=0), ValueError,
     "start_lr must be a finite number greater than 0"),
    ("lr_range_test(start_lr='a')", lambda k: sweep(k, start_lr="a"), TypeError, "start_lr"),
    ("lr_range_test(end_lr=inf)", lambda k: sweep(k, end_lr=math.inf), ValueError, "end_lr"),
    ("lr_range_test(end_lr=None)", lambda k: sweep(k, end_lr=None), TypeError, "end_lr"),
    ("lr_range_test(start_lr > end_lr)", lambda k: sweep(k, start_lr=1.0, end_lr=0.1),
     ValueError, "start_lr < end_lr"),
    ("lr_range_test(steps=1)", lambda k: lr_range_test(k.model, k.train, k.opt, steps=1),
     ValueError, "steps must be a whole number of 2 or more"),
    ("lr_range_test(steps=2.5)", lambda k: lr_range_test(k.model, k.train, k.opt, steps=2.5),
     TypeError, "steps"),
    ("lr_range_test(diverge_factor=0)", lambda k: sweep(k, diverge_factor=0), ValueError,
     "diverge_factor must be a finite number greater than 1"),
    ("lr_range_test(diverge_factor=nan)", lambda k: sweep(k, diverge_factor=math.nan),
     ValueError, "diverge_factor"),
    ("lr_range_test(seed=None)", lambda k: sweep(k, seed=None), TypeError, "seed"),
    ("lr_range_test(loss_fn=3)", lambda k: sweep(k, loss_fn=3), TypeError, "loss_fn"),
    ("hike_range_test(start_lr=nan)", lambda k: hike_range_test(start_lr=math.nan), ValueError,
     "start_lr"),
    ("hike_range_test(steps=None)", lambda k: hike_range_test(steps=None), TypeError, "steps"),
    ("RangeTestResult.plot(ax=3)", lambda k: hike_range_test(steps=20).plot(ax=3), TypeError,
     "ax must be a matplotlib Axes"),
    # plotting
    ("plot_history(None)", lambda k: plot_history(None), TypeError,
     "history must be a History"),
    ("plot_history([1, 2])", lambda k: plot_history([1, 2]), TypeError, "history"),
    ("plot_history(metric=None)", lambda k: plot_history(History(), None), ValueError,
     "metric must be one of"),
    ("plot_history(ax=3)", lambda k: plot_history(History(), ax=3), TypeError,
     "ax must be a matplotlib Axes"),
    ("plot_schedule(None)", lambda k: plot_schedule(None), TypeError,
     "schedule must be a list of LRs"),
    ("plot_schedule('abc')", lambda k: plot_schedule("abc"), TypeError, "not str"),
    ("plot_schedule(an optimizer)", lambda k: plot_schedule(k.opt, 5), TypeError, "not SGD"),
    ("plot_schedule([1, 'a'])", lambda k: plot_schedule([1, "a"]), TypeError,
     "item 1 of the list is 'a'"),
    ("plot_schedule(steps=-1)", lambda k: plot_schedule([0.1, 0.2], steps=-1), ValueError,
     "steps"),
    ("plot_schedule(steps=1.5)", lambda k: plot_schedule([0.1, 0.2], steps=1.5), TypeError,
     "steps"),
    ("plot_schedule(ax='left')", lambda k: plot_schedule([0.1], ax="left"), TypeError, "ax"),
    ("compare_runs(None)", lambda k: compare_runs(None), TypeError, "runs must be a dict"),
    ("compare_runs({'a': None})", lambda k: compare_runs({"a": None}), TypeError, "runs['a']"),
    ("compare_runs({'a': [1]})", lambda k: compare_runs({"a": [1]}), TypeError, "runs['a']"),
    ("compare_runs(metric='nope')", lambda k: compare_runs({"a": [History()]}, "nope"),
     ValueError, "metric must be one of"),
    # compare_recipes and its Comparison
    ("compare_recipes(None)", lambda k: compare_recipes(None, epochs=1), TypeError,
     "recipes must be a non-empty dict"),
    ("compare_recipes({})", lambda k: compare_recipes({}, epochs=1), ValueError, "empty"),
    ("compare_recipes({'a': 3})", lambda k: recipes(recipes={"a": 3}), TypeError,
     "recipes['a'] is int"),
    ("compare_recipes(a recipe returning None)",
     lambda k: recipes(recipes={"a": lambda m, e, s: None}), TypeError,
     "recipe 'a' must return (optimizer, scheduler or None, step_every)"),
    ("compare_recipes(epochs=0)", lambda k: recipes(epochs=0), ValueError, "epochs"),
    ("compare_recipes(epochs=None)", lambda k: recipes(epochs=None), TypeError, "epochs"),
    ("compare_recipes(seeds=())", lambda k: recipes(seeds=()), ValueError, "seeds"),
    ("compare_recipes(seeds=3)", lambda k: recipes(seeds=3), TypeError, "seeds"),
    ("compare_recipes(seeds=(0.5,))", lambda k: recipes(seeds=(0.5,)), TypeError, "seed"),
    ("compare_recipes(model='x')", lambda k: recipes(model="x"), ValueError,
     "model must be one of"),
    ("compare_recipes(batch_size=None)", lambda k: recipes(batch_size=None), TypeError,
     "batch_size"),
    ("Comparison.stats(metric='nope')", lambda k: Comparison().stats("nope"), ValueError,
     "metric must be one of"),
    ("Comparison.plot(metric='nope')", lambda k: Comparison().plot("nope"), ValueError,
     "metric must be one of"),
    ("Comparison.plot(ax=3)", lambda k: Comparison().plot(ax=3), TypeError, "ax"),
    # data
    ("make_loaders(batch_size=None)", lambda k: make_loaders(batch_size=None), TypeError,
     "batch_size"),
    ("make_loaders(batch_size=0)", lambda k: make_loaders(batch_size=0), ValueError,
     "batch_size"),
    ("make_loaders(seed=1.5)", lambda k: make_loaders(seed=1.5), TypeError, "seed"),
    ("make_loaders(train_size='a')", lambda k: make_loaders(train_size="a"), TypeError,
     "train_size"),
    ("load_digits([])", lambda k: load_digits([]), ValueError, "split must be one of"),
    ("show_digits(n=None)", lambda k: show_digits(n=None), TypeError, "n must be"),
    ("show_digits(n=0)", lambda k: show_digits(n=0), ValueError, "n must be"),
    # simulate_plateau checks every argument
    ("simulate_plateau(mode=None)", lambda k: plateau_of(mode=None), TypeError, "mode"),
    ("simulate_plateau(patience=inf)", lambda k: plateau_of(patience=math.inf), TypeError,
     "patience"),
    ("simulate_plateau(factor='0.1')", lambda k: plateau_of(factor="0.1"), TypeError, "factor"),
    ("simulate_plateau(factor=2)", lambda k: plateau_of(factor=2), ValueError,
     "factor must be a finite number at least 0 and less than 1"),
    ("simulate_plateau(base_lr=-1)", lambda k: plateau_of(base_lr=-1), ValueError, "base_lr"),
    ("simulate_plateau(a 0-d tensor of losses)",
     lambda k: simulate_plateau(torch.tensor(0.5)), TypeError, "losses must be a list"),
    ("simulate_plateau(losses=[1, nan])", lambda k: simulate_plateau([1.0, math.nan]),
     ValueError, "item 1 of losses"),
    ("simulate_plateau(threshold_mode=3)", lambda k: plateau_of(threshold_mode=3), TypeError,
     "threshold_mode must be one of 'rel', 'abs'"),
    ("scripted_losses(seed=10**30)", lambda k: scripted_losses(seed=10**30), ValueError, "seed"),
    ("scripted_losses(epochs=1e300)", lambda k: scripted_losses(epochs=1e300), TypeError,
     "epochs"),
    # preview_schedule
    ("preview_schedule(base_lr=None)", lambda k: preview(base_lr=None), TypeError, "base_lr"),
    ("preview_schedule(base_lr='0.1')", lambda k: preview(base_lr="0.1"), TypeError, "base_lr"),
    ("preview_schedule(base_lr=-0.1)", lambda k: preview(base_lr=-0.1), ValueError,
     "base_lr must be a finite number at least 0"),
    ("preview_schedule(base_lr=nan)", lambda k: preview(base_lr=math.nan), ValueError,
     "base_lr"),
    ("preview_schedule(base_lr=inf)", lambda k: preview(base_lr=math.inf), ValueError,
     "base_lr"),
    ("preview_schedule(steps=inf)", lambda k: preview(steps=math.inf), TypeError, "steps"),
    ("preview_schedule(steps='0.1')", lambda k: preview(steps="0.1"), TypeError, "steps"),
    ("preview_schedule(steps=1e300)", lambda k: preview(steps=1e300), ValueError,
     "at most 10,000,000"),
    ("preview_schedule(steps=10**30)", lambda k: preview(steps=10**30), ValueError, "steps"),
    ("preview_schedule(a scalar metrics)",
     lambda k: preview_schedule(lambda o: ReduceLROnPlateau(o), 3, metrics=0.5), TypeError,
     "metrics must be a list of numbers"),
    ("plot_schedule(base_lr=-1)", lambda k: plot_schedule(lambda o: StepLR(o, 2), 5, base_lr=-1),
     ValueError, "base_lr"),
    ("dummy_optimizer(momentum=1)", lambda k: dummy_optimizer(momentum=1), ValueError,
     "momentum"),
    ("trace_param_groups(steps=10**30)",
     lambda k: trace_param_groups(lambda o: StepLR(o, 2), 10**30), ValueError, "steps"),
    ("trace_param_groups(keys=None)", lambda k: trace_param_groups(lambda o: StepLR(o, 2), 3,
                                                                   keys=None),
     TypeError, "keys"),
    # lint_schedule
    ("lint_schedule(epochs=1e300)", lambda k: lint(epochs=1e300), ValueError, "epochs"),
    ("lint_schedule(steps_per_epoch=1e300)", lambda k: lint(steps_per_epoch=1e300), ValueError,
     "steps_per_epoch"),
    ("lint_schedule(epochs=-1)", lambda k: lint(epochs=-1), ValueError, "epochs"),
    ("lint_schedule(epochs x steps too many)", lambda k: lint(epochs=10**6, steps_per_epoch=100),
     ValueError, "at most 10,000,000 steps"),
    ("lint_schedule(step_every=[])", lambda k: lint(step_every=[]), ValueError, "step_every"),
    # counts above the maximum, refused before any work
    ("simulate_hike(steps=10**30)", lambda k: simulate_hike("bowl", 0.1, steps=10**30),
     ValueError, "steps must be a whole number of at most 10,000,000"),
    ("simulate_hike(seed=10**30)", lambda k: simulate_hike("bowl", 0.1, seed=10**30),
     ValueError, "seed"),
    ("train(epochs=10**30)", lambda k: fit(k, epochs=10**30), ValueError, "epochs"),
    ("train(seed=10**30)", lambda k: fit(k, seed=10**30), ValueError, "seed"),
    ("train(an optimizer with lr=1e308)",
     lambda k: train(k.model, k.loaders, torch.optim.SGD(k.model.parameters(), lr=1e308),
                     epochs=1, progress=False), ValueError, "lr=1e+308"),
    ("compare_recipes(a recipe with lr=1e308)",
     lambda k: recipes(recipes={"big": huge_lr_recipe}), ValueError, "lr=1e+308"),
    ("lr_range_test(steps=10**30)", lambda k: lr_range_test(k.model, k.train, k.opt,
                                                            steps=10**30),
     ValueError, "steps"),
    ("lr_range_test(end_lr=1e300)", lambda k: sweep(k, end_lr=1e300), ValueError, "end_lr"),
    ("make_model(seed=10**30)", lambda k: make_model(seed=10**30), ValueError, "seed"),
    ("make_model(hidden=10**6)", lambda k: make_model(hidden=10**6), ValueError, "at most"),
    ("make_loaders(seed=-1.5)", lambda k: make_loaders(seed=-1.5), TypeError, "seed"),
    ("cpu_threads(10**30)", lambda k: cpu_threads(10**30).__enter__(), ValueError, "n must"),
    # warmup factories
    ("cosine_with_warmup(warmup_steps=inf)",
     lambda k: cosine_with_warmup(dummy_optimizer(), math.inf, 10), ValueError, "warmup_steps"),
    ("linear_with_warmup(total_steps=1e300)",
     lambda k: linear_with_warmup(dummy_optimizer(), 1, 1e300), ValueError, "total_steps"),
    ("warmup_stable_decay(decay_steps=nan)",
     lambda k: warmup_stable_decay(dummy_optimizer(), 1, 10, math.nan), ValueError,
     "decay_steps"),
    # run_data_parallel refuses before starting any process
    ("run_data_parallel(timeout=inf)", lambda k: run_data_parallel(lr=0.1, timeout=math.inf),
     ValueError, "timeout"),
    ("run_data_parallel(model=[])", lambda k: run_data_parallel(lr=0.1, model=[]), ValueError,
     "model must be one of"),
    ("run_data_parallel(schedule_params=3)",
     lambda k: run_data_parallel(lr=0.1, schedule_params=3), TypeError, "schedule_params"),
    ("run_data_parallel(lr=1e300)", lambda k: run_data_parallel(lr=1e300), ValueError, "lr"),
    # the widgets and the plateau plots
    ("PlateauWidget(factor=nan)", lambda k: PlateauWidget(factor=math.nan), ValueError,
     "factor"),
    ("PlateauWidget(mode=None)", lambda k: PlateauWidget(mode=None), TypeError, "mode"),
    ("PlateauWidget(losses='abc')", lambda k: PlateauWidget(losses="abc"), TypeError, "losses"),
    ("HikerWidget(lr=nan)", lambda k: HikerWidget(lr=math.nan), ValueError, "lr"),
    ("HikerWidget(seed=10**30)", lambda k: HikerWidget(seed=10**30), ValueError, "seed"),
    ("plot_plateau(None)", lambda k: plot_plateau(None), TypeError, "trace must be"),
    ("plot_plateau(first_epoch=None)",
     lambda k: plot_plateau(simulate_plateau([1.0, 1.0]), first_epoch=None), TypeError,
     "first_epoch"),
    ("load_digits(root=None)", lambda k: load_digits(root=None), TypeError, "root"),
    # lesson 08's language model
    ("make_char_lm(seed=10**30)", lambda k: make_char_lm(seed=10**30), ValueError, "seed"),
    ("make_char_lm(hidden=10**30)", lambda k: make_char_lm(hidden=10**30), ValueError,
     "hidden"),
    ("CharMLP(window=1e300)", lambda k: CharMLP(window=1e300), TypeError, "window"),
    ("generate(model=None)", lambda k: generate(None), TypeError, "model must be"),
    ("generate(length=10**30)", lambda k: generate(make_char_lm(), length=10**30), ValueError,
     "length"),
    ("generate(prompt=None)", lambda k: generate(make_char_lm(), prompt=None), TypeError,
     "prompt"),
    ("generate(seed=10**30)", lambda k: generate(make_char_lm(), seed=10**30), ValueError,
     "seed"),
    ("make_text_loaders(seed=10**30)", lambda k: make_text_loaders(seed=10**30), ValueError,
     "seed"),
    ("load_text(root=3)", lambda k: load_text(root=3), TypeError, "root"),
]


@pytest.mark.parametrize("call, make, error, text", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_gets_a_clear_error(kit: SimpleNamespace, call: str,
                                      make: Callable[[SimpleNamespace], Any],
                                      error: type[Exception], text: str) -> None:
    before = [p.detach().clone() for p in kit.model.parameters()]
    try:
        with pytest.raises(error) as caught:
            make(kit)
    finally:
        plt.close("all")
    assert type(caught.value) is error  # not a subclass such as a torch-internal error
    assert text in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1
    # Refused before anything happened: the shared model is untouched.
    assert all(torch.equal(a, b) for a, b in zip(before, kit.model.parameters(), strict=True))


def test_the_table_covers_every_public_function_of_these_modules() -> None:
    called = {row[0].split("(")[0] for row in ROWS}
    public = {"make_model", "TinyMLP", "TinyCNN", "train", "cpu_threads", "lr_range_test",
              "hike_range_test", "plot_history", "plot_schedule", "compare_runs",
              "compare_recipes", "Comparison.stats", "Comparison.plot", "RangeTestResult.plot",
              "make_loaders", "load_digits", "show_digits", "simulate_plateau",
              "scripted_losses", "preview_schedule", "dummy_optimizer", "trace_param_groups",
              "lint_schedule", "simulate_hike", "cosine_with_warmup", "linear_with_warmup",
              "warmup_stable_decay", "run_data_parallel", "PlateauWidget", "HikerWidget",
              "plot_plateau"}
    assert public <= called


# Every kind of bad argument, on every argument of the functions and widgets that do no
# training: each is refused with a one-line TypeError or ValueError naming the argument,
# or accepted and answered (a list of LRs then holds finite numbers only), within seconds.
BAD_KINDS = {"None": None, "a string": "0.1", "nan": math.nan, "inf": math.inf,
             "-inf": -math.inf, "-1": -1, "0": 0, "1e300": 1e300, "10**30": 10**30,
             "a 0-d tensor": torch.tensor(0.5), "numpy nan": np.float64("nan"),
             "a numpy int": np.int64(3)}


def _step2(o: torch.optim.Optimizer) -> StepLR:
    return StepLR(o, 2)


SWEPT: dict[str, tuple[Callable[..., Any], dict[str, Any], tuple[str, ...]]] = {
    "preview_schedule": (preview_schedule, {"scheduler_or_factory": _step2, "steps": 5},
                         ("steps", "base_lr")),
    "plot_schedule": (plot_schedule, {"schedule": _step2, "steps": 5}, ("steps", "base_lr")),
    "simulate_plateau": (simulate_plateau, {"losses": [1.0, 0.9, 0.9]},
                         ("losses", "mode", "factor", "patience", "threshold",
                          "threshold_mode", "cooldown", "min_lr", "eps", "base_lr")),
    "scripted_losses": (scripted_losses, {}, ("kind", "seed", "epochs")),
    "lint_schedule": (lint_schedule, {"scheduler_or_factory": _step2, "epochs": 3,
                                      "steps_per_epoch": 2},
                      ("epochs", "steps_per_epoch", "step_every", "base_lr")),
    "simulate_hike": (simulate_hike, {"landscape": "bowl", "lr": 0.1, "steps": 20},
                      ("landscape", "lr", "schedule", "steps", "start", "momentum", "noise",
                       "seed")),
    "hike_range_test": (hike_range_test, {"steps": 20},
                        ("landscape", "start_lr", "end_lr", "steps", "start", "momentum")),
    "cosine_with_warmup": (lambda **k: cosine_with_warmup(dummy_optimizer(), **k),
                           {"warmup_steps": 2, "total_steps": 10},
                           ("warmup_steps", "total_steps", "final_lr_ratio")),
    "warmup_stable_decay": (lambda **k: warmup_stable_decay(dummy_optimizer(), **k),
                            {"warmup_steps": 2, "total_steps": 10, "decay_steps": 3},
                            ("warmup_steps", "total_steps", "decay_steps", "final_lr_ratio",
                             "shape")),
    "trace_param_groups": (trace_param_groups, {"scheduler_factory": _step2, "steps": 5},
                           ("steps", "keys", "optimizer")),
    "dummy_optimizer": (dummy_optimizer, {}, ("base_lr", "momentum")),
    "make_model": (make_model, {}, ("kind", "seed", "hidden")),
    "HikerWidget": (HikerWidget, {"steps": 20},
                    ("landscape", "schedule", "lr", "steps", "start", "momentum", "noise",
                     "seed")),
    "PlateauWidget": (PlateauWidget, {},
                      ("losses", "kind", "seed", "epochs", "mode", "base_lr", "factor",
                       "patience", "threshold", "threshold_mode", "cooldown", "min_lr")),
    "plot_plateau": (plot_plateau, {"trace": None}, ("trace", "first_epoch")),
    "simulate_hike_2d": (simulate_hike_2d, {"landscape": "valley", "lr": 0.1, "steps": 20},
                         ("landscape", "lr", "schedule", "steps", "start", "momentum",
                          "noise", "seed")),
    "HikerMapWidget": (HikerMapWidget, {"steps": 20},
                       ("landscape", "schedule", "lr", "steps", "momentum", "noise", "seed")),
    "sweep_hiker": (sweep_hiker, {"peaks": [0.05, 0.1], "seeds": [0], "steps": 20},
                    ("peaks", "schedules", "seeds", "landscape", "steps", "noise",
                     "momentum")),
}
SWEEP = [(name, arg, kind) for name, (_, _, args) in SWEPT.items() for arg in args
         for kind in BAD_KINDS]


class _TooSlow(Exception):
    pass


def _stop(*_: Any) -> None:
    raise _TooSlow


@pytest.mark.parametrize("name, arg, kind", SWEEP, ids=[f"{n}({a}={k})" for n, a, k in SWEEP])
def test_no_bad_argument_gets_a_raw_traceback_or_a_hang(name: str, arg: str, kind: str) -> None:
    fn, good, _ = SWEPT[name]
    kwargs = {**good, arg: BAD_KINDS[kind]}
    if name == "plot_plateau" and arg != "trace":
        kwargs["trace"] = simulate_plateau([1.0, 0.9])
    old = signal.signal(signal.SIGALRM, _stop)
    signal.alarm(30)
    try:
        result = fn(**kwargs)
    except (TypeError, ValueError) as err:
        assert arg in str(err) and len(str(err).splitlines()) == 1, str(err)
        return
    except _TooSlow:
        pytest.fail(f"{name}({arg}={kind}) ran for 30 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        plt.close("all")
    if isinstance(result, list) and all(isinstance(v, float) for v in result):
        assert all(math.isfinite(v) for v in result)


@pytest.mark.parametrize("dropdown", ["landscape_dropdown", "schedule_dropdown"])
def test_a_hiker_dropdown_set_to_none_keeps_its_choice(dropdown: str) -> None:
    widget = HikerWidget(steps=20)
    control = getattr(widget, dropdown)
    before = control.value
    control.value = None
    assert control.value == before
    assert widget.hike.steps == 20


@pytest.mark.parametrize("name, content, message", [
    ("missing.ipynb", None, "no such file"),
    ("folder.ipynb", "folder", "not a file"),
    ("notes.txt", "just text", "not a Jupyter notebook"),
    ("odd.ipynb", '{"cells": 3}', "not a Jupyter notebook"),
])
def test_execute_refuses_what_is_not_a_notebook(
    tmp_path: Path, name: str, content: str | None, message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    assert execute.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {message}" in err and "nothing was executed" in err
    assert len(err.strip().splitlines()) == 1


def test_execute_on_the_command_line_has_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "course_utils.maintainer.execute",
                           str(tmp_path / "missing.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no such file" in done.stderr and "Traceback" not in done.stderr


def test_execute_runs_a_notebook_and_leaves_no_scratch_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LR_COURSE_PROGRESS")
    path = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import os\nprint(os.path.basename(os.path.dirname(os.environ['LR_COURSE_PROGRESS']))"
        "[:18])")]
    nbformat.write(nb, path)
    scratch = set(Path(tempfile.gettempdir()).glob("lr_course_execute_*"))
    assert execute.main([str(path)]) == 0
    assert nbformat.read(path, as_version=4).cells[0].outputs[0]["text"] == "lr_course_execute_\n"
    assert set(Path(tempfile.gettempdir()).glob("lr_course_execute_*")) <= scratch
    assert "LR_COURSE_PROGRESS" not in os.environ
