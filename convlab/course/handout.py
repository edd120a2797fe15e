"""An accessible handout: lessons exported to self-contained HTML that meets WCAG 2.1 AA.

``python -m convlab handout [LESSON…] DEST`` writes one HTML page per lesson
and an ``index.html``, ready to post on a course site or print.  Compared
with ``jupyter nbconvert --to html``:

- every figure is an ``<img>`` whose ``alt`` is the figure's own
  description (the ``image/png`` output's ``alt`` metadata that
  :mod:`convlab.viz` figures carry); a figure without one is counted and
  reported, never given a placeholder;
- an explorer (a widget output, which needs a running kernel) is replaced
  by a note pointing to the static figure the lesson shows after it, and an
  animation by its first frame with the animation's description;
- no ``In [ ]:`` / ``Out[ ]:`` prompts, code highlighted with a style whose
  every colour has at least 4.5:1 contrast against the code's background,
  underlined links, and ``lang="en"``;
- nothing is loaded from the network: scripts that would fetch from a
  remote address (MathJax, require.js, mermaid) are dropped, so formulas
  read as their TeX source.
"""
import html
import re
from pathlib import Path

import nbformat

__all__ = ["prepare_notebook", "export_lesson", "export_handout", "add_arguments", "run"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: Pygments style of the code cells: every token colour >= 4.5:1 on white (WCAG AA).
CODE_STYLE = "xcode"
_FIRST_FRAME = re.compile(r'frames\[0\] = "(data:image/png;base64,[^"]+)"')
_ANIMATION_ALT = re.compile(r'<img alt="([^"]*)" id="_anim_img')
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)

# Overrides after JupyterLab's stylesheet: contrast, underlined links, readable widths, print.
_CSS = """
body { color: #1a1a1a; background: #fff; }
.jp-Notebook { max-width: 60rem; margin: 0 auto; }
a:link, a:visited, .jp-RenderedHTMLCommon a:link, .jp-RenderedHTMLCommon a:visited {
  color: #0b57a4; text-decoration: underline; }
.jp-InputArea-editor, .jp-CodeMirrorEditor, .highlight, .highlight pre { background: #fff !important; }
.jp-InputArea-editor { border: 1px solid #767676; }
.jp-OutputArea-output pre, .jp-RenderedText pre { color: #1a1a1a; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] { background: #fff4f4; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre { color: #5c0000; }
.jp-RenderedHTMLCommon img { max-width: 100%; height: auto; }
.convlab-widget-note { border-left: 4px solid #0072B2; padding: 0.4em 0.8em; color: #1a1a1a; }
.anchor-link { display: none; }
@media print { .jp-Cell { break-inside: avoid; } }
"""


def _note(text):
    return nbformat.v4.new_output("display_data", data={
        "text/html": f'<p class="convlab-widget-note">{html.escape(text)}</p>', "text/plain": text})


def _image(data, alt, mime="image/png"):
    src = data if data.startswith("data:") else f"data:{mime};base64,{data.strip()}"
    return nbformat.v4.new_output("display_data", data={
        "text/html": f'<img src="{src}" alt="{html.escape(alt, quote=True)}">', "text/plain": alt})


def _prepared_output(out, missing):
    data = out.get("data", {})
    if WIDGET_MIME in data:
        return _note("An interactive explorer stands here in the notebook (it needs a running "
                     "kernel); the figure after it shows the same picture at fixed settings.")
    page = data.get("text/html", "")
    page = "".join(page) if isinstance(page, list) else page
    frame = _FIRST_FRAME.search(page)
    if frame:
        alt = _ANIMATION_ALT.search(page)
        if not alt:
            missing.append("animation")
        text = html.unescape(alt.group(1)) if alt else "An animation without a description."
        return _image(frame.group(1), f"{text} (The handout shows the first frame.)")
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            alt = out.get("metadata", {}).get(mime, {}).get("alt") or out.get("metadata", {}).get("alt")
            if not alt:
                missing.append(mime)
                alt = "A figure without a description."
            return _image(data[mime], alt, mime)
    return out


