"""Lesson 06 exercises: repair setups the linter flags, then choose a scheduler.

The lesson's linter section uses one run: 8 epochs of 20 batches, the scheduler
stepped once per batch (160 steps), SGD at a peak LR of 0.5 (`BROKEN`, `FIXED`);
exercise 06.3 repairs its exponential decay. Exercises 06.1 and 06.2 transfer the
lesson's repairs to another run, 12 epochs of 25 batches stepped per batch (300
steps), whose answers the lesson does not print. Their prompts:

06.1 · Repair the OneCycle setup of another run: "A colleague's run has 12 epochs of
25 batches and steps its scheduler once per batch, with `OneCycleLR(opt, max_lr=0.5,
total_steps=12)`. Write a factory `lambda opt: lr_scheduler.OneCycleLR(opt, ...)` that
fits this run."  (Answer: total_steps=300, or epochs=12 and steps_per_epoch=25.)

06.2 · Repair the cosine setup of that run: "The same run (12 epochs of 25 batches,
stepped once per batch) uses `CosineAnnealingLR(opt, T_max=12, eta_min=0.005)`. Keep
the per-batch stepping and the floor of 0.005, and make the cosine reach its floor when
the run's last step is done. Pass a factory `lambda opt: lr_scheduler.CosineAnnealingLR(
opt, ...)`."  (Answer: T_max=300, eta_min=0.005.)

06.5 asks for a number and no longer sends the learner to `lint_schedule` (which has
nothing to say about a cosine inside `SequentialLR`, right or wrong): "... What `T_max`
must the cosine have to reach its floor exactly at the end of the run? Answer with the
number. Once you have it, build the `SequentialLR` and preview it: the LR at the run's
last step, `preview_schedule(your_factory, 90 * 100)[-1]`, should be below a millionth
of the peak."  (With T_max=9000, the whole run, it is still 0.8% of the peak.)

A repaired factory passes when its LR curve matches the intended one; the linter's
warning, if any, is part of the feedback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from torch.optim import lr_scheduler as lrs

from course_utils.grader.answers import text
from course_utils.grader.builders import number_check
from course_utils.grader.protocol import Check, Exercise, Wrong
from course_utils.grader.results import Malformed, Rejected, Verdict
from course_utils.grader.schedule_feedback import Knob, peak_step, schedule_check, with_rounded
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


# 06.1 and 06.2: the same two mistakes on another run.
T_EPOCHS = 12
T_STEPS_PER_EPOCH = 25
T_RUN_STEPS = T_EPOCHS * T_STEPS_PER_EPOCH  # 300 batch steps
T_FLOOR = 0.005

ONECYCLE_PARAMS: dict[str, Any] = {"max_lr": PEAK_LR, "total_steps": T_RUN_STEPS}
COSINE_PARAMS: dict[str, Any] = {"T_max": T_RUN_STEPS, "eta_min": T_FLOOR}

TRANSFER_BROKEN: dict[str, Callable[[Any], Any]] = {
    "onecycle": lambda opt: lrs.OneCycleLR(opt, max_lr=PEAK_LR, total_steps=T_EPOCHS),
    "cosine": lambda opt: lrs.CosineAnnealingLR(opt, T_max=T_EPOCHS, eta_min=T_FLOOR),
}

TRANSFER_FIXED: dict[str, Callable[[Any], Any]] = {
    "onecycle": lambda opt: lrs.OneCycleLR(opt, **ONECYCLE_PARAMS),
    "cosine": lambda opt: lrs.CosineAnnealingLR(opt, **COSINE_PARAMS),
}


def run_warnings(answer: Any, epochs: int = EPOCHS, steps_per_epoch: int = STEPS_PER_EPOCH
                 ) -> list[str]:
    """The linter's warnings for `answer` on a run stepped per batch (the lesson's: 8 x 20)."""
    return lint_schedule(answer, epochs=epochs, steps_per_epoch=steps_per_epoch,
                         step_every="batch", base_lr=PEAK_LR)


def _lint_note(epochs: int, steps_per_epoch: int) -> Callable[[Any], str]:
    def note(answer: Any) -> str:
        if not (is_scheduler(answer) or callable(answer)) or isinstance(answer, type):
            return ""
        try:
            found = run_warnings(answer, epochs, steps_per_epoch)
        except Exception:  # the schedule check says what is wrong with it
            return ""
        if not found:
            return ""
        # The warning without its "Fix: ..." part, which would hand over the answer.
        return f"The linter still flags it: {found[0].split(' Fix:')[0]}"

    return note


def repaired_check(reference: Callable[[Any], Any], *, rel_tol: float = 1e-6,
                   epochs: int = EPOCHS, steps_per_epoch: int = STEPS_PER_EPOCH,
                   **options: Any) -> Check:
    """A check that the answer's LRs match the reference's; the linter's warning as a note."""
    return schedule_check(reference, epochs * steps_per_epoch, base_lr=PEAK_LR, rel_tol=rel_tol,
                          note=_lint_note(epochs, steps_per_epoch), **options)


