"""The static site: built offline, every lesson page complete in Chromium with the network off.

Skipped, with the reason, where the `site` extra (nbconvert, latex2mathml), Playwright or
Chromium is missing; `.ci/run` installs the extra so CI runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NO_EXTRA = 'the site extra is not installed: pip install -e ".[site]"'
pytest.importorskip("latex2mathml", reason=NO_EXTRA)
pytest.importorskip("nbconvert", reason=NO_EXTRA)

from course_utils.maintainer.__main__ import main  # noqa: E402
from course_utils.maintainer.site import WIDGET_VIEW, readme_anchors  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
# Characters per line of each paragraph three lines long or more, as the browser lays it out.
CHARS_PER_LINE = """(selector) => [...document.querySelectorAll(selector)].flatMap((p) => {
  const text = p.textContent.replace(/\\s+/g, " ").trim();
  const lines = p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight);
  return lines >= 3 ? [text.length / (Math.round(lines) - 0.5)] : [];
})"""


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


LESSON_PAGES = [p.with_suffix(".html").name for p in LESSONS]


def soup_of(path: Path) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def local_target(site: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment a same-site URL points at; None for a data: URL or another site."""
    if url.startswith("data:") or re.match(r"^[a-z][a-z0-9+.-]*:", url):
        return None
    path, _, fragment = url.partition("#")
    return (page if not path else (page.parent / path).resolve()), fragment


def offline_page(browser: Any) -> tuple[Any, list[str]]:
    """A new tab that loads only files and data: URLs; the list collects what it blocked."""
    page = browser.new_page()
    off_machine: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            off_machine.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    return page, off_machine


def test_the_site_has_a_front_page_a_maintainers_page_and_a_page_per_lesson(site: Path) -> None:
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == sorted(["index.html", "maintainers.html", *LESSON_PAGES])
    index, maintainers = (site / "index.html").read_text(), (site / "maintainers.html").read_text()
    assert "Learning-rate schedulers in PyTorch" in index  # the README's learner part
    assert "Quickstart" in index and "Cheat sheet" in index
    assert all(f'href="{page}"' in index for page in LESSON_PAGES)
    # The maintainer's material is on its own page, linked from the front page.
    assert 'href="maintainers.html"' in index
    headings = [h.get_text(" ", strip=True) for h in soup_of(site / "index.html").find_all("h2")]
    for heading in ("For maintainers", "Performance", "How the code is laid out"):
        assert heading in maintainers and not any(h.startswith(heading) for h in headings)
    # The notebook names in the lessons table are links to the pages.
    assert '<a href="01_lr_basics.html"><code>01_lr_basics.ipynb</code></a>' in index


def test_pages_load_only_local_same_site_files(site: Path) -> None:
    for page in sorted(site.glob("*.html")):
        soup = soup_of(page)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
            for element in soup.find_all(tag):
                url = element.get(attr)
                assert url or tag != "script", f"{page.name}: an inline script"
                if tag == "link" and "stylesheet" not in (element.get("rel") or []):
                    continue
                target = local_target(site, page, url)
                if target is None:
                    assert url.startswith("data:"), f"{page.name} loads {url}"
                    continue
                assert target[0].is_file() and site in target[0].parents, (page.name, url)
        assert [s["src"] for s in soup.find_all("script")] == ["search-index.js", "search.js"]
        assert not soup.find_all("style"), f"{page.name} inlines CSS: it belongs in site.css"


@pytest.mark.parametrize("page_name", ["index.html", "maintainers.html", *LESSON_PAGES])
def test_links_work_and_figures_are_described(site: Path, page_name: str) -> None:
    page = site / page_name
    soup = soup_of(page)
    broken = []
    for link in soup.find_all("a", href=True):
        target = local_target(site, page, link["href"])
        if target is None:
            continue
        path, fragment = target
        if not path.is_file():
            broken.append(link["href"])
        elif fragment and path.suffix == ".html" and not soup_of(path).find(id=fragment):
            broken.append(link["href"])
    assert not broken, f"{page_name}: broken links {broken}"
    for img in soup.find_all("img"):
        alt = (img.get("alt") or "").strip()
        assert len(alt) > 12 and "No description" not in alt, f"{page_name}: alt {alt!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_page_lists_its_sections_and_offers_its_notebook(
    site: Path, lesson: Path
) -> None:
    soup = soup_of(site / lesson.with_suffix(".html").name)
    headings = [h["id"] for h in soup.find_all("h2", id=True)]
    toc = soup.select_one("nav.lr-site-toc")
    assert toc is not None and headings
    assert [a["href"] for a in toc.find_all("a")] == [f"#{h}" for h in headings]
    nb = json.loads(lesson.read_text())
    numbered = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert len(headings) == len(numbered)
    download = soup.select_one("a.lr-download")
    assert download is not None and download["href"] == f"notebooks/{lesson.name}"
    assert (site / "notebooks" / lesson.name).read_bytes() == lesson.read_bytes()
    # Links between lessons go to the pages, never to a notebook that isn't there.
    assert not [a["href"] for a in soup.find_all("a", href=True)
                if a["href"].endswith(".ipynb") and "lr-download" not in (a.get("class") or [])]


