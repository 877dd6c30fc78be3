"""Run one submitted notebook where it can harm nothing: the notebook checker's sandbox.

Each run gets a private temporary folder holding a copy of the notebook, a private
home and the answers file; a clean environment (no inherited variables, so no secrets);
and limits on wall time, memory, file size and output. With bubblewrap (`bwrap`, the
Debian package `bubblewrap`) the run also has no network, its own process namespace,
sees the system and the Python install read-only, sees the course package read-only
and nothing else of the machine: no home folder, no other submission. Without it the
checker refuses to run submissions unless the teacher asks for it (`use_bwrap=False`,
the command line's `--unsafe-no-sandbox`); then only the private copy, the clean
environment and the limits remain, and `course_utils.grader.tamper` watches the course.

Either way the checker is a child subreaper while it runs (Linux): a process a run
detaches (a double fork, a new session) becomes the checker's child when its parent
dies, and is killed with the rest of the run before the run's answers are graded.

The notebook client and its kernel both run inside (`course_utils.grader.sandbox_runner`);
only the answers file comes out, read size-capped, and the caller grades it as data.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TOKEN_ENV = "LR_COURSE_SANDBOX"  # marks every process of one run, to find them all at the end
ANSWERS_LIMIT = 8_000_000  # bytes of exported answers read back at most
STATUS_LIMIT = 10_000
FILE_LIMIT = 512_000_000  # no single file the run writes may grow past this

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
    "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts",
    "/etc/fonts", "/etc/ssl/certs", "/etc/mime.types",
)


MIN_MEMORY_MB = 1536  # torch's import and an epoch peak near 725 MB; lesson 01's figures need more


@dataclass(frozen=True)
class Limits:
    """What one notebook's run may use: seconds of wall time, memory (MB of data per
    process, at least `MIN_MEMORY_MB`) and output."""

    timeout: int = 300
    memory_mb: int = 8192
    output_mb: float = 16.0

    @property
    def output_bytes(self) -> int:
        """The output limit in bytes (characters of text)."""
        return int(self.output_mb * 1_000_000)


@dataclass(frozen=True)
class SandboxRun:
    """What came out of one run: the raw answers file (capped) and what stopped the run."""

    answers: bytes
    error: str
    seed: int


@lru_cache(maxsize=1)
def bwrap_problem() -> str:
    """Why bubblewrap can't be used here ("" when it can)."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bwrap could not start ({err})"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        return "bwrap does not work here" + (f" ({why[-1][:200]})" if why else "")
    return ""


UNSAFE_FLAG = "--unsafe-no-sandbox"
HOW_TO_SANDBOX = (
    "On Linux install bubblewrap (`apt-get install bubblewrap`, `dnf install bubblewrap`); "
    "on macOS or Windows run the checker inside a Linux container (Docker or Podman) or a "
    "Linux virtual machine, with the course installed there."
)


def refusal(problem: str) -> str:
    """Why the checker runs no submission without a sandbox, and how to get one."""
    return (f"Not checking anything: {problem}, so submissions would run without a sandbox, "
            f"as you, able to read and change your files. {HOW_TO_SANDBOX} "
            f"To run them unsandboxed anyway, add {UNSAFE_FLAG}.")


def fallback_warning(problem: str) -> str:
    """The warning printed when the teacher asked to run without bubblewrap."""
    return (
        f"Warning: {problem}, so submissions run without a sandbox: each still runs on a "
        "private copy with a clean environment, a private home and limits, but it can use "
        "the network and read or change your files. Every CSV row says 'unsandboxed', and "
        "the batch stops if a submission changes the course's files."
    )


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def course_paths() -> list[Path]:
    """The course package and its data folder: what a run needs of the course, read-only."""
    import course_utils

    package = Path(course_utils.__file__).resolve().parent
    # course_utils.data keeps its digits in `data/` next to the package (see DATA_DIR there).
    return [p for p in (package, package.parent / "data") if p.exists()]


def _user_site() -> list[str]:
    """The user's site-packages (`pip install --user`), where this Python uses it."""
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    return [user] if user and user in sys.path and os.path.isdir(user) else []


