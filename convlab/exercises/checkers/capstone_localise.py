"""Find which feature of a convolution layer breaks a learner's forward/backward pair.

The learner's pair runs on a geometry in the sandbox (a forked child, time
limited, see :mod:`convlab.exercises.sandbox.isolation`); its output and its
three gradients are compared with PyTorch's in float64, and its gradients
with central differences of its *own* forward along a fixed direction (a
float64 finite-difference check: it tells a wrong backward from a wrong
forward). From the first failing geometry of the suite, :func:`localise`
switches features off one at a time (stride to 1, padding to 0, one image,
...) and shrinks the sizes, keeping every step that still fails: a greedy
bisection of the configuration space. Where no step fails any more, each
feature the geometry still has is one the answer cannot do without: the
answer is right with it switched off, and wrong with it on.
"""

from dataclasses import dataclass, field

import numpy as np

from ..sandbox.isolation import learner_calls
from ..sandbox.outcome import Opaque, Raised
from .capstone_geometry import FEATURES, smaller
from .common import import_torch, ints

PARTS = ("y", "dx", "dw", "db")
"""What the pair computes, in the order it is judged."""

_PART_NAMES = {"y": "the output y", "dx": "the input gradient dx",
               "dw": "the kernel gradient dw", "db": "the bias gradient db"}
_CELL_NAMES = {"y": "output", "dx": "input", "dw": "kernel", "db": ""}
_AXES = ("image", "channel", "row", "column")
_STEP = 0.5  # the finite difference's step (exact in binary; the layer is affine in x, w, b)


@dataclass
class Fault:
    """Why the pair is wrong on one geometry.

    ``kind`` is ``"wrong values"``, ``"wrong shape"``, ``"wrong type"``, ``"raised"``,
    ``"mutated input"``, ``"too slow"`` or ``"ended the process"``;
    ``part`` one of :data:`PARTS` (or None); ``text`` says what is wrong, in words.
    """

    kind: str
    part: str = None
    text: str = ""
    expected: object = None
    got: object = None
    finite_differences: dict = field(default_factory=dict)

    @property
    def family(self):
        """Faults of one family are the same bug seen on two geometries."""
        return "wrong" if self.kind.startswith("wrong") else self.kind


# ------------------------------------------------------------------ reference
def reference(geometry):
    """PyTorch's ``(y, dx, dw, db)`` in float64 for the geometry's arrays (padding applied by ``F.pad``).

    Examples
    --------
    >>> from .capstone_geometry import Geometry
    >>> [a.shape for a in reference(Geometry(h=3, w=3))]
    [(1, 1, 2, 2), (1, 1, 3, 3), (1, 1, 2, 2), (1,)]
    """
    torch = import_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny arrays: a thread pool only adds its start-up, ~30 ms a call
    try:
        return _reference(torch, geometry)
    finally:
        torch.set_num_threads(threads)


def _reference(torch, geometry):
    x, weight, bias, grad_out = geometry.arrays()
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(np.zeros(geometry.c_out) if bias is None else bias, requires_grad=True)
    (top, bottom), (left, right) = geometry.padding
    padded = torch.nn.functional.pad(xt, (left, right, top, bottom))
    y = torch.nn.functional.conv2d(padded, wt, bt, stride=geometry.stride,
                                   dilation=geometry.dilation, groups=geometry.groups)
    y.backward(torch.tensor(grad_out))
    return tuple(t.detach().numpy().copy() for t in (y, xt.grad, wt.grad, bt.grad))


def directions(geometry):
    """Fixed directions ``(vx, vw, vb)`` for the finite-difference check."""
    rng = np.random.default_rng(geometry.n * 1000 + geometry.h * 10 + geometry.w)
    return (ints(rng, *geometry.x_shape), ints(rng, *geometry.weight_shape),
            ints(rng, geometry.c_out))