def _vary(build: Callable[..., Any], params: Mapping[str, Any]
          ) -> Callable[[str, Any], Callable[[Any], Any]]:
    return lambda name, value: (lambda opt: build(opt, **{**params, name: value}))


ONECYCLE_KNOBS = (
    Knob("max_lr", lambda y: with_rounded([max(y), y[0] * 25]),
         "max_lr is the peak LR of the run, the one the broken setup had."),
    Knob("total_steps", lambda y: [round((peak_step(y) + 1) / 0.3)],
         "total_steps counts every scheduler step of the run: epochs times batches."),
    Knob("pct_start", lambda y: with_rounded([(peak_step(y) + 1) / len(y)]),
         "The broken setup left pct_start at its default; so can the repair."),
    Knob("div_factor", lambda y: with_rounded([max(y) / y[0]], (0, 1)),
         "The broken setup left div_factor at its default; so can the repair."),
    Knob("final_div_factor", lambda y: with_rounded([y[0] / y[-1]], (0,)),
         "The broken setup left final_div_factor at its default; so can the repair."),
    Knob("anneal_strategy", lambda y: ["linear"],
         "The broken setup left anneal_strategy at its default; so can the repair."),
)


def _cosine_t_max_guesses(y: list[float]) -> list[int]:
    low = min(range(len(y)), key=y.__getitem__)
    guesses = [low] if 0 < low < len(y) - 1 else []
    ratio = 2 * (y[-1] - T_FLOOR) / (y[0] - T_FLOOR) - 1
    if -1 < ratio < 1:
        guesses.append(round(math.pi * (len(y) - 1) / math.acos(ratio)))
    return [*guesses, len(y) - 1]


COSINE_KNOBS = (
    Knob("T_max", _cosine_t_max_guesses,
         "T_max counts scheduler steps, here one per batch: the cosine should reach its floor "
         "at the run's end."),
    Knob("eta_min", lambda y: with_rounded([min(y), y[-1]], (3, 4)),
         "eta_min is the floor the broken setup had; keep it."),
)

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
    ("B", "onecycle"): "OneCycle is a fair choice for a fixed budget, but it is not the "
                       "large-batch recipe the guide gives.",
    ("C", "plateau"): "Only ReduceLROnPlateau decides from the metric, with no budget to plan.",
    ("C", "cosine"): "Cosine needs T_max, the length of a run nobody knows yet.",
    ("D", "multistep"): "Milestones at 30, 60 and 80 with gamma=0.1 are exactly MultiStepLR.",
    ("D", "step"): "StepLR decays at even intervals; milestones at 30, 60 and 80 are uneven.",
}


def _export_situations(answer: Any) -> dict[str, str]:
    if not isinstance(answer, Mapping):
        raise Rejected('This exercise wants a dict such as {"A": "adam", "B": ..., '
                       '"C": ..., "D": ...}.')
    if len(answer) > 20:
        raise Rejected(f"There are {len(SITUATIONS)} situations; your dict has {len(answer)} "
                       "entries.")
    out: dict[str, str] = {}
    for k, v in answer.items():
        key, value = str(k).strip().upper()[:10], str(v).strip().lower()[:40]
        out[key] = value
    return out


