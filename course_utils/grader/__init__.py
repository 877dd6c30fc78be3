"""The grader's wing: exercises, their checks, progress, and the teacher's sandboxed checker.

- `results`: what a check is and gives back (`Exercise`, `Check`, `Verdict`, `CheckResult`);
- `answers`: running the learner's code safely, strict readers of exported data, seeds;
- `builders`: number, function and choice checks; `schedule_feedback`: schedule checks;
- `engine`: `check`, `hint`, `solution`, `export_answer` and `grade_export`;
- `exercises`: the registry, one `lessonNN.py` module per lesson;
- `progress`: the learner's saved results;
- `notebook_check`, `sandbox`, `sandbox_runner`: the teacher's batch checker.

Names are imported on first use, like the package's own, so importing one module of the
wing doesn't pull in the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module of this wing that defines it
_EXPORTS: dict[str, str] = {
    "check": "engine",
    "hint": "engine",
    "solution": "engine",
    "evaluate": "engine",
    "export_answer": "engine",
    "grade_export": "engine",
    "CheckResult": "results",
    "Exercise": "results",
    "progress_report": "progress",
    "check_notebooks": "notebook_check",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
