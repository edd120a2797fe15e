"""Checkers for lesson 09 (the transposed convolution): the transposed convolution as a
stride-1 convolution of the zero-inserted input, and the ``output_padding`` that gives
back a chosen size.

A transposed convolution with stride ``s``, padding ``p``, dilation ``d`` and
``output_padding`` ``a`` is the input gradient of the convolution with those
settings: insert ``s - 1`` zeros between the entries of its input, pad by
``d(k-1) - p`` (crop where negative) plus ``a`` at the bottom/right, and
correlate with the rotated, dilated kernel whose channel axes are swapped.
References: :func:`convlab.conv_transpose2d` and
:func:`convlab.shapes.uncovered_count`.
"""

import numpy as np

from ...blocks import flip_kernel
from ...conv import conv_transpose2d
from ...shapes import uncovered_count
from ..grading.definition import exercise
from ..grading.engine import case
from .common import FORMULA, NO_BACKWARD, ints


def _transposed(x, weight, stride, padding, dilation, output_padding):
    return conv_transpose2d(x, weight, stride=stride, padding=padding, dilation=dilation,
                               output_padding=output_padding)


def _unflipped(x, weight, stride, padding, dilation, output_padding):
    """The same recipe with the kernel as it is (not rotated by 180 degrees)."""
    return _transposed(x, flip_kernel(weight), stride, padding, dilation, output_padding)


def _padding_cropped_at_bottom(x, weight, stride, padding, dilation, output_padding):
    """All 2p padding rows and columns dropped from the bottom/right."""
    y = _transposed(x, weight, stride, 0, dilation, output_padding)
    h, w = y.shape[2] - 2 * padding, y.shape[3] - 2 * padding
    return y[:, :, :h, :w]


def _no_dilation_span(x, weight, stride, padding, dilation, output_padding):
    """Taps adjacent: the kernel used as if dense, output_padding kept legal."""
    return _transposed(x, weight, stride, padding, 1, min(output_padding, stride - 1))


@exercise(**NO_BACKWARD, reference=_transposed, mistakes=[
    ("kernel_not_flipped", _unflipped),
    ("output_padding_ignored", lambda x, w, s, p, d, a: _transposed(x, w, s, p, d, 0)),
    ("transposed_crop_one_side", _padding_cropped_at_bottom),
    ("dilation_ignored_backward", _no_dilation_span),
])
def check_transposed_conv():
    """Check ``transposed_conv(x, weight, stride, padding, dilation, output_padding)``.

    ``x`` (N, C_out, H, W), ``weight`` (C_out, C_in, kH, kW) in the layout of the
    forward convolution whose gradient this is; int ``stride``, ``padding``,
    ``dilation`` and ``output_padding``. Returns (N, C_in, H', W') with
    ``H' = (H-1)*stride - 2*padding + dilation*(kH-1) + 1 + output_padding``.
    Reference: :func:`convlab.conv_transpose2d`.

    Examples
    --------
    >>> def transposed_conv(x, weight, stride, padding, dilation, output_padding):
    ...     (n, _, h, w), (_, c, kh, kw) = x.shape, weight.shape
    ...     size = [(a - 1) * stride + dilation * (k - 1) + 1 + output_padding
    ...             for a, k in ((h, kh), (w, kw))]
    ...     y = np.zeros((n, c, *size))
    ...     for i, j, m, q in np.ndindex(h, w, kh, kw):
    ...         y[:, :, stride * i + dilation * m,
    ...           stride * j + dilation * q] += x[:, :, i, j] @ weight[:, :, m, q]
    ...     return y[:, :, padding:size[0] - padding, padding:size[1] - padding]
    >>> r = check_transposed_conv(transposed_conv)
    transposed_conv: passed 6 cases.
    """
    rng = np.random.default_rng(191)
    table = [("stride 1: a full correlation", 1, 0, 1, 0, (1, 1, 3, 3), (1, 1, 2, 2)),
             ("stride 2, upsampling", 2, 0, 1, 0, (1, 1, 2, 3), (1, 1, 3, 3)),
             ("stride 2, padding 1, output_padding 1", 2, 1, 1, 1, (1, 1, 3, 3), (1, 1, 3, 3)),
             ("dilation 2, padding 1", 1, 1, 2, 0, (1, 2, 3, 3), (2, 1, 2, 2)),
             ("padding larger than d(k-1): cropped", 2, 2, 1, 1, (1, 1, 3, 3), (1, 1, 2, 2)),
             ("dilation 3, output_padding 2 < dilation", 2, 1, 3, 2, (2, 2, 2, 2), (2, 3, 2, 2))]
    return [case(label, x=ints(rng, *x_shape), weight=ints(rng, *w_shape), stride=s, padding=p,
                 dilation=d, output_padding=a)
            for label, s, p, d, a, x_shape, w_shape in table]


def _output_padding_for(input_size, kernel_size, stride, padding, dilation):
    return uncovered_count(input_size, kernel_size, stride, padding, dilation)


@exercise(vary=False, **FORMULA, reference=_output_padding_for, mistakes=[
    ("output_padding_dilation_ignored", lambda n, k, s, p, d: (n + 2 * p - k) % s),
    ("output_padding_padding_ignored", lambda n, k, s, p, d: (n - d * (k - 1) - 1) % s),
    ("output_padding_complement", lambda n, k, s, p, d: (s - (n + 2 * p - d * (k - 1) - 1) % s) % s),
    ("plus_one_forgotten", lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) % s),
])
def check_output_padding_for():
    """Check ``output_padding_for(input_size, kernel_size, stride, padding, dilation)``: the
    ``output_padding`` with which the transposed convolution of the output gives back ``input_size``.

    All arguments are ints along one axis; the answer is an int in
    ``0 .. stride - 1``. Reference: :func:`convlab.shapes.uncovered_count`.

    Examples
    --------
    >>> def output_padding_for(input_size, kernel_size, stride, padding, dilation):
    ...     span = dilation * (kernel_size - 1) + 1
    ...     h_out = (input_size + 2 * padding - span) // stride + 1
    ...     return input_size - ((h_out - 1) * stride - 2 * padding + span)
    >>> r = check_output_padding_for(output_padding_for)
    output_padding_for: passed 7 cases.
    """
    table = [("stride 1: always 0", 7, 3, 1, 0, 1),
             ("stride 2, the windows fit", 7, 3, 2, 0, 1),
             ("stride 2, one row left over", 8, 3, 2, 1, 1),
             ("stride 3, padding 1", 10, 3, 3, 1, 1),
             ("dilation 2", 10, 3, 2, 0, 2),
             ("dilation 2, padding 2, stride 3", 12, 3, 3, 2, 2),
             ("1x1 kernel, stride 4", 11, 1, 4, 0, 1)]
    return [case(label, input_size=n, kernel_size=k, stride=s, padding=p, dilation=d)
            for label, n, k, s, p, d in table]
