"""Speed of the course, measured: `python tests/bench.py [--skip-lessons] [--skip-widget]`.

A script, not a test: the machine is shared and noisy (about ±25% between runs), so
nothing here asserts a time. It prints a Markdown table for the README's Performance
section:

- `train` against a minimal hand-written loop doing the same work (model, data, seed,
  validation), alternated over several runs; the median of the paired ratios;
- `preview_schedule` over all 15 schedulers, 1,000 steps each, warm;
- the hiker widgets' update latency inside a real kernel (tests/bench_widget.py), with the
  noise off and on, for an LR change and for one frame of Play, and the first change of
  schedule in a fresh kernel, one second after the widget opened;
- each lesson's run time under nbval, as a ratio to an import-only notebook (kernel start,
  torch, course_utils) run under nbval just before and just after it: the machine's speed
  drifts from week to week and even within a run, the ratio of neighbours much less. The
  budget is 2x (lessons 07 and 08: 2.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.optim import lr_scheduler as L

from course_utils import make_loaders, make_model, preview_schedule, train
from course_utils.training import cpu_threads

ROOT = Path(__file__).resolve().parent.parent
EPOCHS = 10


def hand_loop(loaders, lr: float, seed: int) -> list[float]:
    """The same work as `train`, written out plainly: per-epoch StepLR, validation each epoch."""
    train_loader, val_loader = loaders[0], loaders[1]
    torch.manual_seed(seed)
    train_loader.generator.manual_seed(seed)
    model = make_model("mlp", seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = L.StepLR(opt, 4, 0.5)
    loss_fn = nn.CrossEntropyLoss()
    accs = []
    for _ in range(EPOCHS):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.item()
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                out = model(x)
                loss_fn(out, y).item()
                correct += int((out.argmax(1) == y).sum())
        accs.append(correct / len(val_loader.dataset))
        sched.step()
    return accs


def course_loop(loaders, lr: float, seed: int) -> list[float]:
    """The same run through `course_utils.train`."""
    model = make_model("mlp", seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = train(model, loaders, opt, L.StepLR(opt, 4, 0.5), epochs=EPOCHS, seed=seed,
                    device="cpu", progress=False)
    return history.val_acc


def bench_train(pairs: int = 7) -> tuple[float, float, float]:
    """Median paired ratio train/hand, and the median seconds of each."""
    loaders = make_loaders()
    ratios, ours, theirs = [], [], []
    with cpu_threads(1):
        assert hand_loop(loaders, 0.1, 0) == course_loop(loaders, 0.1, 0), "not the same work"
        for i in range(pairs):
            runs = [("hand", hand_loop), ("train", course_loop)]
            if i % 2:
                runs.reverse()
            took = {}
            for name, fn in runs:
                start = time.perf_counter()
                fn(loaders, 0.1, i)
                took[name] = time.perf_counter() - start
            ratios.append(took["train"] / took["hand"])
            ours.append(took["train"])
            theirs.append(took["hand"])
    return statistics.median(ratios), statistics.median(ours), statistics.median(theirs)


FIFTEEN = {
    "LambdaLR": lambda o: L.LambdaLR(o, lambda e: 0.99**e),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.99),
    "StepLR": lambda o: L.StepLR(o, 300, 0.1),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [500, 800], 0.1),
    "ConstantLR": lambda o: L.ConstantLR(o, 0.5, 100),
    "LinearLR": lambda o: L.LinearLR(o, 0.1, 1.0, 100),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.995),
    "PolynomialLR": lambda o: L.PolynomialLR(o, 1000, 2.0),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 1000),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 100, 2),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, 100),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 0.1, total_steps=1000),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o, patience=5),
    "SequentialLR": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=100), L.CosineAnnealingLR(o, 900)], milestones=[100]),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 50),
                                                      L.ExponentialLR(o, 0.999)]),
}


def bench_previews(repeats: int = 5) -> float:
    """Median milliseconds to preview all 15 schedulers for 1,000 steps each, warm."""
    metrics = [1.0] * 999

    def once() -> float:
        start = time.perf_counter()
        for name, factory in FIFTEEN.items():
            plateau = name == "ReduceLROnPlateau"
            preview_schedule(factory, 1000, metrics=metrics if plateau else None)
        return (time.perf_counter() - start) * 1000

    once()
    return statistics.median(once() for _ in range(repeats))


# The floor: what every lesson pays before its first line of teaching: the kernel, and the
# imports of a lesson's first cells (torch and torchvision, pyplot, the hiker, the digits and
# the training loop).
FLOOR_SOURCE = (
    "import matplotlib.pyplot as plt\n"
    "import torch\n"
    "import torchvision\n\n"
    "import course_utils\n"
    "from course_utils import HikerWidget, make_loaders, simulate_hike, train"
)
BUDGET = {"07": 2.5, "08": 2.5}  # every other lesson: 2.0


def _nbval_seconds(notebook: Path, env: dict[str, str]) -> float:
    """Seconds `pytest --nbval-lax` takes on `notebook` (NaN if it fails), from the repo root."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(ROOT), str(notebook)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    took = time.perf_counter() - start
    return took if proc.returncode == 0 else float("nan")


