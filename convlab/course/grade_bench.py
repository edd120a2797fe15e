"""How many submissions a minute ``python -m convlab grade`` autogrades, with 1, 2, ... workers.

``python -m convlab.course.grade_bench [--lesson 01_cross_correlation] [--submissions 6] [--jobs 1 2]``
builds a throw-away course from one lesson, submits the lesson's own solutions
as M students, and grades them once per worker count from the same fresh
gradebook, printing submissions per minute, the seconds per submission and the
load average (a busy machine grades slower: read the numbers with it). A
benchmark, not a test: it asserts nothing and takes minutes.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .copies import lessons_dir
from .grade import grade
from .nbgrader_course import tool_environment, write_course


def benchmark(lesson="01_cross_correlation", submissions=6, jobs=(1, 2), log=print):
    """Grade ``submissions`` copies of ``lesson``'s solutions with each worker count; return the rows."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="convlab-grade-bench-") as tmp:
        course = Path(tmp) / "course"
        write_course(course, [lessons_dir() / f"{lesson}.ipynb"])
        env = tool_environment()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                           env.get("PYTHONPATH")]))
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson], cwd=course, env=env,
                       check=True, capture_output=True)
        source = course / "source" / lesson
        for k in range(submissions):
            shutil.copytree(source, course / "submitted" / f"student{k:03d}" / lesson)
        fresh = Path(tmp) / "fresh.db"
        shutil.copyfile(course / "gradebook.db", fresh)
        for n in jobs:
            shutil.copyfile(fresh, course / "gradebook.db")
            shutil.rmtree(course / "autograded", ignore_errors=True)
            before = os.getloadavg()[0]
            started = time.perf_counter()
            result = grade(course, lesson, jobs=n)
            seconds = time.perf_counter() - started
            row = {"jobs": n, "graded": len(result["graded"]), "failed": len(result["failed"]),
                   "seconds": round(seconds, 1), "per_minute": round(60 * len(result["graded"]) / seconds, 2),
                   "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)}
            rows.append(row)
            log(f"{lesson}: {row['graded']} submissions ({row['failed']} failed) with {n} workers in "
                f"{row['seconds']} s = {row['per_minute']} per minute "
                f"(load average {row['load_before']} -> {row['load_after']}, {os.cpu_count()} cores)")
    return rows


def main(argv=None):
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m convlab.course.grade_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", default="01_cross_correlation")
    parser.add_argument("--submissions", type=int, default=6)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    benchmark(args.lesson, args.submissions, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
