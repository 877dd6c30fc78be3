"""Lesson 06 exercises: repair three setups the linter flags, then choose a scheduler.

Exercises 06.1 to 06.3 share one run: 8 epochs of 20 batches, the scheduler
stepped once per batch (160 steps), SGD at a peak LR of 0.5. A repaired
factory passes when `lint_schedule` has nothing to say about it and its LR
curve matches the intended one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch.optim import lr_scheduler as lrs

from course_utils.checks import Exercise, Verdict, Wrong, number_check, schedule_check
from course_utils.lint import lint_schedule
from course_utils.schedules import is_scheduler

EPOCHS = 8
STEPS_PER_EPOCH = 20
RUN_STEPS = EPOCHS * STEPS_PER_EPOCH  # 160 batch steps
PEAK_LR = 0.5
END_RATIO = 0.01  # 06.3: the exponential decay should end at 1/100 of the start

# The three broken setups of the lesson's linter section, as factories.
BROKEN: dict[str, Callable[[Any], Any]] = {
    "onecycle": lambda opt: lrs.OneCycleLR(opt, max_lr=PEAK_LR, total_steps=EPOCHS),
    "cosine": lambda opt: lrs.CosineAnnealingLR(opt, T_max=EPOCHS),
    "exponential": lambda opt: lrs.ExponentialLR(opt, gamma=0.5),
}

FIXED: dict[str, Callable[[Any], Any]] = {
    "onecycle": lambda opt: lrs.OneCycleLR(opt, max_lr=PEAK_LR, total_steps=RUN_STEPS),
    "cosine": lambda opt: lrs.CosineAnnealingLR(opt, T_max=RUN_STEPS),
    "exponential": lambda opt: lrs.ExponentialLR(opt, gamma=END_RATIO ** (1 / (RUN_STEPS - 1))),
}


def run_warnings(answer: Any) -> list[str]:
    """The linter's warnings for `answer` on this lesson's run (per batch, 8 x 20)."""
    return lint_schedule(answer, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH,
                         step_every="batch", base_lr=PEAK_LR)


def repaired_check(reference: Callable[[Any], Any], *, rel_tol: float = 1e-6
                   ) -> Callable[[Any], Verdict]:
    """A check that the linter is quiet about the answer and its LRs match the reference's."""
    same_curve = schedule_check(reference, RUN_STEPS, base_lr=PEAK_LR, rel_tol=rel_tol)

    def check_repaired(answer: Any) -> Verdict:
        if (is_scheduler(answer) or callable(answer)) and not isinstance(answer, type):
            try:
                found = run_warnings(answer)
            except (TypeError, ValueError, RuntimeError, KeyError, AttributeError) as err:
                return Verdict(False, f"Building your scheduler raised {type(err).__name__}: "
                                      f"{str(err).splitlines()[0] if str(err) else ''}")
            if found:
                return Verdict(False, f"The linter still flags it: {found[0]}")
        return same_curve(answer)

    return check_repaired


SITUATIONS: dict[str, str] = {
    "A": "A new model on a new dataset; you have no idea yet what LR suits it and want a "
         "run that works the first time.",
    "B": "A fixed budget of 90 epochs, SGD with a very large batch, and you want the best "
         "possible final model.",
    "C": "Fine-tuning until the validation loss stops improving; nobody knows how many "
         "epochs that will take.",
    "D": "Reproducing a paper that says: 'the LR is divided by 10 at epochs 30, 60 and 80'.",
}
CHOICES = ("adam", "constant", "step", "multistep", "cosine", "warmup_cosine", "onecycle",
           "plateau")
BEST: dict[str, str] = {"A": "adam", "B": "warmup_cosine", "C": "plateau", "D": "multistep"}
_WHY: dict[tuple[str, str], str] = {
    ("A", "adam"): "Adam at a constant LR forgives a rough LR; tune a schedule later.",
    ("A", "onecycle"): "OneCycle is the second step: it needs a max_lr, from a range test.",
    ("A", "constant"): "SGD at a constant LR is very sensitive to the LR you do not know yet.",
    ("B", "warmup_cosine"): "A known budget suits cosine, and large batches want a warmup first.",
    ("B", "cosine"): "Cosine suits the fixed budget, but large batches want a warmup first.",
    ("B", "onecycle"): "OneCycle is a fair choice for a fixed budget, but the large-batch "
                       "recipe is warmup then cosine.",
    ("C", "plateau"): "Only ReduceLROnPlateau decides from the metric, with no budget to plan.",
    ("C", "cosine"): "Cosine needs T_max, the length of a run nobody knows yet.",
    ("D", "multistep"): "Milestones at 30, 60 and 80 with gamma=0.1 are exactly MultiStepLR.",
    ("D", "step"): "StepLR decays at even intervals; 30, 60, 80 are uneven: MultiStepLR.",
}


