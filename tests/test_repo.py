"""The repository keeps its promises: one test command, executed lessons, scrubbed outputs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from course_utils.maintainer.execute import scrub

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/root/|/home/\w+/|/tmp/|site-packages|/work/)")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'python -m pip install -e ".[test]" && python -m pytest'
    assert command in readme
    assert command in ci.splitlines()


def test_dependencies_have_lower_bounds_this_machine_meets():
    # Read the requirement strings directly: tomllib is not in Python 3.10.
    text = (ROOT / "pyproject.toml").read_text()
    runtime = re.findall(r'^    "([^"]+)",$', text.split("dependencies = [")[1].split("]")[0], re.M)
    deps = re.findall(r'^    "([^"]+)",$', text.split("[project.optional-dependencies]")[1]
                      .split("\n\n")[0], re.M) + runtime
    assert all(">=" in d and "==" not in d for d in deps), deps
    names = {re.split(r"[<>=\[]", d)[0] for d in runtime}
    assert {"torch", "torchvision", "ipywidgets", "matplotlib"} <= names
    # JupyterLab: in the local install's `lab` extra (and the test extra), never forced on a
    # hosted notebook (Colab, Kaggle) that installs the course into its own runtime.
    assert "jupyterlab" not in names and '"jupyterlab>=' in text.split("lab = [")[1]
    floor = {re.split(r">=", d)[0]: d.split(">=")[1] for d in deps}
    assert tuple(map(int, floor["torch"].split("."))) <= (2, 14, 1)
    assert tuple(map(int, floor["torchvision"].split("."))) <= (0, 29, 1)
    env = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in env and "-e .[test]" in env


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lessons_are_committed_executed_and_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell["execution_count"] is not None, "".join(cell["source"])[:60]
        tags = cell.get("metadata", {}).get("tags", [])
        if "nbval-check-output" in tags or "NBVAL_CHECK_OUTPUT" in "".join(cell["source"]):
            # nbval compares every field of a checked output; keep figures out of those cells.
            assert not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])), (
                f"{path.name}: a figure in a cell whose output nbval compares")
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"unexpected error in {path.name}"
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(text), f"{path.name}: machine path in {text[:120]!r}"
            assert "<Figure size" not in text, f"{path.name}: figure caption text in an output"
            if out.get("name") == "stderr":
                assert "Warning" not in text, f"{path.name}: a warning in the output: {text[:120]}"


def test_lessons_are_numbered_in_sequence():
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers == list(range(len(numbers)))
    assert numbers[:2] == [0, 1]


def test_scrub_replaces_this_machines_paths():
    site = next(p for p in sys.path if p.endswith("site-packages"))
    text = f'File "{site}/torch/optim/lr_scheduler.py", line 3 and {ROOT}/lessons/x.ipynb'
    cleaned = scrub(text)
    assert site not in cleaned and str(ROOT) not in cleaned
    assert "<site-packages>/torch/optim/lr_scheduler.py" in cleaned
    assert "<course>/lessons/x.ipynb" in cleaned
