"""Checkers for a batched im2row kernel gradient (lesson 05) and the integrated
strided input gradient (lesson 07).

``kernel_grad_one_matmul(x, grad_out, kernel_size)`` must sum over the batch
inside a single matrix product; ``integrated_input_grad(grad_out, weight,
stride, input_size)`` must scatter each output gradient, times the kernel,
into the window it came from at ``(s*i, s*j)``, with no zero insertion.
References: :func:`convlab.conv2d_backward`.
"""

import numpy as np

import convlab as cl

from .shared import full_correlation as _full
from .engine import DEFAULT_TIME_LIMIT, case, run_check
from .shared import ints
from .misconceptions import MESSAGES
from .strided import _fit, _strided_cases, _strided_input_grad, _trailing

NEW_MESSAGES = {
    "batch_mixed_in_reshape": "grad_out reshaped to (C_out, N*P) without moving C_out first: "
                              "that mixes examples and channels; transpose to (C_out, N, P) "
                              "before the reshape.",
    "zero_insert_one_row_too_many": "one row (and column) too many: that is the full "
                                    "correlation of a gradient zero-inserted *after* its last "
                                    "entry too; the windows end at s*(H_out-1) + k - 1.",
}
for _key, _message in NEW_MESSAGES.items():
    MESSAGES.setdefault(_key, _message)


# ---------------------------------------------------------------- lesson 05
def _kernel_grad(x, grad_out, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return cl.conv2d_backward(grad_out, x, np.zeros(w_shape)).dw


def _mixed_reshape(x, grad_out, kernel_size):
    rows = cl.im2row(x, kernel_size).reshape(-1, x.shape[1] * kernel_size[0] * kernel_size[1])
    delta = grad_out.reshape(grad_out.shape[1], -1)
    return (delta @ rows).reshape(grad_out.shape[1], x.shape[1], *kernel_size)


def check_kernel_grad_one_matmul(kernel_grad_one_matmul, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``kernel_grad_one_matmul(x, grad_out, kernel_size)``: dW from one matrix product.

    ``x`` (N, C_in, H, W), ``grad_out`` (N, C_out, H_out, W_out), ``kernel_size``
    (kH, kW); stride 1, no padding; returns (C_out, C_in, kH, kW). Reference:
    ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> r = check_kernel_grad_one_matmul(_kernel_grad)
    kernel_grad_one_matmul: passed 5 cases.
    """
    rng = np.random.default_rng(141)
    specs = [("one example, one channel", 1, 1, 1, (4, 4), (2, 2)),
             ("a batch of 3", 3, 1, 1, (4, 4), (3, 3)),
             ("channels in and out", 2, 3, 2, (5, 5), (3, 3)),
             ("non-square", 2, 2, 3, (5, 6), (2, 3)),
             ("1x1 kernel", 4, 2, 2, (3, 3), (1, 1))]
    cases = []
    for label, n, c_in, c_out, (h, w), (kh, kw) in specs:
        cases.append(case(label, x=ints(rng, n, c_in, h, w),
                          grad_out=ints(rng, n, c_out, h - kh + 1, w - kw + 1),
                          kernel_size=(kh, kw)))
    return run_check(kernel_grad_one_matmul, name="kernel_grad_one_matmul",
                     argument="kernel_grad_one_matmul", cases=cases, reference=_kernel_grad,
                     mistakes=check_kernel_grad_one_matmul.mistakes, time_limit=time_limit)


check_kernel_grad_one_matmul.mistakes = [
    ("batch_mixed_in_reshape", _mixed_reshape),
    ("grad_not_summed_over_batch", lambda x, g, k: _kernel_grad(x[:1], g[:1], k)),
    ("grad_flipped", lambda x, g, k: _kernel_grad(x, g, k)[:, :, ::-1, ::-1]),
]


# ---------------------------------------------------------------- lesson 07
def _scatter(grad_out, weight, stride, input_size, flip=False, overwrite=False):
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    w = weight[:, :, ::-1, ::-1] if flip else weight
    dx = np.zeros((n, c_in) + tuple(input_size))
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                window = (b, slice(None), slice(stride * i, stride * i + kh),
                          slice(stride * j, stride * j + kw))
                contribution = np.einsum("o,ocmn->cmn", grad_out[b, :, i, j], w)
                if overwrite:
                    dx[window] = contribution
                else:
                    dx[window] += contribution
    return dx


def _one_row_too_many(grad_out, weight, stride, input_size):
    kh, kw = weight.shape[2:]
    spread = _trailing(grad_out, stride)
    return _full(spread, cl.flip_kernel(weight), ((kh - 1, kh - 1), (kw - 1, kw - 1)))


def check_integrated_input_grad(integrated_input_grad, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``integrated_input_grad(grad_out, weight, stride, input_size)``: dx without zero insertion.

    Same arguments and answer as ``check_strided_input_grad`` (no padding;
    ``input_size`` = (H, W)); any correct method passes, and the lesson asks
    for the scatter: ``dx[b, :, s*i:s*i+kH, s*j:s*j+kW] += sum_o G[b, o, i, j] W[o]``.

    Examples
    --------
    >>> r = check_integrated_input_grad(_scatter)
    integrated_input_grad: passed 6 cases.
    """
    return run_check(integrated_input_grad, name="integrated_input_grad",
                     argument="integrated_input_grad", cases=_strided_cases(142, True),
                     reference=_strided_input_grad,
                     mistakes=check_integrated_input_grad.mistakes, time_limit=time_limit)


check_integrated_input_grad.mistakes = [
    ("stride_ignored_backward", lambda g, w, s, size: _scatter(g, w, 1, size)),
    ("zero_insert_one_row_too_many", _one_row_too_many),
    ("zero_insert_one_row_too_many",
     lambda g, w, s, size: _fit(_one_row_too_many(g, w, s, size), np.add(size, 1))),
    ("scatter_flipped", lambda g, w, s, size: _scatter(g, w, s, size, flip=True)),
    ("overwrite", lambda g, w, s, size: _scatter(g, w, s, size, overwrite=True)),
]

CHECKERS = (check_kernel_grad_one_matmul, check_integrated_input_grad)
