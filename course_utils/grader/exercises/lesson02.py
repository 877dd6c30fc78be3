"""Lesson 02 exercises: read a StepLR off its curve, predict a MultiStepLR, fix a loop's order."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler as lrs

from course_utils.grader.answers import (
    case_seed,
    checked_seed,
    float_list,
    float_seq,
    learner_error,
    record,
)
from course_utils.grader.builders import number_check
from course_utils.grader.protocol import Check, Exercise, Wrong
from course_utils.grader.results import Malformed, Rejected, Verdict
from course_utils.grader.schedule_feedback import Knob, schedule_check
from course_utils.schedules import dummy_optimizer, is_scheduler, preview_schedule

MYSTERY_BASE_LR = 0.1
MYSTERY_EPOCHS = 60


MYSTERY_PARAMS = {"step_size": 15, "gamma": 0.5}


def _mystery(optimizer: torch.optim.Optimizer) -> lrs.StepLR:
    return lrs.StepLR(optimizer, **MYSTERY_PARAMS)


def _mystery_with(name: str, value: Any) -> Callable[[Any], Any]:
    params = {**MYSTERY_PARAMS, name: value}
    return lambda opt: lrs.StepLR(opt, **params)


def _drops(lrs_seen: list[float]) -> list[int]:
    return [i for i in range(1, len(lrs_seen)) if lrs_seen[i] < lrs_seen[i - 1] * (1 - 1e-9)]


def _step_size_guesses(lrs_seen: list[float]) -> list[int]:
    drops = _drops(lrs_seen)
    return drops[:1] + [b - a for a, b in itertools.pairwise(drops)][:1]


def _gamma_guesses(lrs_seen: list[float]) -> list[float]:
    return [lrs_seen[i] / lrs_seen[i - 1] for i in _drops(lrs_seen)[:1] if lrs_seen[i - 1]]


MYSTERY_KNOBS = (
    Knob("step_size", _step_size_guesses,
         "Count the epochs the LR stays flat before the first drop on the plot."),
    Knob("gamma", _gamma_guesses,
         "Read the factor off one drop: the LR just after it divided by the LR just before."),
)


def mystery_lrs() -> list[float]:
    """The LR of each of 60 epochs of exercise 02.1's curve, starting from LR 0.1."""
    return preview_schedule(_mystery, MYSTERY_EPOCHS, base_lr=MYSTERY_BASE_LR)


check_mystery = schedule_check(_mystery, MYSTERY_EPOCHS, base_lr=MYSTERY_BASE_LR,
                               knobs=MYSTERY_KNOBS, vary=_mystery_with)

# 02.2: SGD(lr=0.5), MultiStepLR(milestones=[30, 40], gamma=0.2), stepped once per epoch.
check_epoch_45 = number_check(
    0.02,
    tol=1e-6,
    mistakes={
        0.5: "That is the starting LR: both milestones, 30 and 40, lie before epoch 45.",
        0.1: "That counts only the milestone at 30; the one at 40 has passed too.",
        0.004: "Three cuts: MultiStepLR cuts once per milestone, and there are two.",
        0.5 * 0.2**45: "MultiStepLR cuts only at its milestones, not at every epoch.",
    },
)


# --------------------------------------------------------------------------
# 02.3: fix a loop that steps the scheduler in the wrong place
# --------------------------------------------------------------------------

LOOP_EPOCHS = 2
LOOP_BATCHES = 3
LOOP_LR = 0.1
LOOP_GAMMA = 0.5


