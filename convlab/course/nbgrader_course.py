"""An nbgrader course directory made from the lessons.

``write_course(root)`` writes what ``nbgrader`` expects to find in a course::

    root/
      nbgrader_config.py            stubs, per-cell time limit, course id
      source/01_cross_correlation/01_cross_correlation.ipynb
      source/02_output_size/02_output_size.ipynb
      ...

one assignment per lesson, each a tagged source notebook
(:func:`convlab.course.cells.tag_notebook`). From there it is nbgrader's own
workflow, run in ``root``: ``nbgrader generate_assignment 01_cross_correlation``
writes the student version to ``release/``, ``nbgrader autograde`` grades
``submitted/<student>/<assignment>/`` and ``nbgrader generate_feedback`` writes
the HTML feedback that shows each checker's verdict.
"""

import sys
from pathlib import Path

import nbformat

from .cells import graded_cells, tag_notebook
from .copies import lessons_dir

CELL_TIMEOUT = 120
"""Seconds one cell of a submission may run before nbgrader interrupts it (and scores it 0)."""

CONFIG = '''\
# nbgrader configuration written by `python -m convlab course`.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = {course_id!r}
# The stubs the released notebooks show: the convlab checker cell below each
# exercise reports "not implemented yet" until the student replaces them.
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
# A submission that loops forever is interrupted after this many seconds per cell
# and graded (that cell scores 0). The checkers also stop each call after 5 s.
c.Execute.timeout = {timeout}
'''


def write_course(root, lessons=None, course_id="convlab", timeout=CELL_TIMEOUT):
    """Write an nbgrader course directory with one assignment per lesson.

    Parameters
    ----------
    root : str or Path
        The course directory; created if missing. An existing
        ``nbgrader_config.py`` or source notebook is never overwritten.
    lessons : iterable of str or Path, optional
        Lesson notebooks; default every packaged lesson.
    course_id : str
    timeout : int
        Seconds per cell before ``nbgrader autograde`` interrupts a submission.

    Returns
    -------
    dict
        Assignment name -> ``[(grade_id, points)]`` of its autograded cells.

    Raises
    ------
    ValueError
        If a lesson is not an existing ``.ipynb`` file, or a source notebook
        already exists (checked before anything is written).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     assignments = write_course(tmp, [lessons_dir() / "01_cross_correlation.ipynb"])
    ...     sorted(p.name for p in Path(tmp).rglob("*") if p.is_file())
    ['01_cross_correlation.ipynb', 'nbgrader_config.py']
    >>> ("test_correlate1d", 1) in assignments["01_cross_correlation"]
    True
    """
    from .student import MARKDOWN_STUB, STUB

    root = Path(root)
    paths = sorted(lessons_dir().glob("[0-9][0-9]*_*.ipynb")) if lessons is None else [Path(p) for p in lessons]
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        raise ValueError(f"timeout must be a positive int of seconds; got {timeout!r}")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"lessons must be existing .ipynb files; got {str(path)!r}")
        target = root / "source" / path.stem / path.name
        if target.exists():
            raise ValueError(f"{target} already exists; remove it or choose another root")
    assignments = {}
    for path in paths:
        nb = tag_notebook(nbformat.read(path, as_version=4))
        folder = root / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / path.name)
        assignments[path.stem] = graded_cells(nb)
    config = root / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(course_id=course_id, code_stub=STUB,
                                        text_stub=MARKDOWN_STUB, timeout=timeout))
    return assignments


def add_arguments(parser):
    """``python -m convlab course DIR [LESSON...] [--timeout S]``."""
    parser.add_argument("dir", help="the course directory to create")
    parser.add_argument("lessons", nargs="*", help="lesson notebooks (default: every packaged lesson)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                        help=f"seconds a cell of a submission may run under autograde (default {CELL_TIMEOUT})")


def run(args):
    """Write the course directory and say what to run next; return the exit status."""
    try:
        assignments = write_course(args.dir, args.lessons or None, timeout=args.timeout)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, cells in assignments.items():
        print(f"{name}: {len(cells)} autograded cells, {sum(p for _, p in cells)} points")
    print(f"nbgrader course in {args.dir}. Next, in that folder:\n"
          f"  nbgrader generate_assignment {next(iter(assignments), 'ASSIGNMENT')}   # release/ for students\n"
          "  nbgrader autograde ASSIGNMENT             # grade submitted/<student>/ASSIGNMENT/\n"
          "  nbgrader generate_feedback ASSIGNMENT     # HTML feedback with each checker's verdict")
    return 0
