"""nbgrader cell metadata for the lessons: which cells are solutions, which are tests.

A lesson marks its answers with nbgrader's own solution markers, and every
graded exercise ends in a cell that calls a convlab checker::

    def correlate1d(p, w):                       # solution cell
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    check_correlate1d(correlate1d).assert_passed()   # autograded test cell

:func:`tag_notebook` writes the cell metadata nbgrader reads (schema 3):
a *solution cell* for every cell holding a solution block, and an
*autograded test cell* (locked, with points) for every cell with a top-level
call of a checker (a ``check_*`` of ``convlab.exercises``, or a question's
``ask`` / ``expect_value`` / ``expect_shape``, or any of these the notebook imports
from ``convlab.exercises``) on something a solution cell defined. Such a call
``check_x(f)`` becomes ``check_x(f).assert_passed()``, so the cell fails with
the checker's verdict when the answer is wrong; lines after it (an
instructor's ``### BEGIN HIDDEN TESTS`` block) stay. Checker calls on anything
else (a lesson demonstrating a wrong implementation) are left alone.

Tagging is idempotent: grade ids come from the names the cells define and
check, points an instructor has set are kept, and tagging a tagged notebook
changes nothing.
"""

import ast
import functools
import json
import re
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SCHEMA_VERSION = 3
DEFAULT_POINTS = 1
QUESTION_CALLS = ("ask", "expect_value", "expect_shape")


@functools.lru_cache(maxsize=None)
def grading_calls():
    """Names of the calls that grade an answer: ``convlab.exercises``' checkers and questions.

    Examples
    --------
    >>> "check_correlate1d" in grading_calls(), "check_gradients" in grading_calls()
    (True, False)
    """
    from .. import exercises

    return frozenset(n for n in exercises.__all__ if n.startswith("check_")) | frozenset(QUESTION_CALLS)


