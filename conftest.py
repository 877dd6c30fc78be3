"""Session setup for the whole test run, unit tests and nbval lessons alike.

Every check records progress; point that at a temporary file before any test
runs or any nbval kernel starts (kernels inherit this environment), so no run
ever writes a learner's real progress file or the repository. The tests'
tmp_path folders and torch's cache go there too, and the folder is removed
when the session ends, so a run leaves nothing in the temp dir.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_FOLDER = pytest.StashKey[Path]()


@pytest.hookimpl(tryfirst=True)  # before pytest reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    """Send progress, tmp_path and torch's cache to a fresh temporary folder for this session."""
    folder = Path(tempfile.mkdtemp(prefix="lr_course_test_"))
    config.stash[_SESSION_FOLDER] = folder
    if config.option.basetemp is None:
        config.option.basetemp = str(folder / "pytest")
    os.environ["LR_COURSE_PROGRESS"] = str(folder / "progress.json")
    os.environ.pop("LR_COURSE_RESULTS", None)
    # torch makes a cache folder in the temp dir as soon as an optimizer is built: keep it here.
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder / "torchinductor"))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this session's folder: progress, tmp_path folders and torch's cache."""
    folder = config.stash.get(_SESSION_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("LR_COURSE_PROGRESS") == str(folder / "progress.json"):
            del os.environ["LR_COURSE_PROGRESS"]
