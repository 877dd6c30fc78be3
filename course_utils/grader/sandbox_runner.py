"""Run one notebook headless inside the checker's sandbox: the client and its kernel.

`python -m course_utils.grader.sandbox_runner COPY.ipynb STATUS.json --timeout S --output-limit N
--memory-mb M --file-limit BYTES`

The notebook checker starts this inside the sandbox, on the submission's private copy,
so the kernel it starts is sandboxed too. Outputs are counted, never kept: past the
limit the kernel is stopped. What comes out is the answers file the kernel's `check(...)`
calls write, and STATUS.json: one line saying what stopped the run, if anything. The
kernel can write to both, so the checker trusts neither: it grades the answers as data.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

RAISES_MARKER = "NBVAL_RAISES_EXCEPTION"
RAISES_TAG = "raises-exception"


def cell_label(index: int, source: str) -> str:
    """`cell 3 ('first line of its code')`, for messages about one cell."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"cell {index + 1}" + (f" ({first!r})" if first else "")


def allow_marked_errors(nb: Any) -> None:
    """Tag the cells nbval lets raise, so the kernel run lets them raise too."""
    for cell in nb.cells:
        if cell.cell_type == "code" and RAISES_MARKER in cell.source:
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if RAISES_TAG not in tags:
                tags.append(RAISES_TAG)


def _size(content: Any) -> int:
    """Characters of text in a message's content (strings in nested dicts and lists)."""
    total, stack = 0, [content]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def _error_line(err: BaseException) -> str:
    ename = getattr(err, "ename", "") or type(err).__name__
    # A cell's error carries the kernel's exception name and value; anything else is local.
    raw = getattr(err, "evalue", "") if hasattr(err, "ename") else str(err)
    evalue = str(raw or "").strip().splitlines()
    return f"{ename}: {evalue[0]}" if evalue else ename


def run(notebook: Path, status: Path, timeout: int, output_limit: int) -> str:
    """Execute the notebook; returns (and writes to `status`) what stopped it, or ""."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    class CountingClient(NotebookClient):
        """A client that counts the kernel's output and stops the kernel past the limit."""

        printed = 0
        too_much = False
        current: int | None = None

        def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
            self.printed += _size(msg.get("content"))
            if self.printed > output_limit and not self.too_much:
                self.too_much = True
                self.stop_kernel()
            return super().process_message(msg, cell, cell_index)

        def output(self, outs: Any, msg: dict[str, Any], display_id: Any, cell_index: int) -> Any:
            # Only an error is kept (it names the failing cell); everything else is dropped.
            if msg["msg_type"] != "error":
                return None
            return super().output(outs, msg, display_id, cell_index)

        def stop_kernel(self) -> None:
            provisioner = getattr(self.km, "provisioner", None)
            pgid = getattr(provisioner, "pgid", None)
            process = getattr(provisioner, "process", None)
            try:
                if pgid:
                    os.killpg(pgid, signal.SIGKILL)
                elif process is not None:
                    process.kill()
            except OSError:
                pass

    nb = nbformat.read(notebook, as_version=4)
    allow_marked_errors(nb)
    client = CountingClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )

    def started(cell: Any, cell_index: int) -> None:
        client.current = cell_index

    client.on_cell_start = started
    error = ""
    try:
        client.execute()
    except CellTimeoutError:
        error = f"{where(nb, client.current)} ran longer than {timeout} s and was stopped."
    except CellExecutionError as err:
        error = f"{where(nb, client.current)} raised {_error_line(err)}"
    except DeadKernelError:
        error = f"the kernel died during {where(nb, client.current)}."
    except Exception as err:  # the kernel may fail to start
        error = f"the notebook could not run: {_error_line(err)}"
    if client.too_much:
        error = (f"the notebook printed more than {output_limit // 1_000_000 or 1} MB of output "
                 f"(in {where(nb, client.current)}) and was stopped.")
    try:
        status.write_text(json.dumps({"error": error}) + "\n", encoding="utf-8")
    except OSError:
        pass
    return error


def where(nb: Any, index: int | None) -> str:
    """The label of the cell at `index`, or "a cell" when none had started."""
    if index is None or not 0 <= index < len(nb.cells):
        return "a cell"
    return cell_label(index, nb.cells[index].source)


def set_limits(memory_mb: int, file_limit: int) -> None:
    """Cap this process and everything it starts: data size, file size, no core dumps.

    The memory cap is on data (RLIMIT_DATA: heap and private writable maps), not on
    address space: importing torch maps several GB of address space it never fills.
    """
    import resource

    for kind, value in ((resource.RLIMIT_DATA, memory_mb * 2**20),
                        (resource.RLIMIT_FSIZE, file_limit), (resource.RLIMIT_CORE, 0)):
        try:
            _, hard = resource.getrlimit(kind)
            value = min(value, 2**62 if hard == resource.RLIM_INFINITY else hard)
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):  # a limit this system does not enforce
            continue


def main(argv: list[str] | None = None) -> int:
    """Set the limits, then run the notebook; the status file says how it went."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.grader.sandbox_runner")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("status", type=Path)
    parser.add_argument("--timeout", type=int, required=True)
    parser.add_argument("--output-limit", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-limit", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        set_limits(args.memory_mb, args.file_limit)
        run(args.notebook, args.status, args.timeout, args.output_limit)
    except Exception as err:  # say why in the status, or the checker only sees an exit code
        message = f"the checker's notebook runner failed: {_error_line(err)}"
        args.status.write_text(json.dumps({"error": message}) + "\n", encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
