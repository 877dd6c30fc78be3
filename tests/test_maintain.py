"""`python -m course_utils.maintainer stamp`, on copies of the lessons in a temporary folder."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from course_utils.maintainer.__main__ import main
from course_utils.maintainer.stamp import (
    LINKS_TAG,
    README_END,
    README_START,
    SETUP_TAG,
    project_version,
    repository_url,
    setup_source,
)

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/example-org/lr-course"
VERSION = project_version(ROOT / "pyproject.toml")
TAG = f"v{VERSION}"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the course's README, pyproject.toml and lessons, with no repository URL."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("*.py"))
    assert repository_url(tmp_path / "pyproject.toml") is None
    return tmp_path


def set_url(course: Path, url: str) -> None:
    path = course / "pyproject.toml"
    text = path.read_text().replace("[project.urls]\n", f'[project.urls]\nRepository = "{url}"\n')
    path.write_text(text)
    assert repository_url(path) == url


def snapshot(course: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in [*sorted((course / "lessons").iterdir()),
                                            course / "README.md"]}


def tagged(cells: list[dict], tag: str) -> list[dict]:
    return [c for c in cells if tag in c["metadata"].get("tags", [])]


def unstamp(course: Path) -> None:
    """Take the setup cell and the lesson number out of every lesson, as before any stamp."""
    import nbformat

    for path in sorted((course / "lessons").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if SETUP_TAG not in c.metadata.get("tags", [])]
        nb.metadata.pop("lr_course", None)
        nbformat.write(nb, path)


def test_the_committed_lessons_are_stamped(course: Path) -> None:
    before = snapshot(course)
    assert main(["stamp", "--root", str(course)]) == 0
    assert snapshot(course) == before


def test_stamp_adds_only_the_setup_cell_and_the_lesson_number(course: Path) -> None:
    unstamp(course)
    before = snapshot(course)
    assert main(["stamp", "--root", str(course)]) == 0
    after = snapshot(course)
    assert after["README.md"] == before["README.md"]  # no URL: no links anywhere
    for name in before:
        if name == "README.md":
            continue
        old, new = json.loads(before[name]), json.loads(after[name])
        setup = tagged(new["cells"], SETUP_TAG)
        assert len(setup) == 1 and not tagged(new["cells"], LINKS_TAG)
        assert "".join(setup[0]["source"]) == setup_source(None, VERSION)
        assert "nbval-ignore-output" in setup[0]["metadata"]["tags"]
        # It is the first code cell, and every other cell is exactly as it was, outputs too.
        first_code = next(c for c in new["cells"] if c["cell_type"] == "code")
        assert first_code is setup[0]
        assert [c for c in new["cells"] if c is not setup[0]] == old["cells"]
        assert new["metadata"].pop("lr_course") == {"lesson": name[:2]}
        assert new["metadata"] == old["metadata"]
    # A second run changes nothing.
    assert main(["stamp", "--root", str(course)]) == 0
    assert snapshot(course) == after


def test_links_appear_with_a_github_url_and_go_when_it_is_unset(course: Path) -> None:
    main(["stamp", "--root", str(course)])
    unset = snapshot(course)
    set_url(course, URL)
    assert main(["stamp", "--root", str(course)]) == 0
    stamped = snapshot(course)
    readme = stamped["README.md"]
    block = readme.split(README_START)[1].split(README_END)[0]
    lessons = sorted(p.name for p in (course / "lessons").glob("[0-9][0-9]_*.ipynb"))
    blob = f"example-org/lr-course/blob/{TAG}/lessons"
    for name in lessons:
        colab = f"https://colab.research.google.com/github/{blob}/{name}"
        assert colab in block
        assert f"https://kaggle.com/kernels/welcome?src=https://github.com/{blob}/{name}" in block
        nb = json.loads(stamped[name])
        links = tagged(nb["cells"], LINKS_TAG)
        assert len(links) == 1 and colab in "".join(links[0]["source"])
        setup = "".join(tagged(nb["cells"], SETUP_TAG)[0]["source"])
        assert f'"lr-schedulers-course @ git+{URL}@{TAG}"' in setup
        assert setup == setup_source(URL, VERSION)
    # Outside the block the README is unchanged.
    def outside(text: str) -> tuple[str, str]:
        return text.split(README_START)[0], text.split(README_END)[1]

    assert outside(readme) == outside(unset["README.md"])
    assert main(["stamp", "--root", str(course)]) == 0
    assert snapshot(course) == stamped
    # Back to no URL: the links are gone and everything is as after the first stamp.
    (course / "pyproject.toml").write_text(
        (course / "pyproject.toml").read_text().replace(f'Repository = "{URL}"\n', ""))
    main(["stamp", "--root", str(course)])
    assert snapshot(course) == unset


def test_a_url_that_is_not_github_stamps_no_links(course: Path) -> None:
    set_url(course, "https://example.org/lr-course")
    before = snapshot(course)["README.md"]
    main(["stamp", "--root", str(course)])
    assert snapshot(course)["README.md"] == before
    nb = json.loads((course / "lessons" / "01_lr_basics.ipynb").read_text())
    assert not tagged(nb["cells"], LINKS_TAG)


class Pip:
    """Stands in for `subprocess.run` of pip: records each call and answers as told."""

    def __init__(self, returncode: int = 0, stderr: str = "", installs: bool = True) -> None:
        self.calls: list[list[str]] = []
        self.returncode, self.stderr, self.installs = returncode, stderr, installs
        self.installed = False

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        self.calls.append(list(args))
        if self.returncode == 0 and self.installs:
            self.installed = True
        return subprocess.CompletedProcess(args, self.returncode, "", self.stderr)


def run_setup_cell(source: str, hosted: str | None, importable: bool, pip: Pip,
                   monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a setup cell as the hosted runtime would (IPython's transform, then exec).

    Colab is told by its `google.colab` module, Kaggle by its environment variable; the
    course is importable when `importable`, or once the fake pip has installed it. Returns
    what the cell printed.
    """
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if hosted == "kaggle":
        monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    if hosted == "colab":
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
        real_find_spec(name, *a) if importable or pip.installed or name != "course_utils"
        else None))
    monkeypatch.setattr(subprocess, "run", pip)
    code = TransformerManager().transform_cell(source)
    assert "get_ipython" not in code  # plain Python: no %pip, whose failures don't stop a cell
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<setup cell>", "exec"), {})
    return printed.getvalue()


