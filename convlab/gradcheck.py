"""Finite-difference gradient checks for numpy functions.

A backward pass is only believable once it has been compared with something
that does not share its derivation. Central differences are that something:

    dL/dx[i] ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

where ``L(x) = sum(f(x) * grad_out)`` turns a function with an array output
into a scalar whose gradient is exactly the vector-Jacobian product that a
backward pass returns.  Everything runs in float64 on copies of the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ._checks import as_array, check_callable, check_int, check_number, positive_float

__all__ = ["GradcheckResult", "numerical_gradients", "check_gradients"]


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`check_gradients`; truthy when every entry passed.

    Attributes
    ----------
    passed : bool
        True when every checked entry satisfies
        ``|analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)``.
    max_rel_error : float
        Largest ``|analytic - numeric| / max(|analytic|, |numeric|)`` over all
        entries (0 where both are 0).
    input_index : int
        Which input holds the worst entry (worst by the pass criterion).
    index : tuple of int
        Position of the worst entry inside that input.
    analytic, numeric : float
        The two values at the worst entry.
    rel_error : float
        Relative error at the worst entry.
    names : tuple of str
        Names of the inputs, used in the repr.
    """

    passed: bool
    max_rel_error: float
    input_index: int
    index: tuple
    analytic: float
    numeric: float
    rel_error: float
    names: tuple = field(default=())

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __repr__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        name = (
            self.names[self.input_index]
            if self.input_index < len(self.names)
            else f"input {self.input_index}"
        )
        return (
            f"<gradcheck {status}: worst entry {name}{list(self.index)} "
            f"analytic={self.analytic:.10g} numeric={self.numeric:.10g} "
            f"rel. error={self.rel_error:.2e} (max rel. error {self.max_rel_error:.2e})>"
        )


def _as_float64_copies(inputs, name="inputs"):
    if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"{name} must be a list or tuple of arrays; got {type(inputs).__name__}"
        )
    return [np.array(as_array(a, f"{name}[{i}]"), dtype=np.float64, copy=True)
            for i, a in enumerate(inputs)]


def _resolve_wrt(wrt, n):
    if wrt is None:
        return list(range(n))
    if isinstance(wrt, (int, np.integer, np.ndarray)) and np.ndim(wrt) == 0:
        wrt = [wrt]
    if not isinstance(wrt, (list, tuple, range, np.ndarray)):
        raise TypeError(f"wrt must be an input index or a sequence of them; got {type(wrt).__name__}")
    return [check_int(w, "wrt", 0, n - 1) for w in wrt]


def _default_grad_out(f, xs):
    out = np.asarray(f(*xs), dtype=np.float64)
    # A random (seeded) grad_out catches errors that a grad_out of ones hides,
    # e.g. a gradient summed over the wrong axis.
    return np.random.default_rng(0).standard_normal(out.shape)


def numerical_gradients(f, inputs, grad_out=None, eps=1e-6, wrt=None):
    """Central-difference gradients of ``sum(f(*inputs) * grad_out)``.

    Parameters
    ----------
    f : callable
        ``f(*inputs)`` returns an array (or a scalar).
    inputs : list or tuple of array_like
        The arguments of ``f``; they are copied to float64 and never modified.
    grad_out : array_like, optional
        Weights of the outputs (the upstream gradient). Default: a seeded
        standard-normal array of ``f``'s output shape.
    eps : float, default 1e-6
        Step of the central difference.
    wrt : int or sequence of int, optional
        Inputs to differentiate; default all.

    Returns
    -------
    list of ndarray or None
        One gradient per input (``None`` for inputs not in ``wrt``).

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradients(lambda a, b: a * b, [np.array([2.0]), np.array([3.0])],
    ...                         grad_out=np.ones(1))
    >>> np.round([g[0][0], g[1][0]], 6).tolist()
    [3.0, 2.0]
    """
    check_callable(f, "f")
    eps = positive_float(eps, "eps")
    xs = _as_float64_copies(inputs)
    wrt = _resolve_wrt(wrt, len(xs))
    if grad_out is None:
        g = _default_grad_out(f, xs)
    else:
        g = as_array(grad_out, "grad_out").astype(np.float64)
        out_shape = np.shape(f(*xs))
        if g.shape != out_shape:
            raise ValueError(
                f"grad_out must have the output's shape {out_shape}; got {g.shape}"
            )

    def loss():
        return float(np.sum(np.asarray(f(*xs), dtype=np.float64) * g))

    grads = [None] * len(xs)
    for i in wrt:
        x = xs[i]
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            saved = x[idx]
            x[idx] = saved + eps
            up = loss()
            x[idx] = saved - eps
            down = loss()
            x[idx] = saved
            grad[idx] = (up - down) / (2 * eps)
        grads[i] = grad
    return grads


