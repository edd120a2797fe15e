"""``python -m convlab misconceptions``: which checker diagnoses which mistake, every
misconception message, and what each wrong answer to a question diagnoses."""

from . import CHECKERS, MESSAGES, misconception_table
from .grading.questions import print_question_table


def add_arguments(parser):
    """The command takes no options."""


def run(args):
    """Print the checker -> misconception table, the messages and the question table."""
    for name, keys in misconception_table(CHECKERS):
        print(f"{name}: {', '.join(keys) if keys else '-'}")
    print()
    for key, message in MESSAGES.items():
        print(f"{key}: {message}")
    print()
    print_question_table()
    return 0
