"""Verdicts, results and notes: what a check gives back, in plain text and HTML."""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

RESULTS_ENV = "LR_COURSE_RESULTS"  # set by the notebook checker: a file to append exports to
SEED_ENV = "LR_COURSE_SEED"  # set by the notebook checker: the seed for drawn test cases

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown exercise"

REVEAL_AFTER = 3  # failed tries of one exercise (this session) before the expected value shows
MAX_ITEMS = 5000  # no exported list or mapping is longer
MAX_TEXT = 800  # no exported or displayed piece of text is longer

_MARKS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "○", UNKNOWN: "?"}
_WORDS = {
    PASSED: "Passed", FAILED: "Not yet", NOT_ATTEMPTED: "Not attempted yet", UNKNOWN: "Unknown"
}
_COLOURS = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_ATTEMPTED: "#6e7781", UNKNOWN: "#9a6700"}

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Verdict:
    """What a grade returns: pass or not, one message, an optional table, a held-back reveal.

    `table` is a list of rows; the first row is the header. `reveal` names the expected
    answer: `check` shows it only after a few failed tries; `solution` and the
    teacher's checker always may.
    """

    passed: bool
    message: str
    table: list[Row] | None = None
    reveal: str = ""


class Rejected(Exception):
    """Raised by an export: the answer is not something this exercise can take."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Malformed(Exception):
    """Raised by a grade: the exported data does not have the shape the exercise exports."""


@dataclass(frozen=True)
class Exported:
    """An export's data, with an optional note (shown only with a failed verdict)."""

    data: Any
    note: str = ""


def _fmt(value: Any) -> str:
    """A number printed short and stable across machines; anything else as repr."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral) and abs(int(value)) < 10**15:
        return str(int(value))
    value = float(value)
    if value == 0 or math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.6g}"


def _safe_str(value: Any, limit: int = 60) -> str:
    """`str(value)`, cut short; a placeholder when `__str__` itself fails."""
    try:
        text = str(value)
        if not isinstance(text, str):
            raise TypeError
    except Exception:
        return f"<{type(value).__name__} that cannot be printed>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(err: BaseException) -> str:
    """An exception as `Type: first line of its message`."""
    try:
        text = str(err).strip().splitlines()
    except Exception:
        text = []
    line = f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def inline_code_html(text: str) -> str:
    """`text` escaped for HTML, with each `backticked` span shown as code (no backticks)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return html.escape(text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p)
                   for i, p in enumerate(parts))


def _table_text(table: list[Row]) -> str:
    cells = [[c if isinstance(c, str) else _fmt(c) for c in row] for row in table]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _table_html(table: list[Row]) -> str:
    def cell(tag: str, c: Any) -> str:
        text = html.escape(c if isinstance(c, str) else _fmt(c))
        return f"<{tag} style='padding:2px 8px'>{text}</{tag}>"

    head = "".join(cell("th", c) for c in table[0])
    body = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in table[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `check(...)`: `.passed`, a plain-text form and an HTML form."""

    exercise_id: str
    title: str
    status: str
    message: str
    table: list[Row] | None = field(default=None)

    @property
    def passed(self) -> bool:
        """True only when the answer passed the exercise's check."""
        return self.status == PASSED

    def headline(self) -> str:
        """One line: mark, words, exercise id and title."""
        name = f"{self.exercise_id} {self.title}".strip()
        return f"{_MARKS[self.status]} {_WORDS[self.status]}: {name}"

    def __str__(self) -> str:
        parts = [self.headline()]
        if self.message:
            parts.append(self.message)
        if self.table:
            parts.append(_table_text(self.table))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        parts = [
            f"<div role='status' style='border-left:6px solid {colour};padding:4px 10px'>",
            f"<strong style='color:{colour}'>{html.escape(self.headline())}</strong>",
        ]
        if self.message:
            parts.append(f"<div>{inline_code_html(self.message)}</div>")
        if self.table:
            parts.append(_table_html(self.table))
        parts.append("</div>")
        return "".join(parts)


@dataclass(frozen=True)
class Note:
    """Help text (a hint or a solution) that shows as plain text or HTML."""

    heading: str
    body: str
    code: bool = False

    def __str__(self) -> str:
        return f"{self.heading}\n{self.body}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        body = (f"<pre>{html.escape(self.body)}</pre>" if self.code
                else f"<div>{inline_code_html(self.body)}</div>")
        return f"<div><strong>{html.escape(self.heading)}</strong>{body}</div>"