def test_page_weights(site: Path) -> None:
    """Prints what each page weighs (its HTML, and what every page shares); asserts little."""
    shared = {name: (site / name).stat().st_size
              for name in ("site.css", "search.js", "search-index.js")}
    rows = [f"{p.name}: {p.stat().st_size / 1024:.0f} kB"
            for p in sorted(site.glob("*.html"))]
    print("\nsite page weights (HTML, figures inlined):\n  " + "\n  ".join(rows))
    print("shared by every page, loaded once: " + ", ".join(
        f"{name} {size / 1024:.0f} kB" for name, size in shared.items()))
    assert all(size > 0 for size in shared.values())
    assert (site / "00_setup_and_refresher.html").stat().st_size < shared["site.css"]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_page_is_complete_offline(site: Path, browser: Any, lesson: Path) -> None:
    nb = json.loads(lesson.read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    figures = sum("image/png" in o.get("data", {}) and WIDGET_VIEW not in o["data"]
                  for o in outputs)
    pictures = sum({"image/png", WIDGET_VIEW} <= set(o.get("data", {})) for o in outputs)
    heading = next(line.lstrip("#").strip() for c in nb["cells"] if c["cell_type"] == "markdown"
                   for line in "".join(c["source"]).splitlines() if line.startswith("#"))

    page, off_machine = offline_page(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
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
        assert page.locator("nav.lr-site-toc li").count() >= 1
        lengths = page.evaluate(CHARS_PER_LINE, ".jp-RenderedMarkdown p")
        assert lengths, "no paragraph of three lines or more to measure"
        median = statistics.median(lengths)
        print(f"\n{lesson.name}: {median:.0f} characters a line (median of {len(lengths)})")
        assert 60 <= median <= 85, median
        assert not errors, errors
        assert not off_machine, off_machine
    finally:
        page.close()


def test_the_front_page_reads_like_the_lessons_and_its_search_works(
    site: Path, browser: Any
) -> None:
    page, off_machine = offline_page(browser)
    try:
        page.goto((site / "index.html").as_uri(), wait_until="load")
        lengths = page.evaluate(CHARS_PER_LINE, "main.lr-prose p")
        median = statistics.median(lengths)
        print(f"\nindex.html: {median:.0f} characters a line (median of {len(lengths)})")
        assert 60 <= median <= 85, median
        page.fill("#lr-q", "OneCycleLR per batch")
        page.press("#lr-q", "Enter")
        results = page.locator("#lr-search-results a")
        results.first.wait_for()
        hrefs = results.evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert any(h.startswith("04_onecycle.html") for h in hrefs), hrefs
        page.fill("#lr-q", "zzzqqq")
        assert "No section matches" in page.inner_text("#lr-search-results")
        assert not off_machine, off_machine
    finally:
        page.close()


def test_readme_section_links_point_at_the_sites_ids() -> None:
    # The README links sections by GitHub's anchors; the site's headings have ids of their own,
    # and a section may now stand on the maintainers' page.
    pages = {
        "index.html": '<h3 id="Checking-submissions-(for-teachers)">Checking submissions (for '
                      'teachers)</h3><a href="#checking-submissions-for-teachers">a</a>'
                      '<a href="#performance">b</a><a href="#nowhere">c</a>',
        "maintainers.html": '<h2 id="Performance">Performance<a href="#Performance">¶</a></h2>',
    }
    out = readme_anchors(pages)
    assert 'href="#Checking-submissions-(for-teachers)"' in out["index.html"]
    assert 'href="maintainers.html#Performance"' in out["index.html"]
    assert 'href="#nowhere"' in out["index.html"]
    assert out["maintainers.html"] == pages["maintainers.html"]
