"""Lesson 05 exercises: predict the LR cuts, tune the scheduler against noise, feed it the metric.

Every check runs a real ReduceLROnPlateau on scripted validation losses, as
`course_utils.plateau.simulate_plateau` does; no training is involved.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from torch.optim.lr_scheduler import ReduceLROnPlateau

from course_utils.grader.answers import (
    case_seed,
    checked_seed,
    float_list,
    int_list,
    learner_error,
    record,
)
from course_utils.grader.protocol import Check, Exercise, Wrong
from course_utils.grader.results import Malformed, Rejected, Verdict
from course_utils.grader.schedule_feedback import schedule_export
from course_utils.plateau import simulate_plateau
from course_utils.schedules import dummy_optimizer, is_scheduler

# 05.1: when does the LR drop?
PREDICT_LOSSES = (1.00, 0.80, 0.70, 0.695, 0.69, 0.70, 0.698, 0.70, 0.695, 0.692, 0.60, 0.595)
PREDICT_SETTINGS = dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=1)


def drop_epochs(**changes: Any) -> list[int]:
    """The epochs whose loss made the LR drop, for 05.1's losses and settings (with changes)."""
    return simulate_plateau(PREDICT_LOSSES, **{**PREDICT_SETTINGS, **changes}).drop_epochs


def _export_drops(answer: Any) -> list[int]:
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence | set | tuple):
        raise Rejected(f"This exercise wants a list of epoch numbers, like [3, 9]; "
                       f"got {type(answer).__name__}.")
    if len(answer) > len(PREDICT_LOSSES):
        raise Rejected(f"There are only {len(PREDICT_LOSSES)} epochs; your list has "
                       f"{len(answer)} items.")
    epochs = []
    for e in answer:
        if (isinstance(e, bool) or not isinstance(e, int | float) or not math.isfinite(e)
                or float(e) != int(e)):
            raise Rejected(f"Every item should be an epoch number (1 to {len(PREDICT_LOSSES)}); "
                           f"got {e!r}.")
        epochs.append(int(e))
    return sorted(epochs)


def grade_drops(data: Any) -> Verdict:
    """05.1: the list of epochs after which the LR is cut."""
    yours = sorted(int_list(data, len(PREDICT_LOSSES), "the epochs"))
    expected = drop_epochs()
    if yours == expected:
        return Verdict(True, f"Right: the LR is cut after epochs {expected}.")
    if yours == [e + 1 for e in expected]:
        why = ("Each of yours is one late: you gave the first epoch that runs at the lower LR. "
               "The question asks for the epoch whose loss triggers the cut.")
    elif yours == drop_epochs(threshold=0.0):
        why = ("Those are the cuts with no threshold. Here an epoch counts as an improvement "
               "only if its loss is below best - 0.01, so 0.695 after 0.70 is a bad epoch.")
    elif yours == drop_epochs(cooldown=0):
        why = ("Those are the cuts without cooldown: after a cut the scheduler ignores "
               "1 epoch before it counts bad epochs again.")
    elif yours == drop_epochs(patience=1) or yours == drop_epochs(patience=3):
        why = ("The cut comes when the bad-epoch counter goes past patience: on the "
               "third bad epoch in a row with patience 2.")
    else:
        why = "Walk through the epochs keeping three numbers: the best loss, the bad-epoch " \
              "counter and the cooldown counter."
    return Verdict(False, f"Your cuts, after epochs {yours}, are not the scheduler's. {why}",
                   reveal=_drops_reveal())


def _drops_reveal() -> str:
    return f"The LR is cut after epochs {drop_epochs()}."


check_drops = Check("epochs", _export_drops, grade_drops, _drops_reveal())
# The answer as a first wrong try must not show it: the list, and its epochs in a row.
_DROPS_TEXT = (str(drop_epochs()), ", ".join(map(str, drop_epochs())))


# 05.2: react within REACT epochs of a real plateau, but ignore noise of +-NOISE.
NOISE = 0.01
REACT = 4
_WIGGLE = (0.0, 1.0, -1.0, 0.5, -0.8, 1.0, -1.0, 0.0, 0.8, -0.5, 0.3, -1.0, 1.0, -0.3)
PLATEAU_LOSSES = tuple([1.0, 0.85, 0.72, 0.62, 0.55, 0.51]
                       + [round(0.50 + NOISE * w, 4) for w in _WIGGLE])
PLATEAU_STARTS = 6  # the last epoch of real progress
SLOW_LOSSES = tuple(round(1.0 - 0.02 * k + NOISE * _WIGGLE[k % len(_WIGGLE)], 4)
                    for k in range(20))


def _cuts(lrs: Sequence[float]) -> list[int]:
    """Epochs whose loss made the LR drop, from the LR before each epoch and after the last."""
    return [k + 1 for k in range(len(lrs) - 1) if lrs[k + 1] < lrs[k] * (1 - 1e-9)]


