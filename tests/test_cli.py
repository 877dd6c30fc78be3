"""The command line: `progress` and the notebook checker (`start` is in test_start.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main


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


def test_checker_rejects_a_file_that_is_not_a_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "01_lr_basics.ipynb"
    bogus.write_text("not a notebook")
    assert main(["check", str(bogus)]) == 1
    assert "is not a Jupyter notebook" in capsys.readouterr().out
    assert bogus.read_text() == "not a notebook"


def test_checker_runs_copies_reports_and_leaves_files_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data.txt").write_text("4.6")
    good = write_notebook(
        tmp_path / "good.ipynb",
        "from course_utils import check\nanswer = float(open('data.txt').read())",
        "raise ValueError('on purpose')",
        "# NBVAL_RAISES_EXCEPTION\n1 / 0",
        "check('01.1', answer)",
        tags={1: ["raises-exception"]},
    )
    failing = write_notebook(
        tmp_path / "01_lr_basics.ipynb",
        "from course_utils import check",
        "check('01.1', 5.4)",
        "check('01.2', ...)",
    )
    broken = write_notebook(tmp_path / "broken.ipynb", "x = 1", "undefined_name")
    before = {p: p.read_bytes() for p in (good, failing, broken)}
    summary = tmp_path / "summary.csv"

    status = main(["check", str(good), str(failing), str(broken), "--csv", str(summary)])

    assert status == 1
    assert {p: p.read_bytes() for p in before} == before
    out = capsys.readouterr().out
    assert "✓ 01.1" in out and "stepped uphill" in out
    assert "cell 2 ('undefined_name') raised NameError" in out
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    by_notebook = {(Path(r["notebook"]).name, r["exercise"]): r["status"] for r in rows}
    assert by_notebook[("good.ipynb", "01.1")] == "passed"
    assert by_notebook[("01_lr_basics.ipynb", "01.1")] == "failed"
    assert by_notebook[("01_lr_basics.ipynb", "01.2")] == "not attempted"
    assert by_notebook[("01_lr_basics.ipynb", "01.3")] == "not checked"
    assert by_notebook[("broken.ipynb", "")] == "error"

    assert main(["check", str(good)]) == 0
