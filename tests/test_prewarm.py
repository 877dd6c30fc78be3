"""The background warm-up of torch.optim: started only once a widget's cell has finished."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys, threading
    import course_utils
    from IPython.core.interactiveshell import InteractiveShell
    assert not any(t.name == "course-utils-prewarm" for t in threading.enumerate())
    from course_utils import prewarm
    shell = InteractiveShell.instance()
    shell.run_cell("from course_utils.hiker_widget import HikerWidget")
    assert not prewarm.started(), "importing the widget must not start it"
    assert "torch._dynamo" not in sys.modules
    # Opening the widget starts nothing during its own cell; the end of the cell does.
    shell.run_cell("import course_utils.prewarm as p; during = p.started(); w = HikerWidget()")
    assert shell.user_ns["during"] is False
    assert prewarm.started()
    prewarm.wait(120)
    assert "torch._dynamo" in sys.modules  # the first optimizer's imports are paid
    # A schedule change after that builds its optimizer with nothing left to import.
    before = len(sys.modules)
    shell.user_ns["w"].schedule_dropdown.value = "cosine"
    assert len(sys.modules) - before < 20, len(sys.modules) - before
    assert shell.events.callbacks["post_run_cell"] == [] or all(
        "after_cell" not in getattr(c, "__name__", "") for c in
        shell.events.callbacks["post_run_cell"])
    print("ok")
""")


def test_the_warm_up_starts_after_the_widgets_cell_and_pays_the_first_optimizer() -> None:
    # A fresh process: the warm-up happens once per process, and torch.optim's first
    # optimizer must not have been built yet.
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_without_ipython_nothing_starts(monkeypatch) -> None:
    from course_utils import prewarm

    monkeypatch.setattr(prewarm, "_thread", None)
    prewarm.start_after_cell()  # no IPython shell in a plain pytest process
    assert not prewarm.started()
    prewarm.wait()  # nothing to wait for: returns at once
