"""The progress file: where it lives, what it keeps, surviving corruption and concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_utils.grader import progress
from course_utils.grader.engine import check


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
    # Only the file and its lock: no temporary file is left behind.
    names = sorted(p.name for p in progress_file.parent.iterdir())
    assert names == [".progress.json.lock", "progress.json"]


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
    progress.record("01.1", True)
    progress_file.write_text("oops again")
    progress.record("01.1", True)
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


def _listing(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under `folder`: its mode and its bytes (or a link's target)."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in sorted(folder.rglob("*")):
        info = p.lstat()
        if p.is_symlink():
            out[str(p)] = (info.st_mode, os.readlink(p))
        elif p.is_file():
            out[str(p)] = (info.st_mode, p.read_bytes())
        else:
            out[str(p)] = (info.st_mode, b"")
    return out


def test_reading_a_damaged_file_changes_nothing(
    progress_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("{not json")
    before = _listing(progress_file.parent)
    assert progress.load_progress() == {"version": 1, "exercises": {}}
    assert "all" in progress.progress_report()
    assert _listing(progress_file.parent) == before
    assert "is not valid JSON" in capsys.readouterr().err


def _make_folder(path: Path) -> str:
    path.mkdir(parents=True)
    (path / "keep.txt").write_text("mine")
    return "is a folder"


def _make_symlink(path: Path) -> str:
    path.parent.mkdir(parents=True)
    target = path.parent / "elsewhere.json"
    target.write_text(json.dumps({"version": 1, "exercises": {}}))
    path.symlink_to(target)
    return "is a symbolic link"


def _make_read_only(path: Path) -> str:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "exercises": {"01.1": {
        "passed": False, "ever_passed": False, "attempts": 1}}}))
    path.chmod(0o444)
    return "is read-only"


@pytest.mark.parametrize("make", [_make_folder, _make_symlink, _make_read_only])
def test_what_is_not_a_writable_file_is_reported_and_left_alone(
    progress_file: Path, make, capsys: pytest.CaptureFixture[str]
) -> None:
    why = make(progress_file)
    before = _listing(progress_file.parent)
    result = check("01.1", 4.6)
    assert result.passed
    assert why in capsys.readouterr().err
    assert _listing(progress_file.parent) == before
    from course_utils.__main__ import main

    assert main(["progress"]) == 0
    assert _listing(progress_file.parent) == before


@pytest.mark.parametrize("entry, complaint, attempts", [
    ({"passed": True, "ever_passed": True, "attempts": "three"}, "attempts='three'", 1),
    ({"passed": True, "ever_passed": True, "attempts": -2}, "attempts=-2", 1),
    ({"passed": True, "ever_passed": "yes", "attempts": 3}, "ever_passed='yes'", 4),
    ("passed", "not a record", 1),
])
def test_a_malformed_entry_is_repaired_and_reported(
    progress_file: Path, entry: object, complaint: str, attempts: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(json.dumps({"version": 1, "exercises": {"01.1": entry}}))
    assert check("01.1", 4.6).passed
    assert complaint in capsys.readouterr().err
    saved = json.loads(progress_file.read_text())["exercises"]["01.1"]
    assert saved["passed"] is True and saved["ever_passed"] is True
    assert saved["attempts"] == attempts
    check("01.1", 0.3)  # and the repaired entry keeps counting
    saved = json.loads(progress_file.read_text())["exercises"]["01.1"]
    assert saved["passed"] is False and saved["attempts"] == attempts + 1


_RECORDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from course_utils.grader.progress import record
    path, go, who = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    while not go.exists():
        time.sleep(0.001)
    for i in range(200):
        record(f"shared.{i % 10}", i % 2 == 0, path)
        record(f"{who}.{i}", True, path)
""")


def test_two_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    path, go = tmp_path / "progress.json", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", _RECORDER, str(path), str(go), who],
                              env=env, stderr=subprocess.PIPE, text=True)
             for who in ("a", "b")]
    time.sleep(0.5)  # both have started and are waiting
    go.touch()
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert errors == ["", ""]
    entries = json.loads(path.read_text())["exercises"]
    assert sum(entries[f"shared.{k}"]["attempts"] for k in range(10)) == 400
    assert all(f"{who}.{i}" in entries for who in "ab" for i in range(200))
    assert len(entries) == 410


def test_a_lock_held_too_long_costs_the_save_not_the_result(
    progress_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from filelock import FileLock

    monkeypatch.setattr(progress, "LOCK_TIMEOUT", 0.2)
    progress_file.parent.mkdir(parents=True)
    with FileLock(progress_file.with_name(".progress.json.lock")):  # another kernel, stuck
        assert check("01.1", 4.6).passed
    assert "could not save progress" in capsys.readouterr().err
    assert not progress_file.exists()
    assert check("01.1", 4.6).passed  # and once it is free, saving works again
    assert json.loads(progress_file.read_text())["exercises"]["01.1"]["attempts"] == 1
