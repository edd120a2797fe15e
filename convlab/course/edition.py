"""The self-learner edition of a lesson: no answers in it, and "Run All" runs to the end.

What ``python -m convlab lessons`` gives a learner working alone. From the
solution notebook (the nbgrader source, which nbval runs):

- every solution block becomes the student stub (:func:`convlab.course.student.release_cell`),
  and the solution and check cells lose their outputs (a check's verdict on the
  reference solution would tell the answer);
- every other cell keeps its outputs -- the figures, tables and printed values the
  explanation refers to -- but not its execution count;
- each check cell's ``check_x(f).assert_passed()`` becomes
  ``self_check(check_x(f))``: the same verdict, then "not attempted yet" (or
  "not right yet") and where to get help, and the run goes on
  (:func:`~convlab.exercises.hints.self_check` never raises);
- the first code cell also imports ``hint``, ``show_solution`` and ``self_check``
  from :mod:`convlab.exercises.hints`;
- a short note after the title says how to work with it;
- nbgrader's cell metadata goes (this copy is not graded), and the notebook's
  metadata says ``{"convlab": {"edition": "self-learner"}}``.

A graded release (``python -m convlab student``, ``nbgrader generate_assignment``)
keeps ``.assert_passed()``, so there a wrong or missing answer fails its cell. The
two differ in the check cells' code, not in a switch a student could flip: nbgrader
locks those cells and restores them before grading.
"""

import ast

import nbformat

from .cells import has_solution, tag_notebook
from .student import check_notebook, release_cell

EDITION = "self-learner"
SETUP_LINES = ("from convlab.exercises.hints import hint, self_check, show_solution",)
NOTE = """\
> **Working through this lesson alone?** This copy has no answers in it: each exercise and
> question waits for yours where it says `raise NotImplementedError`, and the check below it
> tells you how you did. "Run All" runs to the end, past anything you have not tried yet.
> Stuck? `hint("{name}")` gives a hint (call it again for the next one), and after a first
> try `show_solution("{name}")` shows the reference solution (each check names its task)."""


def _first_exercise(nb):
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if has_solution(cell) and grade_id:
            return grade_id
    return None


def self_check_source(source):
    """``source`` with every top-level statement ``X.assert_passed()`` rewritten as ``self_check(X)``.

    A cell that does not parse as Python is returned unchanged.

    Examples
    --------
    >>> self_check_source('ask("impulse_flip", answer).assert_passed()\\nprint(1)')
    'self_check(ask("impulse_flip", answer))\\nprint(1)'
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = [line.encode() for line in source.split("\n")]  # ast offsets count UTF-8 bytes
    for statement in reversed(tree.body):  # from the end, so that earlier offsets stay valid
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and not call.args and not call.keywords
                and isinstance(call.func, ast.Attribute) and call.func.attr == "assert_passed"):
            continue
        inner = call.func.value
        first, last = statement.lineno - 1, statement.end_lineno - 1
        checked = b"\n".join(lines[inner.lineno - 1:inner.end_lineno])
        checked = checked[inner.col_offset:len(checked) - len(lines[inner.end_lineno - 1]) + inner.end_col_offset]
        head = lines[first][:statement.col_offset]
        tail = lines[last][statement.end_col_offset:]
        lines[first:last + 1] = (head + b"self_check(" + checked + b")" + tail).split(b"\n")
    return "\n".join(line.decode() for line in lines)


def make_self_learner_notebook(nb, name="notebook"):
    """The self-learner edition of the lesson ``nb`` (an ``nbformat.NotebookNode``, not modified).

    Raises ``ValueError`` naming the cell if a solution block is malformed.

    Examples
    --------
    >>> cells = [nbformat.v4.new_code_cell("import numpy as np"),
    ...          nbformat.v4.new_markdown_cell("# A lesson"),
    ...          nbformat.v4.new_code_cell("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n"
    ...                                    "    ### END SOLUTION")]
    >>> edition = make_self_learner_notebook(nbformat.v4.new_notebook(cells=cells))
    >>> print(edition.cells[0].source)
    import numpy as np
    from convlab.exercises.hints import hint, self_check, show_solution
    >>> print(edition.cells[3].source)
    def f(x):
        raise NotImplementedError("your solution goes here")
    """
    check_notebook(nb, name)
    edition = tag_notebook(nb)
    first = _first_exercise(edition)
    for cell in edition.cells:
        meta = cell.metadata.pop("nbgrader", {})
        release_cell(cell, clear_outputs=has_solution(cell) or bool(meta.get("grade")))
        if cell.cell_type == "code" and meta.get("grade"):
            cell.source = self_check_source(cell.source)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.execution_count = None
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = None
    edition.metadata.pop("celltoolbar", None)
    edition.metadata["convlab"] = {"edition": EDITION}
    code = next((c for c in edition.cells if c.cell_type == "code"), None)
    if code is None:
        return edition
    code.source = "\n".join([code.source.rstrip("\n"), *SETUP_LINES])
    if first is not None:
        title = next((i for i, c in enumerate(edition.cells) if c.cell_type == "markdown"), 0)
        note = nbformat.v4.new_markdown_cell(NOTE.format(name=first))
        if "id" in edition.cells[0]:
            note.id = "self-learner-note"  # fixed, so that the same lesson gives the same bytes
        else:
            note.pop("id", None)
        edition.cells.insert(title + 1, note)
    return edition


def edition_bytes(path):
    """The self-learner edition of the lesson at ``path``, as the bytes of a notebook file."""
    edition = make_self_learner_notebook(nbformat.read(path, as_version=4), str(path))
    return nbformat.writes(edition).encode() + b"\n"
