"""Alt text for the site's figures, read from the code that drew them.

A lesson's figures are PNGs in its outputs; the site can't ask matplotlib what they show
without running the lesson again. The cell's code says it: the titles, axis labels and
line labels it passes to matplotlib (`set_title`, `suptitle`, `set_xlabel`, `label=`,
`legend([...], [...])`, `ax.set(title=..., ...)`), read with `ast`, and the number of axes
from the output's text (`<Figure size ... with 3 Axes>`). Where the code names none of
those (a course helper drew the figure), the cell's first comment, else the first sentence
of the Markdown above it, is the caption.
"""

from __future__ import annotations

import ast
import re

TITLES = {"set_title", "suptitle", "title"}
XLABELS = {"set_xlabel", "xlabel"}
YLABELS = {"set_ylabel", "ylabel"}
# What the course's plot helpers draw; {0} is their second argument (a metric's name).
HELPERS = {
    "plot_schedule": "the learning rate at each step",
    "plot_history": "{0} per epoch",
    "compare_runs": "{0} per epoch, mean and spread over seeds",
    "plot_plateau": "ReduceLROnPlateau at work: loss, best so far and LR per epoch",
    "plot_plateau_zoomed": "ReduceLROnPlateau at work: the whole run and a zoom",
}


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with "…" for each value filled in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else "…" for v in node.values]
        return "".join(str(p) for p in parts)
    return None


def _add(bucket: list[str], node: ast.AST | None) -> None:
    text = _text(node) if node is not None else None
    if text and text.strip() and text.strip() not in bucket and not text.startswith("_"):
        bucket.append(text.strip())


def figure_words(code: str) -> dict[str, list[str]]:
    """Titles, x labels, y labels and line labels named in `code`."""
    found: dict[str, list[str]] = {"title": [], "x": [], "y": [], "lines": [], "shows": []}
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython magics and the like: nothing to read
        return found
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", "")
        first = node.args[0] if node.args else None
        if name in HELPERS:
            metric = _text(node.args[1]) if len(node.args) > 1 else None
            if "{0}" not in HELPERS[name] or metric:
                shows = HELPERS[name].format(metric.replace("_", " ") if metric else "")
                if shows not in found["shows"]:
                    found["shows"].append(shows)
        if name in TITLES:
            _add(found["title"], first)
        elif name in XLABELS:
            _add(found["x"], first)
        elif name in YLABELS:
            _add(found["y"], first)
        elif name == "legend" and len(node.args) >= 2 and isinstance(node.args[1],
                                                                    ast.List | ast.Tuple):
            for item in node.args[1].elts:
                _add(found["lines"], item)
        for kw in node.keywords:
            key = {"title": "title", "suptitle": "title", "xlabel": "x", "ylabel": "y",
                   "label": "lines"}.get(kw.arg or "")
            if key:
                _add(found[key], kw.value)
    return found


def _first_sentence(markdown: str) -> str:
    text = re.sub(r"^#+\s.*$", "", markdown, flags=re.M)  # headings are not captions
    text = re.sub(r"\$[^$]*\$", "", text)  # nor formulas
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", text)
    text = " ".join(text.split())
    found = re.match(r"(.+?[.!?:])(\s|$)", text)
    return (found.group(1) if found else text)[:200].strip()


def figure_alt(code: str, plain: str = "", markdown_before: str = "") -> str:
    """A sentence that says what a figure shows, from its cell's code (or a caption)."""
    words = figure_words(code)
    axes = re.search(r"with (\d+) Axes", plain)
    panels = int(axes.group(1)) if axes else 1
    head = f"Figure with {panels} panels" if panels > 1 else "Figure"
    parts = []
    if words["title"]:
        parts.append("; ".join(words["title"][:4]))
    if words["shows"]:
        parts.append("; ".join(words["shows"][:4]))
    if words["x"]:
        parts.append(f"x axis: {', '.join(words['x'][:3])}")
    if words["y"]:
        parts.append(f"y axis: {', '.join(words['y'][:4])}")
    if words["lines"]:
        parts.append("lines: " + ", ".join(words["lines"][:8]))
    if parts and (words["title"] or words["shows"] or len(parts) > 1):
        return f"{head}: " + ". ".join(parts) + "."
    comment = re.search(r"^\s*#\s*(.+)$", code, re.M)
    caption = comment.group(1).strip() if comment else _first_sentence(markdown_before)
    return f"{head}, for: {caption}" if caption else head
