"""Checkers for lesson 11: backward passes of ReLU, max pooling and a linear layer.

References are PyTorch's autograd (imported when a checker runs). Inputs
are small integers, so ties and exact zeros happen on purpose: the ReLU
gradient at 0 and max pooling's tie rule (the first maximum in row-major
order, as in PyTorch) are part of the exercise.
"""

import numpy as np

from ..grading.definition import exercise
from ..grading.engine import case
from .common import LOOPS, ints


def _backward_of(forward, inputs, grad_out):
    """Gradients of ``sum(forward(*inputs) * grad_out)`` w.r.t. every input (torch autograd)."""
    import torch
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    forward(*tensors).backward(torch.tensor(grad_out, dtype=torch.float64))
    return tuple(t.grad.numpy() for t in tensors)


# ----------------------------------------------------------------- ReLU
def _relu_backward(x, grad_out):
    import torch
    return _backward_of(torch.relu, [x], grad_out)[0]


@exercise(**LOOPS, reference=_relu_backward, mistakes=[
    ("relu_grad_at_zero", lambda x, g: g * (x >= 0)),
    ("relu_uses_output", lambda x, g: g * np.maximum(x, 0)),
    ("relu_mask_only", lambda x, g: (x > 0).astype(float)),
])
def check_relu_backward():
    """Check ``relu_backward(x, grad_out)``: ``grad_out * (x > 0)``.

    ``x`` is the ReLU's *input*, ``grad_out`` the gradient of its output,
    both of any (same) shape. Reference: ``torch.relu`` under autograd.

    Examples
    --------
    >>> r = check_relu_backward(lambda x, grad_out: np.where(x > 0, grad_out, 0.0))
    relu_backward: passed 5 cases.
    >>> r = check_relu_backward(lambda x, grad_out: grad_out * (x >= 0))  # doctest: +ELLIPSIS
    relu_backward: failed on case 1 of 5 (wrong values).
    ...
        likely misconception: ReLU gradient at 0: ...
    """
    rng = np.random.default_rng(91)
    return [case("an input of exactly 0", x=np.array([-1.0, 0.0, 2.0]),
                 grad_out=np.array([3.0, 5.0, -2.0])),
            case("all positive", x=np.array([1.0, 2.0]), grad_out=np.array([-1.0, 3.0])),
            case("2-D", x=ints(rng, 3, 3), grad_out=ints(rng, 3, 3)),
            case("batch of feature maps", x=ints(rng, 2, 2, 2, 3), grad_out=ints(rng, 2, 2, 2, 3)),
            case("fractional values", x=rng.normal(size=(4, 4)), grad_out=rng.normal(size=(4, 4)))]


# ------------------------------------------------------------- max pool
def _maxpool_backward(x, grad_out, kernel_size, stride):
    import torch
    pool = lambda t: torch.nn.functional.max_pool2d(t, kernel_size, stride)  # noqa: E731
    return _backward_of(pool, [x], grad_out)[0]


