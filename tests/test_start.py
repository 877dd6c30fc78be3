"""`python -m course_utils start`: the workspace, JupyterLab's options, and clear errors."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils import workspace
from course_utils.__main__ import main
from course_utils.resources import course_folder
from course_utils.workspace import LessonsNotFound, copy_lessons, find_lessons_dir, start

ROOT = Path(__file__).resolve().parent.parent


def make_lessons(root: Path, *names: str) -> Path:
    lessons = root / "lessons"
    lessons.mkdir(parents=True)
    for name in names:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(f"print({name!r})")]
        nbformat.write(nb, lessons / name)
    return lessons


def test_the_lessons_and_data_come_from_the_package() -> None:
    lessons = find_lessons_dir()
    assert sorted(p.name for p in lessons.glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "lessons").glob("*.ipynb"))
    assert (course_folder("data_files") / "digits.npz").is_file()
    with pytest.raises(ValueError, match="'data_files', 'lessons'"):
        course_folder("data")


def test_start_copies_into_the_current_folder_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lessons = make_lessons(tmp_path / "course", "00_setup.ipynb", "01_lr_basics.ipynb")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    assert start(open_lab=False, lessons=lessons) == 0
    mine = here / "workspace" / "01_lr_basics.ipynb"
    assert "new lesson: 01_lr_basics.ipynb" in capsys.readouterr().out
    mine.write_text("my answers")
    make_lessons(tmp_path / "update", "02_step_decay.ipynb")
    (tmp_path / "update" / "lessons" / "02_step_decay.ipynb").rename(
        lessons / "02_step_decay.ipynb")
    copied, kept = copy_lessons(lessons, here / "workspace")
    assert [p.name for p in copied] == ["02_step_decay.ipynb"]
    assert sorted(p.name for p in kept) == ["00_setup.ipynb", "01_lr_basics.ipynb"]
    assert mine.read_text() == "my answers"


def test_missing_lessons_are_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(workspace, "course_folder", lambda name: tmp_path / "empty")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LessonsNotFound):
        find_lessons_dir()
    assert main(["start", "--no-lab"]) == 1
    assert "Could not find the course's lessons" in capsys.readouterr().err
    assert not (tmp_path / "workspace").exists()


def test_a_workspace_that_is_a_file_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workspace").write_text("not a folder")
    assert main(["start", "--no-lab"]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err
    assert (tmp_path / "workspace").read_text() == "not a folder"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes to read-only folders; the read-only mount is faked below")
def test_a_read_only_folder_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.chdir(tmp_path)
    try:
        assert main(["start", "--no-lab"]) == 1
    finally:
        tmp_path.chmod(stat.S_IRWXU)
    assert "Could not write the lessons" in capsys.readouterr().err


def test_a_failing_write_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a read-only mount does, for every user, root included.
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "mkdir", read_only)
    assert main(["start", "--no-lab"]) == 1
    err = capsys.readouterr().err
    assert "Could not write the lessons" in err and "Read-only file system" in err
    assert "folder you can write to" in err


def test_missing_jupyterlab_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = workspace.importlib.util.find_spec
    monkeypatch.setattr(workspace.importlib.util, "find_spec",
                        lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    monkeypatch.chdir(tmp_path)
    assert main(["start"]) == 1
    err = capsys.readouterr().err
    assert "JupyterLab is not installed" in err and "--no-lab" in err and ".[lab]" in err


@pytest.mark.parametrize("root", [True, False])
def test_unknown_options_go_to_jupyterlab_and_root_gets_allow_root(
    root: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = []
    monkeypatch.setattr(workspace.os, "geteuid", lambda: 0 if root else 1000, raising=False)
    monkeypatch.setattr(workspace, "run_lab",
                        lambda command, cwd: calls.append((command, cwd)) or 0)
    monkeypatch.chdir(tmp_path)
    assert main(["start", "--no-browser", "--port", "8899", "--ip=127.0.0.1"]) == 0
    (command, cwd), = calls
    assert cwd == tmp_path / "workspace"
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    expected = ["--no-browser", "--port", "8899", "--ip=127.0.0.1"]
    expected += ["--allow-root"] if root else []
    assert command[3:] == expected
    assert ("adding --allow-root" in capsys.readouterr().out) is root
    # Given already, it isn't given twice.
    calls.clear()
    assert main(["start", "--allow-root"]) == 0
    assert calls[0][0].count("--allow-root") == 1


def test_start_help_shows_an_example_and_other_commands_refuse_unknown_options() -> None:
    done = subprocess.run([sys.executable, "-m", "course_utils", "start", "--help"],
                          capture_output=True, text=True, check=True)
    assert "python -m course_utils start --no-browser --port 8899" in done.stdout
    assert "JUPYTERLAB_OPTIONS" in done.stdout
    with pytest.raises(SystemExit):
        main(["progress", "--no-browser"])


def test_stopping_start_stops_jupyterlab_cleanly(tmp_path: Path) -> None:
    # A stand-in for JupyterLab that notes the SIGTERM it gets, run the way start runs it.
    lab = ("import pathlib, signal, sys, time\n"
           "def bye(*_):\n"
           "    pathlib.Path('stopped').write_text('SIGTERM'); sys.exit(0)\n"
           "signal.signal(signal.SIGTERM, bye)\n"
           "pathlib.Path('started').write_text('')\n"
           "time.sleep(60)\n")
    runner = ("import sys\nfrom pathlib import Path\nfrom course_utils.workspace import run_lab\n"
              f"sys.exit(run_lab([sys.executable, '-c', {lab!r}], Path.cwd()))\n")
    start_ = subprocess.Popen([sys.executable, "-c", runner], cwd=tmp_path)
    try:
        for _ in range(300):
            if (tmp_path / "started").exists():
                break
            time.sleep(0.05)
        start_.send_signal(signal.SIGTERM)
        assert start_.wait(timeout=30) == 0
    finally:
        start_.kill()
    assert (tmp_path / "stopped").read_text() == "SIGTERM"
