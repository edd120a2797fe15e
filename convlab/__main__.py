"""``python -m convlab``: what the package offers, from the command line.

::

    python -m convlab lessons [DEST]        copy the lessons to DEST (default ./convlab-lessons)
    python -m convlab student [DEST]        student copies: solutions replaced by stubs
    python -m convlab course DIR [LESSON…]  an nbgrader course directory from the lessons
    python -m convlab bench [...]           time every formulation against PyTorch
    python -m convlab misconceptions        which checker diagnoses which mistake
    python -m convlab latency               redraw latency of the explorers

Copies never overwrite a file you edited: they say which they kept.
"""

import argparse
import importlib
import inspect
import sys

DELEGATED = {  # command -> (module whose main() runs it, help)
    "bench": ("convlab.bench.__main__", "time every formulation against PyTorch (--quick, --case NAME, --json)"),
    "misconceptions": ("convlab.exercises.__main__", "print which checker diagnoses which misconception"),
    "latency": ("convlab.widgets.latency", "measure the explorers' redraw latency"),
}


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m convlab",
        description="convlab: how a convolution layer computes its output and gradients. "
                    "Lessons, student copies and nbgrader courses, and the package's tools.",
        epilog="Open copied lessons with:  jupyter lab convlab-lessons")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lessons = commands.add_parser("lessons", help="copy the lessons (with solutions) to a folder")
    lessons.add_argument("dest", nargs="?", default="convlab-lessons",
                         help="folder to copy into (default: ./convlab-lessons)")
    student = commands.add_parser("student", help="write student copies of the lessons "
                                  "(solutions replaced by stubs; needs convlab[instructor])")
    student.add_argument("dest", nargs="?", default="convlab-student",
                         help="folder to write into (default: ./convlab-student)")
    course = commands.add_parser("course", help="write an nbgrader course directory "
                                 "(nbgrader_config.py + source/<lesson>/) from the lessons")
    course.add_argument("dir", help="the course directory to create")
    course.add_argument("lessons", nargs="*", help="lesson notebooks (default: every packaged lesson)")
    course.add_argument("--timeout", type=int, default=None,
                        help="seconds a cell of a submission may run under autograde (default 120)")
    for name, (_, text) in DELEGATED.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


def _needs_nbgrader():
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("error: this command uses nbgrader; install it with:  "
              "pip install \"convlab[instructor]\"", file=sys.stderr)
        return True
    return False


def _delegate(command, args):
    """Run another convlab tool's ``main``, as ``python -m <its module>`` would."""
    main_of = importlib.import_module(DELEGATED[command][0]).main
    if command == "misconceptions":
        args = ["misconceptions"] + args
    saved, sys.argv = sys.argv, [f"python -m convlab {command}"] + args
    try:
        takes_argv = bool(inspect.signature(main_of).parameters)
        status = main_of(args) if takes_argv else main_of()
    except SystemExit as exit_:
        status = exit_.code
    finally:
        sys.argv = saved
    return status if isinstance(status, int) else (0 if status is None else 1)


def main(argv=None):
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:  # the tool parses its own arguments
        return _delegate(argv[0], argv[1:])
    args = _parser().parse_args(argv)
    from convlab.course import copies

    if args.command == "lessons":
        print(copies.copy_lessons(args.dest).summary())
        return 0
    if _needs_nbgrader():
        return 2
    if args.command == "student":
        print(copies.copy_student_lessons(args.dest).summary())
        return 0
    from convlab.course.nbgrader_course import CELL_TIMEOUT, write_course

    try:
        assignments = write_course(args.dir, args.lessons or None,
                                   timeout=CELL_TIMEOUT if args.timeout is None else args.timeout)
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


if __name__ == "__main__":
    sys.exit(main())
