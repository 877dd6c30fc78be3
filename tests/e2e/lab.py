"""JupyterLab and Chromium for the browser tests: a private server, kept off the network."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

# The text a learner sees when a widget cannot be drawn (ipywidgets' renderer in JupyterLab).
WIDGET_ERRORS = ("Error displaying widget", "model not found")

# Chromium stays off the network and needs no sandbox as root; it never starts a GPU process.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Throwaway user settings: no news toast over the page, no autosave into the lesson,
# every cell rendered (so text checks see the whole notebook), no widget state written.
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": False},
}


def find_chromium() -> str | None:
    """The Chromium executable: `$CHROMIUM_PATH`, else `chromium` or `chromium-browser` on PATH."""
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_lab_settings(settings_dir: Path) -> None:
    """Write LAB_SETTINGS as JupyterLab user settings under `settings_dir`."""
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def descendants(pid: int) -> list[psutil.Process]:
    """Every live process below `pid`."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def still_alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `procs` that still run (zombies count as gone)."""
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def kill_all(procs: list[psutil.Process]) -> None:
    """SIGKILL each process of `procs` that still runs, and reap it."""
    for proc in still_alive(procs):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)


@dataclass
class LabServer:
    """A JupyterLab server of this venv, on a free loopback port, rooted at `root_dir`."""

    root_dir: Path
    work_dir: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The server's address, without the token."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return self.work_dir / "jupyterlab.log"

    def environment(self) -> dict[str, str]:
        """The server's (and so the kernel's) environment: every Jupyter folder is throwaway."""
        env = dict(os.environ)
        folders = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "IPYTHONDIR": "ipython",
            "MPLCONFIGDIR": "matplotlib",
        }
        for name, sub in folders.items():
            path = self.work_dir / sub
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        env["LR_COURSE_PROGRESS"] = str(self.work_dir / "progress.json")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def command(self) -> list[str]:
        """The command line that starts the server."""
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def api(self, path: str, method: str = "GET", timeout: float = 5) -> object:
        """Call the server's REST API and return the decoded JSON (or None when empty)."""
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 60) -> None:
        """Start the server in its own process group and wait until its API answers."""
        write_lab_settings(self.work_dir / "settings")
        env = self.environment()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, urllib.error.URLError):
                self.api("/api/status", timeout=2)
                return
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> list[str]:
        """Shut the server and its kernels down; return what had to be killed (empty if none)."""
        if self.process is None:
            return []
        procs = descendants(self.process.pid)
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(self.process.pid))
        with contextlib.suppress(OSError, urllib.error.URLError, psutil.Error):
            # /api/shutdown ends every kernel first, then the server itself.
            self.api("/api/shutdown", method="POST", timeout=timeout)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        psutil.wait_procs(procs, timeout=timeout)
        leftovers = [f"{p.pid} {p.name()}" for p in still_alive(procs)]
        kill_all(procs)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        return leftovers


@contextlib.contextmanager
def running_lab(root_dir: Path, work_dir: Path) -> Iterator[LabServer]:
    """A started LabServer that is always stopped; fails if any of its processes outlived it."""
    server = LabServer(root_dir=root_dir, work_dir=work_dir)
    try:
        server.start()
        yield server
    finally:
        leftovers = server.stop()
        assert not leftovers, f"JupyterLab left processes behind (now killed): {leftovers}"


def is_local(url: str) -> bool:
    """Whether a request stays on this machine: 127.0.0.1, or data and blob URLs."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1"
