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
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".convlab-copies.json"
LESSON_FILES = ("[0-9][0-9]*_*.ipynb", "*.md")
"""What a learner gets: the numbered lesson notebooks and the notes beside them."""


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


@dataclass
class CopyReport:
    """What :func:`copy_files` did, file name by file name."""

    dest: Path
    written: list = field(default_factory=list)    # new in dest
    updated: list = field(default_factory=list)    # an untouched older copy, replaced
    unchanged: list = field(default_factory=list)  # already identical
    kept: list = field(default_factory=list)       # edited by the learner: left alone

    def summary(self):
        """A few lines for the terminal: counts, the kept files, and how to open the folder."""
        lines = [f"{self.dest}: {len(self.written)} written, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} already up to date, {len(self.kept)} kept."]
        if self.kept:
            lines.append("Kept your edited copies (delete one and run this again to get the "
                         "packaged version): " + ", ".join(self.kept))
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


def copy_lessons(dest="convlab-lessons"):
    """Copy the packaged lessons into ``dest``; see :func:`copy_files`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = copy_lessons(Path(tmp) / "lessons")
    ...     "01_cross_correlation.ipynb" in report.written, copy_lessons(Path(tmp) / "lessons").kept
    (True, [])
    """
    return copy_files({p.name: p.read_bytes() for p in lesson_files()}, dest)


def copy_student_lessons(dest="convlab-student"):
    """Write student copies of the packaged lessons into ``dest``; see :func:`copy_files`."""
    import nbformat

    from .student import make_student_notebook

    files = {}
    for path in lesson_files():
        if path.suffix == ".ipynb":
            student = make_student_notebook(nbformat.read(path, as_version=4), str(path.name))
            files[path.name] = nbformat.writes(student).encode() + b"\n"
        else:
            files[path.name] = path.read_bytes()
    return copy_files(files, dest)


def add_arguments(parser):
    """``python -m convlab lessons [DEST]``."""
    parser.add_argument("dest", nargs="?", default="convlab-lessons",
                        help="folder to copy into (default: ./convlab-lessons)")


def run(args):
    """Copy the packaged lessons; return the exit status."""
    print(copy_lessons(args.dest).summary())
    return 0
