"""The exercise registry: every `lessonNN.py` module here, found automatically.

A lesson module declares `EXERCISES: list[Exercise]`; nothing else needs editing.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from functools import lru_cache
from typing import Any

from course_utils.grader.protocol import Exercise

_LESSON_MODULE = re.compile(r"lesson(\d{2})$")


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Exercise], dict[str, str]]:
    """Import every lesson module once: exercises by id, and import errors by module."""
    found: dict[str, Exercise] = {}
    errors: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not _LESSON_MODULE.match(info.name):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
            exercises = list(module.EXERCISES)
        except Exception as err:  # one broken lesson must not hide the others
            errors[info.name] = f"{type(err).__name__}: {err}"
            continue
        for ex in exercises:
            if ex.id in found:
                errors[info.name] = f"exercise id {ex.id!r} is declared twice"
                continue
            found[ex.id] = ex
    return found, errors


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson, by id, in lesson order."""
    return dict(sorted(_load()[0].items(), key=lambda item: _sort_key(item[0])))


def counted_exercises() -> dict[str, Exercise]:
    """The exercises that count (every one not retired), by id, in lesson order."""
    return {i: ex for i, ex in all_exercises().items() if ex.counted}


def load_errors() -> dict[str, str]:
    """Lesson modules that failed to load, with the error in one line."""
    return dict(_load()[1])


def _sort_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in exercise_id.split("."))


def normalise_id(exercise_id: Any) -> str:
    """An id as text: "1.2", " 01.2 " and "01.2" all become "01.2"."""
    text = str(exercise_id).strip()
    lesson, dot, rest = text.partition(".")
    if lesson.isdigit() and dot:
        return f"{int(lesson):02d}.{rest}"
    return text


def get_exercise(exercise_id: Any) -> Exercise | None:
    """The exercise with this id, or None."""
    return _load()[0].get(normalise_id(exercise_id))


def exercises_for_lesson(lesson: str, *, retired: bool = False) -> list[Exercise]:
    """The counted exercises of one lesson ("01"), in order; the retired ones too if asked."""
    return [ex for ex in all_exercises().values()
            if ex.lesson == lesson and (retired or ex.counted)]


def unknown_message(exercise_id: Any) -> str:
    """A friendly sentence for an id that no lesson declares, naming the nearest ones."""
    ids = list(all_exercises())
    close = difflib.get_close_matches(normalise_id(exercise_id), ids, n=3, cutoff=0.5)
    text = f"There is no exercise {str(exercise_id)!r}."
    if close:
        text += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    elif ids:
        text += f" Exercise ids look like {ids[0]!r}."
    broken = load_errors()
    if broken:
        text += " (Some lesson exercises failed to load: " + ", ".join(sorted(broken)) + ".)"
    return text
