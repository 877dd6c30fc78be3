"""The export/grade protocol: an exercise, its two-part `Check`, and running each part.

`export` runs in the learner's kernel and turns an answer into plain JSON data; `grade` is a
pure function from that data to a `Verdict`, so a teacher's checker can grade in its own
process what a submission exported. Nothing here knows the registry or progress.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course_utils.grader.answers import _interrupts_marked, _plain, learner_error, text
from course_utils.grader.results import MAX_TEXT, Exported, Malformed, Rejected, Verdict, _safe_str


@dataclass(frozen=True)
class Check:
    """An exercise's check in two parts: `export` (answer -> data) and `grade` (data -> Verdict).

    Calling it checks an answer locally: export, a JSON round trip, then grade.
    """

    kind: str
    export: Callable[[Any], Any]
    grade: Callable[[Any], Verdict]
    reveal: str = ""  # the expected answer in words, which `solution` adds

    def __call__(self, answer: Any) -> Verdict:
        exported = _export(self, "", answer)
        return _grade_exported(self, exported)


@dataclass(frozen=True)
class Wrong:
    """A known-wrong answer (`make()` builds it), text its feedback must contain, and
    text it must not (`avoid`: e.g. the expected value, another scheduler's parameter)."""

    make: Callable[[], Any]
    says: str
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """One exercise, declared once: its check, hints, solution code and known-wrong answers.

    `solution` is the code a learner would write; it assigns the answer to `answer`.
    `reference` builds the reference answer object, for tests. A `check` that is a
    plain function `answer -> Verdict` (not a `Check`) works in the notebook only.
    `retired` (empty for a counted exercise) says why no lesson checks it any more and what
    took its place: it is still graded, but counts in no lesson's total.
    """

    id: str
    title: str
    check: Check | Callable[[Any], Verdict | bool]
    hints: tuple[str, ...]
    solution: str
    wrong: tuple[Wrong, ...] = ()
    reference: Callable[[], Any] | None = None
    retired: str = ""

    @property
    def counted(self) -> bool:
        """True unless the exercise is retired: only counted exercises make up a total."""
        return not self.retired

    @property
    def lesson(self) -> str:
        """The lesson number, e.g. "01" for exercise "01.3"."""
        return self.id.split(".")[0]

    @property
    def kind(self) -> str:
        """What the export holds: "number", "schedule", "function", ... ("local": no export)."""
        return self.check.kind if isinstance(self.check, Check) else "local"


def _is_blank(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _export(chk: Check, exercise_id: str, answer: Any) -> dict[str, Any]:
    """Run a check's export on an answer: always a JSON-serialisable dict."""
    out: dict[str, Any] = {"id": exercise_id, "kind": chk.kind}
    if _is_blank(answer):
        out["blank"] = True
        return out
    note = ""
    try:
        with _interrupts_marked(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = chk.export(answer)
        if isinstance(data, Exported):
            data, note = data.data, data.note
        data = json.loads(json.dumps(data, allow_nan=False))
    except Rejected as err:
        out["error"] = _plain(str(err.message))
        return out
    except BaseException as err:  # the learner's code may raise anything, even SystemExit
        out["error"] = _plain(f"Checking your answer raised {learner_error(err)}.")
        return out
    out["data"] = data
    if note:
        out["note"] = _plain(note)
    return out


def _grade_exported(chk: Check, exported: Any) -> Verdict:
    """Grade an export's data (already known to be a dict); Malformed becomes a failed verdict."""
    keys = set(exported)
    if not keys <= {"id", "kind", "data", "error", "note", "blank"}:
        raise Malformed(f"unexpected keys {sorted(k for k in keys if isinstance(k, str))[:5]}")
    if exported.get("kind") != chk.kind:
        raise Malformed(f"the data is of kind {_safe_str(exported.get('kind'))!r}, "
                        f"not {chk.kind!r}")
    note = text(exported.get("note", ""), what="the note")
    if "error" in exported:
        return Verdict(False, _plain(text(exported["error"], 2 * MAX_TEXT, "the error")))
    if "data" not in exported:
        raise Malformed("there is no data")
    verdict = chk.grade(exported["data"])
    if not isinstance(verdict, Verdict):
        raise Malformed("the grade gave no verdict")
    if note and not verdict.passed:
        verdict = Verdict(False, f"{_plain(note)} {verdict.message}", verdict.table,
                          verdict.reveal)
    return verdict
