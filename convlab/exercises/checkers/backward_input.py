"""Checkers for lesson 07 (backward: input): the input gradient as a full correlation
with the rotated kernel, as a scatter of windows, and row2im.

References come from :func:`convlab.conv2d_backward` and :func:`convlab.row2im`.
The known mistakes include a kernel not rotated and ``=`` where ``+=`` is needed.
"""

import numpy as np

from ...blocks import flip_kernel
from ...conv import conv2d
from ...matrices import row2im
from ...shapes import conv_output_size
from ..grading.definition import exercise
from ..grading.engine import case
from .common import LOOPS, cases_of_shapes, full_correlation, gradients, ints


def _input_grad(grad_out, weight):
    n, _, h_out, w_out = grad_out.shape
    x_shape = (n, weight.shape[1], h_out + weight.shape[2] - 1, w_out + weight.shape[3] - 1)
    return gradients(grad_out, x_shape, None, weight=weight).dx


_GRAD_WEIGHT_SHAPES = [  # (label, grad_out, weight)
    ("1x1 kernel", (1, 1, 2, 2), (1, 1, 1, 1)),
    ("batch of one, single channel", (1, 1, 2, 2), (1, 1, 2, 2)),
    ("single channel, 3x3 kernel", (1, 1, 3, 3), (1, 1, 3, 3)),
    ("same number of input and output channels", (1, 2, 2, 3), (2, 2, 2, 2)),
    ("more input than output channels", (2, 1, 3, 2), (1, 3, 2, 3)),
    ("batch and channels", (2, 3, 3, 3), (3, 2, 3, 2))]


def _overwrite_windows(grad_out, weight, per_channel):
    """The scatter loop with ``=`` instead of ``+=`` (the mistake, on purpose)."""
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in, h_out + kh - 1, w_out + kw - 1))
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                if per_channel:
                    for o in range(c_out):
                        dx[b, :, i:i + kh, j:j + kw] = grad_out[b, o, i, j] * weight[o]
                else:
                    dx[b, :, i:i + kh, j:j + kw] = np.tensordot(grad_out[b, :, i, j], weight, 1)
    return dx


