"""The widget tests again, on ipywidgets 7.7.1 (Colab's runtime), in a layered environment.

The environment is made once per session in a temporary folder: a venv layered on this one
(torch is not installed again) with ipywidgets 7.7.1 installed into it, shadowing 8. The
widget tests then run there in a subprocess, against this repository's code.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from layered_env import REPO, clean_env, layered_venv, pip_install

VERSION = "7.7.1"
# Set in the inner run, so this test never starts itself again.
INNER = "LR_COURSE_IPYWIDGETS7_RUN"


@pytest.fixture(scope="session")
def ipywidgets7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a layered environment with ipywidgets 7.7.1, or a skip saying why not."""
    python = layered_venv(tmp_path_factory.mktemp("ipywidgets7") / "venv")
    done = pip_install(python, "--no-deps", f"ipywidgets=={VERSION}", "ipython_genutils")
    if done.returncode != 0:
        pytest.skip(f"pip could not install ipywidgets {VERSION}: {done.stderr.strip()[-300:]}")
    return python


@pytest.mark.skipif(INNER in os.environ, reason="already inside the ipywidgets 7 run")
def test_the_widget_tests_pass_on_ipywidgets_7(ipywidgets7: Path) -> None:
    env = clean_env(PYTHONPATH=str(REPO), **{INNER: "1"})
    version = subprocess.run(
        [str(ipywidgets7), "-c", "import ipywidgets; print(ipywidgets.__version__)"],
        capture_output=True, text=True, check=True, env=env, cwd=REPO)
    assert version.stdout.strip() == VERSION
    files = sorted({*REPO.glob("tests/test_*_widget*.py"), *REPO.glob("tests/test_plateau*.py")})
    assert Path(__file__).resolve() not in files
    assert any("hiker" in f.name for f in files) and any("plateau" in f.name for f in files)
    done = subprocess.run(
        [str(ipywidgets7), "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, files)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=900,
    )
    summary = [line for line in done.stdout.splitlines()
               if line.startswith(("FAILED", "ERROR", "E   "))][-40:]
    assert done.returncode == 0, "\n".join(summary) or done.stdout[-4000:]
    assert " passed" in done.stdout.splitlines()[-1]
