"""The progress file: where it lives, what it keeps, surviving corruption and concurrency."""

from __future__ import annotations

import json
import os
import stat
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
    # Only the file, its lock and the emptied journal: no temporary file is left behind.
    names = sorted(p.name for p in progress_file.parent.iterdir())
    assert names == [".progress.json.journal", ".progress.json.lock", "progress.json"]
    assert list(progress.journal_folder(progress_file).iterdir()) == []


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
    path, go, who, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    while not go.exists():
        time.sleep(0.001)
    for i in range(count):
        record(f"shared.{i % 10}", i % 2 == 0, path)
        record(f"{who}.{i}", True, path)
""")
_BURNER = "while True:\n    pass"


def _record_at_once(tmp_path: Path, writers: int, count: int, burners: int = 0) -> Path:
    """`writers` processes each making 2 x `count` records at once, beside busy loops."""
    path, go = tmp_path / "progress.json", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])}
    load = [subprocess.Popen([sys.executable, "-c", _BURNER]) for _ in range(burners)]
    try:
        procs = [subprocess.Popen([sys.executable, "-c", _RECORDER, str(path), str(go), who,
                                   str(count)], env=env, stderr=subprocess.PIPE, text=True)
                 for who in map(str, range(writers))]
        time.sleep(0.5 + 0.1 * writers)  # all have started and are waiting
        go.touch()
        errors = [p.communicate(timeout=600)[1] for p in procs]
    finally:
        for burner in load:
            burner.kill()
            burner.wait()
    assert [p.returncode for p in procs] == [0] * writers, errors
    assert errors == [""] * writers
    entries = progress.load_progress(path)["exercises"]
    assert sum(entries[f"shared.{k}"]["attempts"] for k in range(10)) == writers * count
    assert all(f"{who}.{i}" in entries for who in range(writers) for i in range(count))
    assert len(entries) == 10 + writers * count
    return path


def test_two_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    path = _record_at_once(tmp_path, 2, 200)
    # What a reader saw is what was merged once the last writer got the lock.
    progress.record("final.1", True, path)
    merged = json.loads(path.read_text())["exercises"]
    assert len(merged) == 411 and list(progress.journal_folder(path).iterdir()) == []


def test_sixteen_processes_under_load_lose_nothing(tmp_path: Path) -> None:
    _record_at_once(tmp_path, 16, 200, burners=2)


def test_a_record_made_while_the_lock_is_held_for_15_s_is_saved(
    progress_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_file.parent.mkdir(parents=True)
    lock = progress_file.with_name(".progress.json.lock")
    holder = subprocess.Popen(  # another kernel, stuck for 15 s while holding the lock
        [sys.executable, "-c", "import sys, time\nfrom filelock import FileLock\n"
         "with FileLock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(15)",
         str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert check("01.1", 4.6).passed
        assert check("01.2", 0.3).passed is False
        assert holder.poll() is None  # check did not wait for the lock
        assert not progress_file.exists()
        entries = progress.load_progress()["exercises"]
        assert entries["01.1"]["passed"] is True and entries["01.2"]["attempts"] == 1
        assert holder.wait(timeout=60) == 0
    finally:
        holder.kill()
    assert capsys.readouterr().err == ""
    assert check("01.1", 5.4).passed is False  # once it is free, the journal is merged
    saved = json.loads(progress_file.read_text())["exercises"]
    assert saved["01.1"] == {"passed": False, "ever_passed": True, "attempts": 2}
    assert saved["01.2"]["attempts"] == 1


def test_saving_keeps_the_file_mode(progress_file: Path) -> None:
    check("01.1", 4.6)
    assert stat.S_IMODE(progress_file.stat().st_mode) == 0o666 & ~_umask()
    progress_file.chmod(0o640)
    check("01.2", 0.3)
    assert stat.S_IMODE(progress_file.stat().st_mode) == 0o640
    assert json.loads(progress_file.read_text())["exercises"]["01.2"]["attempts"] == 1


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_oversized_file_is_set_aside_once_with_one_message(
    progress_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_file.parent.mkdir(parents=True)
    big = json.dumps({"version": 1, "exercises": {"01.1": {"passed": True}},
                      "padding": "x" * (progress.SIZE_LIMIT + 10)})
    progress_file.write_text(big)
    assert progress.load_progress() == {"version": 1, "exercises": {}}
    assert "larger than 4 MB" in capsys.readouterr().err
    assert check("01.1", 4.6).passed
    warning = capsys.readouterr().err.strip()
    assert len(warning.splitlines()) == 1 and "larger than 4 MB" in warning
    assert "progress.json.bak" in warning
    assert progress_file.with_name("progress.json.bak").read_text() == big
    check("01.2", 0.3)
    assert capsys.readouterr().err == ""
    assert set(json.loads(progress_file.read_text())["exercises"]) == {"01.1", "01.2"}