def _export_configure(answer: Any) -> dict[str, list[float]]:
    if not (is_scheduler(answer) or callable(answer)) or isinstance(answer, type):
        raise Rejected("This exercise wants a ReduceLROnPlateau, or a factory "
                       "`lambda opt: ReduceLROnPlateau(opt, ...)`.")
    if is_scheduler(answer) and not isinstance(answer, ReduceLROnPlateau):
        raise Rejected(f"That is a {type(answer).__name__}; this exercise is about "
                       "ReduceLROnPlateau.")
    return {name: schedule_export(answer, len(losses) + 1, base_lr=0.1,
                                  metrics=list(losses)).data
            for name, losses in (("slow", SLOW_LOSSES), ("flat", PLATEAU_LOSSES))}


def grade_configure(data: Any) -> Verdict:
    """05.2: no cut while the loss is still falling noisily; a cut soon after it stops."""
    data = record(data, ("slow", "flat"))
    slow = _cuts(float_list(data["slow"], len(SLOW_LOSSES) + 1))
    flat = _cuts(float_list(data["flat"], len(PLATEAU_LOSSES) + 1))
    first = flat[0] if flat else None
    deadline = PLATEAU_STARTS + REACT
    table = [("scripted losses", "your cuts after epochs", "wanted"),
             ("still improving, noisy", str(slow), "none"),
             ("plateau from epoch 7, noisy", str(flat), f"first cut by epoch {deadline}")]
    if slow:
        return Verdict(False, f"Your scheduler cut the LR after epoch {slow[0]} while the loss "
                              "was still falling (by 0.02 an epoch, plus noise of ±0.01): it "
                              "mistakes noise for a plateau. Raise patience, or lower the "
                              "threshold so that real progress counts.", table)
    if first is None or first > deadline:
        when = "never cut" if first is None else f"first cut after epoch {first}"
        return Verdict(False, f"On the plateau your scheduler {when}; it should react by "
                              f"epoch {deadline}. Lower patience, or raise the threshold above "
                              "the noise (0.01) so that noisy dips don't count as new bests.",
                       table)
    return Verdict(True, f"Right: no cut while the loss kept falling, and the first cut "
                         f"after epoch {first} on the plateau.", table)


check_configure = Check("plateau", _export_configure, grade_configure)


def configure_reference(opt):  # -> ReduceLROnPlateau
    """A threshold twice the noise (absolute), patience 2."""
    return ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=2 * NOISE,
                             threshold_mode="abs")


# 05.3: a loop that forgets the metric.
LOOP_LOSSES = (1.0, 0.8, 0.79, 0.795, 0.81, 0.7, 0.71, 0.72, 0.73, 0.69)


def end_of_epoch_reference(scheduler: ReduceLROnPlateau, val_loss: float) -> None:
    """The fixed line: hand the scheduler this epoch's validation loss."""
    scheduler.step(val_loss)


def _loop_losses(seed: int | None) -> tuple[float, ...]:
    """The fixed losses (seed None), or ten drawn ones that fall and stall at random."""
    if seed is None:
        return LOOP_LOSSES
    rng = random.Random(seed)
    losses, loss = [], 1.0
    for _ in range(len(LOOP_LOSSES)):
        loss = round(loss * rng.uniform(0.9, 1.03), 4)
        losses.append(loss)
    return tuple(losses)


def _run_loop(fn: Callable[[Any, float], Any], losses: Sequence[float]) -> list[float]:
    optimizer = dummy_optimizer(0.1)
    scheduler = ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    lrs = []
    for loss in losses:
        fn(scheduler, loss)
        lrs.append(float(optimizer.param_groups[0]["lr"]))
    return lrs


def _export_end_of_epoch(answer: Any) -> dict[str, Any]:
    if not callable(answer) or is_scheduler(answer) or isinstance(answer, type):
        raise Rejected("This exercise wants a function `def end_of_epoch(scheduler, "
                       f"val_loss): ...`, not {type(answer).__name__}.")
    try:
        params = inspect.signature(answer).parameters
    except (TypeError, ValueError):
        params = {}
    if params and len(params) != 2:
        raise Rejected(f"end_of_epoch takes two arguments, (scheduler, val_loss); yours "
                       f"takes {len(params)}.")
    seed = case_seed()
    runs = []
    for run_seed in (None, seed):
        try:
            runs.append(_run_loop(answer, _loop_losses(run_seed)))
        except BaseException as err:  # the learner's code may raise anything
            said = learner_error(err)
            if isinstance(err, TypeError) and "metrics" in str(err):
                raise Rejected("Your function still calls scheduler.step() with no argument, "
                               f"and PyTorch says: {err}. Pass it the loss.") from None
            raise Rejected(f"Your function raised {said}") from None
    return {"seed": seed, "runs": runs}


