"""Lesson 01 in a real browser: JupyterLab in headless Chromium, the hiker moved by hand."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from accessibility import ax_nodes, name, naming_problems, prop, role, summary
from latency import RECORD_WEBSOCKETS, measure_play, measure_presses
from lesson_page import LessonPage

from course_utils.hiker_widget import PLAY_INTERVAL_MS

HIKER_CELL = "HikerWidget("
KEY_PRESSES = 30  # at the hiker's step of 0.01 in log10(LR), about a factor of 2


def assert_no_browser_errors(tab: LessonPage) -> None:
    """No widget errors, no JavaScript errors, and nothing asked of any host but this one."""
    problems = [f"widget error on the page: {error!r}" for error in tab.widget_errors()]
    problems += [
        f"console error (x{count}): {error}" for error, count in Counter(tab.console_errors).items()
    ]
    problems += [f"request off this machine (blocked): {url}" for url in tab.blocked]
    assert not problems, "the browser showed errors:\n" + "\n".join(problems)


def wait_for_change(read: Callable[[], str], before: str, timeout: float = 30) -> str:
    """Poll `read()` until it returns something other than `before` (or time runs out)."""
    deadline = time.monotonic() + timeout
    now = read()
    while now == before and time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
    return now


def wait_until_steady(
    read: Callable[[], tuple[str, str]], quiet: float = 1.0, timeout: float = 30
) -> tuple[str, str]:
    """Poll `read()` until it returns the same for `quiet` seconds (or time runs out)."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
    return last


def assert_hiker_is_named(lesson_page: LessonPage, hiker: object) -> None:
    """Through Chromium's accessibility tree: every hiker control has a name, the LR box says
    the LR, Play/stop/repeat are labelled, the status is a polite live region, the picture
    is named."""
    nodes = ax_nodes(lesson_page.page, hiker)
    print(f"\nthe hiker, as a screen reader lists it: {summary(nodes)}")
    assert not naming_problems(nodes), naming_problems(nodes)
    named = {(role(n), name(n)) for n in nodes}
    assert ("spinbutton", "learning rate (LR)") in named, named
    assert {("button", "stop"), ("checkbox", "repeat")} <= named, named
    assert any(r in {"button", "togglebutton"} and n == "play the hike" for r, n in named), named
    assert {n for r, n in named if r == "combobox"} >= {"landscape", "schedule"}, named
    live = [n for n in nodes if prop(n, "live") == "polite" and role(n) == "status"]
    assert live, "the status line is not a polite live region"
    assert any(role(n) == "image" and "hike" in name(n).lower() for n in nodes), named
    # The still figure under the overlay is decorative (alt=""): no unnamed image is announced.
    assert all(name(n) for n in nodes if role(n) == "image"), named


def test_committed_lesson_shows_its_saved_outputs(
    lesson_page: LessonPage, lesson: Path, artifacts_dir: Path
) -> None:
    """Before anything runs, the saved outputs render, the hiker as a picture, without errors."""
    lesson_page.open(lesson.name)
    lesson_page.page.wait_for_timeout(1000)  # let deferred output renderers settle
    hiker_cells = lesson_page.code_cell(HIKER_CELL)
    assert hiker_cells.count() >= 1, f"no cell calls {HIKER_CELL}...) in {lesson.name}"
    for cell in hiker_cells.all():
        pictures = cell.locator(".jp-OutputArea-output img")
        assert pictures.count() >= 1, (
            "a hiker cell shows no picture before Run All; it shows: "
            f"{cell.locator('.jp-OutputArea').inner_text()!r}"
        )
        assert pictures.first.is_visible()
    saved_png = artifacts_dir / "hiker_saved_output.png"
    hiker_cells.first.locator(".jp-OutputArea").screenshot(path=str(saved_png))
    print(f"\nthe hiker before Run All: {saved_png}")
    assert "Loading widget..." not in lesson_page.output_text(), "a widget never finished loading"
    assert_no_browser_errors(lesson_page)


