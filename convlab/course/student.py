"""Student copies of the lessons: what ``nbgrader generate_assignment`` releases, without nbgrader.

The committed lessons hold their solutions between nbgrader's marker lines::

    def correlate1d(p, w):
        \"\"\"Valid cross-correlation of 1-D arrays.\"\"\"
        ### BEGIN SOLUTION
        k = len(w)
        return np.array([p[i:i + k] @ w for i in range(len(p) - k + 1)])
        ### END SOLUTION

A student copy is what ``nbgrader generate_assignment`` would release, made
without a course directory and without nbgrader installed: the cells are
tagged for nbgrader (:func:`convlab.course.cells.tag_notebook`), each block
is replaced by ``raise NotImplementedError("your solution goes here")`` at
the marker's indentation (``_Your answer here._`` in Markdown), hidden test
blocks (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) are removed,
and every code cell loses its outputs and execution count -- the same bytes
as nbgrader's ``ClearSolutions``, ``ClearHiddenTests`` and ``ClearOutput``
(``tests/test_student_copies.py`` compares the two when nbgrader is
installed). Before that, the blocks are linted: markers are whole lines, and
in a code cell the block must be a function (or method) body, so that the
``def`` line and docstring stay and the checker cell reports "not implemented
yet" instead of the stub failing its own cell. ``# NBVAL_...`` markers stay.
"""

import sys
from pathlib import Path

import nbformat

from .cells import BEGIN, END, tag_notebook

STUB = 'raise NotImplementedError("your solution goes here")'
MARKDOWN_STUB = "_Your answer here._"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
_OUTPUT_METADATA = ("collapsed", "scrolled")  # cell metadata that describes outputs


def check_solution_blocks(source, cell_type="code", where="cell"):
    """Raise ``ValueError`` unless every solution block in ``source`` is well formed.

    Markers are whole lines, blocks are closed and not nested, and a code
    block is indented (the body of a function or method).

    Examples
    --------
    >>> check_solution_blocks("### BEGIN SOLUTION\\nx = 1\\n### END SOLUTION",
    ...                       where="a.ipynb, cell 3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a.ipynb, cell 3: '### BEGIN SOLUTION' at line 1 is at the top level; a code solution must be ...
    """
    inside = None
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker not in (BEGIN, END) and ("BEGIN SOLUTION" in line or "END SOLUTION" in line):
            raise ValueError(f"{where}: line {number} mentions a solution marker without being one "
                             f"(a marker is a line of its own: {BEGIN!r} or {END!r})")
        if marker == BEGIN:
            if inside is not None:
                raise ValueError(f"{where}: nested {BEGIN!r} at line {number} "
                                 f"(the block opened at line {inside} is not closed)")
            if cell_type == "code" and line == line.lstrip():
                raise ValueError(f"{where}: {BEGIN!r} at line {number} is at the top level; "
                                 "a code solution must be the body of a function")
            inside = number
        elif marker == END:
            if inside is None:
                raise ValueError(f"{where}: {END!r} at line {number} without {BEGIN!r}")
            inside = None
    if inside is not None:
        raise ValueError(f"{where}: {BEGIN!r} at line {inside} is never closed by {END!r}")


def _replace_blocks(source, begin, end, stub):
    """``source`` with every ``begin`` ... ``end`` block (marker lines included) replaced by
    ``stub`` at the indentation of its ``begin`` line, or removed if ``stub`` is None."""
    lines, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == begin:
            inside = True
            if stub is not None:
                indent = line[:len(line) - len(line.lstrip())]
                lines += [indent + stub_line for stub_line in stub.split("\n")]
        elif marker == end:
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{begin!r} is never closed by {end!r}")
    return "\n".join(lines)


def release_cell(cell, clear_outputs=True):
    """Make one cell of a tagged notebook what a student sees (in place): solution blocks become
    stubs, hidden tests go, and (by default) a code cell loses its outputs and execution count."""
    if cell.cell_type in ("code", "markdown"):
        stub = STUB if cell.cell_type == "code" else MARKDOWN_STUB
        cell.source = _replace_blocks(cell.source, BEGIN, END, stub)
    cell.source = _replace_blocks(cell.source, HIDDEN_BEGIN, HIDDEN_END, None)
    if cell.cell_type == "code" and clear_outputs:
        cell.outputs = []
        cell.execution_count = None
        for key in _OUTPUT_METADATA:
            cell.metadata.pop(key, None)
    return cell


