"""Lesson 08 exercises: schedule-free's train()/eval(), where to branch WSD, its warmup."""

from __future__ import annotations

from course_utils.grader.builders import choice_check, number_check
from course_utils.grader.protocol import Exercise, Wrong

# 08.1: where optimizer.train() and optimizer.eval() go in a schedule-free loop.
LOOP_CHOICES = {
    "a": "With optimizer.eval() before the loop and no optimizer.train(), the optimizer is in "
         "eval mode at the first step, and schedule-free AdamW refuses to step: it raises "
         "'Optimizer was not in train mode when step is called'.",
    "b": "optimizer.train() before the epoch's steps, optimizer.eval() before evaluating (and "
         "before saving): each of the two weight sets is in the model exactly when it is used.",
    "c": "With no optimizer.eval(), the evaluation scores the weights the optimizer steps from, "
         "not their average: the wrong number, here a worse one, as section 5 measured.",
    "d": "model.train() and model.eval() switch dropout and BatchNorm; they never touch the "
         "optimizer, which starts in eval mode, so its first step() raises: "
         "optimizer.train() was never called.",
}

# 08.2: a WSD run's decay, branched off a stable checkpoint, ends at the budget.
SHORT_BUDGET, LONG_BUDGET, DECAY_FRACTION, WARMUP = 600, 1000, 0.1, 50
BRANCH_STEP = SHORT_BUDGET - round(DECAY_FRACTION * SHORT_BUDGET)

# 08.3: schedule-free's warmup is a constructor argument, not a scheduler.
WARMUP_CHOICES = {
    "a": "Schedule-free removes the decay, not the reason for a warmup: Adam's first steps "
         "divide by estimates of the gradient's size that mean little yet (lesson 07, section 2).",
    "b": "It takes its warmup as a constructor argument, warmup_steps=..., and needs no "
         "scheduler at all.",
    "c": "The schedulefree package builds its warmup into the optimizer; it needs no LR "
         "scheduler, from lesson 03 or elsewhere.",
    "d": "Averaging calms the noise of the last steps; Adam's first steps still move every "
         "weight by about the full LR (lesson 07, section 2), which is what a warmup prevents.",
}

EXERCISES = [
    Exercise(
        id="08.1",
        title="Put train() and eval() in a schedule-free loop",
        check=choice_check("b", LOOP_CHOICES),
        hints=(
            "A schedule-free optimizer keeps two sets of weights: the ones it steps from, and "
            "their running average, which is the one to evaluate and save.",
            "optimizer.train() loads the first set into the model, optimizer.eval() the second. "
            "Which loop has each call right before the work that needs its weights?",
            "answer = \"b\"",
        ),
        solution='answer = "b"   # optimizer.train() before the steps, optimizer.eval() before '
                 'evaluating or saving',
        wrong=(
            Wrong(lambda: "c", "wrong number"),
            Wrong(lambda: "d", "never touch the"),
            Wrong(lambda: "z", "Choose one of"),
        ),
        reference=lambda: "b",
    ),
    Exercise(
        id="08.2",
        title="Where to branch the decay off a WSD run",
        check=number_check(BRANCH_STEP, tol=0.0, unit="steps", mistakes={
            SHORT_BUDGET: "That is where the 600-step model's decay must end. Branch off "
                          "earlier, by the length of the decay.",
            SHORT_BUDGET - round(DECAY_FRACTION * LONG_BUDGET):
                "That decay is a tenth of the long budget; the short model's decay is a tenth "
                "of its own budget.",
            BRANCH_STEP - WARMUP: "The warmup is part of the budget already: count every step "
                                  "from the first one.",
            LONG_BUDGET - round(DECAY_FRACTION * LONG_BUDGET):
                "That is the branch point of the 1,000-step model; the question asks for the "
                "600-step one.",
        }),
        hints=(
            "The decay is the last part of a budget: a model finished at step 600 has its "
            "decay end at step 600.",
            "The decay lasts 10% of that budget: 60 steps. It starts that many steps before "
            "the end.",
            "answer = 600 - 60",
        ),
        solution="answer = 600 - round(0.1 * 600)   # 540: branch at step 540, decay to 600",
        wrong=(
            Wrong(lambda: 600, "must end"),
            Wrong(lambda: 500, "a tenth of the long budget"),
            Wrong(lambda: [540, 900], "single number"),
        ),
        reference=lambda: BRANCH_STEP,
    ),
    Exercise(
        id="08.3",
        title="Does schedule-free AdamW need a warmup?",
        check=choice_check("b", WARMUP_CHOICES),
        hints=(
            "Schedule-free removes the decay and the need to know the run's length. What did "
            "lesson 07 say a warmup protects Adam from?",
            "Look at how section 2 built AdamWScheduleFree: which argument of the constructor "
            "did the warmup's work?",
            "answer = \"b\"",
        ),
        solution='answer = "b"   # AdamWScheduleFree(params, lr=..., warmup_steps=W): a warmup, '
                 'no scheduler',
        wrong=(
            Wrong(lambda: "a", "not the reason for a warmup"),
            Wrong(lambda: "c", "builds its warmup into the optimizer"),
            Wrong(lambda: 2, "Choose one of"),
        ),
        reference=lambda: "b",
    ),
]
