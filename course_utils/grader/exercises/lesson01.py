"""Lesson 01 exercises: a step by hand, the edge of divergence, picking an LR, the cap on a map.

Exercises 01.3 and 01.4 use the hiker's bowl, f(x) = x**2: its slope is 2 x and
its curvature f''(x) is 2 everywhere.

01.2 is a transfer of the lesson's edge, 2 (1 + momentum) / curvature, to another
valley. Its prompt: "A steeper valley, f(x) = 2 x**2, has curvature 4. SGD runs on it
with momentum 0.5. Where is the edge: the constant learning rate below which SGD
converges and above which it diverges? Give one number." Answer: 2 (1 + 0.5) / 4 = 0.75.
"""

from __future__ import annotations

import torch

from course_utils.grader.builders import choice_check, function_check, number_check
from course_utils.grader.protocol import Exercise, Wrong

BOWL_CURVATURE = 2.0  # f(x) = x**2, so f''(x) = 2, as the hiker's "bowl"
CURVE_LRS = (0.005, 0.4, 0.9, 1.2)  # the four runs of exercise 01.3
CURVE_STEPS = 20


def bowl(x: torch.Tensor) -> torch.Tensor:
    """The bowl f(x) = x**2."""
    return 0.5 * BOWL_CURVATURE * x**2


def loss_curves(
    lrs: tuple[float, ...] = CURVE_LRS, steps: int = CURVE_STEPS, x0: float = 1.0
) -> dict[float, list[float]]:
    """The bowl's loss at each step of plain SGD from `x0`, for each LR."""
    curves: dict[float, list[float]] = {}
    for lr in lrs:
        x = torch.tensor([x0], requires_grad=True)
        optimizer = torch.optim.SGD([x], lr=lr)
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = bowl(x).sum()
            # Six significant digits: repeatable across machines, and never rounded to 0,
            # which a log-scale plot could not draw.
            losses.append(float(f"{float(loss.detach()):.6g}"))
            loss.backward()
            optimizer.step()
        curves[lr] = losses
    return curves


# 01.1: one step by hand on f(x) = (x - 3)**2, from x = 5 with lr = 0.1.
check_step = number_check(
    4.6,
    tol=1e-6,
    mistakes={
        5.4: "You stepped uphill: gradient descent subtracts lr * gradient.",
        1.0: "You subtracted the whole gradient: multiply it by the learning rate first.",
        4.8: "The slope of (x - 3)**2 is 2 * (x - 3), so at x = 5 it is 4, not 2.",
        4.0: "That is the gradient at x = 5; the new x is x - lr * gradient.",
    },
)

# 01.2: the edge with momentum, on a steeper valley than the lesson's bowl.
EDGE_CURVATURE = 4.0  # f(x) = 2 x**2
EDGE_MOMENTUM = 0.5
EDGE_LR = 2 * (1 + EDGE_MOMENTUM) / EDGE_CURVATURE  # 0.75

_EDGE_MISTAKES = {
    2 / EDGE_CURVATURE: ("That is the edge without momentum, 2 / curvature: momentum lets each "
                         "step carry on part of the last one, and moves the edge up by a factor "
                         "of 1 + momentum."),
    1 / EDGE_CURVATURE: ("That is 1 / curvature, where plain gradient descent lands on the "
                         "bottom in one step (and also 2 (1 - momentum) / curvature): the edge "
                         "lies further up, and momentum moves it up, not down."),
    1.0: ("That is the lesson's bowl (curvature 2, no momentum); this valley has curvature 4, "
          "and the run has momentum 0.5."),
    2 * (1 + EDGE_MOMENTUM) / 2: ("That uses the bowl's curvature, 2; this valley, "
                                  "f(x) = 2 x**2, has curvature 4."),
    2 * (1 + EDGE_MOMENTUM): "You left out the curvature: the edge is divided by it.",
}


def _explain_edge(lr: float) -> str:
    if lr <= 0:
        return "A learning rate is positive."
    if lr > EDGE_LR:
        return (f"At lr = {lr:g} SGD with momentum 0.5 on this valley diverges: the edge lies "
                "below.")
    return f"At lr = {lr:g} it still converges; the edge lies further up."


check_largest_lr = number_check(EDGE_LR, tol=1e-3, mistakes=_EDGE_MISTAKES,
                                explain=_explain_edge)


