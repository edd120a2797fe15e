"""Checkers for lesson 11: the gradient that fits a kernel, and a kernel's 1-D factors.

- ``kernel_loss_grad(image, kernel, target)``: dL/dK for
  ``L = mean(((image * K)_same - target)**2)`` (zero "same" padding, odd k);
  reference: ``F.conv2d`` under torch autograd;
- ``rank_one_factors(kernel)``: ``(column, row)`` with
  ``np.outer(column, row) == kernel`` for a separable (rank-1) kernel; the
  factors are unique only up to a scale, so the checker compares their outer
  product with the kernel.
"""

import numpy as np

import convlab as cl

from .definition import exercise
from .engine import case
from .shared import ints
from ._torch import import_torch


def _loss_grad(image, kernel, target):
    import torch
    k = torch.tensor(kernel, requires_grad=True)
    out = torch.nn.functional.conv2d(torch.tensor(image)[None, None], k[None, None],
                                     padding=kernel.shape[0] // 2)[0, 0]
    ((out - torch.tensor(target)) ** 2).mean().backward()
    return k.grad.numpy()


def _residual_correlation(image, kernel, target):
    """``correlate(pad(I), R)`` without the mean's factor 2 / (H W)."""
    p = kernel.shape[0] // 2
    residual = cl.correlate2d(image, kernel, padding=p) - target
    return cl.correlate2d(cl.pad(image, p), residual)


@exercise(reference=_loss_grad, mistakes=[
    ("mean_factor_missing", lambda i, k, t: 2 * _residual_correlation(i, k, t)),
    ("square_factor_missing", lambda i, k, t: _residual_correlation(i, k, t) / i.size),
    ("grad_flipped", lambda i, k, t: _loss_grad(i, k, t)[::-1, ::-1]),
])
def check_kernel_loss_grad():
    """Check ``kernel_loss_grad(image, kernel, target)``: dL/dK of a mean squared error.

    ``image`` and ``target`` (H, W), ``kernel`` (k, k) with k odd; returns (k, k).

    Examples
    --------
    >>> def correlate(a, b):  # valid cross-correlation
    ...     (h, w), (kh, kw) = a.shape, b.shape
    ...     return np.array([[np.sum(a[i:i + kh, j:j + kw] * b) for j in range(w - kw + 1)]
    ...                      for i in range(h - kh + 1)])
    >>> def kernel_loss_grad(image, kernel, target):
    ...     padded = np.pad(image, kernel.shape[0] // 2)
    ...     residual = correlate(padded, kernel) - target
    ...     return 2 / image.size * correlate(padded, residual)
    >>> r = check_kernel_loss_grad(kernel_loss_grad)
    kernel_loss_grad: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(161)
    return [case("1x1 kernel", image=ints(rng, 3, 3), kernel=np.array([[2.0]]),
                 target=ints(rng, 3, 3)),
            case("3x3, exact target", image=ints(rng, 4, 4), kernel=ints(rng, 3, 3),
                 target=np.zeros((4, 4))),
            case("non-square image", image=ints(rng, 4, 6), kernel=ints(rng, 3, 3),
                 target=ints(rng, 4, 6)),
            case("5x5 kernel", image=rng.normal(size=(6, 5)), kernel=rng.normal(size=(5, 5)),
                 target=rng.normal(size=(6, 5)))]


# ---------------------------------------------------------------- rank one
def _outer_of_factors(rank_one_factors, kernel):
    factors = rank_one_factors(kernel)
    if not isinstance(factors, (tuple, list)) or len(factors) != 2:
        return factors  # the comparison reports the wrong type
    column, row = (np.asarray(f, dtype=float).ravel() for f in factors)
    return np.outer(column, row)


def _naive_factors(kernel):
    column = kernel[:, 0]
    row = kernel[0] / kernel[0, 0]
    return column, row


@exercise(reference=lambda kernel: kernel, call=_outer_of_factors, mistakes=[
    ("zero_pivot", lambda kernel: np.outer(*_naive_factors(kernel))),
])
def check_rank_one_factors():
    """Check ``rank_one_factors(kernel)``: 1-D ``(column, row)`` whose outer product is ``kernel``.

    Every case is a rank-1 kernel; the checker compares ``np.outer(column, row)``
    with the kernel.

    Examples
    --------
    >>> def rank_one_factors(kernel):
    ...     u, s, vt = np.linalg.svd(kernel)
    ...     return u[:, 0] * s[0], vt[0]
    >>> r = check_rank_one_factors(rank_one_factors)
    rank_one_factors: passed 5 cases.
    """
    import_torch()
    return [case("Sobel x", kernel=np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])),
            case("a zero corner", kernel=np.outer([0.0, 1.0, 2.0], [1.0, 0.0, -1.0])),
            case("a Gaussian", kernel=np.outer(*[np.exp(-np.arange(-2, 3) ** 2 / 2)] * 2)),
            case("negative entries", kernel=np.outer([-1.0, 3.0], [2.0, -0.5, 1.0])),
            case("1x1", kernel=np.array([[-4.0]]))]
