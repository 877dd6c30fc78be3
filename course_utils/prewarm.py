"""Paying for the first `torch.optim` optimizer in the background, while a widget is open.

The first optimizer a Python process builds is slow (about 2 s on a quiet machine): its
constructor imports `torch._dynamo`, close to 900 modules. The widgets build one on the
first change of schedule, so without help that first change froze for seconds while every
later one took milliseconds. A widget calls `start_after_cell()` as it opens: when the cell
that opened it has finished (so the open itself is not slowed), a daemon thread builds and
steps a throwaway optimizer and scheduler, once per process, while the learner reads.
Before the widget builds an optimizer of its own it calls `wait()`, so the two threads never
import the same modules at once (and a change made before the warm-up ends waits only for
what is left of it). `import course_utils` never starts it: only an opened widget does.
"""

from __future__ import annotations

import threading

ENABLED = True  # tests/bench_widget.py turns it off to measure the widget without it
_lock = threading.Lock()
_thread: threading.Thread | None = None


def _build_one() -> None:
    """Build and step a throwaway optimizer and scheduler (what the first one costs)."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    param.grad = torch.ones(1)
    optimizer.step()
    scheduler.step()


def _run() -> None:
    try:
        _build_one()
    except Exception:  # a warm-up only: the widget's own optimizer reports any real problem
        pass


def start() -> None:
    """Start the warm-up thread, once per process (a no-op after the first call)."""
    global _thread
    with _lock:
        if _thread is None and ENABLED:
            _thread = threading.Thread(target=_run, name="course-utils-prewarm", daemon=True)
            _thread.start()


def start_after_cell() -> None:
    """`start()` once the running notebook cell has finished; outside IPython, nothing.

    Outside a notebook no widget is on screen, so there is nobody to keep waiting.
    """
    if _thread is not None or not ENABLED:
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "events"):
        return

    def after_cell(*_args: object) -> None:
        shell.events.unregister("post_run_cell", after_cell)
        start()

    shell.events.register("post_run_cell", after_cell)


def wait(timeout: float | None = None) -> None:
    """Wait for a running warm-up to finish (at once if none was started or it is done)."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout)


def started() -> bool:
    """Whether this process has started its warm-up."""
    return _thread is not None
