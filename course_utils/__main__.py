"""The command line: `python -m course_utils start | progress | check` (see --help)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from course_utils.grader.sandbox import MIN_MEMORY_MB, Limits


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils",
        description="The learning-rate scheduler course: workspace, progress and checks.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "start",
        usage="python -m course_utils start [-h] [--no-lab] [JUPYTERLAB_OPTIONS ...]",
        help="copy the lessons into ./workspace/ (never overwriting) and open JupyterLab there",
        description="Copy the lessons into ./workspace/ (never overwriting a file that is "
        "already there) and open JupyterLab there. Every option start doesn't know goes to "
        "JupyterLab as it is; run as root, start adds --allow-root itself.",
        epilog="example: python -m course_utils start --no-browser --port 8899 --ip 0.0.0.0",
        allow_abbrev=False,
    )
    start.add_argument("--no-lab", action="store_true", help="set up workspace/ only")
    commands.add_parser("progress", help="show attempted, passed and total per lesson")
    check = commands.add_parser("check", help="run notebooks headless and report their exercises")
    check.add_argument("notebooks", nargs="*", type=Path, help="notebook files to check")
    check.add_argument("--csv", type=Path, default=None, help="also write a CSV summary here")
    check.add_argument("--timeout", type=_positive(int), default=Limits.timeout, metavar="S",
                       help=f"stop a notebook after S seconds (default {Limits.timeout})")
    check.add_argument("--memory", type=_memory, default=Limits.memory_mb, metavar="MB",
                       help="memory (data size) one notebook's processes may each use, "
                            f"{MIN_MEMORY_MB} or more (default {Limits.memory_mb})")
    check.add_argument("--max-output", type=_positive(float), default=Limits.output_mb,
                       metavar="MB", help="stop a notebook that prints more than this "
                                          f"(default {Limits.output_mb:g})")
    check.add_argument("--unsafe-no-sandbox", action="store_true",
                       help="run the notebooks without bubblewrap, as you: only for trusted "
                            "notebooks; every CSV row then says 'unsandboxed'")
    check.add_argument("--clear-tamper-marker", action="store_true",
                       help="after reinstalling the course, let batches run again once a "
                            "submission had changed its files")
    return parser


def _positive(kind: type) -> Callable[[str], float]:
    """An argparse type: a number of `kind` above zero, or a clear message."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return parse


def _memory(text: str) -> int:
    """An argparse type: megabytes of memory, at least what importing torch needs."""
    value = int(_positive(int)(text))
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(
            f"{value} MB is too little: a lesson's kernel (torch, training, figures) needs "
            f"at least {MIN_MEMORY_MB} MB, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = build_parser()
    args, lab_args = parser.parse_known_args(argv)
    if args.command == "start":
        from course_utils.workspace import start

        return start(open_lab=not args.no_lab, lab_args=lab_args)
    if lab_args:
        parser.error(f"unrecognized arguments: {' '.join(lab_args)}")
    if args.command == "progress":
        from course_utils.grader.progress import progress_report

        print(progress_report())
        return 0
    if args.clear_tamper_marker:
        from course_utils.grader.tamper import clear_marker

        if args.notebooks:
            parser.error("--clear-tamper-marker checks no notebooks: run it on its own")
        print(clear_marker())
        return 0
    if not args.notebooks:
        parser.error("check needs at least one notebook")
    from course_utils.grader.notebook_check import check_notebooks

    limits = Limits(timeout=args.timeout, memory_mb=args.memory, output_mb=args.max_output)
    return check_notebooks(args.notebooks, args.csv, limits,
                           unsafe_no_sandbox=args.unsafe_no_sandbox)


if __name__ == "__main__":
    sys.exit(main())