class _RecordingSGD(torch.optim.SGD):
    """SGD that notes the LR of every step it takes."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.lrs_used: list[float] = []

    def step(self, closure: Any = None) -> Any:
        self.lrs_used.append(float(self.param_groups[0]["lr"]))
        return super().step(closure)


Batches = list[tuple[torch.Tensor, torch.Tensor]]


def _loop_setup(seed: int | None = None) -> tuple[nn.Module, Batches, _RecordingSGD, lrs.StepLR]:
    """A fresh tiny problem: a linear model, three batches, SGD and StepLR(1, 0.5).

    Seed None gives the fixed problem; a seed draws another start and other batches.
    """
    gen = torch.Generator().manual_seed(0 if seed is None else seed % 2**63)
    model = nn.Linear(2, 1)
    with torch.no_grad():
        if seed is None:
            model.weight.copy_(torch.tensor([[0.5, -0.5]]))
        else:
            model.weight.copy_(torch.randn(1, 2, generator=gen))
        model.bias.zero_()
    batches = []
    for _ in range(LOOP_BATCHES):
        x = torch.randn(4, 2, generator=gen)
        batches.append((x, x @ torch.tensor([[1.0], [2.0]])))
    optimizer = _RecordingSGD(model.parameters(), lr=LOOP_LR)
    scheduler = lrs.StepLR(optimizer, step_size=1, gamma=LOOP_GAMMA)
    return model, batches, optimizer, scheduler


def train_one_epoch_reference(model: nn.Module, loader: Any, optimizer: Any, scheduler: Any,
                              loss_fn: Callable[..., torch.Tensor]) -> None:
    """One epoch: a step per batch, then one scheduler step after the epoch."""
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    scheduler.step()


def _run_loop(fn: Callable[..., Any], seed: int | None = None) -> dict[str, Any]:
    """Run `fn` for two epochs on a fresh setup: LRs used, scheduler steps, a warning, weights."""
    model, batches, optimizer, scheduler = _loop_setup(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(LOOP_EPOCHS):
            fn(model, batches, optimizer, scheduler, nn.functional.mse_loss)
    texts = [str(w.message) for w in caught]
    warned = any("before" in t and "optimizer.step()" in t for t in texts)
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    return {"lrs": [round(v, 9) for v in optimizer.lrs_used[:100]],
            "steps": int(scheduler.last_epoch), "warned": warned,
            "weights": [float(w) for w in weights]}


def _export_loop(answer: Any) -> dict[str, Any]:
    if not callable(answer) or is_scheduler(answer) or isinstance(answer, type):
        raise Rejected("This exercise wants your fixed function, `train_one_epoch`, "
                       f"not {type(answer).__name__}.")
    seed = case_seed()
    runs = []
    for run_seed in (None, seed):
        try:
            runs.append(_run_loop(answer, run_seed))
        except BaseException as err:  # the learner's code may raise anything
            raise Rejected(f"Your function raised {learner_error(err)} on a tiny two-epoch "
                           "run.") from None
    return {"seed": seed, "runs": runs}


def _read_run(run: Any) -> dict[str, Any]:
    run = record(run, ("lrs", "steps", "warned", "weights"), "a run")
    steps, warned = run["steps"], run["warned"]
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 10**6:
        raise ValueError
    if not isinstance(warned, bool):
        raise ValueError
    return {"lrs": float_seq(run["lrs"], 100, "the LRs"), "steps": steps, "warned": warned,
            "weights": float_list(run["weights"], 3, "the weights")}


def grade_loop(data: Any) -> Verdict:
    """02.3: the LRs the optimizer used, the scheduler's steps and the weights, both runs."""
    data = record(data, ("seed", "runs"))
    seed = checked_seed(data["seed"])
    runs = data["runs"]
    if not isinstance(runs, list) or len(runs) != 2:
        raise Malformed("there should be two runs")
    try:
        mine = [_read_run(r) for r in runs]
    except ValueError:
        raise Malformed("a run's step count or warning flag has the wrong type") from None
    expected = [_run_loop(train_one_epoch_reference, None),
                _run_loop(train_one_epoch_reference, seed)]
    yours, wanted = mine[0], expected[0]
    rounded = [round(v, 6) for v in yours["lrs"]]
    table = [("", "LR at each optimizer step (2 epochs x 3 batches)", "scheduler steps"),
             ("expected", str(wanted["lrs"]), wanted["steps"]),
             ("yours", str(rounded), yours["steps"])]
    if not rounded:
        return Verdict(False, "Your function never called optimizer.step(), so nothing learns.",
                       table)
    if len(rounded) != len(wanted["lrs"]):
        return Verdict(False, f"Over 2 epochs of 3 batches the optimizer should step 6 times; "
                              f"yours stepped {len(rounded)} times.", table)
    if yours["steps"] > wanted["steps"]:
        return Verdict(False, f"Your scheduler stepped {yours['steps']} times in 2 epochs: it "
                              "sits inside the batch loop. Step it once per epoch, after the "
                              "loop.", table)
    if yours["steps"] < wanted["steps"]:
        return Verdict(False, f"Your scheduler stepped {yours['steps']} times in 2 epochs; it "
                              "should step once per epoch.", table)
    if yours["warned"] or rounded[0] != LOOP_LR:
        return Verdict(False, f"The first step used LR {rounded[0]} instead of {LOOP_LR}: the "
                              "scheduler stepped before the optimizer did, so the first LR of "
                              "the schedule was skipped. Move scheduler.step() after the loop.",
                       table)
    if rounded != wanted["lrs"]:
        return Verdict(False, "The LRs your optimizer used differ from the schedule's.", table)
    for got, want in zip(mine, expected, strict=True):
        if not all(abs(a - b) <= 1e-6 for a, b in zip(got["weights"], want["weights"],
                                                          strict=True)):
            return Verdict(False, "The LRs are right, but the weights end up elsewhere: does "
                                  "each batch call optimizer.zero_grad(), then loss.backward(), "
                                  "then optimizer.step()?")
        if got["lrs"] != want["lrs"] or got["steps"] != want["steps"]:
            return Verdict(False, "On a second, freshly drawn problem your loop steps "
                                  "differently: does it depend on the data it is given?")
    return Verdict(True, "The optimizer used LR 0.1 for the first epoch and 0.05 for the second, "
                         "and the scheduler stepped once per epoch.", table)


