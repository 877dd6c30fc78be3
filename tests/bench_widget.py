"""How fast the hiker widget answers a slider, measured through a real kernel.

A Jupyter frontend changes a slider by sending a `comm_msg` "update" to the
kernel; the kernel runs the hike, redraws and sends the new picture back as a
`comm_msg` on iopub (the SVG overlay of the moving parts; a widget without one
sends a new PNG). This script plays the frontend: it sends the LR update and
times until the picture's update arrives, so the figure is end to end, as a
learner dragging the slider would feel it (minus the browser's own drawing).

Run it as a script: `python tests/bench_widget.py`.
"""

from __future__ import annotations

import random
import statistics
import time

from jupyter_client.manager import start_new_kernel

SETUP = """
from course_utils.{module} import {widget}
hiker = {widget}({args})
picture = getattr(hiker, "overlay", hiker.image)  # what changes: the overlay, else the image
print(hiker.{control}.model_id, picture.model_id, hiker.play.max)
"""


def _picture_update(kc, picture_id: str, timeout: float) -> bool:
    """Wait for the comm message that carries a new picture for `picture_id`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        msg = kc.get_iopub_msg(timeout=max(deadline - time.perf_counter(), 0.001))
        content = msg["content"]
        data = content.get("data", {})
        if (
            msg["msg_type"] == "comm_msg"
            and content.get("comm_id") == picture_id
            and data.get("method") == "update"
            and ("value" in data.get("state", {}) or ["value"] in data.get("buffer_paths", []))
        ):
            return True
    return False


WIDGETS = {"HikerWidget": "hiker_widget", "HikerMapWidget": "hiker_map_widget"}


def measure_widget_latency(
    n: int = 30, widget_args: str = "", control: str = "lr_slider", widget: str = "HikerWidget"
) -> dict[str, float]:
    """Median and p90 milliseconds from a control's update to the new picture leaving the kernel.

    `control` is "lr_slider" (a random LR each time) or "play" (the next animation frame);
    `widget` is "HikerWidget" (the hiker on the mountain) or "HikerMapWidget" (on a map).
    """
    km, kc = start_new_kernel(kernel_name="python3")
    outputs: list[dict] = []
    try:
        reply = kc.execute_interactive(
            SETUP.format(args=widget_args, control=control, widget=widget,
                         module=WIDGETS[widget]), timeout=120,
            output_hook=lambda msg: outputs.append(msg),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        control_id, picture_id, frames = "".join(
            m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream"
        ).split()
        rng = random.Random(0)
        times = []
        for i in range(n + 3):  # the first few warm caches up; they are dropped
            value = 10 ** rng.uniform(-3, 0.5) if control == "lr_slider" else i % int(frames)
            content = {
                "comm_id": control_id,
                "data": {"method": "update", "state": {"value": value}, "buffer_paths": []},
            }
            start = time.perf_counter()
            kc.session.send(kc.shell_channel.socket, "comm_msg", content)
            if not _picture_update(kc, picture_id, timeout=10):
                raise RuntimeError("The kernel sent no new picture within 10 s.")
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)
        times = times[3:]
        return {
            "n": len(times),
            "median_ms": statistics.median(times),
            "p90_ms": statistics.quantiles(times, n=10)[-1],
            "max_ms": max(times),
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


FIRST_SETUP = """
from course_utils.{module} import {widget}
from course_utils.schedules import SCHEDULE_PRESETS
"""
FIRST_OPEN = """
hiker = {widget}()
display(hiker)
print(hiker.schedule_dropdown.model_id, getattr(hiker, "overlay", hiker.image).model_id,
      list(SCHEDULE_PRESETS).index("cosine"))
"""


def measure_first_change(delay: float = 1.0, widget: str = "HikerWidget") -> dict[str, float]:
    """In a fresh kernel: milliseconds to open a hiker, and for its first schedule change.

    The widget's module is imported first (as a lesson's first cells do), then a cell opens
    the widget; `delay` seconds after that cell ends, the frontend's "update" picks the
    cosine schedule, and the time runs until the new picture leaves the kernel. This is the
    first scheduler the process builds: it is built on a `ScheduleProbe`, so it must not pay
    for a first real `torch.optim` optimizer (about 2 s of imports).
    """
    km, kc = start_new_kernel(kernel_name="python3")
    outputs: list[dict] = []
    try:
        reply = kc.execute_interactive(
            FIRST_SETUP.format(module=WIDGETS[widget], widget=widget), timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        start = time.perf_counter()
        reply = kc.execute_interactive(FIRST_OPEN.format(widget=widget), timeout=120,
                                       output_hook=lambda msg: outputs.append(msg))
        open_ms = (time.perf_counter() - start) * 1000
        assert reply["content"]["status"] == "ok", reply["content"]
        dropdown_id, picture_id, index = "".join(
            m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream"
        ).split()
        time.sleep(delay)
        content = {
            "comm_id": dropdown_id,
            "data": {"method": "update", "state": {"index": int(index)}, "buffer_paths": []},
        }
        start = time.perf_counter()
        kc.session.send(kc.shell_channel.socket, "comm_msg", content)
        if not _picture_update(kc, picture_id, timeout=30):
            raise RuntimeError("The kernel sent no new picture within 30 s.")
        return {"open_ms": open_ms, "first_change_ms": (time.perf_counter() - start) * 1000}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


CASES = (
    ("", "lr_slider"),
    ("noise=1.0", "lr_slider"),
    ('landscape="ledge", schedule="warm_restarts", lr=0.3, noise=0.5', "lr_slider"),
    ("noise=1.0", "play"),
)

if __name__ == "__main__":
    for name in WIDGETS:
        for delay in (1.0, 0.0):
            first = measure_first_change(delay, name)
            print(f"{name}(), fresh kernel: open {first['open_ms']:.0f} ms; first schedule "
                  f"change {delay:g} s later {first['first_change_ms']:.0f} ms")
    for args, control in CASES:
        result = measure_widget_latency(30, args, control)
        print(
            f"HikerWidget({args}): {control} -> new picture, n={result['n']}: "
            f"median {result['median_ms']:.1f} ms, p90 {result['p90_ms']:.1f} ms, "
            f"max {result['max_ms']:.1f} ms"
        )
