"""Browser-test fixtures: a private JupyterLab on a copy of the lessons, and headless Chromium."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from lab import CHROMIUM_ARGS, LabServer, descendants, find_chromium, kill_all, running_lab
from lesson_page import LessonPage

REPO = Path(__file__).resolve().parents[2]
# E2E_LESSONS_DIR serves another lessons folder (a scratch copy, say) instead of the repo's own.
LESSONS = Path(os.environ.get("E2E_LESSONS_DIR", REPO / "lessons")).resolve()
LESSON = LESSONS / "01_lr_basics.ipynb"
# Screenshots go outside the repository (tests never write into it), unless E2E_ARTIFACTS says.
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS",
                                Path(tempfile.gettempdir()) / "lr_course_e2e_screenshots"))
VIEWPORT = {"width": 1400, "height": 1000}


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or a skip that says how to get it."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium executable: install it (apt-get install -y chromium) or set CHROMIUM_PATH"
        )
    return path


@pytest.fixture(scope="session")
def sync_playwright() -> Any:
    """Playwright's sync API, or a skip that says how to get it."""
    module = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: pip install -e '.[test]'",
    )
    return module.sync_playwright


@pytest.fixture(scope="session")
def lesson() -> Path:
    """The lesson under test."""
    return LESSON


@pytest.fixture(scope="session")
def lessons_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway copy of lessons/ to serve; the lesson itself must stay byte for byte the same."""
    assert LESSON.is_file(), f"{LESSON} is missing"
    before = sha256(LESSON)
    copy = tmp_path_factory.mktemp("served") / "lessons"
    shutil.copytree(LESSONS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    yield copy
    assert sha256(LESSON) == before, f"{LESSON} was modified by the test"


@pytest.fixture(scope="session")
def lab(lessons_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab serving the copy of the lessons; stopped, kernels and all, at the end."""
    with running_lab(lessons_copy, tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium_path: str, sync_playwright: Any) -> Iterator[Any]:
    """Headless Chromium driven by Playwright; it and its driver are gone when the module ends.

    Module scope, not session: a running sync Playwright holds this thread's event loop, so
    another test module that starts its own (tests/test_site.py) could not until this one stops.
    """
    me = os.getpid()
    before = {p.pid for p in descendants(me)}
    playwright = sync_playwright().start()
    driver = [p for p in descendants(me) if p.pid not in before]  # Playwright's driver process
    tree = list(driver)
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            # Chromium and its renderers run below the driver.
            tree += [child for proc in driver for child in descendants(proc.pid)]
            browser.close()
    finally:
        playwright.stop()
    _, alive = psutil.wait_procs(tree, timeout=10)
    leftovers = [f"{p.pid} {p.name()}" for p in alive]
    kill_all(alive)
    assert not leftovers, f"the browser left processes behind (now killed): {leftovers}"


@pytest.fixture
def lesson_page(browser: Any, lab: LabServer) -> Iterator[LessonPage]:
    """A fresh browser tab on the lab, kept off the network, recording console and widget errors."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = LessonPage(context.new_page(), lab)
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go: a fixed folder in the system's temp dir, printed by the tests."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
