"""The lesson guard: a rewrite can't silently drop a section, an exercise or an introduction.

For every lesson `lessons/NN_*.ipynb`:
- its numbered `## N · Title` sections run 1, 2, 3, ... without a gap (the unnumbered
  `## Exercises` and `## Summary` are fine);
- every counted exercise of lesson NN is checked (`check("NN.k", ...)`) in exactly one code
  cell of lesson NN, and no cell checks another lesson's exercise, a retired or an unknown one;
- every `torch.optim.lr_scheduler` class its code constructs is named in its markdown before
  the first cell that constructs it, or in an earlier lesson's markdown (a hiker preset such
  as `schedule="cosine"` is a string, not a construction);
- no markdown cell is empty.

Each rule is a function from notebooks to a list of problems; the fake notebooks below show
that each one finds what it is meant to find.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import pytest
import torch.optim.lr_scheduler as torch_schedulers

from course_utils.grader.exercises import all_exercises

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(ROOT.glob("lessons/[0-9][0-9]_*.ipynb"))

_NUMBERED = re.compile(r"^##\s+(\d+)\s*·\s*\S")  # "## 2 · Title"
_NUMBER_LIKE = re.compile(r"^##\s+\d")  # a "## 2" heading, in the right format or not
_CHECK = re.compile(r"""\bcheck\(\s*(?:exercise_id\s*=\s*)?["']\s*(\d{1,2}\.\d+)\s*["']""")
SCHEDULER_CLASSES = frozenset(
    name for name, obj in vars(torch_schedulers).items()
    if isinstance(obj, type) and not name.startswith("_")
    and (issubclass(obj, torch_schedulers.LRScheduler)
         or issubclass(obj, torch_schedulers.ReduceLROnPlateau))
    and obj is not torch_schedulers.LRScheduler)


# --------------------------------------------------------------------------
# The rules, on any notebook
# --------------------------------------------------------------------------


def lesson_of(path: Path) -> str:
    """"02" for lessons/02_step_decay.ipynb."""
    return path.name[:2]


def _cells(nb: Any, kind: str) -> list[tuple[int, str]]:
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == kind]


def _code_lines(source: str) -> str:
    """A code cell without its comment lines and IPython magics: what runs as Python."""
    return "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("#", "%", "!")))


def section_problems(nb: Any) -> list[str]:
    """Numbered `##` sections that are out of order, missing or written in another format."""
    problems, numbers = [], []
    for i, source in _cells(nb, "markdown"):
        for line in source.splitlines():
            if not _NUMBER_LIKE.match(line):
                continue
            found = _NUMBERED.match(line)
            if found is None:
                problems.append(f"cell {i}: {line!r} is not written '## N · Title'")
                continue
            numbers.append((int(found.group(1)), i))
    for expected, (number, cell) in enumerate(numbers, start=1):
        if number != expected:
            problems.append(f"cell {cell}: section {number} where section {expected} belongs")
            break
    return problems


def checked_ids(nb: Any) -> dict[str, list[int]]:
    """Every exercise id a code cell checks, with the cells that check it."""
    found: dict[str, list[int]] = {}
    for i, source in _cells(nb, "code"):
        for exercise_id in dict.fromkeys(_CHECK.findall(_code_lines(source))):
            lesson, number = exercise_id.split(".")
            found.setdefault(f"{int(lesson):02d}.{number}", []).append(i)
    return found


def exercise_problems(nb: Any, lesson: str, registry: Mapping[str, Any]) -> list[str]:
    """Counted exercises of `lesson` not checked in exactly one cell; checks of any other."""
    checked = checked_ids(nb)
    problems = []
    for exercise_id, ex in registry.items():
        if ex.lesson == lesson and ex.counted:
            cells = checked.get(exercise_id, [])
            if len(cells) != 1:
                where = f"in cells {cells}" if cells else "in no cell"
                problems.append(f"exercise {exercise_id} is checked {where}, not in exactly one")
    for exercise_id, cells in checked.items():
        ex = registry.get(exercise_id)
        if ex is None:
            problems.append(f"cells {cells} check {exercise_id}, which no lesson declares")
        elif ex.lesson != lesson:
            problems.append(f"cells {cells} check {exercise_id}, an exercise of lesson {ex.lesson}")
        elif not ex.counted:
            problems.append(f"cells {cells} check {exercise_id}, which is retired")
    return problems


def constructed_schedulers(source: str) -> set[str]:
    """The scheduler classes a code cell calls: `StepLR(`, `lrs.StepLR(`, `lr_scheduler.X(`."""
    code = _code_lines(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:  # not plain Python: read the calls off the text
        return set(re.findall(r"\b(\w+)\s*\(", code)) & SCHEDULER_CLASSES
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in SCHEDULER_CLASSES:
                names.add(name)
    return names


def named_in(text: str) -> set[str]:
    """The scheduler classes a piece of prose names."""
    return {name for name in SCHEDULER_CLASSES if re.search(rf"\b{name}\b", text)}


def naming_problems(lessons: Sequence[tuple[str, Any]]) -> dict[str, list[str]]:
    """Per lesson (in course order): schedulers its code constructs before any prose names them."""
    earlier: set[str] = set()
    problems: dict[str, list[str]] = {}
    for lesson, nb in lessons:
        named = set(earlier)
        found = []
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                named |= named_in(cell.source)
            elif cell.cell_type == "code":
                for name in sorted(constructed_schedulers(cell.source) - named):
                    found.append(f"cell {i} constructs {name} before any prose names it")
                    named.add(name)  # report each class once, at its first use
        problems[lesson] = found
        earlier |= {n for _, src in _cells(nb, "markdown") for n in named_in(src)}
    return problems


def empty_markdown(nb: Any) -> list[str]:
    """Markdown cells with nothing in them."""
    return [f"cell {i} is an empty markdown cell" for i, source in _cells(nb, "markdown")
            if not source.strip()]


# --------------------------------------------------------------------------
# The lessons
# --------------------------------------------------------------------------

def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def _lessons() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in LESSONS]


def test_the_guard_sees_every_lesson() -> None:
    assert [lesson_of(p) for p in LESSONS] == [f"{n:02d}" for n in range(len(LESSONS))]
    assert len(LESSONS) >= 8


def test_the_guard_reads_what_the_lessons_construct() -> None:
    constructed = {name for path in LESSONS for _, source in _cells(_read(path), "code")
                   for name in constructed_schedulers(source)}
    assert {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
            "ReduceLROnPlateau", "SequentialLR"} <= constructed


@pytest.mark.parametrize("path", _lessons())
def test_numbered_sections_run_without_a_gap(path: Path) -> None:
    assert section_problems(_read(path)) == []


@pytest.mark.parametrize("path", _lessons())
def test_every_counted_exercise_is_checked_once_in_its_lesson(path: Path) -> None:
    assert exercise_problems(_read(path), lesson_of(path), all_exercises()) == []


@pytest.mark.parametrize("path", _lessons())
def test_every_scheduler_is_named_in_prose_before_its_first_use(path: Path) -> None:
    lessons = [(lesson_of(p), _read(p)) for p in LESSONS if p.name <= path.name]
    assert naming_problems(lessons)[lesson_of(path)] == []


@pytest.mark.parametrize("path", _lessons())
def test_no_markdown_cell_is_empty(path: Path) -> None:
    assert empty_markdown(_read(path)) == []


# --------------------------------------------------------------------------
# Each rule fails when it is broken: fake notebooks
# --------------------------------------------------------------------------


def fake(*cells: str) -> Any:
    """A notebook from sources: "md: ..." is a markdown cell, anything else a code cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(s[3:].lstrip()) if s.startswith("md:")
                else nbformat.v4.new_code_cell(s) for s in cells]
    return nb


def test_sections_rule_accepts_a_clean_run_and_the_unnumbered_headings() -> None:
    nb = fake("md: # 09 · Title", "md: ## 1 · One\ntext", "x = 1", "md: ## 2 · Two",
              "md: ### 2.1 a subsection", "md: ## 3 · Three", "md: ## Exercises",
              "md: ## Summary")
    assert section_problems(nb) == []


@pytest.mark.parametrize(("headings", "says"), [
    (("## 1 · One", "## 3 · Three"), "section 3 where section 2 belongs"),
    (("## 2 · Two", "## 3 · Three"), "section 2 where section 1 belongs"),
    (("## 1 · One", "## 2 · Two", "## 2 · Again"), "section 2 where section 3 belongs"),
    (("## 1 · One", "## 3 · Three", "## 2 · Two"), "section 3 where section 2 belongs"),
    (("## 1 · One", "## 2. Two"), "is not written '## N · Title'"),
])
def test_sections_rule_finds_a_gap_a_repeat_or_a_wrong_format(
    headings: Iterable[str], says: str
) -> None:
    problems = section_problems(fake(*(f"md: {h}\nSome prose." for h in headings)))
    assert problems and says in problems[0]


class _Ex:
    def __init__(self, exercise_id: str, retired: str = "") -> None:
        self.id, self.lesson, self.counted = exercise_id, exercise_id[:2], not retired


REGISTRY = {i: _Ex(i) for i in ("09.1", "09.2", "08.1")} | {"09.3": _Ex("09.3", "replaced")}


def test_exercise_rule_accepts_each_counted_exercise_checked_once() -> None:
    nb = fake("md: **09.1** text", 'answer = ...\ncheck("09.1", answer)',
              "answer = ...\ncheck('9.2', answer)  # an id as a learner may write it",
              '# hint("09.1")\n# check("09.1", answer)')
    assert exercise_problems(nb, "09", REGISTRY) == []


@pytest.mark.parametrize(("cells", "says"), [
    (('check("09.1", 1)',), "exercise 09.2 is checked in no cell"),
    (('check("09.1", 1)', 'check("09.2", 1)', 'check("09.2", 2)'),
     "exercise 09.2 is checked in cells [1, 2]"),
    (('check("09.1", 1)', 'check("09.2", 1)', 'check("08.1", 1)'), "an exercise of lesson 08"),
    (('check("09.1", 1)', 'check("09.2", 1)', 'check("09.3", 1)'), "which is retired"),
    (('check("09.1", 1)', 'check("09.2", 1)', 'check("09.7", 1)'), "which no lesson declares"),
    (('check("09.1", 1)', '# check("09.2", 1)'), "exercise 09.2 is checked in no cell"),
])
def test_exercise_rule_finds_a_missing_doubled_or_foreign_check(
    cells: Sequence[str], says: str
) -> None:
    problems = exercise_problems(fake(*cells), "09", REGISTRY)
    assert any(says in p for p in problems), problems


def test_the_real_registry_has_a_retired_exercise_the_rule_skips() -> None:
    retired = [ex for ex in all_exercises().values() if not ex.counted]
    assert retired, "06.4 is retired"
    for ex in retired:
        assert exercise_problems(fake(), ex.lesson, {ex.id: ex}) == []


def test_constructions_are_calls_not_strings_or_comments() -> None:
    source = ("import torch\nfrom torch.optim import lr_scheduler as lrs\n"
              "from torch.optim.lr_scheduler import OneCycleLR\n"
              "a = lrs.StepLR(opt, 3)\nb = torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)\n"
              "f = lambda opt: OneCycleLR(opt, max_lr=1, total_steps=9)\n"
              "simulate_hike('ravine', 0.3, schedule='cosine')\n"
              "print('MultiStepLR(opt)')  # CyclicLR(opt) in a comment\n"
              "# LinearLR(opt)\nisinstance(a, CosineAnnealingLR)\n")
    assert constructed_schedulers(source) == {"StepLR", "ExponentialLR", "OneCycleLR"}
    magic = "%pip install x\nsched = CyclicLR(opt, 0.1, 1.0)\n"
    assert constructed_schedulers(magic) == {"CyclicLR"}
    assert {"StepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR"} <= SCHEDULER_CLASSES


def test_naming_rule_accepts_prose_first_or_an_earlier_lesson() -> None:
    first = fake("md: `StepLR` cuts the LR.", "StepLR(opt, 3)")
    second = fake("md: More.", "lrs.StepLR(opt, 3)", "md: Now `MultiStepLR`.",
                  "MultiStepLR(opt, [3])", "simulate_hike('bowl', 1, schedule='cosine')")
    assert naming_problems([("08", first), ("09", second)]) == {"08": [], "09": []}


@pytest.mark.parametrize(("cells", "says"), [
    (("md: Intro.", "lrs.MultiStepLR(opt, [3])", "md: `MultiStepLR` cuts at milestones."),
     "cell 1 constructs MultiStepLR"),
    (("md: `StepLR` only.", "f = lambda opt: lr_scheduler.ExponentialLR(opt, 0.9)"),
     "cell 1 constructs ExponentialLR"),
    (("md: Multi-step decay.", "MultiStepLR(opt, [3])"), "cell 1 constructs MultiStepLR"),
])
def test_naming_rule_finds_a_scheduler_used_before_it_is_named(
    cells: Sequence[str], says: str
) -> None:
    problems = naming_problems([("09", fake(*cells))])["09"]
    assert problems and says in problems[0]


def test_naming_rule_does_not_look_at_later_lessons() -> None:
    used = fake("md: Intro.", "CyclicLR(opt, 0.1, 1.0)")
    later = fake("md: `CyclicLR` bounces.")
    assert naming_problems([("08", used), ("09", later)])["08"] == [
        "cell 1 constructs CyclicLR before any prose names it"]


def test_empty_markdown_rule() -> None:
    assert empty_markdown(fake("md: text", "x = 1")) == []
    assert empty_markdown(fake("md: text", "md:  \n", "x = 1")) == [
        "cell 1 is an empty markdown cell"]
