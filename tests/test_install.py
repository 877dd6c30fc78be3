"""The installable course: a wheel and an sdist that carry the lessons and the data.

The wheel is built from a copy of the sources (the build never writes into the
repository), installed into a fresh environment layered on this one (torch is not
installed again), and used from a folder outside the repository with no PYTHONPATH:
`start --no-lab` makes a workspace there, and lesson 01 runs from it.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from layered_env import REPO, clean_env, layered_venv, pip_install

SOURCES = ["pyproject.toml", "README.md", "LICENSE", "course_utils", "lessons", "data"]
LESSONS = sorted(p.name for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))


def copy_sources(dest: Path) -> Path:
    """The files a build reads, copied to `dest` (caches left behind)."""
    dest.mkdir(parents=True)
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, dest / name)
    return dest


def setuptools_is_recent() -> bool:
    """Whether this environment's setuptools can build the course without build isolation."""
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return major >= 77


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course's wheel, built once per session from a copy of the sources."""
    root = tmp_path_factory.mktemp("wheel_build")
    src = copy_sources(root / "src")
    # Without build isolation where this environment's setuptools is new enough (offline);
    # else pip fetches the build requirements from the package index.
    offline = setuptools_is_recent()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps",
         *(["--no-build-isolation"] if offline else []), "-w", str(root / "dist"), str(src)],
        capture_output=True, text=True, env=clean_env(),
    )
    if done.returncode != 0 and not offline:
        pytest.skip(f"pip could not fetch setuptools to build the wheel: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = (root / "dist").glob("lr_schedulers_course-*.whl")
    return built


def test_the_wheel_carries_every_lesson_and_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"course_utils/lessons/{name}" for name in LESSONS} <= names
    assert {"course_utils/data_files/digits.npz", "course_utils/data_files/tinylang.txt"} <= names
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "course_utils").rglob("*.py")}
    assert modules <= names, f"not in the wheel (list the package in pyproject.toml): " \
        f"{sorted(modules - names)}"


@pytest.mark.skipif(not setuptools_is_recent(),
                    reason="setuptools>=77 is needed to build the sdist")
def test_the_sdist_carries_every_lesson_and_the_data(tmp_path: Path) -> None:
    src = copy_sources(tmp_path / "src")
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, setuptools.build_meta as b; print(b.build_sdist(sys.argv[1]))",
         str(tmp_path / "dist")],
        cwd=src, capture_output=True, text=True, env=clean_env(), check=True,
    )
    sdist = tmp_path / "dist" / done.stdout.strip().splitlines()[-1]
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {f"lessons/{name}" for name in LESSONS} <= names
    assert {"data/digits.npz", "data/tinylang.txt", "pyproject.toml"} <= names


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel installed; returns its Python."""
    python = layered_venv(tmp_path_factory.mktemp("wheel_env") / "venv")
    done = pip_install(python, "--no-deps", "--no-index", str(wheel))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return python


def test_start_from_the_wheel_makes_a_workspace_and_lesson_01_runs_there(
    installed: Path, tmp_path: Path
) -> None:
    here = tmp_path / "anywhere"
    here.mkdir()
    run = {"cwd": here, "capture_output": True, "text": True, "env": clean_env()}
    where = subprocess.run(
        [str(installed), "-c", "import course_utils; print(course_utils.__file__)"],
        check=True, **run).stdout.strip()
    assert Path(where).is_relative_to(installed.parent.parent), where
    assert not Path(where).is_relative_to(REPO)

    done = subprocess.run([str(installed), "-m", "course_utils", "start", "--no-lab"], **run)
    assert done.returncode == 0, done.stderr
    workspace = here / "workspace"
    assert sorted(p.name for p in workspace.glob("*.ipynb")) == LESSONS
    assert "new lesson: 01_lr_basics.ipynb" in done.stdout

    # Lesson 01, in a kernel of the fresh environment, plus a last cell that says whose code ran.
    script = (
        "import sys, nbformat, nbclient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nb.cells.append(nbformat.v4.new_code_cell("
        "'import course_utils, sys; print(sys.executable); print(course_utils.__file__)'))\n"
        "nbclient.NotebookClient(nb, timeout=300, kernel_name='python3',\n"
        "    resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "nbformat.write(nb, sys.argv[3])\n"
    )
    ran = tmp_path / "ran.ipynb"
    done = subprocess.run([str(installed), "-c", script, str(workspace / "01_lr_basics.ipynb"),
                           str(workspace), str(ran)], timeout=600, **run)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = json.loads(ran.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert len(code) > 10 and all(c["execution_count"] for c in code)
    for cell in code:
        for out in cell["outputs"]:
            assert out["output_type"] != "error" or "raises-exception" in cell["metadata"].get(
                "tags", []), out
    kernel_python, kernel_course = "".join(code[-1]["outputs"][0]["text"]).split()
    assert Path(kernel_python).parent == installed.parent, kernel_python
    assert Path(kernel_course).is_relative_to(installed.parent.parent), kernel_course
    assert any("image/png" in o.get("data", {}) for c in code for o in c["outputs"])


def test_an_editable_install_reads_the_lessons_and_data_in_place(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    src = copy_sources(tmp_path / "src")
    python = layered_venv(tmp_path_factory.mktemp("editable_env") / "venv")
    offline = setuptools_is_recent()
    done = pip_install(python, "--no-deps", *(["--no-build-isolation"] if offline else []),
                       "-e", str(src))
    if done.returncode != 0 and not offline:
        pytest.skip(f"pip could not fetch setuptools to install: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    script = ("import importlib.resources as r, course_utils.data as d\n"
              "print(r.files('course_utils.lessons')); print(d.DATA_DIR)\n"
              "print(len(d.load_digits('val')))")
    out = subprocess.run([str(python), "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, env=clean_env(), check=True).stdout.split()
    assert out == [str(src / "lessons"), str(src / "data"), "270"]