def strip_solutions(source, cell_type="code", where="cell"):
    """Replace every solution block in one cell's ``source`` by the stub.

    Parameters
    ----------
    source : str
    cell_type : {"code", "markdown"}
    where : str
        Names the cell in error messages, e.g. ``"lessons/01.ipynb, cell 12"``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        On an unmatched or nested marker, or a code solution block at the
        top level of a cell (it must be a function body).

    Examples
    --------
    >>> print(strip_solutions("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION"))
    def f(x):
        raise NotImplementedError("your solution goes here")
    """
    if cell_type not in ("code", "markdown"):
        raise ValueError(f"cell_type must be 'code' or 'markdown'; got {cell_type!r}")
    check_solution_blocks(source, cell_type, where)
    stub = STUB if cell_type == "code" else MARKDOWN_STUB
    return _replace_blocks(source, BEGIN, END, stub)


def check_notebook(nb, name="notebook"):
    """Raise ``ValueError`` naming the cell if a solution or hidden-test block of ``nb`` is malformed."""
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type in ("code", "markdown"):
            check_solution_blocks(cell.source, cell.cell_type, where)
        try:
            _replace_blocks(cell.source, HIDDEN_BEGIN, HIDDEN_END, None)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


def make_student_notebook(nb, name="notebook"):
    """A student copy of ``nb`` (a ``nbformat.NotebookNode``); ``nb`` itself is not modified.

    Raises ``ValueError`` naming the cell if a solution block is malformed.
    """
    check_notebook(nb, name)
    student = tag_notebook(nb)
    student.metadata.pop("celltoolbar", None)
    for cell in student.cells:
        release_cell(cell)
        cell.metadata.pop("execution", None)
    return student


def make_student_copies(lessons_dir, out_dir):
    """Write a student copy of every ``*.ipynb`` in ``lessons_dir`` to ``out_dir``.

    Parameters
    ----------
    lessons_dir, out_dir : str or Path
        ``out_dir`` is created if needed and must differ from ``lessons_dir``.

    Returns
    -------
    list of Path
        The notebooks written, in name order. The files they link to
        (:func:`convlab.course.copies.linked_files`) are copied beside them.

    Raises
    ------
    ValueError
        If ``lessons_dir`` is not a directory, ``out_dir`` is the same
        directory, or a notebook has a malformed solution block (nothing is
        written in that case).
    """
    lessons_dir, out_dir = Path(lessons_dir), Path(out_dir)
    if not lessons_dir.is_dir():
        raise ValueError(f"lessons_dir must be a directory of notebooks; got {str(lessons_dir)!r}")
    if out_dir.exists() and out_dir.resolve() == lessons_dir.resolve():
        raise ValueError(f"out_dir must differ from lessons_dir (it would overwrite the "
                         f"solutions); got {str(out_dir)!r} for both")
    from .copies import linked_files

    paths = sorted(lessons_dir.glob("*.ipynb"))
    copies = [(path.name, make_student_notebook(nbformat.read(path, as_version=4), str(path)))
              for path in paths]
    linked = linked_files(paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in copies:
        target = out_dir / name
        nbformat.write(nb, target)
        written.append(target)
    for name, source in linked.items():  # the notes the notebooks link to, so no link breaks
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    return written


def add_arguments(parser):
    """``python -m convlab student [DEST] [--from LESSONS]``."""
    parser.add_argument("dest", nargs="?", default="convlab-student",
                        help="folder to write into (default: ./convlab-student)")
    parser.add_argument("--from", dest="source", default=None, metavar="LESSONS",
                        help="a folder of lesson notebooks to copy (default: the packaged lessons); "
                             "it must differ from DEST")


def run(args):
    """Write the student copies; return the exit status (2 with a one-line message on bad input)."""
    from .copies import copy_student_lessons

    try:
        if args.source is None:
            print(copy_student_lessons(args.dest).summary())
        else:
            written = make_student_copies(args.source, args.dest)
            print(f"wrote {len(written)} student notebooks to {args.dest}")
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