def python_paths() -> list[Path]:
    """The Python install that runs the notebooks: prefixes and site-packages."""
    found = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages(),
             *_user_site()]
    return [Path(p) for p in dict.fromkeys(found) if os.path.isdir(p)]


def _with_real_paths(paths: Iterable[Path]) -> list[Path]:
    both = []
    for p in paths:
        both.extend([Path(os.path.abspath(p)), p.resolve()])
    return list(dict.fromkeys(both))


class Sandbox:
    """Runs notebooks one at a time, each on a private copy, under bubblewrap where it can.

    `hidden` lists folders a run must not see (the submissions' folders): where one lies
    inside something the run can read, an empty folder is mounted over it.
    """

    def __init__(self, limits: Limits, hidden: Iterable[Path] = (), use_bwrap: bool = True):
        self.limits = limits
        self.problem = (bwrap_problem() if use_bwrap
                        else f"bubblewrap is switched off ({UNSAFE_FLAG})")
        self.bwrap = shutil.which("bwrap") if not self.problem else None
        self.readable = _with_real_paths([*python_paths(), *course_paths()])
        self.hidden = _with_real_paths(hidden)
        # The run's home is private, so the user's site-packages must be named to be found;
        # so must the course when it is not installed in site-packages (an editable install).
        package_parent = course_paths()[0].parent
        site_dirs = {Path(p).resolve() for p in site.getsitepackages()}
        needed = [] if package_parent in site_dirs else [str(package_parent)]
        self.pythonpath = os.pathsep.join(needed + _user_site())

    @property
    def isolated(self) -> bool:
        """True when runs go through bubblewrap."""
        return self.bwrap is not None

    def run(self, notebook_json: str) -> SandboxRun:
        """Run one notebook (its JSON text) in a fresh private folder; return what came out."""
        seed = secrets.randbelow(2**31)
        root = Path(tempfile.mkdtemp(prefix="lr_course_check_")).resolve()
        try:
            for sub in ("work", "home", "tmp"):
                (root / sub).mkdir()
            notebook = root / "work" / "notebook.ipynb"
            notebook.write_text(notebook_json, encoding="utf-8")
            error = self._execute(root, notebook, seed)
            answers = read_capped(root / "answers.jsonl", ANSWERS_LIMIT)
            return SandboxRun(answers, error, seed)
        finally:
            remove_tree(root)

    def environment(self, root: Path, seed: int, token: str) -> dict[str, str]:
        """The run's whole environment: nothing inherited but the language setting."""
        from course_utils.grader.progress import PROGRESS_ENV
        from course_utils.grader.results import RESULTS_ENV, SEED_ENV

        home = root / "home"
        env = {
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                     "/usr/bin", "/bin"]),
            "HOME": str(home),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "TMPDIR": str(root / "tmp"),
            "JUPYTER_RUNTIME_DIR": str(home / ".jupyter-runtime"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".matplotlib"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "CUDA_VISIBLE_DEVICES": "",  # every run on the CPU, with or without the sandbox
            "MALLOC_ARENA_MAX": "2",  # fewer reserved heaps, so the memory limit means memory
            RESULTS_ENV: str(root / "answers.jsonl"),
            PROGRESS_ENV: str(home / "progress.json"),
            SEED_ENV: str(seed),  # inputs for function exercises are drawn from it
            TOKEN_ENV: token,
        }
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env

    def command(self, root: Path, notebook: Path) -> list[str]:
        """The command line of one run: the runner, inside bubblewrap where there is one."""
        limits = self.limits
        runner = [sys.executable, "-m", "course_utils.grader.sandbox_runner", str(notebook),
                  str(root / "status.json"), "--timeout", str(limits.timeout),
                  "--output-limit", str(limits.output_bytes),
                  "--memory-mb", str(limits.memory_mb), "--file-limit", str(FILE_LIMIT)]
        if self.bwrap is None:
            return runner
        args = [self.bwrap, "--unshare-all", "--unshare-pid", "--die-with-parent",
                "--new-session", "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev",
                "--tmpfs", "/tmp"]
        for path in (*_SYSTEM_DIRS, *_ETC_FILES):
            args += ["--ro-bind-try", path, path]
        for path in self.readable:
            args += ["--ro-bind", str(path), str(path)]
        for folder in self.hidden:
            if any(_under(folder, r) for r in self.readable) or any(
                _under(folder, Path(s)) for s in _SYSTEM_DIRS
            ):
                args += ["--tmpfs", str(folder)]
        args += ["--bind", str(root), str(root), "--chdir", str(root), "--"]
        return args + runner

    def _execute(self, root: Path, notebook: Path, seed: int) -> str:
        """Start the run, enforce the wall time and output limits, end every process of it."""
        limits = self.limits
        token = secrets.token_hex(16)
        before = children()
        proc = subprocess.Popen(
            self.command(root, notebook), cwd=root, env=self.environment(root, seed, token),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        flooded = threading.Event()

        def drain() -> None:
            total = 0
            assert proc.stdout is not None
            while chunk := proc.stdout.read(65536):
                total += len(chunk)
                if total > limits.output_bytes and not flooded.is_set():
                    flooded.set()
                    self._end(proc, token)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=limits.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            self._end(proc, token)
            proc.wait()
            end_orphans(before)
            reader.join(timeout=10)
        if timed_out:
            return f"the notebook ran longer than {limits.timeout} s and was stopped."
        if flooded.is_set():
            return (f"the notebook printed more than {limits.output_mb:g} MB of output "
                    "and was stopped.")
        status = read_status(root / "status.json")
        if status is None:
            return f"the notebook's run ended abruptly (exit status {proc.returncode})."
        return status

    def _end(self, proc: subprocess.Popen[bytes], token: str) -> None:
        """End the run's process group and, without bubblewrap, every process it started.

        A run still going gets SIGTERM first, so the runner can shut its kernel down
        (kernels start sessions of their own), then SIGKILL.
        """
        for sig, grace in ((signal.SIGTERM, 3), (signal.SIGKILL, 0)):
            if proc.poll() is not None and sig == signal.SIGTERM:
                continue
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            if grace:
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    pass
        if self.bwrap is None:
            kill_marked(token)


def kill_marked(token: str, rounds: int = 5) -> None:
    """Kill every process whose environment carries this run's token (kernels start their
    own sessions, so a process group does not reach them)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    mark = f"{TOKEN_ENV}={token}".encode()
    for _ in range(rounds):
        found = False
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
                    found = True
            except OSError:
                continue
        if not found:
            return


PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37


def set_subreaper(on: bool) -> bool:
    """Make this process a child subreaper (or stop); returns whether it was one (Linux only)."""
    import ctypes

    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        was = ctypes.c_int(0)
        prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0)
        prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)
    except (OSError, AttributeError):
        return False
    return bool(was.value)


def children() -> set[int]:
    """The process ids of this process's children (from /proc; empty where there is none)."""
    me, found = os.getpid(), set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == str(me).encode():
            found.add(int(entry))
    return found


def end_orphans(keep: set[int], rounds: int = 50) -> None:
    """Kill and reap every child this process gained since `keep` was taken.

    As a subreaper, the checker inherits whatever a run left behind when its parent died;
    killing one may hand its own children over in turn, hence the rounds.
    """
    for _ in range(rounds):
        extra = children() - keep
        if not extra:
            return
        for pid in extra:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in extra:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def read_capped(path: Path, limit: int) -> bytes:
    """A regular file's first `limit` bytes; b"" for a link, a pipe, a folder or nothing."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return b""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            return b""
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_status(path: Path) -> str | None:
    """The runner's one-line status: "" (ran to the end), an error, or None (none written)."""
    try:
        status = json.loads(read_capped(path, STATUS_LIMIT))
    except (ValueError, RecursionError):
        return None
    if not isinstance(status, dict) or not isinstance(status.get("error"), str):
        return None
    return printable(status["error"], 300)


def printable(text: str, limit: int) -> str:
    """Text on one line, without control characters, at most `limit` characters."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def remove_tree(root: Path) -> None:
    """Remove a run's private folder, whatever permissions the run left in it."""
    try:
        os.chmod(root, 0o700)
    except OSError:
        return
    for folder, subfolders, _ in os.walk(root):
        for name in subfolders:
            path = os.path.join(folder, name)
            if not os.path.islink(path):  # never change what a link points to
                try:
                    os.chmod(path, 0o700)
                except OSError:
                    pass
    shutil.rmtree(root, ignore_errors=True)