def prepare_notebook(nb):
    """A copy of ``nb`` ready for the handout, and the outputs that lacked a description.

    Widget outputs become a note, animations their first frame, images an
    ``<img>`` with their ``alt``.  The notebook given is not modified.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("fig")
    >>> cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBO"},
    ...                                        metadata={"image/png": {"alt": "A 3×3 grid."}})]
    >>> nb.cells = [cell]
    >>> ready, missing = prepare_notebook(nb)
    >>> ready.cells[0].outputs[0].data["text/html"], missing
    ('<img src="data:image/png;base64,iVBO" alt="A 3×3 grid.">', [])
    >>> "text/html" in nb.cells[0].outputs[0].data
    False
    """
    nb = _copy(nb)
    missing = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [_prepared_output(out, missing) for out in cell.outputs]
    nb.metadata.pop("widgets", None)  # the widget state would pull the widget manager from a CDN
    return nb, missing


def _copy(nb):
    import copy

    return copy.deepcopy(nb)


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.theme = "light"
    config.CSSHTMLHeaderPreprocessor.style = CODE_STYLE
    return HTMLExporter(config=config, template_name="lab")


def _finish(page, title):
    """Local-only, labelled, with the overrides last (so they win)."""
    from pygments.formatters import HtmlFormatter

    page = _SCRIPT.sub(lambda m: "" if re.search(r"(?:https?:)?//[\w.-]+\.\w+/", m.group(0)) else m.group(0),
                       page)
    page = re.sub(r'<html lang="[^"]*">', '<html lang="en">', page, count=1)
    code = HtmlFormatter(style=CODE_STYLE).get_style_defs(".jp-Notebook .highlight")
    page = page.replace("</head>", f"<style>{code}\n{_CSS}</style>\n</head>", 1)
    return re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page, count=1,
                  flags=re.S)


def _title(nb, path):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return Path(path).stem


def export_lesson(path, dest):
    """Write ``dest/<lesson>.html``; return ``(html path, title, outputs lacking a description)``."""
    path, dest = Path(path), Path(dest)
    if not path.is_file():
        raise ValueError(f"lesson must be an existing .ipynb file; got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    ready, missing = prepare_notebook(nb)
    page, _ = _exporter().from_notebook_node(ready, resources={"metadata": {"name": path.stem}})
    title = _title(nb, path)
    target = dest / f"{path.stem}.html"
    target.write_text(_finish(page, title), encoding="utf-8")
    return target, title, missing


def export_handout(lessons=None, dest="convlab-handout"):
    """Export ``lessons`` (default: every packaged lesson) to ``dest``, with an ``index.html``.

    The notes beside the lessons (``*.md``, e.g. the notation the lessons link to) are copied too.

    Returns ``{html path: number of figures without a description}``.
    """
    from .copies import lessons_dir

    lessons = sorted(lessons_dir().glob("[0-9][0-9]*_*.ipynb")) if not lessons else [Path(p) for p in lessons]
    for path in lessons:
        if Path(path).suffix != ".ipynb":
            raise ValueError(f"lessons must be .ipynb files; got {str(path)!r}")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    report, items = {}, []
    for path in lessons:
        target, title, missing = export_lesson(path, dest)
        report[target] = len(missing)
        items.append(f'<li><a href="{html.escape(target.name)}">{html.escape(title)}</a></li>')
    for note in {md for path in lessons for md in Path(path).parent.glob("*.md")}:
        (dest / note.name).write_text(note.read_text(encoding="utf-8"), encoding="utf-8")  # linked notes
    (dest / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>convlab lessons</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem}a{color:#0b57a4;text-decoration:underline}</style></head>"
        f"<body><main><h1>convlab lessons</h1><ol>{''.join(items)}</ol></main></body></html>\n",
        encoding="utf-8")
    return report


def add_arguments(parser):
    """``handout [LESSON…] DEST``."""
    parser.add_argument("paths", nargs="+", metavar="[LESSON…] DEST",
                        help="lesson notebooks (default: every packaged lesson), then the folder "
                             "to write the HTML pages into")


def run(args):
    *lessons, dest = args.paths
    report = export_handout(lessons or None, dest)
    lacking = {path.name: n for path, n in report.items() if n}
    print(f"{dest}: {len(report)} lesson pages and index.html written.")
    if lacking:
        print("Figures without a description (re-execute these lessons with this convlab): "
              + ", ".join(f"{name} ({n})" for name, n in lacking.items()))
        return 1
    return 0
