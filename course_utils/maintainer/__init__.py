"""The maintainer's wing: tools that build and check the course, not used by learners.

- `stamp`: the setup cell, lesson numbers and Colab/Kaggle links in every lesson;
- `execute`: re-execute lessons in place, with outputs scrubbed of this machine's paths;
- `site`: the offline static site of the executed lessons (the `site` extra).

Run them as `python -m course_utils.maintainer stamp | site | execute`. Nothing here is
imported by `import course_utils` or by a lesson.
"""
