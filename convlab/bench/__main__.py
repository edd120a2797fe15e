"""``python -m convlab.bench [--json] [--quick] [--blocks N] [--case NAME ...] [--method NAME ...]
[--training | --training-only]``."""

import argparse
import json
import sys

from . import CASES, format_table
from . import run as run_bench
from .training import format_training, run_training


def add_arguments(parser):
    """The bench's options (``python -m convlab bench`` and ``python -m convlab.bench``)."""
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES],
                        help="a case to run (repeatable; default: all)")
    parser.add_argument("--method", action="append",
                        help="a convlab method to time (repeatable; default: all; PyTorch always runs)")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per block (default 7)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and for PyTorch (default: all cores)")
    parser.add_argument("--blocks", type=int, default=3,
                        help="rounds of interleaved blocks, each timing PyTorch and every method "
                             "(default 3, at least 3): a ratio is their median")
    parser.add_argument("--quick", action="store_true",
                        help="rough ratios: 1 timed call per block, 1 warm-up, no PyTorch memory "
                             "subprocess")
    parser.add_argument("--training", action="store_true",
                        help="also time one epoch of train_digits against PyTorch (a few seconds per block)")
    parser.add_argument("--training-only", action="store_true",
                        help="time only the train_digits epoch, no layer cases")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args):
    """Time the chosen cases and print the table (or JSON); return the exit status."""
    if args.repeats < 1:
        return _error(f"--repeats must be a positive integer; got {args.repeats}")
    if args.blocks < 3:
        return _error(f"--blocks must be an integer >= 3; got {args.blocks}")
    if args.threads is not None and args.threads < 1:
        return _error(f"--threads must be a positive integer; got {args.threads}")
    if args.training_only and (args.case or args.method):
        return _error("--training-only times no layer case: drop --case and --method")
    try:
        rows = [] if args.training_only else run_bench(
            cases=args.case, methods=args.method, repeats=args.repeats, quick=args.quick,
            threads=args.threads, progress=not args.no_progress, blocks=args.blocks)
    except (TypeError, ValueError) as error:
        return _error(str(error))
    training = (run_training(blocks=args.blocks, threads=args.threads)
                if args.training or args.training_only else None)
    if args.json:
        print(json.dumps(rows + ([training] if training else []), indent=1))
    else:
        tables = ([format_table(rows)] if rows else []) + ([format_training(training)] if training else [])
        print("\n\n".join(tables))
    return 0


def _error(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m convlab.bench",
        description="Time convlab's convolution methods against PyTorch (float32).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
