"""course_utils: the small library behind the learning-rate scheduler course.

The learner's library sits here, one module per concern: `data`, `models`, `text_data`
and `char_lm` (lesson 08's language model), `schedules`
(+ `warmup`), `training`, `experiments`, `plotting`, `hiker` (model) and `hiker_widget`
(view), `range_test`, `plateau` (model) and `plateau_widget` (view), `lint`, `param_trace`
and `distributed`. Two wings stand beside it: `grader` (the exercises, their checks,
progress and the teacher's checker) and `maintainer` (stamp, re-execute, site).
Names are imported on first use, so `import course_utils` stays quick and a lesson
pulls in only what it needs.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # data
    "DigitsDataset": "data",
    "DataFileError": "data",
    "load_digits": "data",
    "make_loaders": "data",
    "show_digits": "data",
    # models
    "TinyMLP": "models",
    "TinyCNN": "models",
    "make_model": "models",
    # the tiny language model and its text (lesson 08)
    "load_text": "text_data",
    "make_text_loaders": "text_data",
    "CharMLP": "char_lm",
    "make_char_lm": "char_lm",
    "generate": "char_lm",
    # schedules
    "preview_schedule": "schedules",
    "SCHEDULE_PRESETS": "schedules",
    "dummy_optimizer": "schedules",
    # today's schedules: warmup from 0, then a decay (LambdaLR factories)
    "cosine_with_warmup": "warmup",
    "linear_with_warmup": "warmup",
    "warmup_stable_decay": "warmup",
    "WarmupSchedule": "warmup",
    # training
    "train": "training",
    "History": "training",
    "cpu_threads": "training",
    # fair comparisons over seeds
    "compare_recipes": "experiments",
    "Comparison": "experiments",
    # plotting
    "plot_schedule": "plotting",
    "plot_history": "plotting",
    "compare_runs": "plotting",
    # the hiker
    "LANDSCAPES": "hiker",
    "Landscape": "hiker",
    "Hike": "hiker",
    "simulate_hike": "hiker",
    "OUTCOMES": "hiker",
    "OUTCOME_RULES": "hiker",
    "HikerWidget": "hiker_widget",
    # exercises
    "check": "grader.engine",
    "hint": "grader.engine",
    "solution": "grader.engine",
    "CheckResult": "grader.results",
    "evaluate": "grader.engine",
    "export_answer": "grader.engine",
    "grade_export": "grader.engine",
    # later lessons
    "lr_range_test": "range_test",
    "RangeTestResult": "range_test",
    "hike_range_test": "range_test",
    "simulate_plateau": "plateau",
    "PlateauWidget": "plateau_widget",
    "plot_plateau": "plateau_widget",
    "plot_plateau_zoomed": "plateau_widget",
    "PlateauTrace": "plateau",
    "scripted_losses": "plateau",
    "lint_schedule": "lint",
    "run_data_parallel": "distributed",
    "DataParallelRun": "distributed",
    "trace_param_groups": "param_trace",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