# ------------------------------------------------------------------ running the learner
def _call_pair(pair, x, weight, bias, grad_out, stride, padding, dilation, groups, probe):
    """Runs in the child: the learner's forward, backward, and the finite differences."""
    forward, backward = pair
    y = forward(x, weight, bias, stride, padding, dilation, groups)
    grads = backward(grad_out, x, weight, stride, padding, dilation, groups)
    return y, grads, _differences(forward, x, weight, bias, grad_out, stride, padding,
                                  dilation, groups, probe)


def _differences(forward, x, weight, bias, grad_out, stride, padding, dilation, groups, probe):
    """Central differences of ``<grad_out, forward(...)>`` along ``probe``, one per argument."""
    vx, vw, vb = probe
    b = np.zeros(len(vb)) if bias is None else bias

    def loss(dx=0.0, dw=0.0, db=0.0):
        y = forward(x + dx, weight + dw, b + db, stride, padding, dilation, groups)
        return float(np.sum(np.asarray(y, dtype=float) * grad_out))
    try:
        return tuple((loss(**{k: _STEP * v}) - loss(**{k: -_STEP * v})) / (2 * _STEP)
                     for k, v in (("dx", vx), ("dw", vw), ("db", vb)))
    except Exception:  # noqa: BLE001 -- a forward that cannot take a bias array, or a wrong shape: no check
        return None


def run_pair(forward, backward, geometries, time_limit):
    """Run the learner's pair on each geometry; a list of :class:`Fault` or None (right)."""
    arguments = []
    for g in geometries:
        x, weight, bias, grad_out = g.arrays()
        s = g.settings()
        arguments.append((x, weight, bias, grad_out, s["stride"], s["padding"], s["dilation"],
                          s["groups"], directions(g)))
    verdicts = []
    with learner_calls((forward, backward), _call_pair, arguments, time_limit) as outcomes:
        for g, values, outcome in zip(geometries, arguments, outcomes):
            verdicts.append(judge(g, values, outcome, time_limit))
    # an outcome that ends the run ("slow", "ended") leaves the remaining geometries unknown
    return verdicts + [None] * (len(geometries) - len(verdicts))


def judge(geometry, values, outcome, time_limit):
    """None when the pair is right on ``geometry``, else a :class:`Fault`."""
    if outcome.kind == "slow":
        return Fault("too slow", text=f"no answer after {time_limit:g} s on a small case; look "
                                      "for a loop that never ends.")
    if outcome.kind in ("ended", "unreadable"):
        return Fault("ended the process", text=str(outcome.value))
    if outcome.kind == "raised":
        raised = outcome.value
        return Fault("raised", text=raised.text, got=raised)
    for name, before, after in zip(("x", "weight", "bias", "grad_out"), values, outcome.given):
        if (isinstance(before, np.ndarray) and not isinstance(after, Opaque)
                and not np.array_equal(before, np.asarray(after))):
            return Fault("mutated input", text=f"your functions modified their input `{name}`; "
                                               "work on a copy and leave the inputs as they were.")
    y, grads, fd = outcome.value
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return Fault("wrong type", "dx", "conv2d_backward must return three arrays (dx, dw, db); "
                                         f"got {_kind(grads)}.")
    expected = reference(geometry)
    for part, want, got in zip(PARTS, expected, (y, *grads)):
        fault = compare_part(part, want, got)
        if fault is not None:
            fault.finite_differences = _fd_verdict(geometry, grads, fd)
            return fault
    return None


def _kind(value):
    if isinstance(value, (Opaque, Raised)):
        return value.text if isinstance(value, Opaque) else value.type_name
    return type(value).__name__ + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")


