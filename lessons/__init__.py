"""The lessons, packaged as `course_utils.lessons` (pyproject.toml maps this folder in)."""