# 01.5: the cap on a map: the steep direction sets the edge, whatever the flat one does.
MAP_FLAT, MAP_SHARP, MAP_MOMENTUM = 0.5, 8.0, 0.5
MAP_EDGE = 2 * (1 + MAP_MOMENTUM) / MAP_SHARP  # 0.375

_MAP_MISTAKES = {
    2 * (1 + MAP_MOMENTUM) / MAP_FLAT: (
        "That is the edge of the flat direction: along it such a stride is stable, but across "
        "the steep walls it overshoots more each time. Every direction must stay below its edge."),
    2 / MAP_SHARP: ("That is the steep direction's edge without momentum: momentum moves every "
                    "edge up by a factor of 1 + momentum."),
    2 * (1 + MAP_MOMENTUM) / (MAP_FLAT + MAP_SHARP): (
        "You added the two curvatures: on this map each direction is a bowl of its own, and "
        "the edge is set by one of them alone."),
    2 * (1 + MAP_MOMENTUM) / ((MAP_FLAT + MAP_SHARP) / 2): (
        "You averaged the curvatures: the hiker diverges as soon as any one direction does, so "
        "the average is not what counts."),
    2 / MAP_FLAT: "That is the flat direction's edge, and without momentum: neither is the cap.",
}


def _explain_map_edge(lr: float) -> str:
    if lr <= 0:
        return "A learning rate is positive."
    if lr > MAP_EDGE:
        return (f"At lr = {lr:g} the hiker bounces ever higher across the steep direction and "
                "falls: the cap lies below.")
    return f"At lr = {lr:g} both directions still converge; the cap lies further up."


check_map_edge = number_check(MAP_EDGE, tol=1e-3, mistakes=_MAP_MISTAKES,
                              explain=_explain_map_edge)


check_best_lr = choice_check(
    0.4,
    {
        0.005: "It crawls: after 20 steps the loss has hardly moved.",
        0.4: "Each step shrinks the distance to the bottom by a factor of 0.2, the fastest here.",
        0.9: "It bounces from one side of the valley to the other and settles slowly.",
        1.2: "Its loss grows every step: it overshoots further each time and diverges.",
    },
)


def descend_reference(x0: float, lr: float, steps: int) -> float:
    """x after `steps` gradient-descent steps on the bowl, starting at x0."""
    x = x0
    for _ in range(steps):
        x = x - lr * BOWL_CURVATURE * x
    return x


check_descend = function_check(
    descend_reference,
    [
        {"x0": 1.0, "lr": 0.1, "steps": 1},
        {"x0": 1.0, "lr": 0.1, "steps": 10},
        {"x0": -2.0, "lr": 0.05, "steps": 30},
        {"x0": 3.0, "lr": 0.9, "steps": 7},
        {"x0": 1.0, "lr": 1.2, "steps": 5},
        {"x0": 1.0, "lr": 0.4, "steps": 0},
    ],
    tol=1e-6,
    name="descend",
    draw=lambda rng: {"x0": round(rng.uniform(-3, 3), 3), "lr": round(rng.uniform(0.01, 1.1), 3),
                      "steps": rng.randint(0, 25)},
)


def _descend_wrong_sign(x0: float, lr: float, steps: int) -> float:
    x = x0
    for _ in range(steps):
        x = x + lr * BOWL_CURVATURE * x
    return x


def _descend_crashes(x0: float, lr: float, steps: int) -> float:
    return x0 / (steps - steps)


def _descend_text(x0: float, lr: float, steps: int) -> str:
    return f"{descend_reference(x0, lr, steps):.3f}"


def _descend_exits(x0: float, lr: float, steps: int) -> float:
    raise SystemExit("bye")


