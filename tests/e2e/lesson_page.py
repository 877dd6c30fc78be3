"""A lesson open in JupyterLab in the browser: what a learner does there, and what they see."""

from __future__ import annotations

import re
import time
from typing import Any

from lab import WIDGET_ERRORS, LabServer, is_local

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
KERNEL_STATUS = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'
# The hiker's LR slider is described "LR" (or spelled out); exact, so "max_lr" does not match.
LR_LABEL = re.compile(r"^\s*(LR|learning rate)\s*$", re.IGNORECASE)

# Every code cell numbered, none queued or running.
ALL_CELLS_RAN = """(notebook) => {
  const prompts = [...document.querySelectorAll(notebook + ' .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every((p) => /\\[\\d+\\]/.test(p.textContent));
}"""
ANY_CELL_COUNTED = """(notebook) => {
  const prompts = [...document.querySelectorAll(notebook + ' .jp-CodeCell .jp-InputPrompt')];
  return prompts.some((p) => /\\[\\d+\\]/.test(p.textContent));
}"""
ANY_CELL_BUSY = """(notebook) => {
  const prompts = [...document.querySelectorAll(notebook + ' .jp-CodeCell .jp-InputPrompt')];
  return prompts.some((p) => p.textContent.includes('*'));
}"""

# SHA-256 of the bytes an <img> shows (ipywidgets' Image uses a blob: URL), or of the markup
# of anything else (the hiker's SVG overlay).
IMAGE_DIGEST = """async (img) => {
  const bytes = img.tagName === 'IMG' ? await (await fetch(img.src)).arrayBuffer()
                                      : new TextEncoder().encode(img.innerHTML);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}"""


