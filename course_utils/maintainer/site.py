"""A static site of the executed lessons that reads like a book and loads nothing from elsewhere.

`python -m course_utils.maintainer site` turns each committed lesson into one HTML page
with nbconvert's JupyterLab template, minus every script it would fetch from a CDN
(require.js, MathJax, the widget embedder, mermaid). What those scripts did is done at
build time instead:

- formulas become MathML (latex2mathml), which browsers draw natively;
- each widget shows the still picture it saved as its static fallback (the hiker's
  and the plateau explorer's PNG), or a note that it is live only in a notebook;
- figures are the PNGs already in the outputs, inlined as data URIs, each with alt text
  read from the code that drew it (`site_figures`).

Every page shares one stylesheet (`site.css`: JupyterLab's, then one typography of about
70 characters a line for the lessons and the front page) and one small search script over
a local index (`search.js`, `search-index.js`); nothing else is loaded. Each lesson page
lists its sections, links to the contents, the lessons before and after it and its own
notebook (shipped under `notebooks/`), and links between lessons go to their pages. The
front page is the learner's part of the README with the lessons linked; the maintainer's
part is a page of its own (`maintainers.html`). Needs the `site` extra (nbconvert,
latex2mathml).
"""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import nbconvert
import nbformat
from bs4 import BeautifulSoup
from jinja2 import DictLoader, pass_context
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

from course_utils.maintainer.site_figures import figure_alt

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Left in the output folder, so a rebuild may safely empty a folder it made itself.
MARKER = ".lr-course-site"