EXERCISES = [
    Exercise(
        id="01.1",
        title="One gradient-descent step by hand",
        check=check_step,
        hints=(
            "Gradient descent moves x against the slope: x_new = x - lr * f'(x).",
            "For f(x) = (x - 3)**2 the slope is f'(x) = 2 * (x - 3); evaluate it at x = 5.",
            "f'(5) = 4, so x_new = 5 - 0.1 * 4.",
        ),
        solution="grad = 2 * (5 - 3)\nanswer = 5 - 0.1 * grad",
        wrong=(
            Wrong(lambda: 5.4, "stepped uphill", avoid=("4.6",)),
            Wrong(lambda: 1.0, "multiply it by the learning rate"),
            Wrong(lambda: "4.6", "single number"),
        ),
        reference=lambda: 4.6,
    ),
    Exercise(
        id="01.2",
        title="The edge with momentum: curvature 4, momentum 0.5",
        check=check_largest_lr,
        hints=(
            "The edge is the largest constant LR that still converges. On the lesson's bowl "
            "(curvature 2, no momentum) it is 2 / curvature = 1.",
            "Momentum moves the edge up by a factor of (1 + momentum): the edge is "
            "2 (1 + momentum) / curvature.",
            "2 * (1 + 0.5) / 4",
        ),
        solution=("curvature, momentum = 4, 0.5  # f(x) = 2 x**2, so f''(x) = 4\n"
                  "answer = 2 * (1 + momentum) / curvature"),
        wrong=(
            Wrong(lambda: 0.5, "edge without momentum", avoid=("0.75",)),
            Wrong(lambda: 1.0, "lesson's bowl"),
            Wrong(lambda: 0.25, "1 / curvature"),
            Wrong(lambda: 0.9, "diverges"),
            Wrong(lambda: 0.6, "still converges", avoid=("0.75",)),
            Wrong(lambda: float("nan"), "NaN"),
        ),
        reference=lambda: EDGE_LR,
    ),
    Exercise(
        id="01.3",
        title="Pick the best LR from the loss curves",
        check=check_best_lr,
        hints=(
            "Look at where each curve ends after 20 steps: the lowest final loss wins.",
            "A curve that goes up has diverged; one that zig-zags is bouncing across the valley.",
            "Each step multiplies the distance to the bottom by |1 - 2 lr|: compare them.",
        ),
        solution="answer = 0.4",
        wrong=(
            Wrong(lambda: 0.005, "crawls"),
            Wrong(lambda: 1.2, "diverges"),
            Wrong(lambda: 0.3, "Choose one of"),
        ),
        reference=lambda: 0.4,
    ),
    Exercise(
        id="01.4",
        title="Write gradient descent on the bowl",
        check=check_descend,
        hints=(
            "Start from x = x0 and repeat `steps` times: x = x - lr * slope.",
            "The bowl f(x) = x**2 has slope 2 x.",
            "Inside a for-loop over range(steps): x = x - lr * 2 * x; then return x.",
        ),
        solution=(
            "def descend(x0, lr, steps):\n"
            "    x = x0\n"
            "    for _ in range(steps):\n"
            "        x = x - lr * 2 * x\n"
            "    return x\n"
            "\n"
            "answer = descend"
        ),
        wrong=(
            Wrong(lambda: _descend_wrong_sign, "cases differ"),
            Wrong(lambda: _descend_crashes, "ZeroDivisionError"),
            Wrong(lambda: _descend_text, "returned str (not a number)",
                  avoid=("raised TypeError",)),
            Wrong(lambda: _descend_exits, "raised SystemExit"),
            Wrong(lambda: [1.0, 0.6], "wants a function"),
        ),
        reference=lambda: descend_reference,
    ),
    Exercise(
        id="01.5",
        title="The cap on a map: curvatures 0.5 and 8, momentum 0.5",
        check=check_map_edge,
        hints=(
            "On the map each direction is a bowl of its own, with its own edge "
            "2 (1 + momentum) / curvature. The LR must keep every direction stable.",
            "The smallest of the edges is the cap: it belongs to the steepest direction, the "
            "largest curvature.",
            "2 * (1 + 0.5) / 8",
        ),
        solution=("flat, sharp, momentum = 0.5, 8, 0.5\n"
                  "answer = 2 * (1 + momentum) / sharp   # the steep direction caps the LR"),
        wrong=(
            Wrong(lambda: 6.0, "edge of the flat direction", avoid=("0.375",)),
            Wrong(lambda: 0.25, "without momentum", avoid=("0.375",)),
            Wrong(lambda: 3 / 8.5, "added the two curvatures"),
            Wrong(lambda: 3 / 4.25, "averaged the curvatures"),
            Wrong(lambda: 0.5, "falls", avoid=("0.375",)),
            Wrong(lambda: 0.2, "still converge", avoid=("0.375",)),
        ),
        reference=lambda: MAP_EDGE,
    ),
]
