"""The smallest failing case: search an exercise's case space, shrink, name what breaks.

A fixed list of cases says *that* a learner's function is wrong; this module
says *where*. An exercise declares its case space, a :class:`Space`: axes
(sizes, stride, padding, the kind of values...), each listed smallest (simplest)
first, and how to build a case from one configuration. After a failure,
:func:`smallest_failure`

1. runs the learner's function on the simplest configuration and on a sample
   of random ones (deterministic per ``seed``), all in one child process
   (:mod:`convlab.exercises.sandbox`), comparing with the reference here;
2. shrinks the smallest failing configuration one axis at a time (a batch of
   simpler neighbours per round, the simplest failing one kept) until no
   simpler configuration fails, within a time budget (2 s by default);
3. names the feature that breaks it: a feature axis (e.g. ``stride`` with
   usual value 1) whose usual value passed on every configuration tried while
   another value failed gives "correct whenever stride = 1"; then "wrong for
   stride 2 with k=3, n=6" names the smallest failing configuration.

The :class:`Finding` holds that configuration, its case, the expected and the
learner's answers and the verdict rows; :func:`figure_png` draws it with the
differing cells marked. The capstone's checker builds on the same functions.
"""

import copy
import io
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..sandbox.isolation import learner_calls
from .comparison import compare
from .formatting import format_value

BUDGET = 2.0
"""Seconds a search may take (it stops shrinking when they are spent)."""


@dataclass(frozen=True)
class Space:
    """An exercise's case space.

    Attributes
    ----------
    axes : tuple of (str, tuple)
        ``(name, values)`` pairs, each tuple of values smallest (simplest) first.
    build : callable
        ``build(rng, config)`` gives a :class:`~convlab.exercises.grading.engine.Case`
        for the configuration ``config`` (a dict of axis name to value), or None
        when that configuration has no valid case (e.g. a kernel larger than the input).
    features : tuple of (str, object)
        ``(axis, usual value)`` of the axes a verdict may blame, e.g. ``("stride", 1)``.
    """

    axes: tuple
    build: Callable
    features: tuple = ()

    def smallest(self):
        """The configuration with every axis at its first value."""
        return {name: values[0] for name, values in self.axes}

    def size(self, config):
        """How far from the simplest a configuration is (sum of value positions)."""
        return sum(values.index(config[name]) for name, values in self.axes)

    def case(self, config, seed):
        """The case of ``config``: its random values depend only on ``seed`` and ``config``."""
        key = zlib.crc32(repr(sorted(config.items())).encode())
        return self.build(np.random.default_rng([seed, key]), dict(config))


@dataclass
class Finding:
    """The smallest failing configuration found, and what the learner's function did on it."""

    config: dict
    case: object  # a Case
    expected: object
    got: object  # the learner's answer (safe data) or a Raised
    statement: str  # "correct whenever stride = 1; wrong for stride 2 with k=3, n=6"
    tried: int  # configurations run
    rows: list = field(default_factory=list)  # (label, text) for the verdict


def describe(config, features=()):
    """``"stride 2 with k=3, n=6"``: feature axes first, then the others.

    Examples
    --------
    >>> describe({"n": 6, "k": 3, "stride": 2}, (("stride", 1),))
    'stride 2 with n=6, k=3'
    >>> describe({"n": 6, "stride": 1}, (("stride", 1),))
    'n=6, stride=1'
    """
    usual = dict(features)
    lead = [f"{name} {config[name]}" for name in usual
            if name in config and config[name] != usual[name]]
    rest = [f"{name}={config[name]}" for name in config
            if name not in usual or config[name] == usual[name]]
    if lead and rest:
        return f"{', '.join(lead)} with {', '.join(rest)}"
    return ", ".join(lead or rest)


def smallest_failure(learner_fn, space, reference, *, call=None, seed=0, time_limit=1.0,
                     budget=BUDGET, samples=40, output_names=None):
    """Search ``space`` for the smallest configuration on which ``learner_fn`` fails.

    Returns
    -------
    Finding or None
        None when every configuration tried passes.

    Examples
    --------
    >>> from convlab.exercises.grading.engine import case
    >>> space = Space((("n", (1, 2, 3, 4, 5)), ("stride", (1, 2, 3))),
    ...               lambda rng, c: case("", n=c["n"], stride=c["stride"]),
    ...               features=(("stride", 1),))
    >>> found = smallest_failure(lambda n, stride: n, space, lambda n, stride: -(-n // stride))
    >>> found.statement, found.config
    ('correct whenever stride = 1; wrong for stride 2 with n=2', {'n': 2, 'stride': 2})
    """
    start = time.monotonic()
    call = call or _call_plain
    rng = np.random.default_rng(seed)
    configs = [space.smallest()] + [{name: values[rng.integers(len(values))]
                                     for name, values in space.axes} for _ in range(samples)]
    results = {}  # frozen config -> (failed, case, expected, got)
    _run_batch(learner_fn, call, space, reference, configs, seed, time_limit, output_names,
               results)
    failing = _failing(results, space)
    if not failing:
        return None
    best = failing[0]
    while time.monotonic() - start < budget:
        simpler = _neighbours(space, dict(best))
        simpler = [c for c in simpler if _key(c) not in results]
        if not simpler:
            break
        _run_batch(learner_fn, call, space, reference, simpler, seed, time_limit, output_names,
                   results)
        failing = _failing(results, space)
        if _key(failing[0]) == _key(best):
            break
        best = failing[0]
    _, this, expected, got = results[_key(best)]
    best = {name: best[name] for name, _ in space.axes}
    statement = _statement(results, space, best)
    return Finding(dict(best), this, expected, got, statement, len(results),
                   _rows(statement, this, expected, got, output_names))