def check_situations(answer: Any) -> Verdict:
    """06.4: one scheduler name per situation, each explained."""
    if not isinstance(answer, Mapping):
        return Verdict(False, 'This exercise wants a dict such as {"A": "adam", "B": ..., '
                              '"C": ..., "D": ...}.')
    given = {str(k).strip().upper(): v for k, v in answer.items()}
    missing = [s for s in SITUATIONS if s not in given]
    if missing:
        return Verdict(False, f"Give a choice for every situation; missing: {', '.join(missing)}.")
    rows: list[tuple[str, str, str]] = []
    wrong: list[str] = []
    for key, best in BEST.items():
        choice = str(given[key]).strip().lower()
        if choice not in CHOICES:
            return Verdict(False, f"Situation {key}: {given[key]!r} is not one of "
                                  f"{', '.join(CHOICES)}.")
        why = _WHY.get((key, choice), "")
        if choice == best:
            rows.append((key, choice, "right"))
        else:
            wrong.append(f"{key}: {why or f'{choice} does not fit this situation.'}")
            rows.append((key, choice, "not this one"))
    table = [("situation", "yours", ""), *rows]
    if not wrong:
        return Verdict(True, "All four fit the decision guide.", table)
    return Verdict(False, f"{len(wrong)} of 4 differ from the guide. " + " ".join(wrong), table)


# 06.5: situation B in numbers. 90 epochs of 100 batches, stepped per batch; a linear
# warmup over the first 5 epochs, then cosine through the rest (SequentialLR).
B_EPOCHS, B_BATCHES, B_WARMUP_EPOCHS = 90, 100, 5
B_T_MAX = (B_EPOCHS - B_WARMUP_EPOCHS) * B_BATCHES  # 8500
check_t_max = number_check(
    B_T_MAX,
    tol=0.5,
    unit="steps",
    mistakes={
        B_EPOCHS * B_BATCHES: "That is the whole run: the cosine starts at the milestone, "
                              "after the 500 warmup steps, and counts from zero there.",
        B_EPOCHS - B_WARMUP_EPOCHS: "That counts epochs, but this scheduler is stepped per "
                                    "batch: multiply by the 100 batches per epoch.",
        B_WARMUP_EPOCHS * B_BATCHES: "That is the warmup's length (the milestone); T_max is "
                                     "the part after it.",
    },
)


def warmup_cosine_reference(opt: Any) -> Any:
    """Situation B's schedule: 500 warmup steps, then cosine over the remaining 8500."""
    warmup = B_WARMUP_EPOCHS * B_BATCHES
    return lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                                  lrs.CosineAnnealingLR(opt, T_max=B_T_MAX)],
                            milestones=[warmup])


def gamma_or_factory_check(check: Callable[[Any], Verdict]) -> Callable[[Any], Verdict]:
    """06.3 takes the number gamma itself, or a factory or scheduler; a number becomes
    `lambda opt: ExponentialLR(opt, gamma=number)` before `check` sees it."""

    def check_gamma(answer: Any) -> Verdict:
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            gamma = float(answer)
            if not 0 < gamma < 1:
                return Verdict(False, f"gamma={gamma:g} does not shrink the LR: ExponentialLR "
                                      "multiplies it by gamma at every step, so pick a number "
                                      "between 0 and 1.")
            return check(lambda opt: lrs.ExponentialLR(opt, gamma=gamma))
        return check(answer)

    return check_gamma


def _fixed_by_epochs_gamma(opt: Any) -> Any:
    return lrs.ExponentialLR(opt, gamma=END_RATIO ** (1 / EPOCHS))


def _slow_exponential(opt: Any) -> Any:
    return lrs.ExponentialLR(opt, gamma=0.99)


