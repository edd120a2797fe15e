"""The lessons shipped in the package, and copies of them that never overwrite a learner's work.

A wheel carries the lessons as the package data ``convlab/lessons``; in a
source checkout they are the repository's ``lessons/`` folder.
:func:`copy_files` writes files into a folder a learner works in, and keeps
a small manifest there (``.convlab-copies.json``: the hash of every file as
written) so that a second run can tell an untouched copy (updated to the new
version) from one the learner edited (kept, and reported).
"""

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

MANIFEST = ".convlab-copies.json"
LESSON_FILES = ("[0-9][0-9]*_*.ipynb", "*.md")
"""What a learner gets: the numbered lesson notebooks and the notes beside them."""
_LINK = re.compile(r"""\]\(\s*<?([^)\s>]+)>?[^)]*\)|\b(?:href|src)\s*=\s*["']([^"']+)["']""")


def lessons_dir():
    """The folder holding the lesson notebooks: the installed package data, else the checkout's.

    Examples
    --------
    >>> sorted(lessons_dir().glob("01_*.ipynb"))[0].name
    '01_cross_correlation.ipynb'
    """
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "lessons", package.parent / "lessons"):
        if any(candidate.glob(LESSON_FILES[0])):
            return candidate
    raise FileNotFoundError(f"no lessons found in {package / 'lessons'} or {package.parent / 'lessons'}; "
                            "reinstall convlab (pip install convlab) to restore them")


def lesson_files(directory=None):
    """The lesson files (notebooks and notes) in ``directory`` (default :func:`lessons_dir`), by name."""
    directory = lessons_dir() if directory is None else Path(directory)
    return sorted({p for pattern in LESSON_FILES for p in directory.glob(pattern)}, key=lambda p: p.name)


def relative_links(nb):
    """The relative link targets in the Markdown cells of ``nb``, in order, without ``#fragments``.

    Web addresses (any ``scheme:``), in-page anchors and attachments are left out.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_markdown_cell("See [the notation](NOTATION.md#shapes), "
    ...                                      "[PyTorch](https://pytorch.org) and [below](#end).")
    >>> relative_links(nbformat.v4.new_notebook(cells=[cell]))
    ['NOTATION.md']
    """
    links = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in _LINK.finditer(cell.source):
            target = urlsplit(match.group(1) or match.group(2))
            if target.scheme or target.netloc or not target.path:
                continue
            links.append(unquote(target.path))
    return links


def linked_files(notebooks):
    """The files the notebooks link to by relative path, each once: ``{relative path: file}``.

    A copy of the notebooks must carry these, at the same relative path, for no
    link to break: :func:`copy_lessons` and ``python -m convlab student`` copy
    them, and an nbgrader course puts them beside each assignment's notebook.

    Parameters
    ----------
    notebooks : iterable of str or Path
        Notebook files; links are resolved against each one's folder.

    Returns
    -------
    dict of str to Path
        POSIX relative path -> the file it names, in path order.

    Raises
    ------
    ValueError
        If a link names no file, or leaves the notebook's folder (such a file
        would not be in a copy of the folder).

    Examples
    --------
    >>> linked_files([lessons_dir() / "01_cross_correlation.ipynb"])["NOTATION.md"].name
    'NOTATION.md'
    """
    import nbformat

    found = {}
    for notebook in map(Path, notebooks):
        folder = notebook.resolve().parent
        for link in relative_links(nbformat.read(notebook, as_version=4)):
            target = (folder / link).resolve()
            if not target.is_relative_to(folder):
                raise ValueError(f"{notebook.name} links {link!r}, outside its folder {folder}: "
                                 "a copied lesson could not carry it; move the file beside the "
                                 "lessons or link its web address")
            if not target.is_file():
                raise ValueError(f"{notebook.name} links {link!r}, which is not a file in {folder}")
            found[target.relative_to(folder).as_posix()] = target
    return dict(sorted(found.items()))