def check_gradients(
    f: Callable,
    inputs: Sequence,
    analytic,
    grad_out=None,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    wrt=None,
    names: Sequence[str] | None = None,
) -> GradcheckResult:
    """Compare analytic gradients with central differences.

    Parameters
    ----------
    f : callable
        The forward function, ``f(*inputs) -> array``.
    inputs : list or tuple of array_like
        Arguments of ``f``; never modified (the check works on float64 copies).
    analytic : callable or sequence of array_like
        Either the gradients already computed (one per input, ``None`` to skip
        an input) or a callable ``analytic(grad_out, *inputs)`` returning them
        — the backward pass under test.
    grad_out : array_like, optional
        Upstream gradient; default a seeded standard-normal array.
    eps : float, default 1e-6
        Finite-difference step.
    rtol, atol : float
        Entry passes when ``|a - n| <= atol + rtol * max(|a|, |n|)``.
    wrt : int or sequence of int, optional
        Inputs to check; default all (those for which ``analytic`` is not None).
    names : sequence of str, optional
        Input names for the report, e.g. ``("x", "weight")``.

    Returns
    -------
    GradcheckResult
        Truthy when the check passed; its repr names the worst entry.

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``inputs`` is not a list/tuple of arrays.
    ValueError
        If an analytic gradient has the wrong shape or ``grad_out`` does.

    Notes
    -----
    ``L(x) = sum(f(x) * grad_out)``; the analytic gradient of ``L`` with
    respect to an input is what a backward pass returns for that ``grad_out``.
    Kinks (ReLU at 0, ties in a max) make finite differences meaningless:
    choose inputs away from them.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> check_gradients(lambda x: x ** 2, [x], lambda g, x: [2 * x * g])  # doctest: +ELLIPSIS
    <gradcheck passed: worst entry input 0[...] analytic=... rel. error=...>
    >>> bool(check_gradients(lambda x: x ** 2, [x], lambda g, x: [x * g]))
    False
    """
    check_callable(f, "f")
    xs = _as_float64_copies(inputs)
    eps = positive_float(eps, "eps")
    rtol = check_number(rtol, "rtol", 0)
    atol = check_number(atol, "atol", 0)
    if names is not None and (not isinstance(names, (list, tuple))
                              or not all(isinstance(n, str) for n in names)):
        raise TypeError(f"names must be a sequence of str, one per input; got {names!r}")
    if grad_out is None:
        g = _default_grad_out(f, xs)
    else:
        g = as_array(grad_out, "grad_out").astype(np.float64)
    if callable(analytic):
        analytic = analytic(g.copy(), *[x.copy() for x in xs])
    if isinstance(analytic, np.ndarray) or not isinstance(analytic, (list, tuple)):
        raise TypeError(
            "analytic must be a callable or a list/tuple with one gradient per input; "
            f"got {type(analytic).__name__}"
        )
    if len(analytic) != len(xs):
        raise ValueError(
            f"analytic must give one gradient per input ({len(xs)}); got {len(analytic)}"
        )
    if wrt is None:
        wrt = [i for i, a in enumerate(analytic) if a is not None]
    wrt = _resolve_wrt(wrt, len(xs))
    numeric = numerical_gradients(f, xs, grad_out=g, eps=eps, wrt=wrt)
    names = tuple(names) if names is not None else tuple(f"input {i}" for i in range(len(xs)))

    worst = None  # (score, input, index, a, n, rel)
    max_rel = 0.0
    for i in wrt:
        if analytic[i] is None:
            raise ValueError(f"analytic[{i}] is None but input {i} is in wrt")
        a = np.asarray(analytic[i], dtype=np.float64)
        n = numeric[i]
        if a.shape != n.shape:
            raise ValueError(
                f"analytic[{i}] must have the shape of inputs[{i}] {n.shape}; got {a.shape}"
            )
        diff = np.abs(a - n)
        scale = np.maximum(np.abs(a), np.abs(n))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
        score = diff / (atol + rtol * scale)
        if a.size == 0:
            continue
        max_rel = max(max_rel, float(rel.max()))
        k = np.unravel_index(int(np.argmax(score)), a.shape)
        if worst is None or score[k] > worst[0]:
            worst = (float(score[k]), i, tuple(int(v) for v in k), float(a[k]), float(n[k]), float(rel[k]))
    if worst is None:
        return GradcheckResult(True, 0.0, 0, (), 0.0, 0.0, 0.0, names)
    score, i, idx, a, n, rel = worst
    return GradcheckResult(score <= 1.0, max_rel, i, idx, a, n, rel, names)
