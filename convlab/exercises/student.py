"""Student copies of the lessons: solutions out, stubs in, outputs cleared.

The committed lessons hold their solutions between two marker lines::

    def correlate1d(p, w):
        \"\"\"Valid cross-correlation of 1-D arrays.\"\"\"
        ### BEGIN SOLUTION
        k = len(w)
        return np.array([p[i:i + k] @ w for i in range(len(p) - k + 1)])
        ### END SOLUTION

In a code cell the block must be a function (or method) body: everything
from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` becomes one line,
``raise NotImplementedError(...)`` at the marker's indentation, so the
``def`` line and docstring above stay and the checker that ends the
exercise reports "not implemented yet". In a Markdown cell the block
becomes ``_Your answer here._``. Every code cell loses its outputs and
execution count; nothing else changes (``# NBVAL_...`` markers stay).
"""

from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = 'raise NotImplementedError("your solution goes here")'
MARKDOWN_STUB = "_Your answer here._"


def strip_solutions(source, cell_type="code", where="cell"):
    """Replace every solution block in one cell's ``source``.

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
    out, inside = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside is not None:
                raise ValueError(f"{where}: nested {BEGIN!r} at line {number} "
                                 f"(the block opened at line {inside} is not closed)")
            indent = line[:len(line) - len(line.lstrip())]
            if cell_type == "code" and not indent:
                raise ValueError(f"{where}: {BEGIN!r} at line {number} is at the top level; "
                                 "a code solution must be the body of a function")
            inside = number
            out.append(indent + (STUB if cell_type == "code" else MARKDOWN_STUB))
        elif marker == END:
            if inside is None:
                raise ValueError(f"{where}: {END!r} at line {number} without {BEGIN!r}")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise ValueError(f"{where}: {BEGIN!r} at line {inside} is never closed by {END!r}")
    return "\n".join(out)


def make_student_notebook(nb, name="notebook"):
    """A student copy of ``nb`` (a ``nbformat.NotebookNode``); ``nb`` itself is not modified."""
    student = nbformat.from_dict(nb)  # a deep copy
    for index, cell in enumerate(student.cells):
        if cell.cell_type in ("code", "markdown"):
            cell.source = strip_solutions(cell.source, cell.cell_type, f"{name}, cell {index}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
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