@pytest.mark.parametrize("url", [None, URL])
@pytest.mark.parametrize(("hosted", "importable"),
                         [(None, False), (None, True), ("colab", True), ("kaggle", True)])
def test_the_setup_cell_does_nothing_off_a_host_or_with_the_course_there(
    url: str | None, hosted: str | None, importable: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = Pip()
    assert run_setup_cell(setup_source(url, VERSION), hosted, importable, pip, monkeypatch) == ""
    assert pip.calls == []


@pytest.mark.parametrize("hosted", ["colab", "kaggle"])
def test_with_no_repository_the_setup_cell_installs_nothing_and_says_what_to_do(
    hosted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = Pip()
    with pytest.raises(RuntimeError) as stop:
        run_setup_cell(setup_source(None, VERSION), hosted, False, pip, monkeypatch)
    assert pip.calls == []
    message = str(stop.value)
    assert f"lr_schedulers_course-{VERSION}-py3-none-any.whl" in message
    assert "%pip install /content/" in message and "/kaggle/input" in message
    assert "run this cell again" in message


@pytest.mark.parametrize("hosted", ["colab", "kaggle"])
def test_with_a_repository_the_setup_cell_installs_it_at_the_version_tag(
    hosted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = Pip()
    printed = run_setup_cell(setup_source(URL, VERSION), hosted, False, pip, monkeypatch)
    assert pip.calls == [[sys.executable, "-m", "pip", "install", "--quiet",
                          f"lr-schedulers-course @ git+{URL}@{TAG}"]]
    assert printed == f"Installed the course {TAG} from {URL}.\n"


def test_a_pip_failure_stops_the_setup_cell_with_pips_message(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = Pip(returncode=1, stderr="ERROR: Could not find a version that satisfies v9\n")
    with pytest.raises(RuntimeError) as stop:
        run_setup_cell(setup_source(URL, VERSION), "kaggle", False, pip, monkeypatch)
    assert len(pip.calls) == 1
    assert "Could not find a version that satisfies v9" in str(stop.value)
    assert "Internet" in str(stop.value)


def test_an_install_python_cannot_find_stops_the_setup_cell(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = Pip(installs=False)
    with pytest.raises(RuntimeError, match="can't find course_utils"):
        run_setup_cell(setup_source(URL, VERSION), "colab", False, pip, monkeypatch)


def test_no_setup_cell_installs_by_a_bare_package_name() -> None:
    for url in (None, URL):
        source = setup_source(url, VERSION)
        assert not re.search(r"^\s*[%!]", source, re.M)  # no magic: pip's failures would pass
        assert not re.search(r"install[^\n]*\blr-schedulers-course\b(?! @ git\+)", source)
