"""The self-learner edition of a lesson: no answers in it, and "Run All" runs to the end.

What ``python -m convlab lessons`` gives a learner working alone. From the
solution notebook (the nbgrader source, which nbval runs):

- every solution block becomes the student stub (:func:`convlab.course.student.release_cell`),
  and the solution and check cells lose their outputs (a check's verdict on the
  reference solution would tell the answer);
- every other cell keeps its outputs -- the figures, tables and printed values the
  explanation refers to -- but not its execution count;
- the first code cell also imports :func:`~convlab.exercises.hints.hint` and
  :func:`~convlab.exercises.hints.show_solution` and calls
  :func:`~convlab.exercises.hints.study_alone`, so that a check cell's
  ``.assert_passed()`` reports "not attempted yet" instead of stopping the run;
- a short note after the title says how to work with it;
- nbgrader's cell metadata goes (this copy is not graded), and the notebook's
  metadata says ``{"convlab": {"edition": "self-learner"}}``.

A graded release (``python -m convlab student``, ``nbgrader generate_assignment``)
has no ``study_alone()`` call, so there a wrong or missing answer fails its cell.
"""

import nbformat

from .cells import has_solution, tag_notebook
from .student import check_notebook, release_cell

EDITION = "self-learner"
SETUP_LINES = (
    "from convlab.exercises.hints import hint, show_solution, study_alone",
    "study_alone()  # checks report and the run goes on: \"Run All\" reaches the end",
)
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
    from convlab.exercises.hints import hint, show_solution, study_alone
    study_alone()  # checks report and the run goes on: "Run All" reaches the end
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
