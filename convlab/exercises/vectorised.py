"""Checkers for lessons 03-04: channels, batches and bias; convolution as a matrix product.

References are :func:`convlab.conv2d`, :func:`convlab.im2row` and
:func:`convlab.conv_matrix`; each known mistake is the reference with one
twist (a flipped kernel, a missing bias, a wrong flattening order).
"""

import numpy as np

import convlab as cl

from .engine import DEFAULT_TIME_LIMIT, case, run_check
from .forward import ints


# --------------------------------------------------------------- lesson 03
def _layer_cases(seed, strides=(1,)):
    rng = np.random.default_rng(seed)
    shapes = [("batch of one, single channel", (1, 1, 3, 3), (1, 1, 2, 2)),
              ("1x1 kernel", (1, 2, 2, 3), (3, 2, 1, 1)),
              ("several input channels", (1, 3, 4, 4), (1, 3, 2, 2)),
              ("non-square kernel", (2, 2, 4, 5), (2, 2, 2, 3)),
              ("batch and channels", (2, 3, 5, 4), (2, 3, 3, 3))]
    cases = []
    for stride in strides:
        for label, x_shape, w_shape in shapes:
            if stride > 1:
                label = f"{label}, stride {stride}"
            args = dict(x=ints(rng, *x_shape), weight=ints(rng, *w_shape),
                        bias=ints(rng, w_shape[0]))
            if len(strides) > 1:
                args["stride"] = stride
            cases.append(case(label, **args))
    return cases


def _conv(x, weight, bias, stride=1):
    return cl.conv2d(x, weight, bias, stride=stride)


def _layer_mistakes(with_stride):
    def twist(f):
        return (lambda x, w, b, s=1: f(x, w, b, s)) if with_stride else (lambda x, w, b: f(x, w, b, 1))
    mistakes = [
        ("kernel_flipped", twist(lambda x, w, b, s: _conv(x, cl.flip_kernel(w), b, s))),
        ("forgot_bias", twist(lambda x, w, b, s: _conv(x, w, None, s))),
        ("hw_swapped", twist(lambda x, w, b, s: _conv(x, w.swapaxes(2, 3), b, s))),
        ("bias_per_input_channel", twist(lambda x, w, b, s: _conv(x, w, x.shape[1] * b, s))),
    ]
    if with_stride:
        mistakes.append(("stride_ignored", lambda x, w, b, s: _conv(x, w, b, 1)))
    return mistakes


def check_conv_forward_loops(conv_forward_loops, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``conv_forward_loops(x, weight, bias)``: the defining sum, stride 1, no padding.

    ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,);
    returns (N, C_out, H - kH + 1, W - kW + 1). Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> r = check_conv_forward_loops(lambda x, weight, bias: _conv(x, weight, None))
    ... # doctest: +ELLIPSIS
    conv_forward_loops: failed on case 1 of 5 (wrong values).
    ...
        likely misconception: you forgot the bias: ...
    """
    return run_check(conv_forward_loops, name="conv_forward_loops",
                     argument="conv_forward_loops", cases=_layer_cases(31), reference=_conv,
                     mistakes=check_conv_forward_loops.mistakes, time_limit=time_limit)


check_conv_forward_loops.mistakes = _layer_mistakes(with_stride=False)


def check_conv_forward_shift(conv_forward_shift, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``conv_forward_shift(x, weight, bias, stride)``: one product per kernel offset.

    Same layout as :func:`check_conv_forward_loops`, with an int ``stride``
    and no padding. Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> r = check_conv_forward_shift(_conv)
    conv_forward_shift: passed 15 cases.
    """
    return run_check(conv_forward_shift, name="conv_forward_shift",
                     argument="conv_forward_shift", cases=_layer_cases(32, strides=(1, 2, 3)),
                     reference=_conv, mistakes=check_conv_forward_shift.mistakes,
                     time_limit=time_limit)


check_conv_forward_shift.mistakes = _layer_mistakes(with_stride=True)


# --------------------------------------------------------------- lesson 04
def _im2row_cases():
    rng = np.random.default_rng(41)
    return [case("1x1 kernel", x=ints(rng, 2, 2, 2), kernel_size=(1, 1), stride=1),
            case("single channel", x=ints(rng, 1, 3, 3), kernel_size=(2, 2), stride=1),
            case("two channels", x=ints(rng, 2, 3, 3), kernel_size=(2, 2), stride=1),
            case("non-square kernel", x=ints(rng, 1, 3, 4), kernel_size=(2, 3), stride=1),
            case("non-square image", x=ints(rng, 2, 3, 4), kernel_size=(2, 2), stride=1),
            case("stride 2, not dividing", x=ints(rng, 2, 4, 5), kernel_size=(2, 2), stride=2)]


def _patches(rows, x, kernel_size, stride):
    """rows (P, C*kH*kW) -> (H_out, W_out, C, kH, kW)."""
    h_out = cl.conv_output_size(x.shape[1], kernel_size[0], stride)
    w_out = cl.conv_output_size(x.shape[2], kernel_size[1], stride)
    return rows.reshape(h_out, w_out, x.shape[0], *kernel_size)


