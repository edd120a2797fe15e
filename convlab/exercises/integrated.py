"""Checkers for a batched im2row kernel gradient (lesson 06) and the integrated
strided input gradient (lesson 08).

``kernel_grad_one_matmul(x, grad_out, kernel_size)`` must sum over the batch
inside a single matrix product; ``integrated_input_grad(grad_out, weight,
stride, input_size)`` must scatter each output gradient, times the kernel,
into the window it came from at ``(s*i, s*j)``, with no zero insertion.
References: :func:`convlab.conv2d_backward`.
"""

import numpy as np

import convlab as cl

from .definition import exercise
from .engine import case
from .shared import (fit_to_size, full_correlation, ints, strided_cases,
                     strided_input_grad_reference, zero_insert_trailing)


# ---------------------------------------------------------------- lesson 06
def _kernel_grad(x, grad_out, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return cl.conv2d_backward(grad_out, x, np.zeros(w_shape)).dw


def _mixed_reshape(x, grad_out, kernel_size):
    rows = cl.im2row(x, kernel_size).reshape(-1, x.shape[1] * kernel_size[0] * kernel_size[1])
    delta = grad_out.reshape(grad_out.shape[1], -1)
    return (delta @ rows).reshape(grad_out.shape[1], x.shape[1], *kernel_size)


@exercise(reference=_kernel_grad, mistakes=[
    ("batch_mixed_in_reshape", _mixed_reshape),
    ("grad_not_summed_over_batch", lambda x, g, k: _kernel_grad(x[:1], g[:1], k)),
    ("grad_flipped", lambda x, g, k: _kernel_grad(x, g, k)[:, :, ::-1, ::-1]),
])
def check_kernel_grad_one_matmul():
    """Check ``kernel_grad_one_matmul(x, grad_out, kernel_size)``: dW from one matrix product.

    ``x`` (N, C_in, H, W), ``grad_out`` (N, C_out, H_out, W_out), ``kernel_size``
    (kH, kW); stride 1, no padding; returns (C_out, C_in, kH, kW). Reference:
    ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> import convlab as cl
    >>> def kernel_grad_one_matmul(x, grad_out, kernel_size):
    ...     rows = cl.im2row(x, kernel_size)                       # (N, P, C_in*kH*kW)
    ...     rows = rows.reshape(-1, rows.shape[-1])                # (N*P, C_in*kH*kW)
    ...     c_out = grad_out.shape[1]
    ...     delta = grad_out.transpose(1, 0, 2, 3).reshape(c_out, -1)   # (C_out, N*P)
    ...     return (delta @ rows).reshape(c_out, x.shape[1], *kernel_size)
    >>> r = check_kernel_grad_one_matmul(kernel_grad_one_matmul)
    kernel_grad_one_matmul: passed 5 cases.
    """
    rng = np.random.default_rng(141)
    specs = [("one example, one channel", 1, 1, 1, (4, 4), (2, 2)),
             ("a batch of 3", 3, 1, 1, (4, 4), (3, 3)),
             ("channels in and out", 2, 3, 2, (5, 5), (3, 3)),
             ("non-square", 2, 2, 3, (5, 6), (2, 3)),
             ("1x1 kernel", 4, 2, 2, (3, 3), (1, 1))]
    return [case(label, x=ints(rng, n, c_in, h, w),
                 grad_out=ints(rng, n, c_out, h - kh + 1, w - kw + 1), kernel_size=(kh, kw))
            for label, n, c_in, c_out, (h, w), (kh, kw) in specs]


# ---------------------------------------------------------------- lesson 08
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
    spread = zero_insert_trailing(grad_out, stride)
    return full_correlation(spread, cl.flip_kernel(weight), ((kh - 1, kh - 1), (kw - 1, kw - 1)))


@exercise(reference=strided_input_grad_reference, mistakes=[
    ("stride_ignored_backward", lambda g, w, s, size: _scatter(g, w, 1, size)),
    ("zero_insert_one_row_too_many", _one_row_too_many),
    ("zero_insert_one_row_too_many",
     lambda g, w, s, size: fit_to_size(_one_row_too_many(g, w, s, size), np.add(size, 1))),
    ("scatter_flipped", lambda g, w, s, size: _scatter(g, w, s, size, flip=True)),
    ("overwrite", lambda g, w, s, size: _scatter(g, w, s, size, overwrite=True)),
])
def check_integrated_input_grad():
    """Check ``integrated_input_grad(grad_out, weight, stride, input_size)``: dx without zero insertion.

    Same arguments and answer as ``check_strided_input_grad`` (no padding;
    ``input_size`` = (H, W)); any correct method passes, and the lesson asks
    for the scatter: ``dx[b, :, s*i:s*i+kH, s*j:s*j+kW] += sum_o G[b, o, i, j] W[o]``.

    Examples
    --------
    >>> def integrated_input_grad(grad_out, weight, stride, input_size):
    ...     n, _, h_out, w_out = grad_out.shape
    ...     kh, kw = weight.shape[2:]
    ...     dx = np.zeros((n, weight.shape[1], *input_size))
    ...     for i, j in np.ndindex(h_out, w_out):  # output (i, j) read the window at (s*i, s*j)
    ...         rows, cols = slice(stride * i, stride * i + kh), slice(stride * j, stride * j + kw)
    ...         dx[:, :, rows, cols] += np.tensordot(grad_out[:, :, i, j], weight, axes=1)
    ...     return dx
    >>> r = check_integrated_input_grad(integrated_input_grad)
    integrated_input_grad: passed 6 cases.
    """
    return strided_cases(142, True)
