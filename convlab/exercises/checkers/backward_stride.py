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

from ...blocks import flip_kernel, zero_insert
from ...conv import conv2d_backward
from ...shapes import conv_output_size
from ..grading.definition import exercise
from ..grading.engine import case
from .common import (
    LOOPS,
    NO_BACKWARD,
    STRIDED_GRAD_SPACE,
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


@exercise(weight=3, space=STRIDED_GRAD_SPACE, **NO_BACKWARD, reference=strided_input_grad_reference, mistakes=[
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


@exercise(weight=3, **LOOPS, reference=_strided_kernel_grad, mistakes=[
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
    return full_correlation(spread, flip_kernel(weight), ((kh - 1, kh - 1), (kw - 1, kw - 1)))


@exercise(weight=3, space=STRIDED_GRAD_SPACE, **NO_BACKWARD, reference=strided_input_grad_reference, mistakes=[
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


# ------------------------------------------- transfer tasks: per-axis stride, padding, dilation
def _strides(stride):
    return (stride, stride) if np.ndim(stride) == 0 else tuple(stride)


def _place(grad_out, stride, dense_shape, at_block_end=False):
    """Zeros of ``dense_shape``, with ``grad_out[i, j]`` at ``(s_h*i, s_w*j)`` (or the block's end)
    wherever that fits."""
    (s_h, s_w), (h, w) = _strides(stride), grad_out.shape[-2:]
    shift_h, shift_w = (s_h - 1, s_w - 1) if at_block_end else (0, 0)
    rows = [r for r in range(shift_h, shift_h + s_h * h, s_h) if r < dense_shape[0]]
    cols = [c for c in range(shift_w, shift_w + s_w * w, s_w) if c < dense_shape[1]]
    dense = np.zeros(grad_out.shape[:-2] + tuple(dense_shape))
    dense[..., rows[0]:rows[-1] + 1:s_h, cols[0]:cols[-1] + 1:s_w] = grad_out[..., :len(rows), :len(cols)]
    return dense


def _subsample_grad(grad_out, stride, dense_shape):
    """The gradient of the stride-1 output: ``grad_out`` at ``(s_h*i, s_w*j)``, 0 elsewhere."""
    return _place(grad_out, stride, dense_shape)


def _subsample_grad_repeat(grad_out, stride, dense_shape):
    """Nearest-neighbour upsampling: every entry copied over its s x s block."""
    s_h, s_w = _strides(stride)
    block = np.repeat(np.repeat(grad_out, s_h, axis=-2), s_w, axis=-1)
    out = np.zeros(grad_out.shape[:-2] + tuple(dense_shape))
    h, w = min(block.shape[-2], dense_shape[0]), min(block.shape[-1], dense_shape[1])
    out[..., :h, :w] = block[..., :h, :w]
    return out


def _subsample_grad_at_block_end(grad_out, stride, dense_shape):
    """Each entry put at the end of its block, ``s*i + s - 1``, instead of at ``s*i``."""
    return _place(grad_out, stride, dense_shape, at_block_end=True)


@exercise(**LOOPS, reference=_subsample_grad, mistakes=[
    ("upsample_repeat", _subsample_grad_repeat),
    ("subsample_offset", _subsample_grad_at_block_end),
    ("stride_axes_swapped", lambda g, s, shape: _place(g, _strides(s)[::-1], shape)),
    ("zero_insert_one_axis", lambda g, s, shape: _place(g, (max(_strides(s)), 1), shape)),
])
def check_subsample_grad():
    """Check ``subsample_grad(grad_out, stride, dense_shape)``: the gradient through "keep every s-th".

    A strided convolution is the stride-1 one, ``Y1`` of shape ``dense_shape``,
    subsampled: ``Y[..., i, j] = Y1[..., s_h*i, s_w*j]``. Return ``dL/dY1``
    (``grad_out``'s leading axes, then ``dense_shape``): ``grad_out`` at the
    kept positions, 0 at every dropped one (trailing ones included).
    ``stride`` is an int or a pair ``(s_h, s_w)``.

    Examples
    --------
    >>> def subsample_grad(grad_out, stride, dense_shape):
    ...     sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ...     out = np.zeros(grad_out.shape[:-2] + tuple(dense_shape))
    ...     for i, j in np.ndindex(*grad_out.shape[-2:]):
    ...         out[..., sh * i, sw * j] = grad_out[..., i, j]
    ...     return out
    >>> r = check_subsample_grad(subsample_grad)
    subsample_grad: passed 6 cases.
    """
    rng = np.random.default_rng(143)
    return [case("stride 1 changes nothing", grad_out=ints(rng, 2, 3), stride=1, dense_shape=(2, 3)),
            case("stride 2, no dropped row at the end", grad_out=ints(rng, 2, 2), stride=2,
                 dense_shape=(3, 3)),
            case("stride 2, a dropped last row and column", grad_out=ints(rng, 3, 3), stride=2,
                 dense_shape=(6, 6)),
            case("stride (2, 1)", grad_out=ints(rng, 2, 4), stride=(2, 1), dense_shape=(4, 4)),
            case("stride (1, 3)", grad_out=ints(rng, 3, 2), stride=(1, 3), dense_shape=(3, 5)),
            case("batch and channels, stride 3", grad_out=ints(rng, 2, 2, 2, 2), stride=3,
                 dense_shape=(5, 6))]


def _padded_dilated_input_grad(grad_out, weight, stride, padding, dilation, input_size):
    x_shape = (len(grad_out), weight.shape[1], *input_size)
    return conv2d_backward(grad_out, np.zeros(x_shape), weight, stride=stride,
                              padding=padding, dilation=dilation).dx


def _input_grad_of_padded(grad_out, weight, stride, padding, dilation, input_size):
    """The gradient of the *padded* input, cut to the input's size from its top-left corner."""
    padded = tuple(n + 2 * padding for n in input_size)
    return fit_to_size(_padded_dilated_input_grad(grad_out, weight, stride, 0, dilation, padded),
                       input_size)


def _taps_adjacent_input_grad(grad_out, weight, stride, padding, dilation, input_size):
    """The scatter with taps at ``s*i + m`` instead of ``s*i + d*m``: the dilation left out."""
    (n, _, h_out, w_out), (_, c_in, kh, kw) = grad_out.shape, weight.shape
    h, w = input_size
    dxp = np.zeros((n, c_in, h + 2 * padding + kh, w + 2 * padding + kw))
    for m, q in np.ndindex(kh, kw):
        dxp[:, :, m:m + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride] += \
            np.einsum("boij,oc->bcij", grad_out, weight[:, :, m, q])
    return dxp[:, :, padding:padding + h, padding:padding + w]


def _padded_dilated_cases(seed, with_weight):
    rng = np.random.default_rng(seed)
    table = [("stride 2, padding 1, dense", 2, 1, 1, (1, 1, 6, 6), (1, 1, 3, 3)),
             ("stride 1, dilation 2", 1, 0, 2, (1, 1, 6, 5), (1, 1, 2, 2)),
             ("stride 2, dilation 2, padding 2", 2, 2, 2, (1, 2, 7, 7), (2, 2, 3, 3)),
             ("stride 3, dilation 2, remainder", 3, 1, 2, (2, 1, 9, 8), (1, 1, 2, 3)),
             ("padding as large as the kernel", 2, 3, 1, (1, 1, 5, 5), (1, 1, 3, 3)),
             ("stride 2, dilation 3, channels", 2, 1, 3, (1, 2, 9, 9), (3, 2, 2, 2))]
    cases = []
    for label, s, p, d, x_shape, w_shape in table:
        out = tuple(conv_output_size(n, k, stride=s, padding=p, dilation=d)
                    for n, k in zip(x_shape[2:], w_shape[2:]))
        g = ints(rng, x_shape[0], w_shape[0], *out)
        if with_weight:
            cases.append(case(label, grad_out=g, weight=ints(rng, *w_shape), stride=s, padding=p,
                              dilation=d, input_size=x_shape[2:]))
        else:
            cases.append(case(label, x=ints(rng, *x_shape), grad_out=g, stride=s, padding=p,
                              dilation=d, kernel_size=w_shape[2:]))
    return cases


@exercise(**NO_BACKWARD, reference=_padded_dilated_input_grad, mistakes=[
    ("dilation_ignored_backward", _taps_adjacent_input_grad),
    ("padding_not_cropped", _input_grad_of_padded),
    ("kernel_not_flipped",
     lambda g, w, s, p, d, size: _padded_dilated_input_grad(g, flip_kernel(w), s, p, d, size)),
    ("stride_ignored_backward",
     lambda g, w, s, p, d, size: fit_to_size(_padded_dilated_input_grad(
         g, w, 1, p, d, tuple(n - 2 * p + d * (k - 1) for n, k in zip(g.shape[2:], w.shape[2:]))),
         size)),
])
def check_padded_dilated_input_grad():
    """Check ``padded_dilated_input_grad(grad_out, weight, stride, padding, dilation, input_size)``.

    ``dx`` of a convolution with an int ``stride``, ``padding`` and
    ``dilation``: ``grad_out`` (N, C_out, H_out, W_out), ``weight``
    (C_out, C_in, kH, kW), ``input_size`` (H, W); returns (N, C_in, H, W).
    Reference: ``convlab.conv2d_backward(...).dx``.

    Examples
    --------
    >>> def padded_dilated_input_grad(grad_out, weight, stride, padding, dilation, input_size):
    ...     (n, _, h_out, w_out), (_, c_in, kh, kw) = grad_out.shape, weight.shape
    ...     h, w = input_size
    ...     dx = np.zeros((n, c_in, h + 2 * padding, w + 2 * padding))
    ...     for i, j, m, q in np.ndindex(h_out, w_out, kh, kw):
    ...         a, b = stride * i + dilation * m, stride * j + dilation * q
    ...         dx[:, :, a, b] += grad_out[:, :, i, j] @ weight[:, :, m, q]
    ...     return dx[:, :, padding:padding + h, padding:padding + w]
    >>> r = check_padded_dilated_input_grad(padded_dilated_input_grad)
    padded_dilated_input_grad: passed 6 cases.
    """
    return _padded_dilated_cases(144, True)


def _padded_dilated_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return conv2d_backward(grad_out, x, np.zeros(w_shape), stride=stride, padding=padding,
                              dilation=dilation).dw


def _taps_adjacent_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size):
    """Taps at ``s*i + m`` instead of ``s*i + d*m``: the dilation left out of the index."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    (kh, kw), (h_out, w_out) = kernel_size, grad_out.shape[2:]
    dw = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    for m, q in np.ndindex(kh, kw):
        seen = xp[:, :, m:m + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
        dw[:, :, m, q] = np.einsum("boij,bcij->oc", grad_out, seen)
    return dw


def _unpadded_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size):
    """The input read without its padding: windows start ``p`` cells too far in."""
    grown = np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))
    return _padded_dilated_kernel_grad(grown, grad_out, stride, 0, dilation, kernel_size)


@exercise(**NO_BACKWARD, reference=_padded_dilated_kernel_grad, mistakes=[
    ("dilation_ignored_backward", _taps_adjacent_kernel_grad),
    ("padding_ignored_backward", _unpadded_kernel_grad),
    ("grad_flipped", lambda x, g, s, p, d, k: flip_kernel(_padded_dilated_kernel_grad(x, g, s, p, d, k))),
    ("grad_not_summed_over_batch",
     lambda x, g, s, p, d, k: _padded_dilated_kernel_grad(x[:1], g[:1], s, p, d, k)),
])
def check_padded_dilated_kernel_grad():
    """Check ``padded_dilated_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size)``.

    ``dW[o, c, m, n] = sum over e, i, j of G[e, o, i, j] Xp[e, c, s*i + d*m, s*j + d*n]``
    with ``Xp`` the input padded by ``padding``; returns (C_out, C_in, kH, kW).
    Reference: ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> def padded_dilated_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size):
    ...     xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ...     (kh, kw), (h_out, w_out) = kernel_size, grad_out.shape[2:]
    ...     dw = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    ...     for i, j, m, q in np.ndindex(h_out, w_out, kh, kw):
    ...         a, b = stride * i + dilation * m, stride * j + dilation * q
    ...         dw[:, :, m, q] += grad_out[:, :, i, j].T @ xp[:, :, a, b]
    ...     return dw
    >>> r = check_padded_dilated_kernel_grad(padded_dilated_kernel_grad)
    padded_dilated_kernel_grad: passed 6 cases.
    """
    return _padded_dilated_cases(145, False)
