"""Where the course's own files are: the lessons and the digits data, found through the package.

`lessons/` and `data/` live once, at the top of the repository. pyproject.toml maps them into
the package as `course_utils.lessons` and `course_utils.data_files`, so a wheel carries them
and an editable install (`pip install -e .`) reads them in place; both are found here with
`importlib.resources`. Running straight from a source folder that was never installed (for
example with PYTHONPATH) falls back to the folders beside the package.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import course_utils

# subpackage name -> the repository folder it maps onto (see pyproject.toml)
FOLDERS = {"lessons": "lessons", "data_files": "data"}


def course_folder(subpackage: str) -> Path:
    """The folder of `course_utils.<subpackage>` ("lessons" or "data_files") on disk."""
    if subpackage not in FOLDERS:
        raise ValueError(f"subpackage must be one of {sorted(FOLDERS)}, not {subpackage!r}.")
    try:
        found = importlib.resources.files(f"course_utils.{subpackage}")
    except ModuleNotFoundError:
        # A source folder that was never installed: the repository layout itself.
        return Path(course_utils.__file__).resolve().parent.parent / FOLDERS[subpackage]
    # An installed package (regular or editable) is a plain folder: files() gives its path.
    return Path(str(found))
