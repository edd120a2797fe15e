"""Autograde a class's submissions in parallel, with nbgrader's own autograde.

``python -m convlab grade COURSE ASSIGNMENT --jobs N`` shares the collected
submissions (``COURSE/submitted/<student>/ASSIGNMENT/``) out over N worker
processes. Each worker runs nbgrader's autograde (``NbGraderAPI.autograde``,
the code behind ``nbgrader autograde``) for its students, one after another.

Why each worker writes its own gradebook: nbgrader's gradebook is one SQLite
file, and SQLite lets one writer at a time hold the file. A write that still
finds it locked after the driver's 5 s busy wait raises ``OperationalError``
("database is locked"), and nbgrader's converter treats any such error as a
failed submission: it removes that student's autograded folder and stops,
advising a database upgrade (``nbgrader/converters/base.py``). nbgrader also
creates a missing gradebook by running ``alembic``; two processes doing that at
once race. So each worker grades into a copy of the course's gradebook
(made with SQLite's backup API before any worker starts), and when all are done
one process copies each graded submission -- scores, comments, flags,
timestamps -- into the course's gradebook (:func:`merge_gradebooks`). Nothing
writes the course's gradebook while a worker runs, and a worker that fails
loses only its own students' grades (they are named).

The same merge takes the gradebooks of several machines (``--merge``), each of
which ran ``nbgrader autograde ASSIGNMENT --student=PATTERN
--CourseDirectory.db_url=sqlite:///shard.db`` on its share of the class.
"""

import fnmatch
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .nbgrader_course import tool_environment


def submitted_students(course, assignment, pattern="*"):
    """The students with a collected submission of ``assignment``, sorted."""
    folder = Path(course) / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir()
                  and fnmatch.fnmatchcase(p.parent.name, pattern))


def _gradebook(course):
    return Path(course).resolve() / "gradebook.db"


def _copy_database(source, dest):
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)


def merge_gradebooks(course, assignment, shards, students=None):
    """Copy each graded submission of ``assignment`` from the shard gradebooks into the course's.

    Parameters
    ----------
    course : str or Path
        The course directory; its ``gradebook.db`` receives the grades.
    assignment : str
    shards : iterable of str or Path
        SQLite gradebooks that graded some of the students.
    students : dict, optional
        Shard path -> the students to take from it (default: every submission it has).

    Returns
    -------
    list of str
        The students merged.
    """
    import warnings

    from nbgrader.api import Gradebook

    merged = []
    with warnings.catch_warnings():  # nbgrader's add_submission warns about autoflush
        warnings.filterwarnings("ignore", message="Object of type .* not in session")
        with Gradebook(f"sqlite:///{_gradebook(course)}") as main:
            for shard in map(Path, shards):
                wanted = (students or {}).get(str(shard))
                with Gradebook(f"sqlite:///{shard.resolve()}") as part:
                    for graded in part.assignment_submissions(assignment):
                        if wanted is None or graded.student.id in wanted:
                            _copy_submission(main, graded, assignment)
                            merged.append(graded.student.id)
    return merged


def _copy_submission(main, graded, assignment):
    """Write one graded submission (from another gradebook) into the gradebook ``main``."""
    from nbgrader.api import MissingEntry

    name, student = graded.student.id, graded.student
    main.update_or_create_student(name, first_name=student.first_name, last_name=student.last_name,
                                  email=student.email, lms_user_id=student.lms_user_id)
    try:
        submission = main.find_submission(assignment, name)
    except MissingEntry:
        submission = main.add_submission(assignment, name)
    submission.timestamp, submission.extension = graded.timestamp, graded.extension
    for notebook in graded.notebooks:
        into = main.find_submission_notebook(notebook.name, assignment, name)
        into.flagged, into.late_submission_penalty = notebook.flagged, notebook.late_submission_penalty
        for grade in notebook.grades:
            target = main.find_grade(grade.name, notebook.name, assignment, name)
            for column in ("auto_score", "manual_score", "extra_credit", "needs_manual_grade"):
                setattr(target, column, getattr(grade, column))
        for comment in notebook.comments:
            target = main.find_comment(comment.name, notebook.name, assignment, name)
            target.auto_comment, target.manual_comment = comment.auto_comment, comment.manual_comment
    main.db.commit()


