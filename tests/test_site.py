"""The static site: built offline, every lesson page complete in Chromium with the network off.

Skipped, with the reason, where the `site` extra (nbconvert, latex2mathml), Playwright or
Chromium is missing; `.ci/run` installs the extra so CI runs it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NO_EXTRA = 'the site extra is not installed: pip install -e ".[site]"'
pytest.importorskip("latex2mathml", reason=NO_EXTRA)
pytest.importorskip("nbconvert", reason=NO_EXTRA)

from course_utils.maintainer.__main__ import main  # noqa: E402
from course_utils.maintainer.site import WIDGET_VIEW  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the committed lessons, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "site"
    assert main(["site", "--root", str(ROOT), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, never Playwright's download), or a skip saying why."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not path:
        pytest.skip("no Chromium: apt-get install -y chromium, or set CHROMIUM_PATH")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True,
                                      args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def test_the_site_has_a_front_page_and_a_page_per_lesson(site: Path) -> None:
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == sorted(["index.html", *(p.with_suffix(".html").name for p in LESSONS)])
    index = (site / "index.html").read_text()
    assert "Learning-rate schedulers in PyTorch" in index  # the README is the front page
    assert all(f'href="{p.with_suffix(".html").name}"' in index for p in LESSONS)
    for page in site.glob("*.html"):
        text = page.read_text()
        assert "<script" not in text and "<link" not in text, page.name


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_page_is_complete_offline(site: Path, browser: Any, lesson: Path) -> None:
    nb = json.loads(lesson.read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    figures = sum("image/png" in o.get("data", {}) and WIDGET_VIEW not in o["data"]
                  for o in outputs)
    pictures = sum({"image/png", WIDGET_VIEW} <= set(o.get("data", {})) for o in outputs)
    heading = next(line.lstrip("#").strip() for c in nb["cells"] if c["cell_type"] == "markdown"
                   for line in "".join(c["source"]).splitlines() if line.startswith("#"))

    page = browser.new_page()
    errors: list[str] = []
    off_machine: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_local(route: Any) -> None:
        if route.request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            off_machine.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    try:
        page.goto((site / lesson.with_suffix(".html").name).as_uri(), wait_until="load")
        assert heading in page.inner_text("h1")
        # Figures and the widgets' saved pictures are drawn, not broken images.
        drawn = page.eval_on_selector_all(
            ".jp-OutputArea-output img", "els => els.map(e => e.complete && e.naturalWidth > 0)")
        assert len(drawn) >= figures + pictures and all(drawn)
        assert page.locator(".widget-still img").count() == pictures
        if "HikerWidget(" in lesson.read_text():
            assert pictures >= 1
        # Formulas are MathML the browser lays out, with no TeX left for a script to find.
        prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        if "$" in prose:
            assert page.locator("math").count() > 0
            assert page.locator("code.tex").count() == 0
        assert page.locator("nav.lr-site-nav a[href='index.html']").count() == 2
        assert not errors, errors
        assert not off_machine, off_machine
    finally:
        page.close()
