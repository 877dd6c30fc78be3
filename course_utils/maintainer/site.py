"""A static site of the executed lessons that loads nothing from elsewhere.

`python -m course_utils.maintainer site` turns each committed lesson into one HTML page
with nbconvert's JupyterLab template, minus every script it would fetch from a CDN
(require.js, MathJax, the widget embedder, mermaid). What those scripts did is done at
build time instead:

- formulas become MathML (latex2mathml), which browsers draw natively;
- each widget shows the still picture it saved as its static fallback (the hiker's
  and the plateau explorer's PNG), or a note that it is live only in a notebook;
- figures are the PNGs already in the outputs, inlined as data URIs.

The README is the front page; every page links to the contents and to the lessons
before and after it. Needs the `site` extra (nbconvert, latex2mathml).
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from pathlib import Path
from typing import Any

import nbconvert
import nbformat
from jinja2 import DictLoader, pass_context
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Left in the output folder, so a rebuild may safely empty a folder it made itself.
MARKER = ".lr-course-site"

# nbconvert's lab template, with every block that loads a script from elsewhere emptied.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.lr_site_css }}</style>{% endblock %}
{%- block body_header -%}{{ super() }}{{ resources.lr_site_nav }}{%- endblock body_header -%}
{% block body_footer %}{{ resources.lr_site_nav }}{{ super() }}{% endblock body_footer %}
"""

CSS = """
nav.lr-site-nav { display: flex; gap: 1.5em; padding: 0.6em 1em; margin: 0.5em 0;
  border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; font-family: sans-serif; }
nav.lr-site-nav a { text-decoration: none; }
.widget-still img { max-width: 100%; }
.widget-live-only { font-style: italic; color: #555; padding: 0.4em 0; }
math[display="block"] { margin: 0.6em 0; }
"""

INDEX_CSS = """
body { font-family: sans-serif; line-height: 1.5; max-width: 56em; margin: 0 auto;
  padding: 1em; color: #222; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
code { background: #f6f8fa; padding: 0 0.2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
ol.lr-site-lessons li { margin: 0.3em 0; }
"""


def _mathml(tex: str, display: str) -> str:
    """TeX as MathML; the TeX itself, as code, where the converter doesn't know a command."""
    try:
        return latex_to_mathml(tex, display=display)
    except Exception:  # latex2mathml raises many kinds for TeX it doesn't know
        return f'<code class="tex">{html.escape(tex)}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, with formulas as MathML instead of text for MathJax."""

    def block_math(self, body: str) -> str:
        """A displayed formula."""
        return _mathml(body, "block")

    def inline_math(self, body: str) -> str:
        """A formula in the text."""
        return _mathml(body, "inline")

    def latex_environment(self, name: str, body: str) -> str:
        """A \\begin{...} ... \\end{...} environment."""
        return _mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


def markdown_to_html(source: str, **renderer_options: Any) -> str:
    """Markdown with math to HTML with MathML."""
    renderer = MathMLRenderer(escape=False, **renderer_options)
    return MarkdownWithMath(renderer=renderer).render(source)


class SiteExporter(HTMLExporter):
    """HTML that loads nothing from elsewhere: the lab template, MathML, no scripts."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        """Markdown cells through the MathML renderer."""
        cell = context.get("cell", {})
        return markdown_to_html(source, attachments=cell.get("attachments", {}),
                                anchor_link_text=self.anchor_link_text)


def _exporter() -> SiteExporter:
    # nbconvert's own templates, found beside nbconvert too (not only under sys.prefix), so an
    # environment layered on another one finds them.
    config = Config()
    package = Path(nbconvert.__file__).resolve()
    shipped = [p / "share/jupyter/nbconvert/templates" for p in package.parents[1:5]]
    found = [str(p) for p in shipped if p.is_dir()]
    config.TemplateExporter.extra_template_basedirs = found
    config.TemplateExporter.extra_template_paths = found
    exporter = SiteExporter(config=config, template_name="lab", template_file="lr_site.html.j2",
                            extra_loaders=[DictLoader({"lr_site.html.j2": TEMPLATE})])
    exporter.exclude_input_prompt = False
    return exporter


def static_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `nb` for a page: widgets as their saved stills, no setup cell, no widget state."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells if "setup" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            del data[WIDGET_VIEW]
            png = data.get("image/png")
            if png:
                alt = html.escape(str(data.get("text/plain", "")).strip("'\""), quote=True)
                still = f'<img src="data:image/png;base64,{png}" alt="{alt}"/>'
                extra = data.get("text/html", "")
                if "<img" in extra:  # the widget's own fallback: its picture and caption
                    still = extra
                data["text/html"] = f'<div class="widget-still">{still}</div>'
            else:
                data["text/html"] = ('<div class="widget-live-only">An interactive control: '
                                     "open the notebook to use it.</div>")
            data.pop("text/plain", None)
    return nb


def lesson_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The lesson's first Markdown heading, without the #s."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#+\s+(.+)$", cell.source, re.M)
            if found:
                return found.group(1).strip()
    return fallback


def _nav(pages: list[tuple[str, str]], index: int | None) -> str:
    """Links to the contents and to the lessons before and after page `index`."""
    links = ['<a href="index.html">Contents</a>']
    if index is not None and index > 0:
        href, title = pages[index - 1]
        links.append(f'<a href="{href}" rel="prev">← {html.escape(title)}</a>')
    if index is not None and index + 1 < len(pages):
        href, title = pages[index + 1]
        links.append(f'<a href="{href}" rel="next">{html.escape(title)} →</a>')
    return f'<nav class="lr-site-nav">{"".join(links)}</nav>'


def _prepare(out: Path) -> None:
    """An empty output folder; refuses to empty a folder this command didn't make."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise FileExistsError(f"{out} exists and isn't a site this command built; "
                                  "pass another --out, or remove it yourself.")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by python -m course_utils.maintainer site\n")


def build_site(root: Path, out: Path) -> Path:
    """Build the site of `root`'s executed lessons into `out`; returns `out`."""
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise FileNotFoundError(f"No lessons in {root / 'lessons'}.")
    _prepare(out)
    notebooks = [nbformat.read(path, as_version=4) for path in lessons]
    pages = [(path.with_suffix(".html").name, lesson_title(nb, path.stem))
             for path, nb in zip(lessons, notebooks, strict=True)]
    exporter = _exporter()
    for index, (path, nb) in enumerate(zip(lessons, notebooks, strict=True)):
        resources = {"metadata": {"name": pages[index][1], "path": str(path.parent)},
                     "lr_site_css": CSS, "lr_site_nav": _nav(pages, index)}
        body, _ = exporter.from_notebook_node(static_notebook(nb), resources=resources)
        (out / pages[index][0]).write_text(body, encoding="utf-8")

    readme_text = (root / "README.md").read_text(encoding="utf-8")
    heading = re.search(r"^#\s+(.+)$", readme_text, re.M)
    title = heading.group(1).strip() if heading else "The course"
    readme = markdown_to_html(readme_text)
    contents = "".join(f'<li><a href="{href}">{html.escape(name)}</a></li>'
                       for href, name in pages)
    (out / "index.html").write_text(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{INDEX_CSS}{CSS}</style>\n</head>\n<body>\n"
        f'<nav class="lr-site-nav"><strong>Lessons</strong></nav>\n'
        f'<ol class="lr-site-lessons" start="0">{contents}</ol>\n'
        f"<main>{readme}</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return out