def check_im2row(im2row, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``im2row(x, kernel_size, stride)``: one row per window, columns in (c, m, n) order.

    ``x`` (C, H, W), ``kernel_size`` (kH, kW), int ``stride``; returns
    (H_out * W_out, C * kH * kW), windows in row-major order.
    Reference: :func:`convlab.im2row`.

    Examples
    --------
    >>> import convlab as cl
    >>> r = check_im2row(cl.im2row)
    im2row: passed 6 cases.
    """
    return run_check(im2row, name="im2row", argument="im2row", cases=_im2row_cases(),
                     reference=cl.im2row, mistakes=check_im2row.mistakes, time_limit=time_limit)


def _reordered(order):
    """A mistake: the right patches with axes of (H_out, W_out, C, kH, kW) permuted."""
    def wrong(x, kernel_size, stride):
        p = _patches(cl.im2row(x, kernel_size, stride), x, kernel_size, stride)
        p = p.transpose(order)
        return p.reshape(p.shape[0] * p.shape[1], -1)
    return wrong


check_im2row.mistakes = [
    ("channels_last_order", _reordered((0, 1, 3, 4, 2))),
    ("hw_swapped", _reordered((1, 0, 2, 3, 4))),
    ("hw_swapped", _reordered((0, 1, 2, 4, 3))),
    ("stride_ignored", lambda x, kernel_size, stride: cl.im2row(x, kernel_size, 1)),
]


def _matrix_cases():
    rng = np.random.default_rng(42)
    return [case("1x1 kernel", kernel=np.array([[2.0]]), input_shape=(2, 2), stride=1),
            case("kernel as large as the input", kernel=ints(rng, 2, 2), input_shape=(2, 2),
                 stride=1),
            case("small 2x2 kernel", kernel=ints(rng, 2, 2), input_shape=(3, 3), stride=1),
            case("non-square input", kernel=ints(rng, 2, 2), input_shape=(2, 3), stride=1),
            case("non-square kernel", kernel=ints(rng, 1, 2), input_shape=(3, 3), stride=1),
            case("stride 2, not dividing", kernel=ints(rng, 2, 2), input_shape=(5, 4), stride=2)]


def _conv_matrix(kernel, input_shape, stride):
    return cl.conv_matrix(kernel[None, None], (1, *input_shape), stride=stride)


def check_conv_matrix(conv_matrix, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``conv_matrix(kernel, input_shape, stride)``: the doubly block-Toeplitz matrix.

    ``kernel`` (kH, kW), ``input_shape`` (H, W), int ``stride``; returns T of
    shape (H_out * W_out, H * W) with ``T @ image.ravel() ==
    correlate2d(image, kernel, stride=stride).ravel()``.
    Reference: :func:`convlab.conv_matrix`.

    Examples
    --------
    >>> r = check_conv_matrix(_conv_matrix)
    conv_matrix: passed 6 cases.
    """
    return run_check(conv_matrix, name="conv_matrix", argument="conv_matrix",
                     cases=_matrix_cases(), reference=_conv_matrix,
                     mistakes=check_conv_matrix.mistakes, time_limit=time_limit)


def _fortran_columns(kernel, input_shape, stride):
    t = _conv_matrix(kernel, input_shape, stride)
    return t.reshape(len(t), *input_shape).transpose(0, 2, 1).reshape(len(t), -1)


check_conv_matrix.mistakes = [
    ("kernel_flipped", lambda k, shape, s: _conv_matrix(cl.flip_kernel(k), shape, s)),
    ("matrix_transposed", lambda k, shape, s: _conv_matrix(k, shape, s).T),
    ("hw_swapped", _fortran_columns),
    ("stride_ignored", lambda k, shape, s: _conv_matrix(k, shape, 1)),
]


def check_conv_via_im2row(conv_via_im2row, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``conv_via_im2row(x, weight, bias)``: a whole layer as one matrix product.

    Same layout as :func:`check_conv_forward_loops` (stride 1, no padding),
    computed as ``im2row(x) @ weight.reshape(C_out, -1).T + bias`` and
    reshaped to (N, C_out, H_out, W_out). Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> r = check_conv_via_im2row(_conv)
    conv_via_im2row: passed 5 cases.
    """
    return run_check(conv_via_im2row, name="conv_via_im2row", argument="conv_via_im2row",
                     cases=_layer_cases(43), reference=_conv,
                     mistakes=check_conv_via_im2row.mistakes, time_limit=time_limit)


def _rows_times(x, weight, bias, w_flat):
    rows = cl.im2row(x, weight.shape[2:]) @ w_flat.T + bias  # (N, P, C_out)
    return rows


def _out_shape(x, weight):
    return (len(x), len(weight), x.shape[2] - weight.shape[2] + 1, x.shape[3] - weight.shape[3] + 1)


check_conv_via_im2row.mistakes = [
    ("forgot_bias", lambda x, w, b: _conv(x, w, None)),
    ("weight_flatten_order", lambda x, w, b: _rows_times(
        x, w, b, w.transpose(0, 2, 3, 1).reshape(len(w), -1)).transpose(0, 2, 1).reshape(
        _out_shape(x, w))),
    ("reshape_without_transpose", lambda x, w, b: _rows_times(
        x, w, b, w.reshape(len(w), -1)).reshape(_out_shape(x, w))),
]
