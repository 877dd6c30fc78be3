"""One figure style for the course, and seed comparisons that stay readable."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.collections import PolyCollection

from course_utils import compare_runs
from course_utils.plotting import course_style
from course_utils.training import History


def _history(accs: list[float]) -> History:
    h = History()
    h.val_acc = list(accs)
    return h


def test_importing_the_plot_helpers_applies_the_course_style():
    code = ("import matplotlib\n"
            "before = matplotlib.rcParams['legend.fontsize']\n"
            "import course_utils.plotting as p\n"
            "print(all(matplotlib.rcParams[k] == v for k, v in p.course_style().items()),"
            " before != matplotlib.rcParams['legend.fontsize'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr
    assert course_style()["figure.dpi"] == 100  # modest PNGs: sizes stay as the lessons set them


def test_seeds_are_a_mean_line_with_dashed_min_and_max_not_a_band():
    runs = {"a": [_history([0.5, 0.7, 0.9]), _history([0.6, 0.8, 0.8])],
            "b": [_history([0.2, 0.4, 0.6]), _history([0.3, 0.5, 0.7])]}
    fig, ax = plt.subplots()
    try:
        compare_runs(runs, ax=ax)
        assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
        mean, low, high = ax.lines[:3]
        assert [round(v, 9) for v in mean.get_ydata()] == [0.55, 0.75, 0.85]
        assert list(low.get_ydata()) == [0.5, 0.7, 0.8]
        assert list(high.get_ydata()) == [0.6, 0.8, 0.9]
        assert low.get_linestyle() == "--" and low.get_color() == mean.get_color()
        assert ax.lines[3].get_color() != mean.get_color()
        assert ax.get_legend_handles_labels()[1][-1] == "dashed: min and max"
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
        assert ticks and all(float(t).is_integer() for t in ticks)  # epochs, not 1.5
    finally:
        plt.close(fig)