@dataclass
class CopyReport:
    """What :func:`copy_files` did, file name by file name."""

    dest: Path
    written: list = field(default_factory=list)    # new in dest
    updated: list = field(default_factory=list)    # an untouched older copy, replaced
    unchanged: list = field(default_factory=list)  # already identical
    kept: list = field(default_factory=list)       # edited by the learner: left alone
    blocked: list = field(default_factory=list)    # a folder (or other non-file) stands there

    def summary(self):
        """A few lines for the terminal: counts, the kept files, and how to open the folder."""
        lines = [f"{self.dest}: {len(self.written)} written, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} already up to date, {len(self.kept)} kept."]
        if self.kept:
            lines.append("Kept your edited copies (delete one and run this again to get the "
                         "packaged version): " + ", ".join(self.kept))
        if self.blocked:
            lines.append("Skipped, because something that is not a file stands where it would go "
                         "(move it and run this again): " + ", ".join(self.blocked))
        lines.append(f"Open them with:  jupyter lab {self.dest}")
        return "\n".join(lines)


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def copy_files(files, dest):
    """Write ``files`` into ``dest`` without overwriting a file the learner changed.

    Parameters
    ----------
    files : dict of str to bytes
        File name -> content.
    dest : str or Path
        Created if missing. A file already there is replaced only if it is
        byte for byte what an earlier run wrote (the manifest says so).

    Returns
    -------
    CopyReport

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = copy_files({"a.txt": b"v1"}, tmp)
    ...     _ = (Path(tmp) / "a.txt").write_bytes(b"my notes")
    ...     again = copy_files({"a.txt": b"v2"}, tmp)
    ...     (first.written, again.kept, (Path(tmp) / "a.txt").read_bytes())
    (['a.txt'], ['a.txt'], b'my notes')
    """
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, bytes) for k, v in files.items()):
        raise TypeError("files must be a dict of file name (str) to content (bytes); "
                        f"got {type(files).__name__}")
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"dest must be a folder; got the file {str(dest)!r}")
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    report = CopyReport(dest)
    for name, data in files.items():
        target, digest = dest / name, _digest(data)
        if target.exists() and not target.is_file():
            report.blocked.append(name)
            continue
        if not target.exists():
            target.write_bytes(data)
            report.written.append(name)
        else:
            current = _digest(target.read_bytes())
            if current == digest:
                report.unchanged.append(name)
            elif manifest.get(name) == current:
                target.write_bytes(data)
                report.updated.append(name)
            else:
                report.kept.append(name)
                continue
        manifest[name] = digest
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def _lesson_copies(make_notebook):
    """``{file name: bytes}``: every packaged lesson through ``make_notebook(path) -> bytes``,
    and the notes and files they link to as they are."""
    files = {}
    notebooks = [p for p in lesson_files() if p.suffix == ".ipynb"]
    for path in lesson_files():
        files[path.name] = make_notebook(path) if path.suffix == ".ipynb" else path.read_bytes()
    for name, path in linked_files(notebooks).items():
        files.setdefault(name, path.read_bytes())
    return files


def copy_lessons(dest="convlab-lessons", solutions=False):
    """Copy the packaged lessons into ``dest``: the self-learner edition, or with ``solutions``
    the solution notebooks; see :func:`copy_files` and :mod:`convlab.course.edition`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = copy_lessons(Path(tmp) / "lessons")
    ...     again = copy_lessons(Path(tmp) / "lessons")
    ...     "01_cross_correlation.ipynb" in report.written, again.kept, again.updated
    (True, [], [])
    """
    if solutions:
        return copy_files(_lesson_copies(Path.read_bytes), dest)
    from .edition import edition_bytes

    return copy_files(_lesson_copies(edition_bytes), dest)


def copy_student_lessons(dest="convlab-student"):
    """Write student copies (a graded release's notebooks) of the packaged lessons into ``dest``."""
    import nbformat

    from .student import make_student_notebook

    def student(path):
        return nbformat.writes(make_student_notebook(nbformat.read(path, as_version=4), path.name)).encode() + b"\n"

    return copy_files(_lesson_copies(student), dest)


def add_arguments(parser):
    """``python -m convlab lessons [DEST] [--solutions]``."""
    parser.add_argument("dest", nargs="?", default="convlab-lessons",
                        help="folder to copy into (default: ./convlab-lessons)")
    parser.add_argument("--solutions", action="store_true",
                        help="copy the solution notebooks (for instructors) instead of the "
                             "self-learner edition (no answers, hints on request)")


def run(args):
    """Copy the packaged lessons; return the exit status (2, with one line, if ``dest`` cannot take them)."""
    try:
        print(copy_lessons(args.dest, solutions=args.solutions).summary())
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