# nbconvert's lab template, with every block that loads a script from elsewhere emptied;
# the site's own header and footer go where the two markers are, once the page is built.
TOP, BOTTOM = "<!--lr-site-top-->", "<!--lr-site-bottom-->"
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}{{ super() }}<!--lr-site-top-->{%- endblock body_header -%}
{% block body_footer %}<!--lr-site-bottom-->{{ super() }}{% endblock body_footer %}
"""

# One typography for every page: 36 em a line (about 70 characters at 17 px), generous leading.
CSS = """
:root { --lr-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; --lr-measure: 36em; --jp-content-font-family: var(--lr-font); }
body.jp-Notebook { max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
.jp-RenderedHTMLCommon.jp-RenderedMarkdown, .lr-prose { font-family: var(--lr-font);
  font-size: 17px; line-height: 1.6; color: #1f2328; }
.jp-RenderedHTMLCommon.jp-RenderedMarkdown > * { max-width: var(--lr-measure); }
.jp-RenderedHTMLCommon.jp-RenderedMarkdown > table { max-width: 100%; }
.lr-prose { margin: 0 auto; padding: 0 1rem 3rem; max-width: calc(var(--lr-measure) + 2rem); }
.lr-prose a, .lr-site-header a, .lr-site-footer a, .lr-site-toc a, #lr-search-results a {
  color: #0969da; }
ul.lr-site-lessons { list-style: none; padding-left: 0; }
ul.lr-site-lessons li { margin: 0.3em 0; }
.lr-prose pre, .lr-prose code { font-size: 14px; }
.lr-prose pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
.lr-prose code { background: #f6f8fa; padding: 0 0.2em; }
.lr-prose table { border-collapse: collapse; display: block; overflow-x: auto; }
.lr-prose th, .lr-prose td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
.lr-site-header, .lr-site-footer { font-family: var(--lr-font); font-size: 16px;
  max-width: 64rem; margin: 0 auto; }
nav.lr-site-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em; padding: 0.6em 1em;
  margin: 0.5em 0; border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; }
nav.lr-site-nav a { text-decoration: none; }
form.lr-search { padding: 0 1em; } form.lr-search input { font-size: 16px; width: 18em; }
#lr-search-results ol { margin: 0.3em 0; }
nav.lr-site-toc { font-family: var(--lr-font); font-size: 16px; padding: 0 1em; }
nav.lr-site-toc ol { margin: 0.3em 0 1em; columns: 2 20em; }
.widget-still img, figure.lr-figure img { max-width: 100%; }
figure.lr-figure { margin: 0; }
.widget-live-only { font-style: italic; color: #555; padding: 0.4em 0; }
math[display="block"] { margin: 0.6em 0; }
"""

SEARCH_JS = """// The site's search over a local index (search-index.js): nothing from elsewhere.
(function () {
  var form = document.getElementById("lr-search");
  var out = document.getElementById("lr-search-results");
  if (!form || !out) return;
  var input = form.querySelector("input");
  function run() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    out.textContent = "";
    if (!words.length) return;
    var hits = [];
    (window.LR_SEARCH_INDEX || []).forEach(function (entry) {
      var title = entry.t.toLowerCase(), score = 0;
      for (var i = 0; i < words.length; i++) {
        var inTitle = title.indexOf(words[i]) >= 0;
        if (!inTitle && entry.x.indexOf(words[i]) < 0) return;
        score += inTitle ? 3 : 1;
      }
      hits.push([score, entry]);
    });
    hits.sort(function (a, b) { return b[0] - a[0]; });
    var said = document.createElement("p");
    said.textContent = hits.length ? hits.length + " sections match." : "No section matches.";
    out.appendChild(said);
    var list = document.createElement("ol");
    hits.slice(0, 12).forEach(function (hit) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = hit[1].u; link.textContent = hit[1].t;
      item.appendChild(link); list.appendChild(item);
    });
    out.appendChild(list);
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  input.addEventListener("input", run);
})();
"""

# The README's sections that are for maintainers: they get a page of their own.
MAINTAINER_SECTIONS = ("For maintainers", "Performance", "Dependencies",
                       "How the code is laid out")
LESSON_LINK = re.compile(r"^(?:\.{0,2}/)*(?:lessons/|workspace/)?(\d\d_[\w-]+)\.ipynb(#.*)?$")


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
    """A copy of `nb` for a page: widgets as their saved stills, figures with alt text, no
    setup cell, no widget state."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells if "setup" not in c.get("metadata", {}).get("tags", [])]
    markdown_before = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            markdown_before = cell.source
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                if "image/png" in data and "text/html" not in data:
                    alt = figure_alt(cell.source, str(data.get("text/plain", "")),
                                     markdown_before)
                    data["text/html"] = (
                        f'<figure class="lr-figure"><img src="data:image/png;base64,'
                        f'{data["image/png"]}" alt="{html.escape(alt, quote=True)}"/></figure>')
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


def _nav(pages: list[tuple[str, str]], index: int | None, notebook: str | None = None) -> str:
    """Links to the contents, the lessons before and after page `index`, and its notebook."""
    links = ['<a href="index.html">Contents</a>']
    if index is not None and index > 0:
        href, title = pages[index - 1]
        links.append(f'<a href="{href}" rel="prev">← {html.escape(title)}</a>')
    if index is not None and index + 1 < len(pages):
        href, title = pages[index + 1]
        links.append(f'<a href="{href}" rel="next">{html.escape(title)} →</a>')
    if notebook:
        links.append(f'<a href="notebooks/{notebook}" download class="lr-download">'
                     "Download this lesson's notebook (.ipynb)</a>")
    return f'<nav class="lr-site-nav" aria-label="Course">{"".join(links)}</nav>'


SEARCH_FORM = (
    '<form class="lr-search" id="lr-search" role="search">'
    '<label for="lr-q">Search the course </label><input id="lr-q" type="search" '
    'autocomplete="off"> <button type="submit">Search</button></form>'
    '<div id="lr-search-results" aria-live="polite"></div>'
)
SCRIPTS = '<script src="search-index.js"></script><script src="search.js"></script>'


def _header(nav: str) -> str:
    return f'<header class="lr-site-header">{nav}{SEARCH_FORM}</header>'


def _sections(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """(id, text) of each second-level heading of the page, in order."""
    found = []
    for h2 in soup.find_all("h2"):
        if h2.get("id") and not h2.find_parent(class_="lr-site-toc"):
            text = h2.get_text(" ", strip=True).removesuffix("¶").strip()
            found.append((str(h2["id"]), text))
    return found


def _toc(sections: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="#{html.escape(i, quote=True)}">{html.escape(t)}</a></li>'
                    for i, t in sections)
    return (f'<nav class="lr-site-toc" aria-labelledby="lr-toc-title">'
            f'<strong id="lr-toc-title">On this page</strong><ol>{items}</ol></nav>')


def _link_lessons(soup: BeautifulSoup, stems: set[str]) -> None:
    """Links to a lesson's notebook go to its page instead."""
    for link in soup.find_all("a", href=True):
        found = LESSON_LINK.match(str(link["href"]))
        if found and found.group(1) in stems:
            link["href"] = f"{found.group(1)}.html{found.group(2) or ''}"


def _index_entries(soup: BeautifulSoup, page: str, title: str) -> list[dict[str, str]]:
    """Search entries for a page: one per section, its words as plain lowercase text."""
    entries: list[dict[str, str]] = []
    current = {"u": page, "t": title, "x": []}
    for node in soup.find_all(["h1", "h2", "h3", "p", "li", "td"]):
        if node.find_parent(["nav", "header", "pre"]) or node.find_parent(
                class_="jp-OutputArea"):
            continue
        if node.name == "h2" and node.get("id"):
            entries.append(current)
            text = node.get_text(" ", strip=True).removesuffix("¶").strip()
            current = {"u": f"{page}#{node['id']}", "t": f"{title} · {text}", "x": []}
        else:
            current["x"].append(node.get_text(" ", strip=True))
    entries.append(current)
    return [{"u": e["u"], "t": e["t"], "x": " ".join(e["x"]).lower()[:3000]}
            for e in entries if e["x"]]


def _finish(page_html: str, css: list[str], top: str, bottom: str, stems: set[str],
            toc: bool) -> tuple[str, BeautifulSoup]:
    """A built page with its styles moved to site.css, links fixed, header, footer, sections."""
    soup = BeautifulSoup(page_html, features="html.parser")
    for style in soup.head.find_all("style") if soup.head else []:
        text = style.string or ""
        if text not in css:
            css.append(text)
        style.decompose()
    if soup.head:
        soup.head.append(BeautifulSoup('<link rel="stylesheet" href="site.css">', "html.parser"))
    _link_lessons(soup, stems)
    sections = _toc(_sections(soup)) if toc else ""
    text = str(soup).replace(TOP, _header(top) + sections, 1)
    text = text.replace(BOTTOM, f'<footer class="lr-site-footer">{bottom}</footer>', 1)
    text = text.replace("</body>", SCRIPTS + "</body>", 1)
    return text, BeautifulSoup(text, features="html.parser")


def _prepare(out: Path) -> None:
    """An empty output folder; refuses to empty a folder this command didn't make."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise FileExistsError(f"{out} exists and isn't a site this command built; "
                                  "pass another --out, or remove it yourself.")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by python -m course_utils.maintainer site\n")


def split_readme(text: str) -> tuple[str, str]:
    """The README as (the learner's part, the maintainer's part), split at its ## sections."""
    chunks = re.split(r"(?m)^(?=## )", text)
    learner, maintainer = [chunks[0]], []
    for chunk in chunks[1:]:
        heading = chunk.splitlines()[0].removeprefix("## ").strip()
        (maintainer if heading in MAINTAINER_SECTIONS else learner).append(chunk)
    return "".join(learner), "".join(maintainer)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a README heading: lower case, punctuation dropped, - for spaces."""
    text = re.sub(r"<[^>]+>", "", html.unescape(heading)).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def readme_anchors(pages: dict[str, str]) -> dict[str, str]:
    """Point the README's own `#section` links (GitHub's anchors) at the site's heading ids,
    on whichever of the README's pages the section now stands."""
    targets: dict[str, str] = {}
    for name, body in pages.items():
        for match in re.finditer(r'<h[1-6][^>]*\bid="([^"]+)"[^>]*>(.*?)</h[1-6]>', body, re.S):
            targets.setdefault(github_slug(match.group(2).replace("¶", "")),
                               f"{name}#{match.group(1)}")

    def fix(name: str, match: re.Match[str]) -> str:
        fragment = match.group(1)
        target = targets.get(fragment)
        if target is None:
            return match.group(0)
        page, _, anchor = target.partition("#")
        return f'href="{"" if page == name else page}#{html.escape(anchor, quote=True)}"'

    return {name: re.sub(r'href="#([^"]+)"', lambda m, n=name: fix(n, m), body)
            for name, body in pages.items()}


def _prose_page(title: str, body: str, nav: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body class=\"lr-site\">\n"
            f"{TOP}<main class=\"lr-prose\">{body}</main>\n{BOTTOM}</body>\n</html>\n")


def build_site(root: Path, out: Path) -> Path:
    """Build the site of `root`'s executed lessons into `out`; returns `out`."""
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise FileNotFoundError(f"No lessons in {root / 'lessons'}.")
    _prepare(out)
    (out / "notebooks").mkdir()
    notebooks = [nbformat.read(path, as_version=4) for path in lessons]
    pages = [(path.with_suffix(".html").name, lesson_title(nb, path.stem))
             for path, nb in zip(lessons, notebooks, strict=True)]
    stems = {path.stem for path in lessons}
    exporter = _exporter()
    css: list[str] = []
    index: list[dict[str, str]] = []
    for number, (path, nb) in enumerate(zip(lessons, notebooks, strict=True)):
        shutil.copyfile(path, out / "notebooks" / path.name)
        resources = {"metadata": {"name": pages[number][1], "path": str(path.parent)}}
        body, _ = exporter.from_notebook_node(static_notebook(nb), resources=resources)
        text, soup = _finish(body, css, _nav(pages, number, path.name), _nav(pages, number),
                             stems, toc=True)
        (out / pages[number][0]).write_text(text, encoding="utf-8")
        index += _index_entries(soup, pages[number][0], pages[number][1])

    readme_text = (root / "README.md").read_text(encoding="utf-8")
    heading = re.search(r"^#\s+(.+)$", readme_text, re.M)
    title = heading.group(1).strip() if heading else "The course"
    learner, maintainer = split_readme(readme_text)
    contents = "".join(f'<li><a href="{href}">{html.escape(name)}</a></li>'
                       for href, name in pages)
    # The lessons, linked, after the opening paragraphs (before the first section).
    front = (markdown_to_html(learner).replace("<h2", (
        '<h2 id="lr-lessons">The lessons, in order</h2>'
        f'<ul class="lr-site-lessons">{contents}</ul><h2'), 1)
        + '<p><a href="maintainers.html">For maintainers: building, testing, '
          "performance and how the code is laid out</a>.</p>")
    prose = {"index.html": front,
             "maintainers.html": f"<h1>{html.escape(title)}: for maintainers</h1>"
                                 + markdown_to_html(maintainer)}
    prose = readme_anchors(prose)
    for name, body, page_title in [
        ("index.html", prose["index.html"], title),
        ("maintainers.html", prose["maintainers.html"], f"{title}: for maintainers")]:
        # Inline `NN_name.ipynb` mentions become links to the lesson's page.
        body = re.sub(r"<code>(\d\d_[\w-]+)\.ipynb</code>", lambda m: (
            f'<a href="{m.group(1)}.html"><code>{m.group(1)}.ipynb</code></a>'
            if m.group(1) in stems else m.group(0)), body)
        nav = '<nav class="lr-site-nav" aria-label="Course"><a href="index.html">Contents</a>'
        nav += ('<a href="maintainers.html">For maintainers</a></nav>' if name == "index.html"
                else "</nav>")
        text, soup = _finish(_prose_page(page_title, body, nav), css, nav, nav, stems,
                             toc=False)
        (out / name).write_text(text, encoding="utf-8")
        index += _index_entries(soup, name, page_title)

    (out / "site.css").write_text("\n".join([*css, CSS]), encoding="utf-8")
    (out / "search.js").write_text(SEARCH_JS, encoding="utf-8")
    (out / "search-index.js").write_text(
        "window.LR_SEARCH_INDEX = " + json.dumps(index, ensure_ascii=False) + ";\n",
        encoding="utf-8")
    return out
