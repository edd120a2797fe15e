"""Command line: ``python -m convlab.exercises COMMAND``.

- ``reexecute lessons/NN_x.ipynb ...`` runs lessons top to bottom in a fresh kernel
  and writes them tagged for nbgrader and without volatile metadata (timestamps,
  kernel version, widget state), so a diff shows only what changed;
- ``tag-lessons lessons/`` (or notebook paths) does the tagging and cleaning
  without executing: solution and test cells get nbgrader metadata, and a
  trailing ``check_x(f)`` becomes ``check_x(f).assert_passed()`` (idempotent);
- ``make-student lessons/ <out>`` writes student copies (nbgrader's
  ``ClearSolutions``/``ClearOutput``; needs nbgrader);
- ``misconceptions`` prints which checker diagnoses which mistakes.
"""

import argparse
import sys
from pathlib import Path


def _notebooks(paths):
    """Notebook paths from files and folders (a folder gives its numbered lessons)."""
    found = []
    for path in map(Path, paths):
        found += sorted(path.glob("[0-9][0-9]*_*.ipynb")) if path.is_dir() else [path]
    return found


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m convlab.exercises",
                                     description="convlab exercise tools")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("make-student", help="write student copies of the lessons")
    make.add_argument("lessons_dir", help="directory holding the lesson notebooks")
    make.add_argument("out_dir", help="where to write the student copies")
    rerun = commands.add_parser("reexecute", help="re-execute lessons and write them without "
                                "volatile metadata")
    rerun.add_argument("paths", nargs="+", help="lesson notebooks, or folders of lessons")
    rerun.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    tag = commands.add_parser("tag-lessons", help="add nbgrader metadata and .assert_passed() to "
                              "checker cells, drop volatile metadata (no execution)")
    tag.add_argument("paths", nargs="+", help="lesson notebooks, or folders of lessons")
    commands.add_parser("misconceptions", help="print the checker -> misconception table")
    args = parser.parse_args(argv)

    try:
        if args.command == "make-student":
            from .student import make_student_copies
            written = make_student_copies(args.lessons_dir, args.out_dir)
            print(f"wrote {len(written)} student notebooks to {args.out_dir}")
            return 0
        if args.command == "reexecute":
            from convlab.course.reexecute import reexecute
            for path in reexecute(_notebooks(args.paths), timeout=args.timeout):
                print(f"executed and wrote {path}")
            return 0
        if args.command == "tag-lessons":
            from convlab.course.reexecute import tag_lessons
            paths = _notebooks(args.paths)
            changed = tag_lessons(paths)
            print(f"tagged {len(paths)} notebooks; {len(changed)} changed"
                  + "".join(f"\n  {p}" for p in changed))
            return 0
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from . import CHECKERS, MESSAGES, misconception_table
    for name, keys in misconception_table(CHECKERS):
        print(f"{name}: {', '.join(keys) if keys else '-'}")
    print()
    for key, message in MESSAGES.items():
        print(f"{key}: {message}")
    print()
    from .questions import print_question_table
    print_question_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