def grade_situations(data: Any) -> Verdict:
    """06.4: one scheduler name per situation, each explained."""
    if not isinstance(data, dict) or len(data) > 20:
        raise Malformed("the choices should be an object of at most 20 entries")
    given = {text(k, 10, "a situation"): text(v, 40, "a choice") for k, v in data.items()}
    missing = [s for s in SITUATIONS if s not in given]
    if missing:
        return Verdict(False, f"Give a choice for every situation; missing: {', '.join(missing)}.")
    rows: list[tuple[str, str, str]] = []
    wrong: list[str] = []
    for key, best in BEST.items():
        choice = given[key]
        if choice not in CHOICES:
            return Verdict(False, f"Situation {key}: {choice!r} is not one of "
                                  f"{', '.join(CHOICES)}.")
        why = _WHY.get((key, choice), "")
        if choice == best:
            rows.append((key, choice, "right"))
        else:
            wrong.append(f"{key}: {why or f'{choice} does not fit this situation.'}")
            rows.append((key, choice, "not this one"))
    table = [("situation", "yours", "verdict"), *rows]
    if not wrong:
        return Verdict(True, "All four fit the decision guide.", table)
    return Verdict(False, f"{len(wrong)} of 4 differ from the guide. " + " ".join(wrong), table)


check_situations = Check("mapping", _export_situations, grade_situations)


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