def test_run_all_then_move_the_hiker_slider(
    lesson_page: LessonPage, lesson: Path, artifacts_dir: Path
) -> None:
    """Run All, then move the learning-rate slider by keyboard: the figure and the story change.

    Then, with the noise turned on, it prints (never asserts) what a learner feels: the time
    from a key press on the LR slider to the new picture, and Play's frame rate.
    """
    lesson_page.page.add_init_script(RECORD_WEBSOCKETS)
    lesson_page.open(lesson.name)
    lesson_page.run_all()
    assert lesson_page.all_cells_ran(), (
        "not every code cell ran; outputs:\n" + lesson_page.output_text()[-3000:]
    )
    outputs = lesson_page.output_text()
    assert "Traceback (most recent call last)" not in outputs, f"a cell raised:\n{outputs[-3000:]}"
    assert_no_browser_errors(lesson_page)

    hikers = lesson_page.hiker()
    # Lesson 01 has three: the bowl in section 4, the valley map after it, and the noisy bowl
    # in section 7. The first is the one moved below.
    assert hikers.count() == 3, "expected lesson 01's three rendered hikers with an 'LR' slider"
    hiker = hikers.first
    hiker.scroll_into_view_if_needed()
    lesson_page.hiker_image(hiker).wait_for()
    image = lesson_page.hiker_picture(hiker)  # what moves: the SVG overlay over the still figure
    status = lesson_page.hiker_status(hiker)
    handle = lesson_page.lr_handle(hiker)
    before_png = artifacts_dir / "hiker_before.png"
    hiker.screenshot(path=str(before_png))
    assert_hiker_is_named(lesson_page, hiker)
    for other in hikers.all()[1:]:  # the map hiker and the noisy one are named the same way
        other.scroll_into_view_if_needed()
        assert_hiker_is_named(lesson_page, other)
    hiker.scroll_into_view_if_needed()
    image_before = lesson_page.image_digest(image)
    status_before = status.inner_text()
    value_before = handle.get_attribute("aria-valuenow")

    # Head for whichever end of the slider has more room.
    low, now, high = (
        float(handle.get_attribute(f"aria-value{end}") or 0) for end in ("min", "now", "max")
    )
    key = "ArrowRight" if high - now >= now - low else "ArrowLeft"
    handle.focus()
    for _ in range(KEY_PRESSES):
        handle.press(key)

    value_after = handle.get_attribute("aria-valuenow")
    assert value_after != value_before, "the slider did not move"
    # Wait for the first redraw, then until the kernel has caught up with every key press.
    wait_for_change(lambda: lesson_page.image_digest(image), image_before)
    wait_for_change(status.inner_text, status_before)
    lesson_page.wait_kernel_idle()
    image_after, status_after = wait_until_steady(
        lambda: (lesson_page.image_digest(image), status.inner_text())
    )
    after_png = artifacts_dir / "hiker_after.png"
    hiker.screenshot(path=str(after_png))
    print(f"\nhiker screenshots: {before_png} {after_png}")
    print(f"slider {value_before} -> {value_after}: {status_before!r} -> {status_after!r}")

    assert image_after != image_before, "the hiker's figure did not change after the slider moved"
    assert status_after != status_before, "the hiker's status did not change after the slider moved"
    assert_no_browser_errors(lesson_page)

    # What the learner feels, with noise on (the slowest case): printed, not asserted.
    noise = hiker.locator(".hiker-noise-slider [role='slider']")
    if noise.count():
        noise.focus()
        for _ in range(20):  # 0 -> 1.0 in steps of 0.05
            noise.press("ArrowRight")
        lesson_page.wait_kernel_idle()
        lesson_page.page.wait_for_timeout(1000)
    latency = measure_presses(lesson_page.page, image, handle)
    print(f"\n{latency.summary()}")
    play = hiker.locator(".hiker-play, .widget-play").first
    print(measure_play(lesson_page.page, image, play, PLAY_INTERVAL_MS))
    assert_no_browser_errors(lesson_page)


PLATEAU_LESSON = "05_reduce_on_plateau.ipynb"


def test_lesson_05_plateau_widget_and_hiker_are_named(lesson_page: LessonPage) -> None:
    """Run All in lesson 05: the plateau widget and the lesson's hiker, as a screen reader
    lists them, have a name for every control, a polite live status and a named picture."""
    lesson_page.open(PLATEAU_LESSON)
    lesson_page.run_all()
    # (One cell shows, on purpose, the error of stepping the plateau scheduler without a metric.)
    assert lesson_page.all_cells_ran(), lesson_page.output_text()[-3000:]
    assert_no_browser_errors(lesson_page)
    plateaus = lesson_page.page.locator(".plateau-widget")
    assert plateaus.count() >= 1, "lesson 05 shows no rendered plateau widget"
    for widget in plateaus.all():
        widget.scroll_into_view_if_needed()
        nodes = ax_nodes(lesson_page.page, widget)
        print(f"\nthe plateau widget, as a screen reader lists it: {summary(nodes)}")
        assert not naming_problems(nodes), naming_problems(nodes)
        named = {(role(n), name(n)) for n in nodes}
        assert {("spinbutton", "factor"), ("spinbutton", "patience"),
                ("spinbutton", "cooldown"), ("combobox", "min_lr")} <= named, named
        assert any(prop(n, "live") == "polite" and role(n) == "status" for n in nodes)
        pictures = [n for n in nodes if role(n) == "image"]
        assert pictures and all("ReduceLROnPlateau" in name(n) for n in pictures), [
            name(n) for n in pictures]
    hikers = lesson_page.hiker()
    assert hikers.count() >= 1, "lesson 05 shows no rendered hiker"
    for hiker in hikers.all():
        hiker.scroll_into_view_if_needed()
        assert_hiker_is_named(lesson_page, hiker)
