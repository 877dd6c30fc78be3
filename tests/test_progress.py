"""The progress file: where it lives, what it keeps, and surviving corruption."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from course_utils import progress
from course_utils.checks import check


@pytest.fixture
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv(progress.PROGRESS_ENV, str(path))
    return path


def test_the_test_session_never_uses_the_real_file() -> None:
    assert progress.PROGRESS_ENV in os.environ
    assert not str(progress.progress_path()).startswith(str(Path.home() / ".lr_course"))


def test_default_lives_in_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(progress.PROGRESS_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress.progress_path() == tmp_path / ".lr_course" / "progress.json"


def test_check_records_latest_result_but_not_blanks(progress_file: Path) -> None:
    check("01.1", ...)
    check("01.1", None)
    assert not progress_file.exists()
    check("01.1", 5.4)
    check("01.1", 4.6)
    check("01.2", 0.3)
    entries = json.loads(progress_file.read_text())["exercises"]
    assert entries["01.1"] == {"passed": True, "ever_passed": True, "attempts": 2}
    assert entries["01.2"]["passed"] is False
    assert [p.name for p in progress_file.parent.iterdir()] == ["progress.json"]


def test_report_counts_per_lesson(progress_file: Path) -> None:
    check("01.1", 4.6)
    check("01.2", 0.3)
    rows = {row[0]: row[1:] for row in progress.progress_rows()}
    attempted, passed, total = rows["01"]
    assert (attempted, passed) == (2, 1) and total >= 3
    report = progress.progress_report()
    assert str(progress_file) in report and "attempted" in report


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"exercises": 3}', b"\xff\xfe"])
def test_corrupt_file_is_kept_aside_and_the_check_is_not_lost(
    progress_file: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_bytes(content)
    result = check("01.1", 4.6)
    assert result.passed
    backup = progress_file.with_name("progress.json.bak")
    assert backup.read_bytes() == content
    assert json.loads(progress_file.read_text())["exercises"]["01.1"]["passed"] is True
    warning = capsys.readouterr().err.strip()
    assert len(warning.splitlines()) == 1 and "progress.json.bak" in warning


def test_second_corruption_keeps_the_first_backup(progress_file: Path) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("oops")
    progress.load_progress()
    progress_file.write_text("oops again")
    progress.load_progress()
    assert progress_file.with_name("progress.json.bak").read_text() == "oops"
    assert progress_file.with_name("progress.json.bak1").read_text() == "oops again"


def test_unwritable_location_warns_and_still_returns_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv(progress.PROGRESS_ENV, str(blocker / "progress.json"))
    assert check("01.1", 4.6).passed
    assert "could not save progress" in capsys.readouterr().err
