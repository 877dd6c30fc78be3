"""The digits data, packaged as `course_utils.data_files` (pyproject.toml maps this folder in)."""
