"""Checkers for lesson 08 (stride in the backward pass): zero insertion, the strided
input and kernel gradients, and the integrated strided input gradient.

A stride-s convolution is a stride-1 convolution whose output is subsampled;
its gradients come from the stride-1 formulas once ``s - 1`` zeros are
inserted between the output-gradient entries -- or, without zero insertion,
by scattering each output gradient times the kernel into the window it came
from at ``(s*i, s*j)``. References: :func:`convlab.zero_insert` and
:func:`convlab.conv2d_backward`.
"""

import numpy as np

import convlab as cl
from convlab import flip_kernel, zero_insert

from ..grading.definition import exercise
from ..grading.engine import case
from .common import (
    STRIDED_GRAD_SPACE,
    LOOPS,
    NO_BACKWARD,
    fit_to_size,
    full_correlation,
    gradients,
    ints,
    strided_cases,
    strided_input_grad_reference,
    zero_insert_trailing,
)


@exercise(**LOOPS, reference=zero_insert, mistakes=[
    ("zero_insert_trailing", zero_insert_trailing),
    ("zero_insert_count", lambda g, s: zero_insert(g, s + 1)),
    ("zero_insert_one_axis", lambda g, s: zero_insert(g, (s, 1))),
    ("zero_insert_one_axis", lambda g, s: zero_insert(g, (1, s))),
])
def check_zero_insert():
    """Check ``zero_insert(g, stride)``: ``stride - 1`` zeros between entries of the last two axes.

    ``g`` (..., H, W), int ``stride``; returns (..., (H-1)*stride + 1, (W-1)*stride + 1).
    Reference: :func:`convlab.zero_insert`.

    Examples
    --------
    >>> def zero_insert(g, stride):
    ...     h, w = g.shape[-2:]
    ...     out = np.zeros(g.shape[:-2] + ((h - 1) * stride + 1, (w - 1) * stride + 1))
    ...     out[..., ::stride, ::stride] = g
    ...     return out
    >>> r = check_zero_insert(zero_insert)
    zero_insert: passed 6 cases.
    """
    rng = np.random.default_rng(71)
    return [case("stride 1 changes nothing", g=ints(rng, 2, 2), stride=1),
            case("a single entry", g=np.array([[5.0]]), stride=3),
            case("stride 2", g=np.array([[1.0, 2.0], [3.0, 4.0]]), stride=2),
            case("non-square, stride 3", g=ints(rng, 2, 3), stride=3),
            case("one row", g=ints(rng, 1, 4), stride=2),
            case("batch and channels", g=ints(rng, 2, 2, 2, 2), stride=2)]


def _spread_full(g, w, s, size, flip=True):
    return fit_to_size(full_correlation(zero_insert(g, s), flip_kernel(w) if flip else w, "full"), size)


@exercise(space=STRIDED_GRAD_SPACE, **NO_BACKWARD, reference=strided_input_grad_reference, mistakes=[
    ("stride_ignored_backward", lambda g, w, s, size: full_correlation(g, flip_kernel(w), "full")),
    ("stride_ignored_backward", lambda g, w, s, size: _spread_full(g, w, 1, size)),
    ("kernel_not_flipped", lambda g, w, s, size: _spread_full(g, w, s, size, flip=False)),
    ("zero_insert_count", lambda g, w, s, size: _spread_full(g, w, s + 1, size)),
])
def check_strided_input_grad():
    """Check ``strided_input_grad(grad_out, weight, stride, input_size)``: ``dx`` for stride > 1.

    ``grad_out`` (N, C_out, H_out, W_out), ``weight`` (C_out, C_in, kH, kW),
    int ``stride``, ``input_size`` (H, W) (needed: several sizes give the
    same H_out); no padding. Returns (N, C_in, H, W); rows and columns no
    window covered get 0. Reference: ``convlab.conv2d_backward(...).dx``.

    Examples
    --------
    >>> def strided_input_grad(grad_out, weight, stride, input_size):
    ...     (n, _, h_out, w_out), (_, c_in, kh, kw) = grad_out.shape, weight.shape
    ...     dx = np.zeros((n, c_in, *input_size))
    ...     for i in range(h_out):
    ...         for j in range(w_out):
    ...             window = np.einsum("bo,ocmn->bcmn", grad_out[:, :, i, j], weight)
    ...             dx[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += window
    ...     return dx
    >>> r = check_strided_input_grad(strided_input_grad)
    strided_input_grad: passed 6 cases.
    """
    return strided_cases(72, True)


def _strided_kernel_grad(x, grad_out, stride, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return gradients(grad_out, None, w_shape, stride=stride, x=x).dw


def _dense_kernel_grad(x, g, s, k):
    """The stride-1 formula applied as if the stride were 1."""
    crop = x[:, :, :g.shape[2] + k[0] - 1, :g.shape[3] + k[1] - 1]
    return _strided_kernel_grad(crop, g, 1, k)


@exercise(**LOOPS, reference=_strided_kernel_grad, mistakes=[
    ("stride_ignored_backward", _dense_kernel_grad),
    ("grad_flipped", lambda x, g, s, k: flip_kernel(_strided_kernel_grad(x, g, s, k))),
    ("grad_not_summed_over_batch", lambda x, g, s, k: _strided_kernel_grad(x[:1], g[:1], s, k)),
])
def check_strided_kernel_grad():
    """Check ``strided_kernel_grad(x, grad_out, stride, kernel_size)``: ``dW`` for stride > 1.

    ``dW[o, c, m, n] = sum over b, i, j of grad_out[b, o, i, j] x[b, c, s*i + m, s*j + n]``;
    returns (C_out, C_in, kH, kW). Reference: ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> def strided_kernel_grad(x, grad_out, stride, kernel_size):
    ...     (h_out, w_out), (kh, kw) = grad_out.shape[2:], kernel_size
    ...     dw = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    ...     for m in range(kh):
    ...         for n in range(kw):
    ...             seen = x[:, :, m:m + stride * h_out:stride, n:n + stride * w_out:stride]
    ...             dw[:, :, m, n] = np.einsum("boij,bcij->oc", grad_out, seen)
    ...     return dw
    >>> r = check_strided_kernel_grad(strided_kernel_grad)
    strided_kernel_grad: passed 6 cases.
    """
    return strided_cases(73, False)


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


@exercise(space=STRIDED_GRAD_SPACE, **NO_BACKWARD, reference=strided_input_grad_reference, mistakes=[
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