_INPUT_GRAD_MISTAKES = [
    ("kernel_not_flipped", lambda g, w: full_correlation(g, w, "full")),
    ("padding_half_not_full", lambda g, w: full_correlation(
        g, flip_kernel(w), ((w.shape[2] - 1) // 2, (w.shape[3] - 1) // 2))),
    ("padding_one_side", lambda g, w: full_correlation(
        g, flip_kernel(w), ((0, w.shape[2] - 1), (0, w.shape[3] - 1)))),
    ("weight_channels_not_swapped", lambda g, w: conv2d(g, flip_kernel(w), padding="full")),
    ("overwrite", lambda g, w: _overwrite_windows(g, w, per_channel=False)),
    ("overwrite", lambda g, w: _overwrite_windows(g, w, per_channel=True)),
]


@exercise(weight=3, **LOOPS, reference=_input_grad, mistakes=_INPUT_GRAD_MISTAKES)
def check_input_grad():
    """Check ``input_grad(grad_out, weight)``: ``dx`` for stride 1, no padding.

    ``grad_out`` (N, C_out, H_out, W_out), ``weight`` (C_out, C_in, kH, kW);
    returns (N, C_in, H_out + kH - 1, W_out + kW - 1): the full correlation
    of ``grad_out`` with the 180°-rotated kernel, channel axes swapped.
    Reference: ``convlab.conv2d_backward(...).dx``.

    Examples
    --------
    >>> def input_grad(grad_out, weight, flip=True):
    ...     kh, kw = weight.shape[2:]
    ...     g = np.pad(grad_out, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    ...     rotated = weight[:, :, ::-1, ::-1] if flip else weight
    ...     h, w = g.shape[2] - kh + 1, g.shape[3] - kw + 1
    ...     return np.array([[np.einsum("boij,ocij->bc", g[:, :, i:i + kh, j:j + kw], rotated)
    ...                       for j in range(w)] for i in range(h)]).transpose(2, 3, 0, 1)
    >>> r = check_input_grad(input_grad)
    input_grad: passed 6 cases.
    >>> r = check_input_grad(lambda grad_out, weight: input_grad(grad_out, weight, flip=False))
    ... # doctest: +ELLIPSIS
    input_grad: failed on case 2 of 6 (wrong values).
    ...
        likely misconception: your kernel is not flipped: ...
    """
    return cases_of_shapes(61, ("grad_out", "weight"), _GRAD_WEIGHT_SHAPES)


@exercise(weight=3, **LOOPS, reference=_input_grad, mistakes=[
    ("scatter_flipped" if key == "kernel_not_flipped" else key, f) for key, f in _INPUT_GRAD_MISTAKES])
def check_scatter_input_grad():
    """Check ``scatter_input_grad(grad_out, weight)``: the same ``dx``, by scattering.

    Each ``grad_out[b, o, i, j] * weight[o]`` is *added* into the input
    window ``dx[b, :, i:i+kH, j:j+kW]`` it came from. Same shapes and
    reference as :func:`check_input_grad`.

    Examples
    --------
    >>> def scatter_input_grad(grad_out, weight):
    ...     (n, c_out, h_out, w_out), (_, c_in, kh, kw) = grad_out.shape, weight.shape
    ...     dx = np.zeros((n, c_in, h_out + kh - 1, w_out + kw - 1))
    ...     for i in range(h_out):
    ...         for j in range(w_out):
    ...             dx[:, :, i:i + kh, j:j + kw] = np.einsum("bo,ocmn->bcmn", grad_out[:, :, i, j], weight)
    ...     return dx
    >>> r = check_scatter_input_grad(scatter_input_grad)  # doctest: +ELLIPSIS
    scatter_input_grad: failed on case 2 of 6 (wrong values).
    ...
        likely misconception: you overwrite overlapping windows (`=` where `+=` is needed): ...
    """
    return cases_of_shapes(62, ("grad_out", "weight"), _GRAD_WEIGHT_SHAPES)


def _row2im_overwrite(rows, input_shape, kernel_size, stride):
    c, h, w = input_shape
    kh, kw = kernel_size
    w_out = conv_output_size(w, kw, stride)
    image = np.zeros(input_shape)
    for p, row in enumerate(rows):
        i, j = divmod(p, w_out)
        image[:, i * stride:i * stride + kh, j * stride:j * stride + kw] = row.reshape(c, kh, kw)
    return image


def _row2im_channels_last(rows, input_shape, kernel_size, stride):
    c, (kh, kw) = input_shape[0], kernel_size
    reordered = rows.reshape(len(rows), kh, kw, c).transpose(0, 3, 1, 2).reshape(len(rows), -1)
    return row2im(reordered, input_shape, kernel_size, stride)


@exercise(weight=2, **LOOPS, reference=row2im, mistakes=[
    ("overwrite", _row2im_overwrite),
    ("channels_last_order", _row2im_channels_last),
])
def check_row2im():
    """Check ``row2im(rows, input_shape, kernel_size, stride)``: fold rows back, adding overlaps.

    ``rows`` (H_out * W_out, C * kH * kW) as made by ``im2row``, ``input_shape``
    (C, H, W), ``kernel_size`` (kH, kW), int ``stride``; returns (C, H, W).
    Reference: :func:`convlab.row2im`.

    Examples
    --------
    >>> def row2im(rows, input_shape, kernel_size, stride):
    ...     (c, h, w), (kh, kw) = input_shape, kernel_size
    ...     image = np.zeros(input_shape)
    ...     corners = [(i, j) for i in range(0, h - kh + 1, stride)
    ...                for j in range(0, w - kw + 1, stride)]
    ...     for (i, j), row in zip(corners, rows):
    ...         image[:, i:i + kh, j:j + kw] += row.reshape(c, kh, kw)
    ...     return image
    >>> r = check_row2im(row2im)
    row2im: passed 6 cases.
    """
    rng = np.random.default_rng(63)
    specs = [("1x1 kernel, no overlap", (1, 2, 2), (1, 1), 1),
             ("single channel, overlapping windows", (1, 3, 3), (2, 2), 1),
             ("two channels", (2, 3, 3), (2, 2), 1),
             ("non-square kernel", (1, 3, 4), (2, 3), 1),
             ("stride 2, no overlap", (1, 4, 4), (2, 2), 2),
             ("stride 2, overlapping, not dividing", (2, 5, 4), (3, 2), 2)]
    cases = []
    for label, shape, k, s in specs:
        n_rows = conv_output_size(shape[1], k[0], s) * conv_output_size(shape[2], k[1], s)
        cases.append(case(label, rows=ints(rng, n_rows, shape[0] * k[0] * k[1]),
                          input_shape=shape, kernel_size=k, stride=s))
    return cases
