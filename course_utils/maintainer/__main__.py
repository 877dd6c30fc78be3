"""The maintainer's commands: `python -m course_utils.maintainer stamp | site | execute`.

`stamp` gives every lesson its setup cell, lesson number and Colab/Kaggle links
(`course_utils.maintainer.stamp`); `site` builds the static site of the executed lessons
(`course_utils.maintainer.site`); `execute` re-executes lessons in place and scrubs their
outputs (`course_utils.maintainer.execute`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_utils.maintainer.stamp import open_in_links, repository_url, stamp


def build_parser() -> argparse.ArgumentParser:
    """The maintainer commands' argument parser."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.maintainer",
                                     description="Maintainer commands for the course.")
    commands = parser.add_subparsers(dest="command", required=True)
    stamp_cmd = commands.add_parser(
        "stamp", help="setup cell, lesson number and Colab/Kaggle links in every lesson")
    stamp_cmd.add_argument("--root", type=Path, default=Path.cwd(),
                           help="the course's folder (default: here)")
    site = commands.add_parser("site", help="build the static site of the executed lessons")
    site.add_argument("--root", type=Path, default=Path.cwd(),
                      help="the course's folder (default: here)")
    site.add_argument("--out", type=Path, default=None,
                      help="where the site goes (default: ROOT/build/site)")
    commands.add_parser(
        "execute", add_help=False,
        help="re-execute lessons in place, outputs scrubbed (see: execute --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one maintainer command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["execute"]:
        from course_utils.maintainer.execute import main as execute_main

        return execute_main(argv[1:])
    args = build_parser().parse_args(argv)
    root = args.root.resolve()
    if not (root / "pyproject.toml").is_file() or not (root / "lessons").is_dir():
        print(f"{root} is not the course's folder (no pyproject.toml and lessons/ there).",
              file=sys.stderr)
        return 1
    if args.command == "stamp":
        url = repository_url(root / "pyproject.toml")
        changed = stamp(root)
        print(f"Stamped {len(changed)} file(s)." + "".join(f"\n  {p}" for p in changed))
        if open_in_links(url, "x", "x") is None:
            print("No Colab/Kaggle links: pyproject.toml's [project.urls] has no GitHub "
                  "Repository URL yet.")
        if url is None:
            print("On Colab or Kaggle the setup cell installs nothing: it says how to upload "
                  "and install the wheel.")
        return 0
    try:
        from course_utils.maintainer.site import build_site
    except ImportError as err:
        print(f"The site needs the `site` extra ({err.name} is missing): "
              'python -m pip install -e ".[site]"', file=sys.stderr)
        return 1
    out = build_site(root, args.out or root / "build" / "site")
    print(f"Site written to {out}; open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
