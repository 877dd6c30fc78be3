"""Throwaway Python environments layered on the test environment, so torch is never installed twice.

A `--without-pip` venv whose site-packages holds a `.pth` line pointing at the test
environment's site-packages: everything installed there is importable, and whatever the
test installs into the layered venv (with the test environment's own pip, `--python`)
comes first and shadows it. A `.pth` path line adds that folder only, without running the
`.pth` files inside it, so an editable install of the course there stays out of the way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

# Where this repository is, so a layered environment can prove its course_utils is not it.
REPO = Path(__file__).resolve().parent.parent


def layered_venv(where: Path) -> Path:
    """Make a venv at `where` layered on this environment; returns its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, env=clean_env(),
    ).stdout.strip()
    base = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(site, "_layered_on_test_env.pth").write_text("".join(f"{p}\n" for p in base))
    return python


def pip_install(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pip install ARGS` into the layered venv of `python`, with this environment's pip."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install",
         "--disable-pip-version-check", "--no-input", *args],
        capture_output=True, text=True, env=clean_env(),
    )


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH (nothing leaks in from the repository)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env