def read_notebook(path):
    """Read the version-4 notebook at ``path``; a ``ValueError`` in one line naming it otherwise.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bad = Path(tmp) / "bad.ipynb"
    ...     _ = bad.write_text("{}")
    ...     read_notebook(bad)
    Traceback (most recent call last):
    ...
    ValueError: .../bad.ipynb is not a version-4 Jupyter notebook (nbformat None)
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a readable notebook ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if version != 4 or not isinstance(raw.get("cells"), list):
        raise ValueError(f"{path} is not a version-4 Jupyter notebook (nbformat {version!r}); "
                         "open and save it in JupyterLab to convert it" if version in (1, 2, 3) else
                         f"{path} is not a version-4 Jupyter notebook (nbformat {version!r})")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat's ValidationError and reader errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path} is not a valid notebook: {first}") from None
    return nb


def has_solution(cell):
    """True if ``cell`` holds a solution block (a line that is exactly ``### BEGIN SOLUTION``)."""
    return cell.cell_type in ("code", "markdown") and any(
        line.strip() == BEGIN for line in cell.source.splitlines())


def _python(source):
    """A cell's source as plain Python: IPython's ``%magic`` and ``!shell`` lines become calls
    (each stays on its own line, so line numbers still match the cell's)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    lines = source.split("\n")
    blank = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    # IPython drops leading blank lines; put them back so that line numbers match.
    return "\n" * blank + TransformerManager().transform_cell("\n".join(lines[blank:]))


def _parse(source):
    try:
        return ast.parse(_python(source))
    except SyntaxError:
        return None


def _defined_names(source):
    """Top-level names a cell defines (functions, classes, assignments)."""
    tree = _parse(source)
    names = []
    for node in tree.body if tree else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _callee(call):
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _grading_calls(source, names):
    """``[(call node, asserted)]`` for each top-level statement of a cell calling one of ``names``."""
    tree = _parse(source)
    found = []
    for statement in tree.body if tree else ():
        call = statement.value if isinstance(statement, ast.Expr) else None
        asserted = False
        if (isinstance(call, ast.Call) and not call.args and _callee(call) == "assert_passed"
                and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call)):
            call, asserted = call.func.value, True
        if isinstance(call, ast.Call) and _callee(call) in names:
            found.append((call, asserted))
    return found


def _imported_graders(nb):
    """Checkers and questions a notebook imports from ``convlab.exercises`` (or its modules)."""
    names = set()
    for cell in nb.cells:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("convlab.exercises"):
                names |= {a.asname or a.name for a in node.names
                          if a.name.startswith("check_") or a.name in QUESTION_CALLS}
    return names


def _checked_names(call, solution_names):
    """The names a grading call is given that a solution cell defined, in order."""
    args = list(call.args) + [k.value for k in call.keywords]
    return [a.id for a in args if isinstance(a, ast.Name) and a.id in solution_names]


def _question_name(call):
    """A question's name: the first string given to the call, else None."""
    return next((a.value for a in call.args
                 if isinstance(a, ast.Constant) and isinstance(a.value, str)), None)


def _append_assert(source, call):
    """``source`` with ``.assert_passed()`` right after the trailing ``call``."""
    lines = source.split("\n")
    row, col = call.end_lineno - 1, call.end_col_offset
    if _python(source).split("\n")[row] != lines[row]:  # a magic on that line: leave the cell
        return source
    line = lines[row].encode()  # ast offsets count UTF-8 bytes
    lines[row] = (line[:col] + b".assert_passed()" + line[col:]).decode()
    return "\n".join(lines)


def _answer_name(cell, index):
    """The grade id of a written answer: its opening bold phrase (``**Your derivation.**`` gives
    ``your_derivation``), so a learner can ask for its hints by a name that means something."""
    match = re.match(r"\s*\*\*([^*]{1,60}?)[.:]?\*\*", cell.source)
    return re.sub(r"\W+", "_", match.group(1).strip().lower()).strip("_") if match else f"answer_{index}"


def _safe_id(text):
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _unique(wanted, taken):
    grade_id, n = wanted, 2
    while grade_id in taken:
        grade_id, n = f"{wanted}_{n}", n + 1
    taken.add(grade_id)
    return grade_id


def _metadata(grade_id, *, grade, solution, locked, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _points(cell):
    old = cell.metadata.get("nbgrader", {})
    return old.get("points", DEFAULT_POINTS) if old.get("grade") else DEFAULT_POINTS


def tag_notebook(nb):
    """A copy of ``nb`` whose solution and test cells carry nbgrader metadata.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A lesson (version 4); it is not modified.

    Returns
    -------
    nbformat.NotebookNode
        The tagged copy. Cells that are neither solutions nor tests lose any
        stale ``nbgrader`` metadata.

    Examples
    --------
    >>> cells = [nbformat.v4.new_code_cell("def bias_grad(g):\\n    ### BEGIN SOLUTION\\n"
    ...                                    "    return g.sum(axis=(0, 2, 3))\\n    ### END SOLUTION"),
    ...          nbformat.v4.new_code_cell("check_bias_grad(bias_grad)")]
    >>> tagged = tag_notebook(nbformat.v4.new_notebook(cells=cells))
    >>> tagged.cells[1].source
    'check_bias_grad(bias_grad).assert_passed()'
    >>> [c.metadata.nbgrader.grade_id for c in tagged.cells], graded_cells(tagged)
    (['bias_grad', 'test_bias_grad'], [('test_bias_grad', 1)])
    """
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise TypeError(f"nb must be an nbformat.NotebookNode notebook; got {type(nb).__name__}")
    nb = nbformat.from_dict(nb)  # a deep copy
    graders = grading_calls() | _imported_graders(nb)
    definer = {}        # name -> index of the latest solution cell defining it
    solution_key = {}   # solution cell index -> the first key a test checks it under
    tests = []          # (cell index, key)
    for index, cell in enumerate(nb.cells):
        if has_solution(cell):
            for name in _defined_names(cell.source) if cell.cell_type == "code" else ():
                definer[name] = index
            continue
        calls = _grading_calls(cell.source, graders) if cell.cell_type == "code" else []
        calls = [(call, asserted) for call, asserted in calls if _checked_names(call, definer)]
        if not calls:
            cell.metadata.pop("nbgrader", None)
            continue
        for call, asserted in reversed(calls):  # from the end, so earlier offsets stay valid
            if not asserted:
                cell.source = _append_assert(cell.source, call)
        call = calls[0][0]
        names = _checked_names(call, definer)
        key = _question_name(call) or names[0]
        solution_key.setdefault(definer[names[0]], key)
        tests.append((index, key))

    taken = set()
    for index, cell in enumerate(nb.cells):
        if has_solution(cell):
            names = _defined_names(cell.source) if cell.cell_type == "code" else []
            wanted = solution_key.get(index) or (names[0] if names else _answer_name(cell, index))
            markdown = cell.cell_type == "markdown"  # nbgrader: a written answer is graded by hand
            cell.metadata["nbgrader"] = _metadata(
                _unique(_safe_id(wanted), taken), grade=markdown, solution=True, locked=False,
                points=_points(cell) if markdown else None)
    for index, key in tests:
        cell = nb.cells[index]
        cell.metadata["nbgrader"] = _metadata(_unique(_safe_id(f"test_{key}"), taken), grade=True,
                                              solution=False, locked=True, points=_points(cell))
    return nb


def graded_cells(nb):
    """``[(grade_id, points)]`` of the autograded test cells of a tagged notebook, in order.

    Examples
    --------
    >>> graded_cells(nbformat.v4.new_notebook())
    []
    """
    return [(c.metadata.nbgrader["grade_id"], c.metadata.nbgrader["points"]) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
