"""Command line: ``python -m convlab.exercises make-student lessons/ <out>``.

``make-student`` writes student copies of the lessons (solutions replaced by
stubs, outputs cleared); ``misconceptions`` prints which checker diagnoses
which mistakes.
"""

import argparse
import sys


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m convlab.exercises",
                                     description="convlab exercise tools")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("make-student", help="write student copies of the lessons")
    make.add_argument("lessons_dir", help="directory holding the lesson notebooks")
    make.add_argument("out_dir", help="where to write the student copies")
    commands.add_parser("misconceptions", help="print the checker -> misconception table")
    args = parser.parse_args(argv)

    if args.command == "make-student":
        from .student import make_student_copies
        try:
            written = make_student_copies(args.lessons_dir, args.out_dir)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(written)} student notebooks to {args.out_dir}")
        return 0

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
