"""Matplotlib artists as an SVG overlay: the moving parts of a figure, drawn by the browser.

A widget shows the figure's still parts once, as a PNG, and lays this SVG over it at the same
size. On every change only the SVG is sent: a few kilobytes of text that the browser draws at
once, instead of a PNG to encode, send, load and decode. Coordinates come from the artists' own
transforms, so the overlay lines up with the axes of the PNG pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

_DASHES = {"--": (3.7, 1.6), ":": (1.0, 1.65), "-.": (6.4, 1.6, 1.0, 1.6)}


def _num(v: float) -> str:
    return f"{v:.1f}"


def _paint(attribute: str, colour: object, alpha: float | None = None) -> str:
    """An SVG paint attribute (`fill` or `stroke`) and, if not opaque, its opacity."""
    r, g, b, a = to_rgba(colour, alpha)
    opacity = "" if a >= 1 else f' {attribute}-opacity="{a:.2f}"'
    return f'{attribute}="{to_hex((r, g, b))}"{opacity}'


def _path_d(path: Path, height: float) -> str:
    """An SVG path's `d` from a matplotlib path in display pixels (y measured from the bottom)."""
    out = []
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        pts = " ".join(f"{_num(x)} {_num(height - y)}" for x, y in vertices.reshape(-1, 2))
        out.append({Path.MOVETO: "M", Path.LINETO: "L", Path.CURVE3: "Q", Path.CURVE4: "C",
                    Path.CLOSEPOLY: "Z"}[code] + ("" if code == Path.CLOSEPOLY else pts))
    return "".join(out)


class SvgOverlay:
    """Draws Line2D and Text artists of one figure as an SVG string of the figure's size."""

    def __init__(self, figure: Figure, prefix: str) -> None:
        """`prefix` keeps this overlay's clip-path ids apart from any other on the page."""
        self.figure = figure
        self.width, self.height = figure.canvas.get_width_height()
        self.px = figure.dpi / 72  # pixels per point
        self.prefix = prefix
        self.axes: list[Axes] = list(figure.axes)

    def _clip_defs(self) -> str:
        rects = []
        for i, ax in enumerate(self.axes):
            x0, y0, x1, y1 = ax.bbox.extents
            rects.append(
                f'<clipPath id="{self.prefix}c{i}"><rect x="{_num(x0)}" '
                f'y="{_num(self.height - y1)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}"/>'
                "</clipPath>"
            )
        return "<defs>" + "".join(rects) + "</defs>"

    def _points(self, line: Line2D) -> np.ndarray:
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if len(x) and line.get_drawstyle() == "steps-post":
            x, y = cbook.pts_to_poststep(x, y)
        if not len(x):
            return np.empty((0, 2))
        return line.get_transform().transform(np.column_stack([x, y]))

    def line(self, line: Line2D) -> str:
        """One line, its markers and its clip, as SVG."""
        xy = self._points(line)
        if not len(xy):
            return ""
        ok = np.isfinite(xy).all(axis=1)
        clip = ""
        if line.get_clip_on() and line.axes in self.axes:
            clip = f' clip-path="url(#{self.prefix}c{self.axes.index(line.axes)})"'
        parts = []
        style = line.get_linestyle()
        if style not in ("None", "none", "", " ") and ok.sum() >= 2:
            runs, current = [], []
            for (x, y), good in zip(xy, ok, strict=True):
                if good:
                    current.append(f"{_num(x)} {_num(self.height - y)}")
                elif current:
                    runs.append(current)
                    current = []
            runs.append(current)
            d = "".join("M" + "L".join(run) for run in runs if len(run) >= 2)
            lw = line.get_linewidth() * self.px
            dash = ""
            if style in _DASHES:
                dash = f' stroke-dasharray="{",".join(_num(v * lw) for v in _DASHES[style])}"'
            stroke = _paint("stroke", line.get_color(), line.get_alpha())
            parts.append(f'<path d="{d}" fill="none" {stroke} stroke-width="{lw:.2f}"'
                         f' stroke-linejoin="round"{dash}{clip}/>')
        marker = line.get_marker()
        if marker not in (None, "None", "none", "", " ") and line.get_markersize() > 0:
            parts.append(self._markers(line, xy[ok], clip))
        return "".join(parts)

    def _markers(self, line: Line2D, xy: np.ndarray, clip: str) -> str:
        size = line.get_markersize() * self.px
        style = MarkerStyle(line.get_marker())
        if style.get_marker() == "o" and size <= 6:
            # Small dots: one path of zero-length round-capped strokes.
            d = "".join(f"M{_num(x)} {_num(self.height - y)}h0" for x, y in xy)
            dots = _paint("stroke", line.get_markerfacecolor(), line.get_alpha())
            across = size + line.get_markeredgewidth() * self.px  # the dot and its edge
            return (f'<path d="{d}" {dots} stroke-width="{across:.2f}" stroke-linecap="round"'
                    f"{clip}/>")
        unit = style.get_path().transformed(style.get_transform() + Affine2D().scale(size))
        face = _paint("fill", line.get_markerfacecolor(), line.get_alpha())
        edge = _paint("stroke", line.get_markeredgecolor(), line.get_alpha())
        shapes = []
        for x, y in xy:
            d = _path_d(unit.transformed(Affine2D().translate(x, y)), self.height)
            shapes.append(f'<path d="{d}" {face} {edge} stroke-width="1"/>')
        return "".join(shapes)

    def text(self, x: float, y: float, ax: Axes, words: str, colour: str, size_pt: float) -> str:
        """Bold text at axes fraction (x, y), right-aligned, top-anchored, with a white halo."""
        if not words:
            return ""
        px, py = ax.transAxes.transform((x, y))
        return (
            f'<text x="{_num(px)}" y="{_num(self.height - py)}" text-anchor="end"'
            f' dominant-baseline="hanging" font-family="DejaVu Sans, Verdana, sans-serif"'
            f' font-size="{size_pt * self.px:.1f}" font-weight="bold" fill="{to_hex(colour)}"'
            f' stroke="white" stroke-width="4" stroke-linejoin="round" paint-order="stroke">'
            f"{_escape(words)}</text>"
        )

    def svg(self, body: Iterable[str]) -> str:
        """The whole overlay: scales with its container, as the PNG under it does."""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}"'
            ' width="100%" style="display:block;pointer-events:none">'
            + self._clip_defs() + "".join(body) + "</svg>"
        )


def _escape(words: str) -> str:
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
