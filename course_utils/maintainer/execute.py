"""Re-execute lessons in place: `python -m course_utils.maintainer execute lessons/*.ipynb`.

Each notebook runs top to bottom in a fresh `python3` kernel started in its own
folder, with widget state saved, as nbclient does by default. Cells tagged
`raises-exception` may raise; any other error stops with the cell named.
Outputs are then scrubbed of this machine's paths, so a committed lesson
shows `<site-packages>/torch/...` rather than somebody's home directory.
"""

from __future__ import annotations

import argparse
import os
import re
import site
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

REPO = Path(__file__).resolve().parents[2]


def _path_replacements() -> list[tuple[str, str]]:
    """Machine-specific path prefixes, longest first, each with a neutral stand-in."""
    pairs = {sysconfig.get_paths()["purelib"]: "<site-packages>"}
    for path in site.getsitepackages():
        pairs.setdefault(path, "<site-packages>")
    pairs[str(REPO)] = "<course>"
    pairs[sys.prefix] = "<python>"
    pairs[sys.base_prefix] = "<python>"
    pairs[tempfile.gettempdir()] = "<tmp>"
    pairs[str(Path.home())] = "~"
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def scrub(text: str, replacements: list[tuple[str, str]] | None = None) -> str:
    """Replace machine paths in `text` by stand-ins such as <site-packages>."""
    for old, new in replacements or _path_replacements():
        if old and old != "/":
            text = text.replace(old, new)
    # Kernel temp files named after a hash of the cell, e.g. /tmp/ipykernel_123/456.py
    return re.sub(r"<tmp>/ipykernel_\d+/\d+\.py", "<cell>", text)


def _scrub_outputs(nb: nbformat.NotebookNode) -> None:
    replacements = _path_replacements()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = scrub(out["text"], replacements)
            if "traceback" in out:
                out["traceback"] = [scrub(line, replacements) for line in out["traceback"]]
            data = out.get("data", {})
            if "image/png" in data and str(data.get("text/plain", "")).startswith("<Figure size"):
                # The picture is the output; its "<Figure size ...>" caption is noise.
                del data["text/plain"]
            for mime, value in data.items():
                if mime.startswith("text/") and isinstance(value, str):
                    out["data"][mime] = scrub(value, replacements)


def execute_notebook(path: Path, timeout: int = 600) -> float:
    """Run one notebook in place; return its run time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    _scrub_outputs(nb)
    if not _has_widgets(nb):
        nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def _has_widgets(nb: nbformat.NotebookNode) -> bool:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return bool(state.get("state"))


def notebook_problem(path: Path) -> str | None:
    """Why `path` can't be executed as a notebook (missing, a folder, not a notebook), or None."""
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file"
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # nbformat raises many kinds for a file that is not a notebook
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"not a Jupyter notebook ({reason[:120]})"
    return None


def main(argv: list[str] | None = None) -> int:
    """Execute each notebook given; print its time; exit 1 on the first unexpected error."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.maintainer execute",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    problems = [(path, notebook_problem(path)) for path in args.notebooks]
    for path, problem in problems:
        if problem is not None:
            print(f"{path}: {problem}; nothing was executed.", file=sys.stderr)
    if any(problem is not None for _, problem in problems):
        return 2
    with tempfile.TemporaryDirectory(prefix="lr_course_execute_") as scratch:
        # Checks in a lesson record progress: never into the learner's own file.
        ours = "LR_COURSE_PROGRESS" not in os.environ
        if ours:
            os.environ["LR_COURSE_PROGRESS"] = str(Path(scratch) / "progress.json")
        try:
            return _execute_all(args.notebooks)
        finally:
            if ours:
                os.environ.pop("LR_COURSE_PROGRESS", None)


def _execute_all(notebooks: list[Path]) -> int:
    """Execute each notebook in turn; stop at the first that fails."""
    for path in notebooks:
        try:
            seconds = execute_notebook(path)
        except CellExecutionError as err:
            first = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
            print(f"{path}: a cell raised an error it was not tagged for: {first}",
                  file=sys.stderr)
            return 1
        except (CellTimeoutError, DeadKernelError, OSError) as err:
            print(f"{path}: the run stopped: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