def gamma_to_factory(answer: Any) -> Any:
    """06.3 takes the number gamma itself, or a factory or scheduler; a number becomes
    `lambda opt: ExponentialLR(opt, gamma=number)`."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        gamma = float(answer)
        if not 0 < gamma < 1:
            raise Rejected(f"gamma={gamma:g} does not shrink the LR: ExponentialLR multiplies "
                           "it by gamma at every step, so pick a number between 0 and 1.")
        return lambda opt: lrs.ExponentialLR(opt, gamma=gamma)
    return answer


def _gamma_guesses(y: list[float]) -> list[float]:
    return with_rounded([(y[-1] / y[0]) ** (1 / (len(y) - 1)), y[1] / y[0]], (3, 4))


GAMMA_KNOBS = (
    Knob("gamma", _gamma_guesses,
         "The LR at the last step, 159, should be 1% of the start: solve gamma**159 = 0.01."),
)


def _fixed_by_epochs_gamma(opt: Any) -> Any:
    return lrs.ExponentialLR(opt, gamma=END_RATIO ** (1 / EPOCHS))


def _slow_exponential(opt: Any) -> Any:
    return lrs.ExponentialLR(opt, gamma=0.99)


EXERCISES = [
    Exercise(
        id="06.1",
        title="Repair the OneCycle setup of a 12-epoch run",
        check=repaired_check(TRANSFER_FIXED["onecycle"], epochs=T_EPOCHS,
                             steps_per_epoch=T_STEPS_PER_EPOCH, knobs=ONECYCLE_KNOBS,
                             vary=_vary(lrs.OneCycleLR, ONECYCLE_PARAMS)),
        hints=(
            "OneCycleLR must be stepped exactly total_steps times over the run; this run "
            "steps it once per batch.",
            "The run has 12 epochs of 25 batches: how many batch steps is that?",
            "total_steps = 12 * 25 = 300 (or pass epochs=12, steps_per_epoch=25).",
        ),
        solution="answer = lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.5, "
                 "total_steps=12 * 25)",
        wrong=(
            Wrong(lambda: TRANSFER_BROKEN["onecycle"], "linter still flags",
                  avoid=("total_steps = 300",)),
            Wrong(lambda: lambda opt: lrs.OneCycleLR(opt, max_lr=0.05, total_steps=T_RUN_STEPS),
                  "Only max_lr differs:",
                  avoid=("build the scheduler on that optimizer", "T_max", "eta_min")),
            Wrong(lambda: lambda opt: lrs.OneCycleLR(opt, max_lr=PEAK_LR, total_steps=400),
                  "Only total_steps differs:"),
            Wrong(lambda: FIXED["onecycle"], "total_steps=160"),
            Wrong(lambda: [0.5] * T_RUN_STEPS, "scheduler object"),
        ),
        reference=lambda: TRANSFER_FIXED["onecycle"],
    ),
    Exercise(
        id="06.2",
        title="Repair the cosine setup of a 12-epoch run",
        check=repaired_check(TRANSFER_FIXED["cosine"], epochs=T_EPOCHS,
                             steps_per_epoch=T_STEPS_PER_EPOCH, knobs=COSINE_KNOBS,
                             vary=_vary(lrs.CosineAnnealingLR, COSINE_PARAMS)),
        hints=(
            "T_max counts scheduler steps, not epochs. How often does this loop step it?",
            "Per batch, for 12 epochs of 25 batches; the floor eta_min stays as it was.",
            "T_max = 12 * 25 = 300, eta_min=0.005.",
        ),
        solution="answer = lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=12 * 25, "
                 "eta_min=0.005)",
        wrong=(
            Wrong(lambda: TRANSFER_BROKEN["cosine"], "linter still flags",
                  avoid=("T_max=300",)),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=299, eta_min=T_FLOOR),
                  "Only T_max differs:", avoid=("gamma", "step_size", "T_0")),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=159, eta_min=T_FLOOR),
                  "Only T_max differs:"),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=2 * T_RUN_STEPS,
                                                            eta_min=T_FLOOR),
                  "Only T_max differs:"),
            Wrong(lambda: lambda opt: lrs.CosineAnnealingLR(opt, T_max=T_RUN_STEPS),
                  "Only eta_min differs:"),
        ),
        reference=lambda: TRANSFER_FIXED["cosine"],
    ),
    Exercise(
        id="06.3",
        title="Repair the exponential decay",
        # Within 10% at every step: a gamma rounded to three decimals (0.971, 0.972) passes.
        check=repaired_check(FIXED["exponential"], rel_tol=0.10, convert=gamma_to_factory,
                             knobs=GAMMA_KNOBS,
                             vary=lambda name, value: (lambda opt: lrs.ExponentialLR(opt, value)),
                             show_curve=False),
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
            Wrong(lambda: _slow_exponential, "Only gamma differs:"),
            Wrong(lambda: 1.5, "between 0 and 1"),
            Wrong(lambda: 0.97, "yours ends at", avoid=("0.9714", "0.971")),
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
            Wrong(lambda: {**BEST, "B": "cosine"}, "warmup first"),
            Wrong(lambda: {**BEST, "D": "step"}, "uneven", avoid=("MultiStepLR",)),
            Wrong(lambda: {"A": "adam"}, "missing"),
            Wrong(lambda: "adam", "dict"),
            Wrong(lambda: {**BEST, "A": "sgd"}, "not one of"),
        ),
        reference=lambda: dict(BEST),
        retired=("lesson 06 now asks these four situations with today's guide, in exercise "
                 "06.6; a saved result of 06.4 keeps what it meant"),
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
            Wrong(lambda: B_EPOCHS * B_BATCHES, "whole run", avoid=("8500",)),
            Wrong(lambda: B_EPOCHS - B_WARMUP_EPOCHS, "counts epochs"),
            Wrong(lambda: "8500", "single number"),
        ),
        reference=lambda: B_T_MAX,
    ),
]


# 06.6: 06.4's four situations, answered with today's guide (lesson 06's "How to choose").
# Only situation A's right answer changes (AdamW + warmup + cosine instead of a constant
# Adam), so it is a new exercise and 06.4 keeps what a saved pass of it said.
TODAY_CHOICES = ("adamw_warmup_cosine", *CHOICES)
TODAY_BEST: dict[str, str] = {**BEST, "A": "adamw_warmup_cosine"}
_NEEDS_LENGTH = ("Cosine, warmup + cosine and OneCycle all need the run's length, which "
                 "nobody knows here: let the metric decide.")
_TODAY_WHY: dict[tuple[str, str], str] = {
    ("A", "adam"): "Adam at a constant LR was the older advice (06.4); today's default adds a "
                   "warmup and a decay to zero, with AdamW.",
    ("A", "onecycle"): "OneCycle works with any optimizer, but it needs a max_lr you do not know "
                       "yet; today's default for a new model is AdamW with warmup and cosine.",
    ("A", "warmup_cosine"): "The right shape; but warmup_cosine is the SGD recipe, and today's "
                            "default for a new model pairs the shape with another optimizer.",
    ("A", "constant"): "A constant LR never settles under noisy gradients, and SGD is very "
                       "sensitive to the LR you do not know yet.",
    ("B", "adamw_warmup_cosine"): "Situation B fixes the optimizer, SGD: pick the guide's SGD "
                                  "recipe for a very large batch.",
    ("B", "cosine"): "Cosine suits the fixed budget, but a very large batch wants a warmup first.",
    ("B", "onecycle"): "OneCycle fits a fixed budget, but it is not the guide's large-batch "
                       "recipe.",
    ("C", "adamw_warmup_cosine"): _NEEDS_LENGTH,
    ("C", "warmup_cosine"): _NEEDS_LENGTH,
    ("C", "cosine"): _NEEDS_LENGTH,
    ("C", "onecycle"): _NEEDS_LENGTH,
    ("D", "step"): "StepLR decays at even intervals; milestones at 30, 60 and 80 are uneven.",
}


def grade_today(data: Any) -> Verdict:
    """06.6: one choice per situation, by today's guide; each wrong one explained."""
    if not isinstance(data, dict) or len(data) > 20:
        raise Malformed("the choices should be an object of at most 20 entries")
    given = {text(k, 10, "a situation"): text(v, 40, "a choice") for k, v in data.items()}
    unusable = [f"{s}: {'missing' if s not in given else repr(given[s])}" for s in TODAY_BEST
                if given.get(s) not in TODAY_CHOICES]
    if unusable:
        return Verdict(False, f"Give one of {', '.join(TODAY_CHOICES)} for every situation; "
                              f"{'; '.join(unusable)}.")
    rows = [("situation", "yours", "verdict")]
    wrong = []
    for key, best in TODAY_BEST.items():
        ok = given[key] == best
        rows.append((key, given[key], "right" if ok else "not this one"))
        if not ok:
            default = "Reread the situation, then the guide's row that fits it."
            wrong.append(f"{key}: {_TODAY_WHY.get((key, given[key]), default)}")
    if not wrong:
        return Verdict(True, "All four fit today's guide.", rows)
    return Verdict(False, f"{len(wrong)} of 4 differ from today's guide. " + " ".join(wrong), rows,
                   reveal=", ".join(f"{k}: {v}" for k, v in TODAY_BEST.items()))