check_loop = Check("loop", _export_loop, grade_loop)


def train_one_epoch_buggy(model: nn.Module, loader: Any, optimizer: Any, scheduler: Any,
                          loss_fn: Callable[..., torch.Tensor]) -> None:
    """The loop the notebook asks the learner to fix (scheduler first, once per batch)."""
    for x, y in loader:
        optimizer.zero_grad()
        scheduler.step()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()


def _scheduler_first(model: nn.Module, loader: Any, optimizer: Any, scheduler: Any,
                     loss_fn: Callable[..., torch.Tensor]) -> None:
    scheduler.step()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def _no_zero_grad(model: nn.Module, loader: Any, optimizer: Any, scheduler: Any,
                  loss_fn: Callable[..., torch.Tensor]) -> None:
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()
    scheduler.step()


def _live_factory() -> Callable[[Any], Any]:
    """A factory that ignores its optimizer and returns a live scheduler built elsewhere."""
    live = lrs.StepLR(dummy_optimizer(0.5), step_size=15, gamma=0.5)
    return lambda opt: live


_LOOP_SOLUTION = """
def train_one_epoch(model, loader, optimizer, scheduler, loss_fn):
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    scheduler.step()  # once per epoch, after every optimizer.step() of the epoch

answer = train_one_epoch
"""

# 02.1's answer, as a learner would type it: never in a first wrong try's feedback.
_MYSTERY_VALUES = tuple(f"{name}={value}" for name, value in MYSTERY_PARAMS.items())

EXERCISES = [
    Exercise(
        id="02.1",
        title="Build the StepLR that draws this curve",
        check=check_mystery,
        hints=(
            "Read two things off the plot: how many epochs the LR stays flat (step_size), and "
            "what it is multiplied by at each drop (gamma).",
            "The LR stays at 0.1 for 15 epochs, then drops to 0.05: a factor of 0.5.",
            "answer = lambda opt: StepLR(opt, step_size=15, gamma=0.5)",
        ),
        solution=("from torch.optim.lr_scheduler import StepLR\n\n"
                  "answer = lambda opt: StepLR(opt, step_size=15, gamma=0.5)"),
        wrong=(
            Wrong(lambda: lambda opt: lrs.StepLR(opt, step_size=15, gamma=0.1),
                  "Only gamma differs:", avoid=_MYSTERY_VALUES),
            Wrong(lambda: lambda opt: lrs.StepLR(opt, step_size=10, gamma=0.5),
                  "Only step_size differs:", avoid=_MYSTERY_VALUES),
            Wrong(lambda: lambda opt: lrs.StepLR(opt, step_size=16, gamma=0.5),
                  "your curve is the one step_size=16 gives, with every other setting as in "
                  "the target", avoid=(*_MYSTERY_VALUES, "the target's with")),
            Wrong(lambda: lambda opt: lrs.StepLR(opt, step_size=20, gamma=0.5),
                  "step_size=20 gives", avoid=_MYSTERY_VALUES),
            Wrong(lambda: lrs.StepLR(dummy_optimizer(0.5), step_size=15, gamma=0.5),
                  "times the target's"),
            Wrong(lambda: _live_factory(), "another optimizer"),
            Wrong(lambda: mystery_lrs(), "not a list of numbers"),
        ),
        reference=lambda: _mystery,
    ),
    Exercise(
        id="02.2",
        title="Predict the LR in epoch 45",
        check=check_epoch_45,
        hints=(
            "MultiStepLR multiplies the LR by gamma once at each milestone it has passed.",
            "By epoch 45 the scheduler has passed both milestones, 30 and 40.",
            "0.5 * 0.2 * 0.2",
        ),
        solution="answer = 0.5 * 0.2 * 0.2",
        wrong=(
            Wrong(lambda: 0.1, "only the milestone at 30", avoid=("0.02",)),
            Wrong(lambda: 0.004, "Three cuts"),
            Wrong(lambda: "0.02", "single number"),
        ),
        reference=lambda: 0.02,
    ),
    Exercise(
        id="02.3",
        title="Fix the loop that steps the scheduler in the wrong place",
        check=check_loop,
        hints=(
            "Two things are wrong: where scheduler.step() sits relative to optimizer.step(), "
            "and how often it runs.",
            "This schedule counts epochs, so scheduler.step() belongs after the batch loop, "
            "once per epoch.",
            "Keep zero_grad, loss, backward and optimizer.step() in the batch loop; move "
            "scheduler.step() below it, at the loop's indentation level.",
        ),
        solution=_LOOP_SOLUTION,
        wrong=(
            Wrong(lambda: train_one_epoch_buggy, "inside the batch loop"),
            Wrong(lambda: _scheduler_first, "skipped"),
            Wrong(lambda: _no_zero_grad, "zero_grad"),
            Wrong(lambda: 3, "train_one_epoch"),
        ),
        reference=lambda: train_one_epoch_reference,
    ),
]