def grade_end_of_epoch(data: Any) -> Verdict:
    """05.3: end_of_epoch(scheduler, val_loss) steps the scheduler with the loss."""
    data = record(data, ("seed", "runs"))
    seed = checked_seed(data["seed"])
    runs = data["runs"]
    if not isinstance(runs, list) or len(runs) != 2:
        raise Malformed("there should be two runs")
    n = len(LOOP_LOSSES)
    for yours_raw, run_seed in zip(runs, (None, seed), strict=True):
        yours = float_list(yours_raw, n, "a run's LRs")
        losses = _loop_losses(run_seed)
        expected = _run_loop(end_of_epoch_reference, losses)
        pairs = enumerate(zip(expected, yours, strict=True))
        rows = [(e + 1, losses[e], f"{x:.4g}", f"{y:.4g}") for e, (x, y) in pairs
                if not math.isclose(x, y)]
        if rows:
            start = ("After epoch" if run_seed is None
                     else "On a second run, with other losses, after epoch")
            return Verdict(False, f"{start} {rows[0][0]} the LR "
                                  f"is {rows[0][3]}, expected {rows[0][2]}. Step the scheduler "
                                  "once per epoch, with this epoch's validation loss as it is "
                                  "(mode='min': lower is better).",
                           [("epoch", "val_loss", "expected LR", "your LR"), *rows[:5]])
    return Verdict(True, f"Right: over {n} epochs the LR follows the validation loss, as it "
                         "should.")


check_loop = Check("loop", _export_end_of_epoch, grade_end_of_epoch)


def _forgets(scheduler: ReduceLROnPlateau, val_loss: float) -> None:
    scheduler.step()  # type: ignore[call-arg]


def _negates(scheduler: ReduceLROnPlateau, val_loss: float) -> None:
    scheduler.step(-val_loss)


EXERCISES = [
    Exercise(
        id="05.1",
        title="Predict when the LR drops",
        check=check_drops,
        hints=(
            "Keep three numbers per epoch: the best loss so far, the bad-epoch counter, the "
            "cooldown counter. An epoch improves only if its loss < best - 0.01.",
            "A bad epoch adds 1 to the counter; when it goes past patience (to 3), the LR is "
            "cut, the counter resets and cooldown skips the next epoch.",
            "Epochs 4, 5 and 6 are bad (none beats 0.70 - 0.01), so the first cut is after "
            "epoch 6. Carry on from epoch 7 the same way.",
        ),
        solution=(
            "from course_utils.grader.exercises.lesson05 import PREDICT_LOSSES, PREDICT_SETTINGS\n"
            "from course_utils.plateau import simulate_plateau\n"
            "answer = simulate_plateau(PREDICT_LOSSES, **PREDICT_SETTINGS).drop_epochs"
        ),
        wrong=(
            Wrong(lambda: [e + 1 for e in drop_epochs()], "one late", avoid=_DROPS_TEXT),
            Wrong(lambda: drop_epochs(cooldown=0), "without cooldown", avoid=_DROPS_TEXT),
            Wrong(lambda: drop_epochs(threshold=0.0), "no threshold", avoid=_DROPS_TEXT),
            Wrong(lambda: "6", "list of epoch numbers"),
            Wrong(lambda: [1, 2], "Walk through", avoid=_DROPS_TEXT),
            Wrong(lambda: [6.5, float("nan")], "epoch number"),
        ),
        reference=drop_epochs,
    ),
    Exercise(
        id="05.2",
        title="React to a plateau, ignore the noise",
        check=check_configure,
        hints=(
            "Two knobs matter: threshold (how much better counts as better) and patience (how "
            "many bad epochs to wait).",
            "Noise of ±0.01 makes a flat loss dip up to 0.01 below its best: with "
            "threshold_mode='abs', a threshold above that ignores the dips.",
            "threshold=0.02, threshold_mode='abs', patience=2 reacts within 3 bad epochs.",
        ),
        solution=(
            "from torch.optim.lr_scheduler import ReduceLROnPlateau\n"
            "answer = lambda opt: ReduceLROnPlateau(opt, factor=0.5, patience=2,\n"
            "                                       threshold=0.02, threshold_mode='abs')"
        ),
        wrong=(
            Wrong(lambda: lambda opt: ReduceLROnPlateau(opt), "should react by"),
            Wrong(lambda: lambda opt: ReduceLROnPlateau(opt, patience=0, threshold=0.02,
                                                        threshold_mode="abs"),
                  "mistakes noise"),
            Wrong(lambda: lambda opt: ReduceLROnPlateau(opt, patience=2, threshold=0.1,
                                                        threshold_mode="abs"),
                  "mistakes noise"),
            Wrong(lambda: 0.02, "wants a ReduceLROnPlateau"),
        ),
        reference=lambda: configure_reference,
    ),
    Exercise(
        id="05.3",
        title="Fix the loop that forgets the metric",
        check=check_loop,
        hints=(
            "ReduceLROnPlateau decides from a number you give it; the call that gives it is "
            "scheduler.step(...).",
            "Pass this epoch's validation loss: scheduler.step(val_loss).",
        ),
        solution=(
            "def end_of_epoch(scheduler, val_loss):\n"
            "    scheduler.step(val_loss)\n"
            "\n"
            "answer = end_of_epoch"
        ),
        wrong=(
            Wrong(lambda: _forgets, "Pass it the loss"),
            Wrong(lambda: _negates, "After epoch"),
            Wrong(lambda: "scheduler.step(val_loss)", "wants a function"),
        ),
        reference=lambda: end_of_epoch_reference,
    ),
]