def _work(argv):
    """One worker: autograde (and generate feedback for) the students named in ``argv``."""
    course, assignment, database, feedback, *students = argv
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
    config.CourseDirectory.root = course
    config.CourseDirectory.db_url = f"sqlite:///{database}"
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    failed = 0
    for student in students:
        done = api.autograde(assignment, student, force=True, create=True)
        if done["success"] and feedback == "1":
            done = api.generate_feedback(assignment, student, force=True)
        print(json.dumps({"student": student, "success": bool(done["success"]),
                          "log": "" if done["success"] else (done.get("log", "") + done.get("error", ""))[-2000:]}),
              flush=True)
        failed += not done["success"]
    return 1 if failed else 0


def grade(course, assignment, jobs=1, pattern="*", feedback=False):
    """Autograde every collected submission of ``assignment`` with ``jobs`` workers.

    Returns
    -------
    dict
        ``{"graded": [student, ...], "failed": {student: log tail}, "seconds": float}``.

    Raises
    ------
    ValueError
        If ``course`` is not an nbgrader course made by ``python -m convlab course``
        (no ``nbgrader_config.py`` or ``gradebook.db``), there is nothing to grade, or
        ``jobs`` is not a positive int.
    """
    course = Path(course).resolve()
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive int; got {jobs!r}")
    for needed in ("nbgrader_config.py", "gradebook.db"):
        if not (course / needed).is_file():
            raise ValueError(f"{course} has no {needed}: not a course made by `python -m convlab course`")
    students = submitted_students(course, assignment, pattern)
    if not students:
        raise ValueError(f"no submissions of {assignment!r} in {course / 'submitted'} "
                         f"(student pattern {pattern!r}); run `nbgrader collect {assignment}` first")
    shares = [students[k::jobs] for k in range(min(jobs, len(students)))]
    started = time.perf_counter()
    env = tool_environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                       env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="convlab-grade-", dir=course) as tmp:
        workers = []
        for k, share in enumerate(shares):
            database = Path(tmp) / f"worker{k}.db"
            _copy_database(_gradebook(course), database)
            command = [sys.executable, "-c", "import sys; from convlab.course.grade import _work; "
                       "sys.exit(_work(sys.argv[1:]))", str(course), assignment, str(database),
                       "1" if feedback else "0", *share]
            workers.append((database, subprocess.Popen(command, cwd=course, env=env, text=True,
                                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)))
        graded, failed = {}, {}
        for database, worker in workers:
            out, _ = worker.communicate()
            for line in out.splitlines():
                if line.startswith("{"):
                    row = json.loads(line)
                    (graded.setdefault(str(database), []).append(row["student"]) if row["success"]
                     else failed.__setitem__(row["student"], row["log"]))
        merged = merge_gradebooks(course, assignment, [Path(d) for d in graded], students=graded)
    return {"graded": sorted(merged), "failed": failed, "seconds": time.perf_counter() - started}


def add_arguments(parser):
    """``python -m convlab grade COURSE ASSIGNMENT [--jobs N] [--student PATTERN] [--feedback] [--merge DB...]``."""
    parser.add_argument("course", help="the course directory (made by python -m convlab course)")
    parser.add_argument("assignment", help="the assignment, e.g. 01_cross_correlation")
    parser.add_argument("--jobs", "-j", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="workers grading at once (default: cores - 1)")
    parser.add_argument("--student", default="*", metavar="PATTERN",
                        help="only students matching this glob pattern, as nbgrader's --student")
    parser.add_argument("--feedback", action="store_true", help="also generate each student's HTML feedback")
    parser.add_argument("--merge", nargs="+", metavar="DB",
                        help="do not grade: merge gradebooks graded elsewhere (one per machine) into the course's")


def run(args):
    """Grade (or merge), print a summary; return the exit status."""
    try:
        if args.merge:
            missing = [db for db in args.merge if not Path(db).is_file()]
            if missing:
                raise ValueError(f"no gradebook {missing[0]}")
            merged = merge_gradebooks(args.course, args.assignment, args.merge)
            print(f"merged {len(merged)} submissions of {args.assignment} into {_gradebook(args.course)}")
            return 0
        result = grade(args.course, args.assignment, jobs=args.jobs, pattern=args.student, feedback=args.feedback)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = len(result["graded"])
    print(f"graded {n} submissions of {args.assignment} with {args.jobs} workers in {result['seconds']:.1f} s "
          f"({60 * n / max(result['seconds'], 1e-9):.1f} per minute)")
    for student, tail in result["failed"].items():
        print(f"FAILED {student}: {tail.strip().splitlines()[-1] if tail.strip() else 'no log'}", file=sys.stderr)
    return 1 if result["failed"] else 0