def compare_part(part, expected, got):
    """A :class:`Fault` when ``got`` is not ``expected`` (float64, tolerance 1e-8 of the scale)."""
    name = _PART_NAMES[part]
    if not isinstance(got, np.ndarray) and not isinstance(got, (int, float, np.generic)):
        return Fault("wrong type", part, f"{name} must be a numpy array; got {_kind(got)}.",
                     expected, got)
    got = np.asarray(got)
    if got.dtype.kind not in "fiu":
        return Fault("wrong type", part, f"{name} must hold numbers; got dtype {got.dtype}.",
                     expected, got)
    if got.shape != expected.shape:
        return Fault("wrong shape", part, shape_sentence(part, expected.shape, got.shape),
                     expected, got)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    wrong = ~np.isclose(got, expected, rtol=1e-8, atol=1e-8 * scale)
    if wrong.any():
        return Fault("wrong values", part, cells_sentence(part, expected, got, wrong),
                     expected, got)
    return None


def _fd_verdict(geometry, grads, fd):
    """``{part: True/False}``: does the learner's gradient match differences of their own forward?"""
    if fd is None or not isinstance(fd, tuple):
        return {}
    verdict = {}
    for part, grad, v, estimate in zip(("dx", "dw", "db"), grads, directions(geometry), fd):
        grad = np.asarray(grad) if not isinstance(grad, (Opaque, Raised)) else None
        if grad is not None and grad.shape == v.shape and grad.dtype.kind in "fiu":
            exact = float(np.sum(grad * v))
            verdict[part] = bool(np.isclose(exact, estimate, rtol=1e-8,
                                            atol=1e-8 * max(1.0, abs(estimate))))
    return verdict


# ------------------------------------------------------------------ sentences
def shape_sentence(part, expected, got):
    """What is missing or extra, axis by axis, e.g. "one row short".

    Examples
    --------
    >>> shape_sentence("dx", (1, 1, 6, 5), (1, 1, 5, 5))
    'your dx has shape (1, 1, 5, 5) but should have (1, 1, 6, 5), the shape of x: 1 row short.'
    """
    whose = {"dx": ", the shape of x", "dw": ", the shape of weight", "db": ", one per output channel",
             "y": ""}[part]
    text = f"your {part} has shape {tuple(got)} but should have {tuple(expected)}{whose}"
    if len(got) != len(expected):
        return text + "."
    names = _AXES[-len(expected):] if len(expected) < 4 else _AXES
    diffs = [f"{abs(e - g)} {n}{'s' if abs(e - g) > 1 else ''} {'short' if g < e else 'too many'}"
             for n, e, g in zip(names, expected, got) if e != g]
    return text + ": " + ", ".join(diffs) + "."


def _span(flags, noun):
    """Which indices are set, in words, and how many: ("the last 2 rows", 2).

    Examples
    --------
    >>> _span(np.array([False, True, True]), "row")
    ('the last 2 rows', 2)
    """
    idx = np.flatnonzero(flags)
    n, k = len(flags), len(idx)
    plural = noun + ("s" if k > 1 else "")
    if k == n:
        return f"every {noun}", k
    if idx[-1] == n - 1 and k == idx[-1] - idx[0] + 1:
        return (f"the last {noun}" if k == 1 else f"the last {k} {plural}"), k
    if idx[0] == 0 and k == idx[-1] + 1:
        return (f"the first {noun}" if k == 1 else f"the first {k} {plural}"), k
    return f"{plural} {', '.join(map(str, idx[:6]))}{', ...' if k > 6 else ''}", k


