"""Checkers for lesson 00 (the primer): the chain rule in index form, a Jacobian's layout,
row-major vec with its Kronecker identity, einsum, and the softmax/cross-entropy gradient.

Each reference is independent of the formula the lesson derives: torch autograd for the
gradients, ``torch.autograd.functional.jacobian`` for the Jacobian, and the definition
``vec(A X B) = M vec(X)`` probed column by column with unit matrices for the Kronecker
matrix. Each known mistake is a slip the primer warns about.
"""

import numpy as np

from ..grading.definition import exercise
from ..grading.engine import case
from .common import LOOPS, NO_AUTOGRAD, import_torch, ints


# ---------------------------------------------------------------- chain rule
def _chain_torch(w1, w2, x, g):
    """dL/dx for y = w2 tanh(w1 x), L = g . y, by torch autograd."""
    import torch
    xs = torch.tensor(x, requires_grad=True)
    y = torch.tensor(w2) @ torch.tanh(torch.tensor(w1) @ xs)
    y.backward(torch.tensor(g))
    return xs.grad.numpy()


def _chain_slip(w1, w2, x, g, slip):
    z = w1 @ x
    slope = {"missing": np.ones_like(z), "pre": 1 - z ** 2}.get(slip, 1 - np.tanh(z) ** 2)
    if slip == "no_transpose":
        return (w1 @ ((w2 @ g) * slope) if w1.shape[0] == w1.shape[1] == w2.shape[0] == w2.shape[1]
                else np.zeros_like(x))
    return w1.T @ ((w2.T @ g) * slope)


@exercise(vary=False, **NO_AUTOGRAD, reference=_chain_torch, mistakes=[
    ("chain_activation_derivative_missing", lambda *a: _chain_slip(*a, "missing")),
    ("chain_derivative_of_wrong_quantity", lambda *a: _chain_slip(*a, "pre")),
    ("chain_matrices_not_transposed", lambda *a: _chain_slip(*a, "no_transpose")),
])
def check_chain_rule_grad():
    """Check ``chain_rule_grad(w1, w2, x, g)``: dL/dx for ``y = w2 @ tanh(w1 @ x)``, given ``g = dL/dy``.

    ``w1`` (J, D_in), ``w2`` (D_out, J), ``x`` (D_in,), ``g`` (D_out,);
    returns ``dL/dx`` of shape (D_in,). Reference: torch autograd.

    Examples
    --------
    >>> def chain_rule_grad(w1, w2, x, g):
    ...     h = np.tanh(w1 @ x)
    ...     return np.einsum("o,oj,j,jc->c", g, w2, 1 - h ** 2, w1)
    >>> r = check_chain_rule_grad(chain_rule_grad)
    chain_rule_grad: passed 3 cases.
    """
    import_torch()
    rng = np.random.default_rng(1)
    return [case("square layers", w1=rng.normal(size=(3, 3)) / 2, w2=rng.normal(size=(3, 3)) / 2,
                 x=rng.normal(size=3), g=rng.normal(size=3)),
            case("3 -> 4 -> 2", w1=rng.normal(size=(4, 3)) / 2, w2=rng.normal(size=(2, 4)) / 2,
                 x=rng.normal(size=3), g=rng.normal(size=2)),
            case("one output", w1=rng.normal(size=(2, 5)) / 2, w2=rng.normal(size=(1, 2)),
                 x=rng.normal(size=5), g=np.array([1.0]))]


# ---------------------------------------------------------------- Jacobian layout
def _jacobian_torch(weight, x):
    """d vec(y) / d vec(W) for y = W x, rows = outputs, row-major vec(W)."""
    import torch
    jac = torch.autograd.functional.jacobian(lambda w: w @ torch.tensor(x), torch.tensor(weight))
    return jac.reshape(weight.shape[0], -1).numpy()


@exercise(**NO_AUTOGRAD, reference=_jacobian_torch, mistakes=[
    ("jacobian_transposed", lambda w, x: _jacobian_torch(w, x).T),
    ("vec_column_major", lambda w, x: np.kron(x[None, :], np.eye(w.shape[0]))),
    ("jacobian_with_respect_to_input", lambda w, x: w),
])
def check_affine_weight_jacobian():
    """Check ``affine_weight_jacobian(weight, x)``: ``d vec(y) / d vec(W)`` for ``y = W x``.

    ``weight`` (D_out, D_in), ``x`` (D_in,); returns (D_out, D_out * D_in):
    one row per output, columns in row-major order of ``W``. Reference:
    ``torch.autograd.functional.jacobian``.

    Examples
    --------
    >>> r = check_affine_weight_jacobian(lambda weight, x: np.kron(np.eye(len(weight)), x))
    affine_weight_jacobian: passed 3 cases.
    """
    import_torch()
    rng = np.random.default_rng(2)
    return [case("2 x 3", weight=ints(rng, 2, 3), x=ints(rng, 3)),
            case("square", weight=ints(rng, 3, 3), x=ints(rng, 3)),
            case("one input", weight=ints(rng, 4, 1), x=np.array([2.0]))]


