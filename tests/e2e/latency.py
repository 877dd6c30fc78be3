"""What a learner feels in the browser: key press to new picture, and Play's frame rate.

Measured inside the page (performance.now()), so the figures include the browser's own work:
the slider's keydown, the comm message out over the websocket, the kernel, the image message
back, the <img> getting its new blob URL, decoding it, and the next animation frame (paint).
The websocket is wrapped before JupyterLab starts, so each press is split into its parts.
These are printed, never asserted: the machine is shared and its speed drifts.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

# Time-stamp every websocket message, both ways, with its size (before JupyterLab's own handler).
RECORD_WEBSOCKETS = """(() => {
  const record = { sends: [], recvs: [] };
  window.__hikerWs = record;
  const Native = window.WebSocket;
  const size = (d) => (d == null ? 0 : d.byteLength ?? d.size ?? d.length ?? 0);
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    record.sends.push([performance.now(), size(data)]);
    return send.call(this, data);
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message',
                            (e) => record.recvs.push([performance.now(), size(e.data)]));
    }
  };
})();"""

# Arm one measurement: keydown on the handle starts the clock; the picture's change stops it.
# The picture is the hiker's SVG overlay (or, for a widget without one, its <img>): the time
# it changed in the page, and the time the frame that shows it was painted: right after the
# next animation frame's rendering (requestAnimationFrame, then a posted message); for an
# <img>, Element Timing's paint time of the new image where the browser reports it.
ARM_PRESS = """([target, handle]) => {
  const isImage = target.tagName === 'IMG';
  if (isImage) target.setAttribute('elementtiming', 'hiker');
  window.__hikerPress = new Promise((resolve) => {
    let t0 = null, src = null, frame = null, done = false;
    const finish = (paint) => {
      if (done) return;
      done = true;
      painter.disconnect();
      resolve({ t0, src, frame, paint, isImage });
    };
    const painter = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (src !== null && entry.renderTime >= src) finish(entry.renderTime);
      }
    });
    if (isImage) {
      try { painter.observe({ type: 'element', buffered: false }); } catch (e) { /* no API */ }
    }
    handle.addEventListener('keydown', () => { t0 = performance.now(); },
                            { capture: true, once: true });
    const afterPaint = () => requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        frame = performance.now();
        if (isImage) setTimeout(() => finish(null), 200); else finish(frame);
      };
      channel.port2.postMessage(null);
    });
    const observer = new MutationObserver(() => {
      observer.disconnect();
      src = performance.now();
      if (isImage) target.addEventListener('load', afterPaint, { once: true });
      else afterPaint();
    });
    observer.observe(target, isImage ? { attributes: true, attributeFilter: ['src'] }
                                     : { childList: true, subtree: true, characterData: true });
    setTimeout(() => { observer.disconnect(); finish(null); }, 5000);
  });
}"""

# Count the pictures Play shows: each change of the picture, time-stamped.
COUNT_FRAMES = """(target) => {
  window.__hikerFrames = [];
  window.__hikerFrameObserver = new MutationObserver(() => {
    window.__hikerFrames.push(performance.now());
  });
  window.__hikerFrameObserver.observe(
    target, target.tagName === 'IMG' ? { attributes: true, attributeFilter: ['src'] }
                                     : { childList: true, subtree: true, characterData: true });
}"""
STOP_COUNTING = """() => {
  window.__hikerFrameObserver.disconnect();
  return window.__hikerFrames;
}"""


@dataclass
class PressTimes:
    """One key press, in milliseconds from its keydown."""

    sent: float  # the comm message left over the websocket
    image_back: float  # the picture's message arrived
    src_set: float  # the page's picture changed (the overlay's SVG, or the <img>'s src)
    painted: float  # the frame that shows it was painted


@dataclass
class Latency:
    """Key press to new picture over many presses, and where the time went."""

    presses: list[PressTimes] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)  # websocket messages in, per press
    missed: int = 0
    timed_paint: int = 0  # <img> presses whose paint time came from Element Timing

    def summary(self) -> str:
        """Median and p90 to the painted picture, and the median of each part."""
        if not self.presses:
            return f"no press produced a new picture ({self.missed} tried)"
        painted = [p.painted for p in self.presses]
        p90 = statistics.quantiles(painted, n=10)[-1] if len(painted) >= 2 else painted[0]

        def part(attr: str, before: str | None) -> float:
            return statistics.median(
                getattr(p, attr) - (getattr(p, before) if before else 0) for p in self.presses
            )

        return (
            f"key press -> new picture in Chromium, n={len(painted)}: median "
            f"{statistics.median(painted):.0f} ms, p90 {p90:.0f} ms (median parts: keydown -> "
            f"message out {part('sent', None):.0f} ms, -> image back "
            f"{part('image_back', 'sent'):.0f} ms (server, kernel and back), -> picture "
            f"updated in the page {part('src_set', 'image_back'):.0f} ms, -> painted "
            f"{part('painted', 'src_set'):.0f} ms; {statistics.median(self.messages):.0f} "
            "websocket messages in per press"
            + (f"; Element Timing gave {self.timed_paint}" if self.timed_paint else "") + ")"
            + (f"; {self.missed} presses changed no picture" if self.missed else "")
        )


def measure_presses(page: Any, picture: Any, handle: Any, presses: int = 20,
                    keys: tuple[str, str] = ("ArrowRight", "ArrowLeft"),
                    settle_ms: int = 400) -> Latency:
    """Press the slider's keys one at a time, alternating, and time each new picture."""
    result = Latency()
    handle.focus()
    for i in range(presses):
        before = page.evaluate("() => [__hikerWs.sends.length, __hikerWs.recvs.length]")
        page.evaluate(ARM_PRESS, [picture.element_handle(), handle.element_handle()])
        handle.press(keys[i % 2])
        times = page.evaluate("() => window.__hikerPress")
        ws = page.evaluate("() => window.__hikerWs")
        page.wait_for_timeout(settle_ms)
        if not times or times["t0"] is None or times["frame"] is None:
            result.missed += 1
            continue
        t0 = times["t0"]
        result.timed_paint += times["isImage"] and times["paint"] is not None
        times["paint"] = times["paint"] if times["paint"] is not None else times["frame"]
        sends = [t for t, _ in ws["sends"][before[0]:] if t >= t0]
        # The picture's message: the largest one in before the picture changed.
        arrived = [(n, t) for t, n in ws["recvs"][before[1]:] if t0 <= t <= times["src"]]
        images = [max(arrived)[1]] if arrived else []
        if not sends or not images:
            result.missed += 1
            continue
        result.presses.append(PressTimes(sends[0] - t0, images[-1] - t0, times["src"] - t0,
                                         times["paint"] - t0))
        result.messages.append(sum(t0 <= t <= times["paint"] for t, _ in ws["recvs"][before[1]:]))
    return result


def measure_play(page: Any, picture: Any, play: Any, interval: int, seconds: float = 4.0) -> str:
    """Press Play, count the pictures shown for `seconds`, and pause; the frame rate in words."""
    buttons = play.locator("button")
    page.evaluate(COUNT_FRAMES, picture.element_handle())
    buttons.nth(0).click()
    page.wait_for_timeout(int(seconds * 1000))
    frames = page.evaluate(STOP_COUNTING)
    buttons.nth(1).click()  # stop (a pause that goes back to the first frame)
    if len(frames) < 2:
        return f"Play showed {len(frames)} frames in {seconds:g} s"
    rate = (len(frames) - 1) / ((frames[-1] - frames[0]) / 1000)
    gaps = [b - a for a, b in pairwise(frames)]
    return (
        f"Play: {rate:.1f} frames/s shown against its {interval} ms interval "
        f"({1000 / interval:.0f} frames/s), median gap {statistics.median(gaps):.0f} ms, "
        f"{len(frames)} frames in {seconds:g} s"
    )
