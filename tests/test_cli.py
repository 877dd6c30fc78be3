"""The command line: `progress` and the notebook checker (`start` is in test_start.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.grader.exercises import exercises_for_lesson


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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for name, text in NOT_NOTEBOOKS.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "folder.ipynb").mkdir()
    paths += [tmp_path / "folder.ipynb", tmp_path / "missing.ipynb"]
    summary = tmp_path / "summary.csv"
    assert main(["check", *map(str, paths), "--csv", str(summary)]) == 1
    out = capsys.readouterr().out
    assert out.count("is not a Jupyter notebook") == len(NOT_NOTEBOOKS)
    assert "is a folder" in out and "no such file" in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [(Path(r["notebook"]).name, r["status"]) for r in rows] == [
        (p.name, "error") for p in paths]
    assert (tmp_path / "text.ipynb").read_text() == "not a notebook"


def test_checker_passes_a_solved_notebook_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Failing, broken and hostile notebooks: tests/test_notebook_check.py.
    solutions = [f"{ex.solution}\ncheck({ex.id!r}, answer)" for ex in exercises_for_lesson("01")]
    good = write_notebook(tmp_path / "good.ipynb", "from course_utils import check", *solutions)
    before = good.read_bytes()
    summary = tmp_path / "summary.csv"

    assert main(["check", str(good), "--csv", str(summary), "--timeout", "120"]) == 0

    assert good.read_bytes() == before
    out = capsys.readouterr().out
    count = len(exercises_for_lesson("01"))
    assert "(lesson 01)" in out and f"{count} of {count} exercises passed" in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [(r["exercise"], r["status"], r["passed"]) for r in rows] == [
        (ex.id, "passed", "True") for ex in exercises_for_lesson("01")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.ipynb", "summary.csv"]
