"""An nbgrader course directory made from the lessons, ready for a class.

``write_course(root)`` writes everything ``nbgrader`` and an instructor need::

    root/
      nbgrader_config.py            course id, exchange root, stubs, per-cell time limit
      gradebook.db                  the assignments (with their due dates), created here
      README.md                     the instructor's next commands
      student_config.py             what the students' JupyterHub image needs
      source/01_cross_correlation/01_cross_correlation.ipynb
      source/01_cross_correlation/NOTATION.md   (the documents the lesson links to)
      ...

one assignment per lesson, each a tagged source notebook
(:func:`convlab.course.cells.tag_notebook`) whose test cells score the
exercise's declared weight (``@exercise(weight=...)``). The gradebook is created here, with the
``alembic`` of this Python's environment, so no later ``nbgrader`` command
needs ``alembic`` on ``PATH`` (nbgrader runs it from ``PATH`` when it creates
a gradebook, which fails in an environment that is not activated).
"""

import datetime
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import nbformat

from .. import exercises
from .cells import graded_cells, read_notebook, tag_notebook
from .copies import lessons_dir, linked_files

CELL_TIMEOUT = 60
"""Seconds one cell of a submission may run before nbgrader interrupts it (and scores it 0).

Measured on the development machine (2 cores, load average 11, the lessons' solutions
executed in a fresh kernel): the slowest cell of any lesson is lesson 11's training of
a small CNN, 32 s (lesson 04's live benchmark 7.7 s, lesson 12's slowest 5.2 s); 60 s
leaves room for a grading machine whose cores are all busy. A learner's function is
also stopped after 5 s per checker case, so only code outside the checkers can use
the whole limit."""

CONFIG = '''\
# nbgrader configuration written by `python -m convlab course`.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = {course_id!r}
{exchange}# The stubs the released notebooks show: the convlab checker cell below each
# exercise reports "not implemented yet" until the student replaces them.
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
# A submission that loops forever is interrupted after this many seconds per cell
# and graded (that cell scores 0). The checkers also stop each call after 5 s.
c.Execute.timeout = {timeout}
'''

STUDENT_CONFIG = '''\
# For the students' image: /etc/jupyter/nbgrader_config.py (or ~/.jupyter/), so that
# fetch and submit (JupyterLab's Assignments tab) find this course's exchange.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''

README = '''\
# Course `{course_id}`: the instructor's commands

Written by `python -m convlab course`. Run everything in this folder. `nbgrader`
below is `{bin}/nbgrader` (or activate that environment first:
`source {bin}/activate`); the gradebook already exists, so nbgrader never needs
`alembic` on `PATH`.