# ---------------------------------------------------------------- vec and kron
def _kron_by_probing(a, b, x_shape):
    """The matrix M with vec(A X B) = M vec(X), one column per unit matrix X."""
    columns = []
    for index in range(x_shape[0] * x_shape[1]):
        unit = np.zeros(x_shape[0] * x_shape[1])
        unit[index] = 1.0
        columns.append((a @ unit.reshape(x_shape) @ b).reshape(-1))
    return np.stack(columns, axis=1)


@exercise(**NO_AUTOGRAD, reference=lambda a, b, x_shape: _kron_by_probing(a, b, x_shape), mistakes=[
    ("vec_column_major", lambda a, b, s: np.kron(b.T, a)),
    ("kron_without_transpose", lambda a, b, s: np.kron(a, b)),
    ("kron_factors_swapped", lambda a, b, s: np.kron(b, a)),
])
def check_vec_kron():
    """Check ``vec_kron(a, b, x_shape)``: the matrix ``M`` with ``vec(A X B) = M vec(X)``, row-major vec.

    ``a`` (p, r), ``b`` (c, q), ``x_shape = (r, c)``; returns M of shape
    (p * q, r * c). Reference: ``A X B`` computed for every unit matrix ``X``.

    Examples
    --------
    >>> r = check_vec_kron(lambda a, b, x_shape: np.kron(a, b.T))
    vec_kron: passed 3 cases.
    """
    rng = np.random.default_rng(3)
    return [case("2x3 times 3x4 times 4x2", a=ints(rng, 2, 3), b=ints(rng, 4, 2), x_shape=(3, 4)),
            case("square", a=ints(rng, 2, 2), b=ints(rng, 2, 2), x_shape=(2, 2)),
            case("a row times a column", a=ints(rng, 1, 3), b=ints(rng, 2, 1), x_shape=(3, 2))]


# ---------------------------------------------------------------- einsum
def _mix_torch(weight, x):
    import torch
    return torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight)[:, :, None, None]).numpy()


@exercise(**LOOPS, reference=_mix_torch, mistakes=[
    ("einsum_batch_summed", lambda w, x: np.einsum("oc,ecij->oij", w, x)),
    ("einsum_axes_out_of_order", lambda w, x: np.einsum("oc,ecij->oeij", w, x)),
    ("einsum_weight_transposed", lambda w, x: np.einsum("co,ecij->eoij", w, x)
     if w.shape[0] == w.shape[1] else np.einsum("oc,ecij->eoji", w, x)),
])
def check_channel_mix():
    """Check ``channel_mix(weight, x)``: ``y[e, o, i, j] = sum_c weight[o, c] x[e, c, i, j]`` (a 1x1 convolution).

    ``weight`` (C_out, C_in), ``x`` (N, C_in, H, W); returns (N, C_out, H, W).
    Reference: ``torch.nn.functional.conv2d`` with a 1x1 kernel.

    Examples
    --------
    >>> r = check_channel_mix(lambda weight, x: np.einsum("oc,ecij->eoij", weight, x))
    channel_mix: passed 3 cases.
    """
    import_torch()
    rng = np.random.default_rng(4)
    return [case("square weight, two images", weight=ints(rng, 3, 3), x=ints(rng, 2, 3, 2, 4)),
            case("3 -> 2 channels", weight=ints(rng, 2, 3), x=ints(rng, 3, 3, 2, 2)),
            case("one image", weight=ints(rng, 4, 2), x=ints(rng, 1, 2, 3, 3))]


# ---------------------------------------------------------------- softmax and cross-entropy
def _ce_torch(logits, labels):
    import torch
    z = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(z, torch.tensor(labels)).backward()
    return z.grad.numpy()


def _softmax(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _onehot(labels, classes):
    return np.eye(classes)[labels]


@exercise(vary=False, **NO_AUTOGRAD, reference=_ce_torch, mistakes=[
    ("mean_forgotten", lambda z, t: _softmax(z) - _onehot(t, z.shape[1])),
    ("onehot_minus_softmax", lambda z, t: (_onehot(t, z.shape[1]) - _softmax(z)) / len(z)),
    ("softmax_over_batch_axis", lambda z, t: (_softmax(z, 0) - _onehot(t, z.shape[1])) / len(z)),
])
def check_cross_entropy_grad():
    """Check ``cross_entropy_grad(logits, labels)``: ``G = dL/dZ`` of the batch-mean cross-entropy.

    ``logits`` (N, D_out), ``labels`` (N,) ints; returns G of shape (N, D_out).
    Reference: ``torch.nn.functional.cross_entropy`` (mean reduction) under autograd.

    Examples
    --------
    >>> def cross_entropy_grad(logits, labels):
    ...     p = np.exp(logits - logits.max(axis=1, keepdims=True))
    ...     p /= p.sum(axis=1, keepdims=True)
    ...     p[np.arange(len(labels)), labels] -= 1
    ...     return p / len(labels)
    >>> r = check_cross_entropy_grad(cross_entropy_grad)
    cross_entropy_grad: passed 3 cases.
    """
    import_torch()
    rng = np.random.default_rng(5)
    return [case("three examples", logits=rng.normal(size=(3, 4)), labels=np.array([0, 3, 1])),
            case("large logits", logits=100 * rng.normal(size=(2, 3)), labels=np.array([2, 0])),
            case("one example", logits=rng.normal(size=(1, 5)), labels=np.array([4]))]