class LessonPage:
    """A browser tab on the lab that blocks all but 127.0.0.1 and records console errors."""

    def __init__(self, page: Any, lab: LabServer) -> None:
        """Wire the tab's network block and error listeners."""
        self.page = page
        self.lab = lab
        self.console_errors: list[str] = []
        self.blocked: list[str] = []
        page.set_default_timeout(30_000)
        page.route("**/*", self._route)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught {exc}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} [{where}]")

    def open(self, name: str) -> None:
        """Open notebook `name` and wait until its kernel is Idle in the status bar."""
        # `reset`: a fresh workspace, so no notebook from an earlier test is restored beside it
        # (Run All runs whichever notebook is current).
        self.page.goto(f"{self.lab.base_url}/lab/tree/{name}?reset&token={self.lab.token}")
        self.page.locator(f"{NOTEBOOK} .jp-Cell").first.wait_for()
        self.wait_kernel_idle(timeout=60)

    def kernel_status(self) -> str:
        """The kernel and its state as the status bar shows them ("Python 3 (ipykernel) | Idle")."""
        return str(self.page.locator(KERNEL_STATUS).inner_text())

    def wait_kernel_idle(self, timeout: float = 60) -> None:
        """Wait for the status bar (not the toolbar, which is idle before a kernel exists)."""
        self.page.locator(KERNEL_STATUS).filter(has_text="| Idle").wait_for(timeout=timeout * 1000)

    def clear_all_outputs(self) -> None:
        """Edit > Clear Outputs of All Cells: every prompt back to `[ ]`, so that a count seen
        afterwards comes from this run, not from the lesson as committed."""
        self.page.keyboard.press("Escape")  # no menu left open
        self.page.locator(f"{NOTEBOOK} .jp-InputPrompt").first.click()  # this notebook is current
        self.page.get_by_role("menuitem", name="Edit", exact=True).click()
        self.page.get_by_role("menuitem", name="Clear Outputs of All Cells", exact=True).click()
        self.page.wait_for_function(f"(nb) => !({ANY_CELL_COUNTED})(nb)", arg=NOTEBOOK)

    def run_all(self, timeout: float = 300) -> None:
        """Clear every output, Run > Run All Cells, and wait until every cell has run (or the
        run has stopped, the kernel Idle with no cell queued for 10 s)."""
        deadline = time.monotonic() + timeout
        self.clear_all_outputs()
        # A menu click can land while the page is still settling and do nothing: click again,
        # as a learner would, and say so.
        for attempt in range(1, 4):
            self.page.keyboard.press("Escape")  # close a menu a try left open
            self.page.get_by_role("menuitem", name="Run", exact=True).click()
            self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            started = time.monotonic() + 20
            while time.monotonic() < started and not self._run_began():
                self.page.wait_for_timeout(100)
            if self._run_began():
                break
            print(f"\nRun All Cells started no cell within 20 s (try {attempt}); "
                  f"kernel: {self.kernel_status()!r}")
        else:
            raise AssertionError("Run All Cells started no cell in three tries")
        # Between two cells the kernel can be Idle with no cell busy: only every cell counted,
        # or a quiet that lasts, ends the wait.
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.page.evaluate(ANY_CELL_BUSY, NOTEBOOK) or "| Idle" not in self.kernel_status():
                quiet_since = None
            elif self.all_cells_ran():
                break
            else:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 10:
                    break  # the run stopped early: the caller's all_cells_ran() says so
            self.page.wait_for_timeout(250)
        self.wait_kernel_idle(timeout=max(deadline - time.monotonic(), 1))

    def _run_began(self) -> bool:
        """A cell is queued or running, or has a count again since the outputs were cleared."""
        return bool(self.page.evaluate(ANY_CELL_BUSY, NOTEBOOK)
                    or self.page.evaluate(ANY_CELL_COUNTED, NOTEBOOK))

    def all_cells_ran(self) -> bool:
        """Whether every code cell shows an execution count."""
        return bool(self.page.evaluate(ALL_CELLS_RAN, NOTEBOOK))

    def notebook_text(self) -> str:
        """All the text the notebook shows, cells and outputs."""
        return str(self.page.locator(NOTEBOOK).inner_text())

    def output_text(self) -> str:
        """The text of every output area."""
        return "\n".join(self.page.locator(f"{NOTEBOOK} .jp-OutputArea").all_inner_texts())

    def widget_errors(self) -> list[str]:
        """The widget error messages the notebook shows."""
        text = self.notebook_text()
        return [error for error in WIDGET_ERRORS if error in text]

    def code_cell(self, source_text: str) -> Any:
        """The code cell whose source contains `source_text`."""
        return self.page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=source_text)
        )

    def lr_slider(self, scope: Any) -> Any:
        """The hiker's learning-rate slider inside `scope`: by its class, else by its label."""
        labelled = scope.locator(".widget-slider").filter(
            has=self.page.locator(".widget-label", has_text=LR_LABEL)
        )
        return scope.locator(".hiker-lr-slider").or_(labelled)

    def hiker(self) -> Any:
        """The rendered output that holds the hiker's learning-rate slider."""
        outputs = self.page.locator(f"{NOTEBOOK} .jp-OutputArea-output")
        return outputs.filter(has=self.lr_slider(self.page))

    def lr_handle(self, hiker: Any) -> Any:
        """The draggable handle of the hiker's learning-rate slider."""
        return self.lr_slider(hiker).locator('[role="slider"]')

    @staticmethod
    def hiker_image(hiker: Any) -> Any:
        """The hiker's figure."""
        return hiker.locator("img.hiker-image, .hiker-image img, img.widget-image").first

    @staticmethod
    def hiker_picture(hiker: Any) -> Any:
        """What changes when the hiker moves: its SVG overlay, else (older widgets) its image."""
        overlay = hiker.locator(".hiker-overlay .widget-html-content")
        return overlay.first if overlay.count() else LessonPage.hiker_image(hiker)

    @staticmethod
    def hiker_status(hiker: Any) -> Any:
        """The hiker's status line: by its class (there are other HTML lines), else any HTML."""
        status = hiker.locator(".hiker-status")
        return status.first if status.count() else hiker.locator(".widget-html-content").first

    def image_digest(self, image: Any) -> str:
        """SHA-256 of the bytes `image` shows (of its markup, if it is not an <img>)."""
        return str(image.evaluate(IMAGE_DIGEST))
