"""Stamping the lessons: `python -m course_utils.maintainer stamp`.

It gives every lesson its setup cell (the first code cell: it installs the course
on Colab or Kaggle when the course isn't importable there, and does nothing anywhere
else), records the lesson's number in the notebook's metadata, and writes "Open in
Colab / Kaggle" links into the README and each lesson from the repository URL in
pyproject.toml's `[project.urls]`. While that URL is unset it writes no links at all
(and removes old ones), so nothing points at a place that doesn't exist. Run it again
at any time: it changes only its own cells and the README's marked block.
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


def install_target(url: str | None) -> str:
    """What the setup cell installs: the repository when its URL is set, else the package."""
    if url:
        return f'"{PACKAGE} @ git+{url.removesuffix("/")}"'
    return PACKAGE


def setup_source(url: str | None) -> str:
    """The exact source of each lesson's first code cell."""
    return (
        "# Setup: on Colab or Kaggle, install the course if it isn't there yet; elsewhere\n"
        "# this cell does nothing. On Colab, keep your progress on Drive (see the README).\n"
        "import importlib.util\n"
        "import os\n"
        "import sys\n"
        "\n"
        'if ("google.colab" in sys.modules or "KAGGLE_KERNEL_RUN_TYPE" in os.environ) and (\n'
        '    importlib.util.find_spec("course_utils") is None\n'
        "):\n"
        f"    %pip install --quiet {install_target(url)}"
    )


def open_in_links(url: str | None, notebook: str, branch: str = "main") -> str | None:
    """Markdown links that open `notebook` (a path in the repository) in Colab and Kaggle.

    None while the URL is unset or not a GitHub repository (Colab opens only those).
    """
    found = GITHUB.match(url or "")
    if found is None:
        return None
    owner, repo = found.groups()
    blob = f"github.com/{owner}/{repo}/blob/{branch}/{notebook}"
    colab = f"https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{notebook}"
    kaggle = f"https://kaggle.com/kernels/welcome?src=https://{blob}"
    return f"[Open in Colab]({colab}) · [Open in Kaggle]({kaggle})"


def _find_tagged(nb: nbformat.NotebookNode, tag: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if tag in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def stamp_notebook(path: Path, url: str | None, branch: str = "main") -> bool:
    """Insert or update the setup cell and the links cell of one lesson; True if it changed."""
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    number = path.name[:2]
    if number.isdigit():
        nb.metadata.setdefault("lr_course", {})["lesson"] = number

    source = setup_source(url)
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

    links = open_in_links(url, f"lessons/{path.name}", branch)
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


def stamp_readme(readme: Path, lessons: list[Path], url: str | None, branch: str = "main") -> bool:
    """Write the lessons' Colab/Kaggle links between the README's markers; True if it changed."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block to stamp.")
    rows = []
    for path in lessons:
        links = open_in_links(url, f"lessons/{path.name}", branch)
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


def stamp(root: Path, branch: str = "main") -> list[Path]:
    """Stamp every lesson under `root/lessons` and `root/README.md`; returns the changed files."""
    url = repository_url(root / "pyproject.toml")
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    changed = [p for p in lessons if stamp_notebook(p, url, branch)]
    if stamp_readme(root / "README.md", lessons, url, branch):
        changed.append(root / "README.md")
    return changed