def cells_sentence(part, expected, got, wrong):
    """Where the wrong cells are and what they hold, e.g. "the last input row gets no gradient".

    Examples
    --------
    >>> e = np.ones((1, 1, 3, 2)); g = e.copy(); g[0, 0, 2] = 0
    >>> cells_sentence("dx", e, g, g != e)
    'in dx, the last input row (every column) gets no gradient in yours.'
    """
    if part == "db":
        where, count = _span(wrong, "channel")
        pieces = []
    else:
        pieces = [_span(wrong.any(axis=tuple(a for a in range(4) if a != axis)), noun)[0]
                  for axis, noun in enumerate(_AXES[:2])]
        pieces = [f"in {p}" for p in pieces if not p.startswith("every")]
        cell = _CELL_NAMES[part]
        rows, n_rows = _span(wrong.any(axis=(0, 1, 3)), f"{cell} row")
        cols, n_cols = _span(wrong.any(axis=(0, 1, 2)), f"{cell} column")
        if rows.startswith("every") and cols.startswith("every"):
            where, count = f"every {cell} cell", 1
        elif cols.startswith("every"):
            where, count = f"{rows} (every column)", n_rows
        elif rows.startswith("every"):
            where, count = f"{cols} (every row)", n_cols
        else:
            where, count = f"{rows}, {cols.replace(cell + ' ', '')}", n_rows * n_cols
    one = count == 1
    values, right = got[wrong], expected[wrong]
    ratio = values / np.where(right == 0, np.nan, right)
    if np.all(values == 0):
        what = ("gets no gradient" if one else "get no gradient") if part != "y" else (
            "is 0" if one else "are 0")
    elif np.allclose(values, -right):
        what = "has the sign flipped" if one else "have the sign flipped"
    elif np.all(np.isfinite(ratio)) and np.allclose(ratio, ratio[0]):
        what = f"{'is' if one else 'are'} {ratio[0]:.3g} times the right value"
    else:
        what = "holds wrong values" if one else "hold wrong values"
    extra = f" {' '.join(pieces)}" if pieces else ""
    return f"in {part}, {where}{extra} {what} in yours."


# ------------------------------------------------------------------ the bisection
@dataclass
class Localisation:
    """Where :func:`localise` ended: the smallest failing geometry and what breaks it.

    ``breaking`` are the keys of the features whose removal makes the answer right;
    ``fault`` is the :class:`Fault` on ``smallest``; ``tried`` counts the geometries run.
    """

    start: object
    smallest: object
    fault: Fault
    breaking: list
    tried: int

    def sentence(self):
        """"correct for stride 1; wrong when stride > 1 and ..." (or "wrong even for ...")."""
        features = [f for f in FEATURES if f.key in self.breaking]
        if not features:
            return "wrong even in the simplest case the checker could reach (below)"
        right = " and for ".join(f.right_for for f in features)
        wrong = " and ".join(f.wrong_when for f in features)
        return f"correct for {right}; wrong when {wrong}"

    def where_to_look(self):
        """The advice of the most specific breaking feature (the last in :data:`FEATURES`), or ""."""
        features = [f for f in FEATURES if f.key in self.breaking]
        return features[-1].look if features else ""


def localise(forward, backward, start, fault, time_limit, most=40):
    """Shrink the failing geometry ``start``: features off first, then sizes, while it still fails.

    Each round runs every one-step simplification of the current geometry in one
    sandboxed run and moves to the first that still fails the same way (at most
    ``most`` rounds). Returns a :class:`Localisation`.
    """
    current, tried = start, 0
    for _ in range(most):
        steps = [g for f in FEATURES if f.present(current) for g in f.switched_off(current)]
        steps = list(dict.fromkeys(steps + smaller(current)))
        if not steps:
            break
        faults = run_pair(forward, backward, steps, time_limit)
        tried += len(steps)
        failing = [(s, f) for s, f in zip(steps, faults) if f is not None
                   and f.family == fault.family and s.size() < current.size()]
        if not failing:
            break
        current, fault = min(failing, key=lambda pair: pair[0].size())  # the smallest step down
    # a feature breaks the answer when every way of switching it off makes the answer right
    off = [(f, g) for f in FEATURES if f.present(current) for g in f.switched_off(current)]
    checks = run_pair(forward, backward, [g for _, g in off], time_limit) if off else []
    tried += len(off)
    right = {}
    for (f, _), check in zip(off, checks):
        right[f.key] = right.get(f.key, True) and check is None
    breaking = [key for key, ok in right.items() if ok]
    return Localisation(start, current, fault, breaking, tried)
