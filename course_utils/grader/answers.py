"""Reading answers safely: the learner's code run, strict readers of exported data, seeds.

A real interrupt (the learner pressing stop) is told apart from anything the learner's
code raises; grades read exported data only through the strict readers here.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import random
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from course_utils.grader.results import MAX_TEXT, SEED_ENV, Malformed, _one_line

# --------------------------------------------------------------------------
# Running the learner's code: everything it raises becomes a result, except a
# real interrupt (the learner pressing stop), which goes on up.
# --------------------------------------------------------------------------


class _RealInterrupt(KeyboardInterrupt):
    """A KeyboardInterrupt that came from a signal, not from the learner's code."""


def _on_sigint(signum: int, frame: Any) -> None:
    raise _RealInterrupt()


@contextlib.contextmanager
def _interrupts_marked() -> Iterator[None]:
    """While the learner's code runs, make a real Ctrl-C/kernel interrupt recognisable."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGINT)
    except (ValueError, OSError):
        yield
        return
    if previous is not signal.default_int_handler:
        yield  # someone else handles SIGINT: leave it to them
        return
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def learner_error(err: BaseException) -> str:
    """Describe what the learner's code raised, in one line; re-raise a real interrupt."""
    if isinstance(err, _RealInterrupt):
        raise err
    return _one_line(err)


# --------------------------------------------------------------------------
# Strict readers of exported data, for grades
# --------------------------------------------------------------------------


def finite_number(data: Any, what: str = "the answer") -> float:
    """A finite int or float (never a bool); else Malformed."""
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise Malformed(f"{what} should be a number, not {type(data).__name__}")
    try:
        value = float(data)
    except OverflowError:
        raise Malformed(f"{what} is too large") from None
    if not math.isfinite(value):
        raise Malformed(f"{what} is not finite")
    return value


def float_list(data: Any, length: int, what: str = "the LRs") -> list[float]:
    """A list of exactly `length` finite numbers; else Malformed."""
    if not isinstance(data, list):
        raise Malformed(f"{what} should be a list, not {type(data).__name__}")
    if len(data) != length:
        raise Malformed(f"{what} should hold {length} numbers, not {len(data)}")
    return [finite_number(v, what) for v in data]


def float_seq(data: Any, most: int, what: str = "the list") -> list[float]:
    """A list of at most `most` finite numbers; else Malformed."""
    if not isinstance(data, list) or len(data) > most:
        raise Malformed(f"{what} should be a list of at most {most} numbers")
    return [finite_number(v, what) for v in data]


def int_list(data: Any, most: int, what: str = "the list") -> list[int]:
    """A list of at most `most` ints (no bools); else Malformed."""
    if not isinstance(data, list) or len(data) > most:
        raise Malformed(f"{what} should be a list of at most {most} whole numbers")
    if not all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 10**9 for v in data):
        raise Malformed(f"{what} should hold whole numbers only")
    return list(data)


def text(data: Any, most: int = MAX_TEXT, what: str = "the text") -> str:
    """A string of at most `most` characters; else Malformed."""
    if not isinstance(data, str) or len(data) > most:
        raise Malformed(f"{what} should be a string of at most {most} characters")
    return data


def record(data: Any, keys: Iterable[str], what: str = "the data") -> dict[str, Any]:
    """A dict with exactly these string keys; else Malformed."""
    wanted = set(keys)
    if not isinstance(data, dict) or set(data) != wanted:
        raise Malformed(f"{what} should be an object with the keys {sorted(wanted)}")
    return data


def _plain(text_: str) -> str:
    """Text from an export, fit to show: printable, one line, short."""
    cleaned = "".join(c if c.isprintable() else " " for c in text_)
    return cleaned if len(cleaned) <= MAX_TEXT else cleaned[: MAX_TEXT - 3] + "..."


# --------------------------------------------------------------------------
# Seeds for drawn test cases
# --------------------------------------------------------------------------

_EXPECTED_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "expected_seed", default=None)
_own_seed: list[int] = []


def _env_seed() -> int | None:
    raw = os.environ.get(SEED_ENV, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value < 2**63 else None


def case_seed() -> int:
    """The seed for drawn test cases: `$LR_COURSE_SEED`, else one drawn once per kernel."""
    seed = _env_seed()
    if seed is not None:
        return seed
    if not _own_seed:
        _own_seed.append(random.SystemRandom().randrange(2**32))
    return _own_seed[0]


def checked_seed(data: Any) -> int:
    """The seed in exported data, checked against the one the grader expects."""
    if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data < 2**63:
        raise Malformed("the seed should be a whole number from 0 to 2**63 - 1")
    wanted = _EXPECTED_SEED.get()
    if wanted is not None and data != wanted:
        raise Malformed("the test cases were drawn from another seed than the checker's")
    return data