Assignments (points are the exercises' weights; due dates are in `gradebook.db`):

{table}

For each assignment, e.g. `{first}`:

```
nbgrader generate_assignment {first}      # release/: solutions become stubs
nbgrader release_assignment {first}       # to the exchange: students fetch it
nbgrader collect {first}                  # submitted/<student>/{first}/
{python} -m convlab grade . {first} --jobs 4 --feedback   # autograde + feedback, 4 at a time
nbgrader release_feedback {first}         # students fetch it in the Assignments tab
{python} -m convlab report . {first}      # report/{first}.html and .csv (LMS import)
```

A student's identity is their user name (on a JupyterHub whose user is `jovyan`:
`$JUPYTERHUB_USER`). Students need `student_config.py`'s two lines in their
`/etc/jupyter/nbgrader_config.py`. {exchange_note}
'''


def _exchange_root(path):
    """Create nbgrader's exchange root as nbgrader itself does (world-writable, 0o777)."""
    path = Path(path).resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"--exchange {path} is a file, not a folder")
    if not path.exists():
        path.mkdir(parents=True)
        path.chmod(0o777)  # mkdir's mode is masked by the umask
    elif stat.S_IMODE(path.stat().st_mode) & 0o777 != 0o777:
        raise ValueError(f"--exchange {path} exists but is not writable by every student "
                         f"(mode {stat.S_IMODE(path.stat().st_mode):o}; nbgrader needs 777)")
    return path


def _due_dates(due, names):
    dates = {}
    for item in due or ():
        name, _, when = item.partition("=")
        if name not in names:
            raise ValueError(f"--due {item!r}: no assignment {name!r} in this course "
                             f"(assignments: {', '.join(names)})")
        try:
            moment = datetime.datetime.fromisoformat(when)
        except ValueError:
            raise ValueError(f"--due {item!r}: expected ASSIGNMENT=YYYY-MM-DDTHH:MM (UTC unless an "
                             f"offset like +01:00 is given); got {when!r}") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        dates[name] = moment
    return dates


def weigh(nb):
    """Set each autograded test cell's points from the weight its exercise declares
    (``@exercise(weight=...)``; questions and undeclared checks score 1); return ``nb``."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            meta["points"] = exercise_weight(cell.source)
    return nb


def exercise_weight(source):
    """The declared weight of the first checker a test cell calls, else 1.

    Examples
    --------
    >>> exercise_weight("check_conv_matrix(conv_matrix).assert_passed()"), exercise_weight('ask("q", a)')
    (3, 1)
    """
    for name in re.findall(r"\b(check_[a-z0-9_]+)\(", source):
        checker = getattr(exercises, name, None)
        spec = getattr(checker, "exercise", checker)
        if checker is not None:
            return getattr(spec, "weight", 1)
    return 1


def tool_environment():
    """``os.environ`` with this Python's scripts folder first on ``PATH`` (nbgrader runs ``alembic``)."""
    scripts = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=os.pathsep.join([scripts, os.environ.get("PATH", "")]))


def _check_destination(root):
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root} is a file, not a folder")
    existing = next((p for p in [root, *root.parents] if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in {existing} (read-only)")


def write_course(root, lessons=None, course_id="convlab", timeout=CELL_TIMEOUT, exchange=None, due=None):
    """Write an nbgrader course directory with one assignment per lesson.

    Parameters
    ----------
    root : str or Path
        The course directory; created if missing. An existing config, README or
        source notebook is never overwritten.
    lessons : iterable of str or Path, optional
        Lesson notebooks; default every packaged lesson.
    course_id : str
    timeout : int
        Seconds per cell before ``nbgrader autograde`` interrupts a submission.
    exchange : str or Path, optional
        nbgrader's exchange root (created world-writable, as nbgrader needs).
    due : iterable of str, optional
        ``"ASSIGNMENT=YYYY-MM-DDTHH:MM"`` due dates (UTC unless an offset is given).

    Returns
    -------
    dict
        Assignment name -> ``[(grade_id, points)]`` of its autograded cells.

    Raises
    ------
    ValueError
        Bad arguments, a lesson that is not a version-4 notebook, a destination
        that is a file or read-only, or an existing source notebook -- all
        checked before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     assignments = write_course(tmp, [lessons_dir() / "01_cross_correlation.ipynb"])
    ...     sorted(p.relative_to(tmp).as_posix() for p in Path(tmp).rglob("*") if p.is_file())
    ['README.md', 'gradebook.db', 'nbgrader_config.py', 'source/01_cross_correlation/01_cross_correlation.ipynb', \
'source/01_cross_correlation/NOTATION.md']
    >>> [points for grade_id, points in assignments["01_cross_correlation"] if grade_id == "test_correlate2d"]
    [2]
    """
    from .student import MARKDOWN_STUB, STUB

    try:
        import nbgrader.api  # noqa: F401 (the gradebook is written with it)
    except ImportError:
        raise ValueError("nbgrader is not installed; install the instructor extra: "
                         "pip install -c constraints.txt \".[instructor]\" (or convlab[instructor])") from None
    root = Path(root)
    paths = sorted(lessons_dir().glob("[0-9][0-9]*_*.ipynb")) if lessons is None else [Path(p) for p in lessons]
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        raise ValueError(f"timeout must be a positive int of seconds; got {timeout!r}")
    if not isinstance(course_id, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", course_id):
        raise ValueError(f"course_id must be letters, digits, '_' or '-' (nbgrader's rule); got {course_id!r}")
    _check_destination(root)
    notebooks = {}
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"lessons must be existing .ipynb files; got {str(path)!r}")
        target = root / "source" / path.stem / path.name
        if target.exists():
            raise ValueError(f"{target} already exists; remove it or choose another root")
        notebooks[path] = read_notebook(path)
    documents = {path: linked_files([path]) for path in paths}  # a missing link stops it here
    dates = _due_dates(due, [p.stem for p in paths])
    exchange = _exchange_root(exchange) if exchange is not None else None

    assignments = {}
    for path, nb in notebooks.items():
        nb = weigh(tag_notebook(nb))
        folder = root / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / path.name)
        for relative, document in documents[path].items():
            target = folder / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(document, target)
        assignments[path.stem] = graded_cells(nb)
    _write_new(root / "nbgrader_config.py", CONFIG.format(
        course_id=course_id, code_stub=STUB, text_stub=MARKDOWN_STUB, timeout=timeout,
        exchange=f"c.Exchange.root = {str(exchange)!r}\n" if exchange else ""))
    if exchange:
        _write_new(root / "student_config.py", STUDENT_CONFIG.format(course_id=course_id, exchange=str(exchange)))
    _create_gradebook(root, course_id, assignments, dates)
    _write_new(root / "README.md", _readme(course_id, assignments, dates, exchange))
    return assignments


def _write_new(path, text):
    if not path.exists():
        path.write_text(text)


def _create_gradebook(root, course_id, assignments, dates):
    """The assignments, with their due dates, in ``root/gradebook.db`` (nbgrader's default).

    nbgrader runs ``alembic`` from ``PATH`` when it creates a gradebook: this Python's scripts
    folder goes first on ``PATH``, and when no ``alembic`` is found there either (an environment
    that borrows another's packages), a small ``alembic`` that runs ``python -m alembic``.
    """
    import tempfile

    from nbgrader.api import Gradebook

    saved = os.environ["PATH"]
    with tempfile.TemporaryDirectory(prefix="convlab-alembic-") as shim:
        path = tool_environment()["PATH"]
        if shutil.which("alembic", path=path) is None and os.name != "nt":
            script = Path(shim) / "alembic"
            script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m alembic "$@"\n')
            script.chmod(0o755)
            path = os.pathsep.join([shim, path])
        os.environ["PATH"] = path
        try:
            with Gradebook(f"sqlite:///{(root / 'gradebook.db').resolve()}", course_id=course_id) as gradebook:
                for name in assignments:
                    gradebook.update_or_create_assignment(name, duedate=dates.get(name))
        finally:
            os.environ["PATH"] = saved


def _readme(course_id, assignments, dates, exchange):
    rows = ["| assignment | autograded cells | points | due (UTC) |", "|---|---|---|---|"]
    rows += [f"| {name} | {len(cells)} | {sum(p for _, p in cells)} | "
             f"{dates[name].isoformat(sep=' ', timespec='minutes') if name in dates else '-'} |"
             for name, cells in assignments.items()]
    note = (f"The exchange is `{exchange}`." if exchange else
            "No exchange root was given (`--exchange`): nbgrader's default `/srv/nbgrader/exchange` "
            "must exist, mode 777.")
    scripts = Path(sys.executable).parent
    return README.format(course_id=course_id, bin=scripts, python=sys.executable, table="\n".join(rows),
                         first=next(iter(assignments), "ASSIGNMENT"), exchange_note=note)


def add_arguments(parser):
    """``python -m convlab course DIR [LESSON...] [--course-id ID] [--exchange PATH] [--due A=DATE]...``."""
    parser.add_argument("dir", help="the course directory to create")
    parser.add_argument("lessons", nargs="*", help="lesson notebooks (default: every packaged lesson)")
    parser.add_argument("--course-id", default="convlab", help="nbgrader's course id (default convlab)")
    parser.add_argument("--exchange", metavar="PATH",
                        help="nbgrader's exchange root, created world-writable as nbgrader needs")
    parser.add_argument("--due", action="append", metavar="ASSIGNMENT=DATE",
                        help="a due date, e.g. 01_cross_correlation=2027-01-15T23:59 (UTC; repeat per assignment)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                        help=f"seconds a cell of a submission may run under autograde (default {CELL_TIMEOUT})")


def run(args):
    """Write the course directory and say what to run next; return the exit status."""
    try:
        assignments = write_course(args.dir, args.lessons or None, course_id=args.course_id,
                                   timeout=args.timeout, exchange=args.exchange, due=args.due)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, cells in assignments.items():
        print(f"{name}: {len(cells)} autograded cells, {sum(p for _, p in cells)} points")
    print(f"nbgrader course in {args.dir}; its README.md lists the next commands.")
    return 0