def _call_plain(fn, *values):
    return fn(*values)


def _key(config):
    return tuple(sorted(config.items()))


def _failing(results, space):
    found = [dict(key) for key, (failed, *_) in results.items() if failed]
    return sorted(found, key=lambda c: (space.size(c), _key(c)))


def _neighbours(space, config):
    """Configurations simpler than ``config`` on one axis, simplest first."""
    out = []
    for name, values in space.axes:
        for value in values[:values.index(config[name])]:
            out.append({**config, name: value})
    return sorted(out, key=lambda c: (space.size(c), _key(c)))


def _run_batch(learner_fn, call, space, reference, configs, seed, time_limit, output_names,
               results):
    todo = []
    for config in configs:
        key = _key(config)
        if key in results or key in [k for k, _ in todo]:
            continue
        this = space.case(config, seed)
        if this is not None:
            todo.append((key, this))
    if not todo:
        return
    with learner_calls(learner_fn, call, [this.values for _, this in todo],
                       time_limit) as outcomes:
        for (key, this), outcome in zip(todo, outcomes):
            expected = reference(*copy.deepcopy(this.values))
            if outcome.kind == "ok":
                got = outcome.value
                failed = compare(expected, got, output_names) is not None
            elif outcome.kind == "raised":
                got, failed = outcome.value, True
            else:  # too slow or ended: not a small case worth showing; stop this batch
                break
            results[key] = (failed, this, expected, got)


def _statement(results, space, best):
    clauses = []
    for name, usual in space.features:
        usual_runs = [failed for key, (failed, *_) in results.items() if dict(key)[name] == usual]
        other_fails = any(failed and dict(key)[name] != usual
                          for key, (failed, *_) in results.items())
        if usual_runs and not any(usual_runs) and other_fails:
            clauses.append(f"{name} = {usual}")
    if best == space.smallest():
        return f"wrong even on the simplest case ({describe(best, space.features)})"
    wrong = f"wrong for {describe(best, space.features)}"
    if clauses:
        return f"correct whenever {' or '.join(clauses)}; {wrong}"
    return f"{wrong}, the smallest case that fails"


def _rows(statement, this, expected, got, output_names):
    rows = [("smallest failing case", statement)]
    rows += [(name, format_value(value)) for name, value in this.args]
    if hasattr(got, "not_implemented"):  # a Raised
        return rows + [("expected", format_value(expected)), ("raised", got.text)]
    problem = compare(expected, got, output_names)
    if problem is None or not any(label.startswith("expected") for label, _ in problem[1]):
        rows.append(("expected", format_value(expected)))
        rows.append(("got", format_value(got)))
    return rows + (list(problem[1]) if problem else [])


# ---------------------------------------------------------------- the figure
def _as_grid(value):
    array = np.asarray(value, dtype=float)
    array = array.reshape([n for n in array.shape if n != 1] or [1])
    while array.ndim > 2:
        array = array[0]
    return array.reshape(1, -1) if array.ndim == 1 else array


def differing_cells(expected, got):
    """``[(row, col), ...]`` where the 2-D views of two same-shape answers differ.

    Examples
    --------
    >>> differing_cells(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]))
    [(0, 1)]
    """
    want, have = _as_grid(expected), _as_grid(got)
    if want.shape != have.shape:
        return []
    close = np.isclose(want, have, rtol=1e-6, atol=1e-9, equal_nan=True)
    return [tuple(int(i) for i in index) for index in np.argwhere(~close)]


def figure_png(finding):
    """``(png bytes, text alternative)`` of the finding: expected and got, differing cells marked.

    None when the answers are not two arrays of one shape (nothing to draw cell by cell).
    """
    expected, got = finding.expected, finding.got
    if isinstance(expected, tuple):  # several outputs: draw the first that differs
        pairs = [(e, g) for e, g in zip(expected, got if isinstance(got, (tuple, list)) else ())
                 if _drawable(e, g) and differing_cells(e, g)]
        if not pairs:
            return None
        expected, got = pairs[0]
    if not _drawable(expected, got):
        return None
    cells = differing_cells(expected, got)
    import matplotlib
    from matplotlib.figure import Figure

    from convlab.viz.grid import plot_row
    want, have = _as_grid(expected), _as_grid(got)
    fig = Figure()
    ax = fig.add_subplot()
    plot_row(ax, [dict(values=want, title="expected"),
                  dict(values=have, title="yours (differing cells marked)", kinds={"target": cells} if cells else None)],
             annotate=True, legend=bool(cells))
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "convlab"}):
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    where = ", ".join(f"({r}, {c})" for r, c in cells[:12]) + (" ..." if len(cells) > 12 else "")
    alt = (f"Two grids for the smallest failing case: expected (left) and your answer (right); "
           f"the {len(cells)} cell(s) that differ are marked: {where}.")
    return buffer.getvalue(), alt


def _drawable(expected, got):
    try:
        want, have = np.asarray(expected), np.asarray(got)
    except Exception:
        return False
    return (want.dtype.kind in "biuf" and have.dtype.kind in "biuf" and want.shape == have.shape
            and 0 < want.size <= 144)
