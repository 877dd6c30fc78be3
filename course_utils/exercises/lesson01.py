"""Lesson 01 exercises: a gradient-descent step by hand, the edge of divergence, picking an LR.

Exercises 01.2 to 01.4 use the hiker's bowl, f(x) = x**2: its slope is 2 x and
its curvature f''(x) is 2 everywhere.
"""

from __future__ import annotations

import torch

from course_utils.checks import (
    Exercise,
    Verdict,
    Wrong,
    choice_check,
    function_check,
    number_check,
)

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

_LARGEST_LR_MISTAKES = {
    1 / BOWL_CURVATURE: (
        "At 1/curvature the hiker lands on the bottom in one step: the fastest LR, "
        "but larger ones still converge, bouncing from side to side."
    ),
    BOWL_CURVATURE: "That is the curvature itself; the limit comes from 1 - lr * curvature.",
    2 * BOWL_CURVATURE: "That is 2 * curvature: divide by the curvature instead.",
}
_largest_lr = number_check(2 / BOWL_CURVATURE, tol=1e-3, mistakes=_LARGEST_LR_MISTAKES)


def check_largest_lr(answer: object) -> Verdict:
    """01.2: the edge of the bowl, where convergence stops, is 2 / curvature."""
    verdict = _largest_lr(answer)
    if verdict.passed or "Expected" not in verdict.message:
        return verdict
    lr = float(answer)  # type: ignore[arg-type]  # number_check accepted it as a number
    if any(abs(lr - known) <= 1e-3 for known in _LARGEST_LR_MISTAKES):
        return verdict
    factor = abs(1 - lr * BOWL_CURVATURE)
    if factor > 1:
        extra = (f" At lr = {lr:g} each step multiplies the distance to the bottom "
                 f"by {factor:g}: it diverges.")
    else:
        extra = f" At lr = {lr:g} it still converges; the edge lies further up."
    return Verdict(False, verdict.message + extra, verdict.table)


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
)


def _descend_wrong_sign(x0: float, lr: float, steps: int) -> float:
    x = x0
    for _ in range(steps):
        x = x + lr * BOWL_CURVATURE * x
    return x


def _descend_crashes(x0: float, lr: float, steps: int) -> float:
    return x0 / (steps - steps)


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
            Wrong(lambda: 5.4, "stepped uphill"),
            Wrong(lambda: 1.0, "multiply it by the learning rate"),
            Wrong(lambda: "4.6", "single number"),
        ),
        reference=lambda: 4.6,
    ),
    Exercise(
        id="01.2",
        title="The edge of the bowl: where convergence stops",
        check=check_largest_lr,
        hints=(
            "One step on the bowl: x_new = x - lr * 2 x = (1 - 2 lr) * x.",
            "The hiker reaches the bottom when the factor |1 - lr * curvature| is below 1.",
            "Solve 1 - lr * curvature = -1 for lr: every LR below that converges, and at it "
            "the hiker bounces forever.",
        ),
        solution="curvature = 2  # f(x) = x**2, so f''(x) = 2\nanswer = 2 / curvature",
        wrong=(
            Wrong(lambda: 0.5, "lands on the bottom in one step"),
            Wrong(lambda: 1.5, "diverges"),
            Wrong(lambda: 0.7, "still converges"),
            Wrong(lambda: float("nan"), "NaN"),
        ),
        reference=lambda: 2 / BOWL_CURVATURE,
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
            Wrong(lambda: [1.0, 0.6], "wants a function"),
        ),
        reference=lambda: descend_reference,
    ),
]
