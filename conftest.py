"""Session setup for the whole test run, unit tests and nbval lessons alike.

Every check records progress; point that at a temporary file before any test
runs or any nbval kernel starts (kernels inherit this environment), so no run
ever writes a learner's real progress file or the repository.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Send progress to a fresh temporary folder for this session."""
    folder = Path(tempfile.mkdtemp(prefix="lr_course_test_"))
    os.environ["LR_COURSE_PROGRESS"] = str(folder / "progress.json")
    os.environ.pop("LR_COURSE_RESULTS", None)