def _windows(x, kernel_size, stride):
    """Yield ``(b, c, i, j, window view)`` for every pooling window."""
    n, c, h, w = x.shape
    for b in range(n):
        for ch in range(c):
            for i in range((h - kernel_size) // stride + 1):
                for j in range((w - kernel_size) // stride + 1):
                    yield b, ch, i, j, (b, ch, slice(i * stride, i * stride + kernel_size),
                                        slice(j * stride, j * stride + kernel_size))


def _pool_mistake(share, overwrite=False):
    """Max-pool backward that hands ``grad_out`` to the cells ``share`` picks (a mistake)."""
    def wrong(x, grad_out, kernel_size, stride):
        dx = np.zeros_like(x)
        for b, c, i, j, where in _windows(x, kernel_size, stride):
            portion = share(x[where]) * grad_out[b, c, i, j]
            if overwrite:
                dx[where] = portion
            else:
                dx[where] += portion
        return dx
    return wrong


def _first_max(window):
    mask = np.zeros(window.shape)
    mask[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return mask


@exercise(weight=2, **LOOPS, reference=_maxpool_backward, mistakes=[
    ("maxpool_all_cells", _pool_mistake(lambda w: np.ones(w.shape))),
    ("maxpool_all_ties", _pool_mistake(lambda w: (w == w.max()).astype(float))),
    ("maxpool_average", _pool_mistake(lambda w: np.full(w.shape, 1.0 / w.size))),
    ("overwrite", _pool_mistake(_first_max, overwrite=True)),
])
def check_maxpool_backward():
    """Check ``maxpool_backward(x, grad_out, kernel_size, stride)``: route each gradient to its argmax.

    ``x`` (N, C, H, W) is the pool's input, ``grad_out`` the gradient of its
    output; square windows of int ``kernel_size``, int ``stride``, no padding.
    Ties go to the first maximum (row-major); overlapping windows add up.
    Reference: ``torch.nn.functional.max_pool2d`` under autograd.

    Examples
    --------
    >>> def maxpool_backward(x, grad_out, kernel_size, stride, to_all=False):
    ...     dx, k = np.zeros_like(x), kernel_size
    ...     for b, c, i, j in np.ndindex(*grad_out.shape):
    ...         window = x[b, c, i * stride:i * stride + k, j * stride:j * stride + k]
    ...         mask = np.ones((k, k)) if to_all else np.eye(1, k * k, np.argmax(window)).reshape(k, k)
    ...         dx[b, c, i * stride:i * stride + k, j * stride:j * stride + k] += mask * grad_out[b, c, i, j]
    ...     return dx
    >>> r = check_maxpool_backward(maxpool_backward)
    maxpool_backward: passed 6 cases.
    >>> r = check_maxpool_backward(lambda x, g, k, s: maxpool_backward(x, g, k, s, to_all=True))
    ... # doctest: +ELLIPSIS
    maxpool_backward: failed on case 1 of 6 (wrong values).
    ...
        likely misconception: max-pool gradient sent to all cells of the window: ...
    """
    rng = np.random.default_rng(92)
    distinct = rng.permutation(16).reshape(1, 1, 4, 4).astype(float)
    specs = [("2x2 windows, distinct values", distinct, 2, 2),
             ("a tie in a window", np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), 2, 2),
             ("overlapping windows (stride 1)", ints(rng, 1, 1, 3, 3), 2, 1),
             ("stride does not divide", ints(rng, 1, 2, 5, 5), 2, 2),
             ("3x3 windows, stride 2, batch of two", ints(rng, 2, 1, 5, 5), 3, 2),
             ("1x1 windows", ints(rng, 1, 1, 2, 2), 1, 1)]
    cases = []
    for label, x, k, s in specs:
        shape = x.shape[:2] + tuple((n - k) // s + 1 for n in x.shape[2:])
        cases.append(case(label, x=x, grad_out=ints(rng, *shape) + 4, kernel_size=k, stride=s))
    return cases


# --------------------------------------------------------------- linear
def _linear_backward(x, weight, grad_out):
    import torch
    bias = np.zeros(weight.shape[0])
    return _backward_of(torch.nn.functional.linear, [x, weight, bias], grad_out)


@exercise(weight=2, **LOOPS, reference=_linear_backward, output_names=("dx", "dw", "db"), mistakes=[
    ("linear_weight_transposed", lambda x, w, g: (g @ w.T, g.T @ x, g.sum(axis=0))),
    ("linear_dw_transposed", lambda x, w, g: (g @ w, x.T @ g, g.sum(axis=0))),
    ("bias_grad_not_summed_over_batch", lambda x, w, g: (g @ w, g.T @ x, g[0])),
    ("bias_grad_not_summed_over_batch", lambda x, w, g: (g @ w, g.T @ x, g.mean(axis=0))),
])
def check_linear_backward():
    """Check ``linear_backward(x, weight, grad_out)`` -> ``(dx, dw, db)`` for ``y = x @ weight.T + b``.

    ``x`` (N, in), ``weight`` (out, in), ``grad_out`` (N, out); returns
    ``dx`` (N, in), ``dw`` (out, in), ``db`` (out,), each summed over the
    batch where it applies. Reference: ``torch.nn.functional.linear`` under autograd.

    Examples
    --------
    >>> r = check_linear_backward(lambda x, w, g: (g @ w, g.T @ x, g.sum(axis=0)))
    linear_backward: passed 5 cases.
    """
    rng = np.random.default_rng(93)
    specs = [("batch of one, one feature", 1, 1, 1), ("square weight", 3, 2, 2),
             ("batch of one", 1, 3, 2), ("more inputs than outputs", 2, 4, 3),
             ("larger batch", 5, 3, 4)]
    return [case(label, x=ints(rng, n, f_in), weight=ints(rng, f_out, f_in),
                 grad_out=ints(rng, n, f_out)) for label, n, f_in, f_out in specs]
