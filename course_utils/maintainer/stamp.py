"""Stamping the lessons: `python -m course_utils.maintainer stamp`.

It gives every lesson its setup cell (the first code cell: on Colab or Kaggle, when the
course isn't importable there, it installs the course from the repository named in
pyproject.toml's `[project.urls]`, at the tag of the course's version, `v{version}`; while
no repository is named it installs nothing and says how to bring the course in; anywhere
else it does nothing), records the lesson's number in the notebook's metadata, and writes
"Open in Colab / Kaggle" links, at that same tag, into the README and each lesson. While
the URL is unset it writes no links at all (and removes old ones), so nothing points at a
place that doesn't exist. Run it again at any time: it changes only its own cells and the
README's marked block.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

PACKAGE = "lr-schedulers-course"
SETUP_TAG, LINKS_TAG = "setup", "open-in"
SETUP_ID, LINKS_ID = "cell-setup", "cell-open-in"
# The README block the links go into; the markers stay, the lines between them are stamped.
README_START, README_END = "<!-- open-in:start -->", "<!-- open-in:end -->"
GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")
URL_KEYS = ("repository", "source", "source code")


def repository_url(pyproject: Path) -> str | None:
    """The `Repository` URL from pyproject.toml's `[project.urls]`, or None while unset."""
    text = pyproject.read_text(encoding="utf-8")
    section = re.search(r"^\[project\.urls\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        return None
    for line in section.group(1).splitlines():
        found = re.match(r'^\s*"?([\w .-]+?)"?\s*=\s*"([^"]*)"', line)
        if found and found.group(1).strip().lower() in URL_KEYS and found.group(2).strip():
            return found.group(2).strip()
    return None


def project_version(pyproject: Path) -> str:
    """The course's version from pyproject.toml's `[project]` table."""
    text = pyproject.read_text(encoding="utf-8")
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = section and re.search(r'^\s*version\s*=\s*"([^"]+)"', section.group(1), re.M)
    if not found:
        raise ValueError(f"{pyproject} names no version in [project].")
    return found.group(1)


def release_tag(version: str) -> str:
    """The git tag of a released version: the setup cell installs it, the links open it."""
    return f"v{version}"


def install_target(url: str, version: str) -> str:
    """The pip requirement the setup cell installs: the repository at the version's tag."""
    return f"{PACKAGE} @ git+{url.removesuffix('/')}@{release_tag(version)}"


def wheel_name(version: str) -> str:
    """The file name of the course's wheel at `version`."""
    return f"{PACKAGE.replace('-', '_')}-{version}-py3-none-any.whl"


_SETUP_HEAD = """\
# Setup: on Colab or Kaggle, this cell makes sure the course is installed in the runtime;
# anywhere else it does nothing. On Colab, keep your progress on Drive (see the README).
import importlib
import importlib.util
import os
import sys

HOSTED = "google.colab" in sys.modules or "KAGGLE_KERNEL_RUN_TYPE" in os.environ
if HOSTED and importlib.util.find_spec("course_utils") is None:
"""

_SETUP_NO_URL = """\
    WHEEL = "{wheel}"
    raise RuntimeError(
        "The course isn't installed in this runtime, and it has no public repository to "
        f"install it from yet. Upload its wheel, {{WHEEL}}, to the runtime (Colab: the Files "
        "panel, into /content; Kaggle: Add Input > Upload, a dataset under /kaggle/input), "
        f"install it in a new cell with  %pip install /content/{{WHEEL}}  (on Kaggle, give "
        "the wheel's path under /kaggle/input instead), then run this cell again."
    )"""

_SETUP_URL = """\
    import subprocess

    REQUIREMENT = "{target}"
    # pip runs as a program of its own, so that when it fails this cell stops with its message.
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", REQUIREMENT],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(
            f"pip could not install {{REQUIREMENT}} (on Kaggle, turn Internet on in the "
            "notebook's settings, then run this cell again). pip said:\\n"
            + (pip.stdout + pip.stderr).strip()[-3000:]
        )
    importlib.invalidate_caches()
    if importlib.util.find_spec("course_utils") is None:
        raise RuntimeError("pip finished, but Python can't find course_utils: restart the "
                           "session (Runtime > Restart session) and run this cell again.")
    print("Installed the course {tag} from {url}.")"""


def setup_source(url: str | None, version: str) -> str:
    """The exact source of each lesson's first code cell.

    With no repository URL it installs nothing: on Colab or Kaggle it stops and says how
    to get the course into the runtime. With one, it installs that repository at the tag
    of `version`. It never installs by a bare package name (anyone could publish one).
    """
    if url:
        body = _SETUP_URL.format(target=install_target(url, version),
                                 url=url.removesuffix("/"), tag=release_tag(version))
    else:
        body = _SETUP_NO_URL.format(wheel=wheel_name(version))
    return _SETUP_HEAD + body


def open_in_links(url: str | None, notebook: str, ref: str) -> str | None:
    """Markdown links that open `notebook` (a path in the repository) at `ref` in Colab and Kaggle.

    None while the URL is unset or not a GitHub repository (Colab opens only those).
    """
    found = GITHUB.match(url or "")
    if found is None:
        return None
    owner, repo = found.groups()
    blob = f"github.com/{owner}/{repo}/blob/{ref}/{notebook}"
    colab = f"https://colab.research.google.com/github/{owner}/{repo}/blob/{ref}/{notebook}"
    kaggle = f"https://kaggle.com/kernels/welcome?src=https://{blob}"
    return f"[Open in Colab]({colab}) · [Open in Kaggle]({kaggle})"


def _find_tagged(nb: nbformat.NotebookNode, tag: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if tag in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def stamp_notebook(path: Path, url: str | None, version: str) -> bool:
    """Insert or update the setup cell and the links cell of one lesson; True if it changed."""
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    number = path.name[:2]
    if number.isdigit():
        nb.metadata.setdefault("lr_course", {})["lesson"] = number

    source = setup_source(url, version)
    at = _find_tagged(nb, SETUP_TAG)
    if at is None:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = SETUP_ID
        cell.metadata["tags"] = [SETUP_TAG, "nbval-ignore-output"]
        first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"),
                          len(nb.cells))
        nb.cells.insert(first_code, cell)
    elif nb.cells[at].source != source:
        nb.cells[at].source = source

    links = open_in_links(url, f"lessons/{path.name}", release_tag(version))
    at = _find_tagged(nb, LINKS_TAG)
    if links is None and at is not None:
        del nb.cells[at]
    elif links is not None and at is None:
        cell = nbformat.v4.new_markdown_cell(links)
        cell.id = LINKS_ID
        cell.metadata["tags"] = [LINKS_TAG]
        # Under the title when the notebook opens with one, else at the very top.
        nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, cell)
    elif links is not None and nb.cells[at].source != links:
        nb.cells[at].source = links

    after = nbformat.writes(nb)
    if not after.endswith("\n"):
        after += "\n"
    if after == before:
        return False
    nbformat.validate(nb)
    path.write_text(after, encoding="utf-8")
    return True


def stamp_readme(readme: Path, lessons: list[Path], url: str | None, version: str) -> bool:
    """Write the lessons' Colab/Kaggle links between the README's markers; True if it changed."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block to stamp.")
    rows = []
    for path in lessons:
        links = open_in_links(url, f"lessons/{path.name}", release_tag(version))
        if links is not None:
            rows.append(f"- `{path.name}`: {links}")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    body = "\n" + "".join(row + "\n" for row in rows)
    new = f"{head}{README_START}{body}{README_END}{tail}"
    if new == text:
        return False
    readme.write_text(new, encoding="utf-8")
    return True


def stamp(root: Path) -> list[Path]:
    """Stamp every lesson under `root/lessons` and `root/README.md`; returns the changed files."""
    url = repository_url(root / "pyproject.toml")
    version = project_version(root / "pyproject.toml")
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    changed = [p for p in lessons if stamp_notebook(p, url, version)]
    if stamp_readme(root / "README.md", lessons, url, version):
        changed.append(root / "README.md")
    return changed
