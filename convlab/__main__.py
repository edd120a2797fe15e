"""``python -m convlab COMMAND``: the package's one command line.

Each command lives with the code it drives: :data:`COMMANDS` names the module
(``"module"`` or ``"module:attribute"``) that defines ``add_arguments(parser)``
and ``run(args) -> int``. ``python -m convlab --help`` lists them; copies never
overwrite a file you edited (they say which they kept).
"""

import argparse
import importlib
import os
import sys

COMMANDS = {  # command -> (where its add_arguments/run live, one line of help)
    "lessons": ("convlab.course.copies",
                "copy the lessons (self-learner edition; --solutions for the solution notebooks)"),
    "student": ("convlab.course.student", "write student copies of the lessons (solutions replaced by stubs)"),
    "course": ("convlab.course.nbgrader_course", "write an nbgrader course directory from the lessons"),
    "grade": ("convlab.course.grade", "autograde an assignment's submissions with N workers (nbgrader's autograde)"),
    "report": ("convlab.course.report",
               "what the class misunderstands: an HTML report and a gradebook CSV of an autograded assignment"),
    "reexecute": ("convlab.course.reexecute", "re-execute lessons and write them without volatile metadata"),
    "tag-lessons": ("convlab.course.reexecute:TAG_LESSONS",
                    "add nbgrader metadata and .assert_passed() to checker cells (no execution)"),
    "misconceptions": ("convlab.exercises.catalogue", "print which checker diagnoses which misconception"),
    "bench": ("convlab.bench.__main__", "time every formulation against PyTorch (--quick, --case NAME, --json)"),
    "latency": ("convlab.widgets.latency", "measure the explorers' redraw latency"),
}


def _command(name):
    module, _, attribute = COMMANDS[name][0].partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


def parser():
    """The argument parser of every command (each command's module adds its own options)."""
    top = argparse.ArgumentParser(
        prog="python -m convlab",
        description="convlab: how a convolution layer computes its output and gradients. "
                    "Lessons, student copies and nbgrader courses, and the package's tools.",
        epilog="Open copied lessons with:  jupyter lab convlab-lessons")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, text) in COMMANDS.items():
        sub = commands.add_parser(name, help=text, description=text)
        _command(name).add_arguments(sub)
    return top


def main(argv=None):
    """Run the command line; return the exit status.

    Output piped into a command that stops reading (``... | head``) ends the
    command quietly instead of with a ``BrokenPipeError`` traceback.
    """
    args = parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        status = _command(args.command).run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at devnull so that flush is silent too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
