"""The command line: `progress` and the notebook checker (`start` is in test_start.py).

Hostile notebooks in a batch: tests/test_notebook_check.py. Here: the checker's
refusals (no sandbox, a tamper marker), the marker's life, and processes a
submission detaches.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.grader import notebook_check, sandbox, tamper
from course_utils.grader.exercises import exercises_for_lesson
from course_utils.grader.sandbox import bwrap_problem

# Where bubblewrap is missing, the checks that are not about the sandbox run without it.
SANDBOX = ["--unsafe-no-sandbox"] if bwrap_problem() else []


@pytest.fixture
def teacher_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home of its own, so the tamper marker (~/.lr_course) is never the real one."""
    home = tmp_path / "teacher_home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    yield home


def write_notebook(path: Path, *sources: str, tags: dict[int, list[str]] | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    nbformat.write(nb, path)
    return path


def test_progress_command_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "attempted" in out and "\n01 " in out


NOT_NOTEBOOKS = {
    "text.ipynb": "not a notebook",
    "list.ipynb": "[]",
    "empty.ipynb": "{}",
    "cells_text.ipynb": '{"cells": "x", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "bad_bytes.ipynb": "\udcff",
}


def test_checker_rejects_files_that_are_not_notebooks_each_with_a_row(
    tmp_path: Path, teacher_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for name, text in NOT_NOTEBOOKS.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "folder.ipynb").mkdir()
    paths += [tmp_path / "folder.ipynb", tmp_path / "missing.ipynb"]
    summary = tmp_path / "summary.csv"
    assert main(["check", *map(str, paths), "--csv", str(summary), *SANDBOX]) == 1
    out = capsys.readouterr().out
    assert out.count("is not a Jupyter notebook") == len(NOT_NOTEBOOKS)
    assert "is a folder" in out and "no such file" in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [(Path(r["notebook"]).name, r["status"]) for r in rows] == [
        (p.name, "error") for p in paths]
    assert (tmp_path / "text.ipynb").read_text() == "not a notebook"


def test_checker_passes_a_solved_notebook_and_leaves_it_alone(
    tmp_path: Path, teacher_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Failing, broken and hostile notebooks: tests/test_notebook_check.py.
    solutions = [f"{ex.solution}\ncheck({ex.id!r}, answer)" for ex in exercises_for_lesson("01")]
    good = write_notebook(tmp_path / "good.ipynb", "from course_utils import check", *solutions)
    before = good.read_bytes()
    summary = tmp_path / "summary.csv"

    # 2 GB of data per process is plenty for an honest lesson
    assert main(["check", str(good), "--csv", str(summary), "--timeout", "120",
                 "--memory", "2048", *SANDBOX]) == 0

    assert good.read_bytes() == before
    out = capsys.readouterr().out
    count = len(exercises_for_lesson("01"))
    assert "(lesson 01)" in out and f"{count} of {count} exercises passed" in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [(r["exercise"], r["status"], r["passed"]) for r in rows] == [
        (ex.id, "passed", "True") for ex in exercises_for_lesson("01")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.ipynb", "summary.csv",
                                                          "teacher_home"]


def test_without_a_sandbox_the_checker_refuses_unless_told(
    tmp_path: Path, teacher_home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    ran = tmp_path / "ran.txt"
    nb = write_notebook(tmp_path / "nb.ipynb", f"open({str(ran)!r}, 'w').write('x')")
    summary = tmp_path / "summary.csv"
    assert main(["check", str(nb), "--csv", str(summary)]) == 2
    err = capsys.readouterr().err
    assert "Not checking anything: bubblewrap (bwrap) is not installed" in err
    assert "--unsafe-no-sandbox" in err and "Linux container" in err
    assert not ran.exists() and not summary.exists()


def _tamper_probe() -> Path:
    return sandbox.course_paths()[0] / f"_tamper_probe_{os.getpid()}.txt"


def test_a_submission_that_changes_the_course_stops_every_batch_until_cleared(
    tmp_path: Path, teacher_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = _tamper_probe()
    vandal = write_notebook(tmp_path / "vandal.ipynb", f"open({str(probe)!r}, 'w').write('x')")
    later = write_notebook(tmp_path / "later.ipynb", "x = 1")
    summary = tmp_path / "summary.csv"
    try:
        status = main(["check", str(vandal), str(later), "--csv", str(summary),
                       "--unsafe-no-sandbox"])
    finally:
        probe.unlink(missing_ok=True)
    assert status == 2
    err = capsys.readouterr().err
    assert f"Stopped: while {vandal} ran, these files changed: {probe}" in err
    rows = {Path(r["notebook"]).name: r for r in csv.DictReader(summary.open(encoding="utf-8"))
            if r["status"] == "error"}
    assert str(probe) in rows["vandal.ipynb"]["message"]
    assert "not checked" in rows["later.ipynb"]["message"]
    marker = teacher_home / ".lr_course" / tamper.TAMPER_MARKER
    assert str(probe) in marker.read_text()

    # Every later batch refuses, sandboxed or not, before running anything.
    for unsafe in (["--unsafe-no-sandbox"], []):
        assert main(["check", str(later), "--csv", str(summary), *unsafe]) == 2
        err = capsys.readouterr().err
        assert "Not checking anything" in err and tamper.CLEAR_COMMAND in err
    # Cleared, batches run again.
    assert main(["check", "--clear-tamper-marker"]) == 0
    assert "Removed" in capsys.readouterr().out and not marker.exists()
    assert main(["check", "--clear-tamper-marker"]) == 0
    assert "nothing to clear" in capsys.readouterr().out
    summary.unlink()
    assert main(["check", str(later), "--csv", str(summary), *SANDBOX]) == 1
    assert "no exercises found" in summary.read_text(encoding="utf-8")


_DETACH = """import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", {mark!r}],
                  {{}})
    os._exit(0)
time.sleep(1)"""


@pytest.mark.parametrize("mode", ["bwrap", "unsafe"])
def test_a_detached_double_forked_process_is_gone_before_the_rows_are_written(
    mode: str, tmp_path: Path, teacher_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "bwrap" and bwrap_problem():
        pytest.skip(f"bubblewrap can't be used here: {bwrap_problem()}")
    mark = f"detached-{os.getpid()}-{mode}"
    nb = write_notebook(tmp_path / "detach.ipynb", _DETACH.format(mark=mark),
                        "from course_utils import check\ncheck('01.1', 4.6)")
    alive_when_written: list[list[str]] = []
    write_csv = notebook_check.write_csv

    def spy(reports: object, target: Path) -> bool:
        alive_when_written.append(_with_mark(mark))
        return write_csv(reports, target)

    monkeypatch.setattr(notebook_check, "write_csv", spy)
    unsafe = ["--unsafe-no-sandbox"] if mode == "unsafe" else []
    summary = tmp_path / "summary.csv"
    try:
        main(["check", str(nb), "--csv", str(summary), "--timeout", "120", *unsafe])
    finally:
        left = _with_mark(mark)
        for pid in left:
            os.kill(int(pid), 9)
    assert alive_when_written == [[]] and left == []
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [r["status"] for r in rows if r["exercise"] == "01.1"] == ["passed"]


def _with_mark(mark: str) -> list[str]:
    """The ids of live processes whose command line carries `mark` (zombies excluded)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if mark.encode() in cmdline and state != b"Z":
            found.append(entry.name)
    return found


def test_a_clear_without_notebooks_is_the_only_check_without_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["check"])
    assert stop.value.code == 2 and "at least one notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["check", "--clear-tamper-marker", "x.ipynb"])
    assert stop.value.code == 2 and "checks no notebooks" in capsys.readouterr().err
