"""Per-student variants: each student's cases and numbers come from their own seed.

The student is, in order: the one named by :func:`set_student`; under
``nbgrader autograde``, the student whose submission is graded (the kernel
runs in ``submitted/<student id>/<assignment>/``); the hub user
(``JUPYTERHUB_USER``); else nobody, and every exercise uses its published
cases. :func:`seed_for` derives an exercise's seed from the student and the
exercise's name, so two students' cases differ while a correct function
passes every variant (the expected answers are always computed by the
reference). :func:`vary_cases` draws new values for the cases' random
arrays (the edge case first in the list is kept as written).
"""

import os
import zlib
from pathlib import Path

import numpy as np

_explicit = [None]


def set_student(name):
    """Grade this session's checks as the variant of student ``name`` (None: back to the default).

    Examples
    --------
    >>> set_student("ada"); student()
    'ada'
    >>> set_student(None)
    """
    if name is not None and (not isinstance(name, str) or not str.__str__(name).strip()):
        raise TypeError(f"name must be a non-empty str (a student id) or None, got {name!r:.60}")
    _explicit[0] = None if name is None else str.__str__(name).strip()


def student():
    """The student whose variant is graded, or None (see the module doc)."""
    if _explicit[0] is not None:
        return _explicit[0]
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        parts = Path.cwd().parts
        if len(parts) >= 3 and parts[-3] in ("submitted", "autograded"):
            return parts[-2]
    return os.environ.get("JUPYTERHUB_USER") or None


def seed_for(exercise_name):
    """0 (the published cases) when no student is set, else a seed from student and exercise.

    Examples
    --------
    >>> set_student("ada"); a = seed_for("correlate1d"); set_student("bo")
    >>> a != seed_for("correlate1d") and a == seed_for.__wrapped__("ada", "correlate1d")
    True
    >>> set_student(None); seed_for("correlate1d")
    0
    """
    who = student()
    return 0 if who is None else _seed(who, exercise_name)


def _seed(who, exercise_name):
    return zlib.crc32(f"{who}\x00{exercise_name}".encode()) or 1


seed_for.__wrapped__ = _seed


def vary_cases(cases, seed):
    """The cases with their random integer-valued arrays redrawn from ``seed`` (0: unchanged).

    An argument is redrawn when it is a float array whose entries are whole
    numbers in [-3, 3] that are not all equal (the checkers' random inputs);
    shapes, other arguments and the first case (the simplest edge case) are kept.
    """
    if not seed:
        return list(cases)
    rng = np.random.default_rng(seed)
    out = [cases[0]] if cases else []
    for this in cases[1:]:
        args = tuple((name, _redrawn(rng, value)) for name, value in this.args)
        out.append(type(this)(this.label, args))
    return out


def _redrawn(rng, value):
    if not (isinstance(value, np.ndarray) and value.dtype == np.float64 and value.size > 1):
        return value
    if not (np.all(value == np.round(value)) and np.all(np.abs(value) <= 3)
            and np.ptp(value) > 0):
        return value
    return rng.integers(-3, 4, size=value.shape).astype(np.float64)