def floor_notebook(folder: Path) -> Path:
    """Write the import-only notebook into `folder` and return its path."""
    path = folder / "import_only.ipynb"
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {},
                   "outputs": [], "source": FLOOR_SOURCE}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }), encoding="utf-8")
    return path


def bench_lessons() -> tuple[float, dict[str, tuple[float, float]]]:
    """The import-only notebook's seconds, and each lesson's (seconds, ratio to the floor).

    Each in its own pytest process. The machine's speed drifts over minutes, so the floor runs
    between every two lessons, and a lesson is divided by the mean of the floors just before
    and just after it: a ratio of two neighbours, not of two ends of a long run.
    """
    scratch = Path(tempfile.mkdtemp(prefix="lr_course_bench_"))
    env = {**os.environ, "LR_COURSE_PROGRESS": str(scratch / "p.json")}
    try:
        floor_nb = floor_notebook(scratch)
        _nbval_seconds(floor_nb, env)  # a warm-up: the first run also pays cold caches
        floors = [_nbval_seconds(floor_nb, env)]
        times: dict[str, tuple[float, float]] = {}
        for nb in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")):
            seconds = _nbval_seconds(nb, env)
            floors.append(_nbval_seconds(floor_nb, env))
            times[nb.name] = (seconds, seconds / ((floors[-2] + floors[-1]) / 2))
        floor = statistics.median(floors)
    finally:
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
    return floor, times


def print_widget_rows() -> None:
    """The hiker widgets' in-kernel latency rows, on the mountain and on the map."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_widget import measure_first_change, measure_widget_latency

    for args, control, what in [
        ("", "lr_slider", "LR slider change, noise off"),
        ("noise=1.0", "lr_slider", "LR slider change, noise 1.0"),
        ("noise=1.0", "play", "one frame of Play, noise 1.0"),
    ]:
        lat = measure_widget_latency(30, args, control)
        print(f"| hiker: {what}, to the new picture leaving the kernel (median, p90) | "
              f"{lat['median_ms']:.0f} ms, {lat['p90_ms']:.0f} ms | median under 50 ms |")
    # A fresh kernel each time (the first scheduler a process builds): the median of three.
    for widget, name in (("HikerWidget", "hiker"), ("HikerMapWidget", "hiker on a map")):
        runs = [measure_first_change(1.0, widget) for _ in range(3)]
        opened, first = (statistics.median(r[key] for r in runs)
                         for key in ("open_ms", "first_change_ms"))
        print(f"| {name}: opening it (the cell that shows it), median of 3 | {opened:.0f} ms | "
              "— |")
        print(f"| {name}: first schedule change, 1 s after it opened, fresh kernel, to the new "
              f"picture leaving the kernel, median of 3 | {first:.0f} ms | median under 50 ms |")
    for args, control, what in [
        ('landscape="valley"', "lr_slider", "LR slider change, valley, noise off"),
        ('landscape="river", noise=1.0', "lr_slider", "LR slider change, river, noise 1.0"),
        ('landscape="river", noise=1.0', "play", "one frame of Play, river, noise 1.0"),
    ]:
        lat = measure_widget_latency(30, args, control, widget="HikerMapWidget")
        print(f"| hiker on a map: {what}, to the new picture leaving the kernel (median, p90) | "
              f"{lat['median_ms']:.0f} ms, {lat['p90_ms']:.0f} ms | median under 50 ms |")


def main() -> None:
    """Run the benchmarks and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lessons", action="store_true")
    parser.add_argument("--skip-widget", action="store_true")
    parser.add_argument("--only-widget", action="store_true",
                        help="only the hiker widget's rows (quick: no training, no lessons)")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"torch {torch.__version__}\n")
    print("| what | measured | target |")
    print("|---|---|---|")
    if args.only_widget:
        print_widget_rows()
        return
    ratio, ours, theirs = bench_train()
    print(f"| `train` / hand-written loop, {EPOCHS} epochs, median of 7 paired runs | "
          f"{ratio:.2f}x ({ours * 1000:.0f} ms against {theirs * 1000:.0f} ms) | at most 1.10x |")
    print(f"| `preview_schedule`, all 15 schedulers x 1,000 steps, warm | "
          f"{bench_previews():.0f} ms | under 50 ms |")
    if not args.skip_widget:
        print_widget_rows()
    if not args.skip_lessons:
        floor, lessons = bench_lessons()
        print(f"| import-only notebook under nbval (kernel start; torch, torchvision, pyplot, "
              f"course_utils): the floor, median of {len(lessons) + 1} runs between the "
              f"lessons | {floor:.1f} s | - |")
        for name, (seconds, ratio) in lessons.items():
            budget = BUDGET.get(name[:2], 2.0)
            shown = "failed" if seconds != seconds else f"{ratio:.2f}x ({seconds:.1f} s)"
            print(f"| lesson `{name}` under nbval, ratio to the floors just before and after | "
                  f"{shown} | at most {budget:g}x |")


if __name__ == "__main__":
    main()
