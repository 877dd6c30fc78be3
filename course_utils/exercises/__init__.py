"""The old home of the lessons' exercise modules, kept so that older copies of a lesson work.

They live in `course_utils.grader.exercises` now. A lesson copied into a learner's workspace
before the move may still say `from course_utils.exercises.lesson02 import mystery_lrs`:
importing `course_utils.exercises.lessonNN` gives the very same module object as
`course_utils.grader.exercises.lessonNN`, not a second copy.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

_NEW_HOME = "course_utils.grader.exercises"
__path__: list[str] = []  # a package with no folder of its own: _Redirect finds its modules


class _Redirect(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `course_utils.exercises.X` as the module `course_utils.grader.exercises.X`."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith(f"{__name__}."):
            return None
        if importlib.util.find_spec(f"{_NEW_HOME}.{fullname.rpartition('.')[2]}") is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        return importlib.import_module(f"{_NEW_HOME}.{spec.name.rpartition('.')[2]}")

    def exec_module(self, module: ModuleType) -> None:
        """The module was executed under its new name already."""


if not any(isinstance(f, _Redirect) for f in sys.meta_path):
    sys.meta_path.append(_Redirect())