EXERCISES.append(Exercise(
    id="06.6",
    title="Choose an optimizer and schedule for each situation, as of today",
    check=Check("mapping", _export_situations, grade_today),
    hints=(
        "Ask of each situation: is the optimizer given, is the budget known, is the LR known?",
        "No optimizer given and a new model: today's default recipe. SGD with a huge batch: a "
        "warmup first. Unknown budget: let the metric decide. A paper: copy it exactly.",
        "A: adamw_warmup_cosine, B: warmup_cosine, C: plateau, D: multistep.",
    ),
    solution='answer = {"A": "adamw_warmup_cosine", "B": "warmup_cosine", "C": "plateau", '
             '"D": "multistep"}',
    wrong=(
        Wrong(lambda: dict(BEST), "older advice", avoid=("adamw_warmup_cosine",)),
        Wrong(lambda: {**TODAY_BEST, "A": "warmup_cosine"}, "SGD recipe",
              avoid=("AdamW", "adamw_warmup_cosine")),
        Wrong(lambda: {**TODAY_BEST, "B": "adamw_warmup_cosine"}, "fixes the optimizer",
              avoid=("is warmup_cosine",)),
        Wrong(lambda: {**TODAY_BEST, "B": "onecycle"}, "large-batch recipe",
              avoid=("warmup then cosine",)),
        Wrong(lambda: {**TODAY_BEST, "C": "adamw_warmup_cosine"}, "run's length"),
        Wrong(lambda: {**TODAY_BEST, "D": "step"}, "uneven", avoid=("MultiStepLR", "multistep")),
        Wrong(lambda: {"A": "adamw_warmup_cosine"}, "B: missing"),
        Wrong(lambda: {**TODAY_BEST, "A": "adamw"}, "A: 'adamw'"),
        Wrong(lambda: "adamw_warmup_cosine", "dict"),
    ),
    reference=lambda: dict(TODAY_BEST),
))