EXERCISES = [
    Exercise(
        id="06.1",
        title="Repair the OneCycle setup",
        check=repaired_check(FIXED["onecycle"]),
        hints=(
            "OneCycleLR must be stepped exactly total_steps times over the run; here it is "
            "stepped once per batch.",
            "The run has 8 epochs of 20 batches: how many batch steps is that?",
            "total_steps = 8 * 20 = 160 (or pass epochs=8, steps_per_epoch=20).",
        ),
        solution="answer = lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.5, "
                 "total_steps=8 * 20)",
        wrong=(
            Wrong(lambda: BROKEN["onecycle"], "linter still flags"),
            Wrong(lambda: lambda opt: lrs.OneCycleLR(opt, max_lr=0.1, total_steps=RUN_STEPS),
                  "expected 0.02"),
            Wrong(lambda: [0.5] * RUN_STEPS, "scheduler object"),
        ),
        reference=lambda: FIXED["onecycle"],
    ),
    Exercise(
        id="06.2",
        title="Repair the cosine setup",
        check=repaired_check(FIXED["cosine"]),
        hints=(
            "T_max counts scheduler steps, not epochs. How often does this loop step it?",
            "Per batch, for 8 epochs of 20 batches.",
            "T_max = 8 * 20 = 160.",
        ),
        solution="answer = lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=8 * 20)",
        wrong=(
            Wrong(lambda: BROKEN["cosine"], "linter still flags"),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=2 * RUN_STEPS),
                  "much longer than the run"),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=200), "expected"),
        ),
        reference=lambda: FIXED["cosine"],
    ),
    Exercise(
        id="06.3",
        title="Repair the exponential decay",
        # Within 10% at every step: a gamma rounded to three decimals (0.971, 0.972) passes.
        check=gamma_or_factory_check(repaired_check(FIXED["exponential"], rel_tol=0.10)),
        hints=(
            "With ExponentialLR the LR at step i is lr * gamma**i; the last of 160 steps "
            "has i = 159.",
            "You want gamma**159 = 0.01: take the 159th root.",
            "gamma = 0.01 ** (1 / 159), close to 0.9714.",
        ),
        solution="answer = 0.01 ** (1 / 159)   # or: lambda opt: lr_scheduler.ExponentialLR("
                 "opt, gamma=0.01 ** (1 / 159))",
        wrong=(
            Wrong(lambda: BROKEN["exponential"], "linter still flags"),
            Wrong(lambda: _fixed_by_epochs_gamma, "linter still flags"),
            Wrong(lambda: END_RATIO ** (1 / EPOCHS), "linter still flags"),
            Wrong(lambda: _slow_exponential, "expected"),
            Wrong(lambda: 1.5, "between 0 and 1"),
            Wrong(lambda: 0.97, "expected"),
        ),
        reference=lambda: FIXED["exponential"],
    ),
    Exercise(
        id="06.4",
        title="Choose a scheduler for each situation",
        check=check_situations,
        hints=(
            "Ask of each situation: is the budget known, and is the LR known?",
            "Unknown LR: start with the most forgiving optimizer. Unknown budget: let the "
            "metric decide. Known budget: plan the whole curve. A paper: copy it exactly.",
            "A: adam, B: warmup_cosine, C: plateau, D: multistep.",
        ),
        solution='answer = {"A": "adam", "B": "warmup_cosine", "C": "plateau", '
                 '"D": "multistep"}',
        wrong=(
            Wrong(lambda: {**BEST, "C": "cosine"}, "T_max"),
            Wrong(lambda: {**BEST, "D": "step"}, "uneven"),
            Wrong(lambda: {"A": "adam"}, "missing"),
            Wrong(lambda: "adam", "dict"),
            Wrong(lambda: {**BEST, "A": "sgd"}, "not one of"),
        ),
        reference=lambda: dict(BEST),
    ),
    Exercise(
        id="06.5",
        title="Situation B in numbers: the cosine's T_max after a warmup",
        check=check_t_max,
        hints=(
            "SequentialLR hands over at the milestone, and the cosine counts its own steps "
            "from zero there.",
            "The warmup takes 5 epochs of 100 batches; the cosine gets the rest of the run.",
            "(90 - 5) * 100.",
        ),
        solution="answer = (90 - 5) * 100",
        wrong=(
            Wrong(lambda: B_EPOCHS * B_BATCHES, "whole run"),
            Wrong(lambda: B_EPOCHS - B_WARMUP_EPOCHS, "counts epochs"),
            Wrong(lambda: "8500", "single number"),
        ),
        reference=lambda: B_T_MAX,
    ),
]
