"""The house keeps its shape: three wings, no import cycle, no module over 600 lines, and a
learner's import that pulls in nothing of the grader's sandbox or the maintainer's tools."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, name: str) -> set[str]:
    """Every course_utils module this one imports, anywhere in it but `TYPE_CHECKING` blocks."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod where one exists
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            # the deepest course_utils module that the import names
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(path, name) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_import_graph_has_no_cycle():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    # The check above can fail: a two-module loop and a three-module loop are both found.
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_sees_imports_inside_functions():
    # `check` reaches the registry and progress; the graph must see such imports.
    assert "course_utils.grader.exercises" in GRAPH["course_utils.grader.engine"]
    assert "course_utils.grader.progress" in GRAPH["course_utils.grader.engine"]
    assert "course_utils.grader.exercises" in GRAPH["course_utils.grader.progress"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_600_lines(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by concern"


LOW_GRADER = ["results", "answers", "protocol", "builders", "schedule_feedback"]


@pytest.mark.parametrize("name", LOW_GRADER)
def test_the_check_makers_import_neither_the_registry_nor_progress(name):
    reach = _reachable(f"course_utils.grader.{name}")
    assert "course_utils.grader.exercises" not in reach
    assert "course_utils.grader.progress" not in reach
    assert "course_utils.grader.engine" not in reach


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("model,view", [("course_utils.plateau", "course_utils.plateau_widget"),
                                        ("course_utils.hiker", "course_utils.hiker_widget")])
def test_a_model_never_imports_its_view(model, view):
    assert view not in _reachable(model)


def test_the_three_wings_are_in_the_tree():
    assert (PACKAGE / "grader" / "exercises").is_dir()
    assert (PACKAGE / "maintainer").is_dir()
    for wing in ("grader", "maintainer"):
        assert f"course_utils.{wing}" in MODULES
    grader = {n.rpartition(".")[2] for n in MODULES if n.startswith("course_utils.grader.")}
    assert {"engine", "progress", "notebook_check", "sandbox", "sandbox_runner"} <= grader
    tools = {n.rpartition(".")[2] for n in MODULES if n.startswith("course_utils.maintainer.")}
    assert {"stamp", "site", "execute"} <= tools


@pytest.mark.parametrize("wing", ["course_utils", "course_utils.grader",
                                  "course_utils.maintainer"])
def test_each_wings_init_imports_nothing_of_the_course_eagerly(wing):
    assert GRAPH[wing] == set()


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=240)
    assert done.returncode == 0, done.stderr
    return done.stdout


FORBIDDEN = ("course_utils.grader.sandbox", "course_utils.grader.sandbox_runner",
             "course_utils.grader.notebook_check", "course_utils.maintainer", "nbclient",
             "nbconvert")


def test_a_learners_import_pulls_in_no_sandbox_site_builder_or_notebook_client():
    out = _run(
        "import sys\n"
        "import course_utils\n"
        "from course_utils import check, simulate_hike, HikerWidget\n"
        "check('01.1', 3)\n"
        "simulate_hike('bowl', 0.1)\n"
        f"print([m for m in sys.modules if m.startswith({FORBIDDEN!r})])\n")
    assert out.strip() == "[]"


def test_importing_the_package_alone_loads_nothing_but_itself():
    out = _run("import sys, course_utils\n"
               "print(sorted(m for m in sys.modules if m.startswith('course_utils')))\n"
               "print('torch' in sys.modules)")
    assert out.split("\n")[:2] == ["['course_utils']", "False"]


def test_one_module_of_the_grader_does_not_pull_in_the_rest():
    out = _run("import sys\nimport course_utils.grader.results\n"
               "print(sorted(m for m in sys.modules if m.startswith('course_utils')))")
    assert out.strip() == "['course_utils', 'course_utils.grader', 'course_utils.grader.results']"


def test_every_public_name_still_imports_from_the_package():
    out = _run("import course_utils\n"
               "missing = [n for n in course_utils.__all__\n"
               "           if getattr(course_utils, n, None) is None]\n"
               "print(missing)")
    assert out.strip() == "[]"


def test_old_exercise_imports_give_the_same_module():
    # A lesson copied before the move says `from course_utils.exercises.lesson02 import ...`.
    out = _run("import course_utils.exercises.lesson02 as old\n"
               "import course_utils.grader.exercises.lesson02 as new\n"
               "from course_utils.exercises.lesson05 import PLATEAU_LOSSES\n"
               "print(old is new, len(PLATEAU_LOSSES) > 0)")
    assert out.strip() == "True True"
