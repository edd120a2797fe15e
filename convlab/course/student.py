"""Student copies of the lessons, made by nbgrader's own preprocessors.

The committed lessons hold their solutions between nbgrader's marker lines::

    def correlate1d(p, w):
        \"\"\"Valid cross-correlation of 1-D arrays.\"\"\"
        ### BEGIN SOLUTION
        k = len(w)
        return np.array([p[i:i + k] @ w for i in range(len(p) - k + 1)])
        ### END SOLUTION

A student copy is what ``nbgrader generate_assignment`` would release, made
without a course directory: the cells are tagged for nbgrader
(:func:`convlab.course.cells.tag_notebook`), then nbgrader's
``ClearSolutions`` replaces each block by
``raise NotImplementedError("your solution goes here")`` at the marker's
indentation (``_Your answer here._`` in Markdown), ``ClearHiddenTests``
removes hidden test blocks and ``ClearOutput`` clears every output and
execution count. Before that, the blocks are linted: in a code cell the
block must be a function (or method) body, so that the ``def`` line and
docstring stay and the checker cell reports "not implemented yet" instead of
the stub failing its own cell. ``# NBVAL_...`` markers stay.
"""

import sys
from pathlib import Path

import nbformat

from .cells import BEGIN, END, has_solution, tag_notebook

STUB = 'raise NotImplementedError("your solution goes here")'
MARKDOWN_STUB = "_Your answer here._"


def check_solution_blocks(source, cell_type="code", where="cell"):
    """Raise ``ValueError`` unless every solution block in ``source`` is well formed.

    Markers are whole lines, blocks are closed and not nested, and a code
    block is indented (the body of a function or method).

    Examples
    --------
    >>> check_solution_blocks("### BEGIN SOLUTION\\nx = 1\\n### END SOLUTION", where="a.ipynb, cell 3")
    Traceback (most recent call last):
    ...
    ValueError: a.ipynb, cell 3: '### BEGIN SOLUTION' at line 1 is at the top level; a code solution must be the body of a function
    """
    inside = None
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
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


def _release(nb):
    """Run nbgrader's release preprocessors on a tagged notebook (in place)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    for preprocessor in (ClearSolutions(code_stub={"python": STUB}, text_stub=MARKDOWN_STUB),
                         ClearHiddenTests(), ClearOutput()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


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
    if BEGIN not in source:
        return source
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source, metadata={"nbgrader": {"solution": True, "grade": cell_type == "markdown",
                                               "locked": False, "grade_id": "cell",
                                               "schema_version": 3}})
    nb = _release(nbformat.v4.new_notebook(cells=[cell]))
    return nb.cells[0].source


def make_student_notebook(nb, name="notebook"):
    """A student copy of ``nb`` (a ``nbformat.NotebookNode``); ``nb`` itself is not modified.

    Raises ``ValueError`` naming the cell if a solution block is malformed.
    """
    for index, cell in enumerate(nb.cells):
        if has_solution(cell) or END in cell.source:
            check_solution_blocks(cell.source, cell.cell_type, f"{name}, cell {index}")
    student = _release(tag_notebook(nb))
    for cell in student.cells:
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
        The notebooks written, in name order.

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
    copies = []
    for path in sorted(lessons_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        copies.append((path.name, make_student_notebook(nb, str(path))))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in copies:
        target = out_dir / name
        nbformat.write(nb, target)
        written.append(target)
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
    except ImportError:
        print('error: student copies use nbgrader; install it with:  pip install "convlab[instructor]"',
              file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
