"""Checkers for lesson 04 (convolution as a matrix product): im2row, the convolution
matrix, and a layer as one product with the patch matrix.

References are :func:`convlab.im2row`, :func:`convlab.conv_matrix` and
:func:`convlab.conv2d`; each known mistake is the reference with one twist
(a wrong flattening order, a flipped kernel, a missing bias).
"""

import numpy as np

from ...blocks import flip_kernel
from ...matrices import conv_matrix, im2row
from ...shapes import conv_output_size
from ..grading.definition import exercise
from ..grading.engine import case
from .common import LOOPS, NO_CONVOLUTION, conv_layer, ints, layer_cases


def _patches(rows, x, kernel_size, stride):
    """rows (P, C*kH*kW) -> (H_out, W_out, C, kH, kW)."""
    h_out = conv_output_size(x.shape[1], kernel_size[0], stride)
    w_out = conv_output_size(x.shape[2], kernel_size[1], stride)
    return rows.reshape(h_out, w_out, x.shape[0], *kernel_size)


def _reordered(order):
    """A mistake: the right patches with axes of (H_out, W_out, C, kH, kW) permuted."""
    def wrong(x, kernel_size, stride):
        p = _patches(im2row(x, kernel_size, stride), x, kernel_size, stride)
        p = p.transpose(order)
        return p.reshape(p.shape[0] * p.shape[1], -1)
    return wrong


@exercise(weight=2, **LOOPS, reference=im2row, mistakes=[
    ("channels_last_order", _reordered((0, 1, 3, 4, 2))),
    ("hw_swapped", _reordered((1, 0, 2, 3, 4))),
    ("hw_swapped", _reordered((0, 1, 2, 4, 3))),
    ("stride_ignored", lambda x, kernel_size, stride: im2row(x, kernel_size, 1)),
])
def check_im2row():
    """Check ``im2row(x, kernel_size, stride)``: one row per window, columns in (c, m, n) order.

    ``x`` (C, H, W), ``kernel_size`` (kH, kW), int ``stride``; returns
    (H_out * W_out, C * kH * kW), windows in row-major order.
    Reference: :func:`convlab.im2row`.

    Examples
    --------
    >>> def im2row(x, kernel_size, stride):
    ...     (_, h, w), (kh, kw) = x.shape, kernel_size
    ...     return np.array([x[:, i:i + kh, j:j + kw].ravel()
    ...                      for i in range(0, h - kh + 1, stride)
    ...                      for j in range(0, w - kw + 1, stride)])
    >>> r = check_im2row(im2row)
    im2row: passed 6 cases.
    """
    rng = np.random.default_rng(41)
    return [case("1x1 kernel", x=ints(rng, 2, 2, 2), kernel_size=(1, 1), stride=1),
            case("single channel", x=ints(rng, 1, 3, 3), kernel_size=(2, 2), stride=1),
            case("two channels", x=ints(rng, 2, 3, 3), kernel_size=(2, 2), stride=1),
            case("non-square kernel", x=ints(rng, 1, 3, 4), kernel_size=(2, 3), stride=1),
            case("non-square image", x=ints(rng, 2, 3, 4), kernel_size=(2, 2), stride=1),
            case("stride 2, not dividing", x=ints(rng, 2, 4, 5), kernel_size=(2, 2), stride=2)]


def _conv_matrix(kernel, input_shape, stride):
    return conv_matrix(kernel[None, None], (1, *input_shape), stride=stride)


def _fortran_columns(kernel, input_shape, stride):
    t = _conv_matrix(kernel, input_shape, stride)
    return t.reshape(len(t), *input_shape).transpose(0, 2, 1).reshape(len(t), -1)


@exercise(weight=3, **LOOPS, reference=_conv_matrix, mistakes=[
    ("kernel_flipped", lambda k, shape, s: _conv_matrix(flip_kernel(k), shape, s)),
    ("matrix_transposed", lambda k, shape, s: _conv_matrix(k, shape, s).T),
    ("hw_swapped", _fortran_columns),
    ("stride_ignored", lambda k, shape, s: _conv_matrix(k, shape, 1)),
])
def check_conv_matrix():
    """Check ``conv_matrix(kernel, input_shape, stride)``: the doubly block-Toeplitz matrix.

    ``kernel`` (kH, kW), ``input_shape`` (H, W), int ``stride``; returns T of
    shape (H_out * W_out, H * W) with ``T @ image.ravel() ==
    correlate2d(image, kernel, stride=stride).ravel()``.
    Reference: :func:`convlab.conv_matrix`.

    Examples
    --------
    >>> def conv_matrix(kernel, input_shape, stride):
    ...     (h, w), (kh, kw) = input_shape, kernel.shape
    ...     rows = []
    ...     for i in range(0, h - kh + 1, stride):
    ...         for j in range(0, w - kw + 1, stride):
    ...             placed = np.zeros((h, w))
    ...             placed[i:i + kh, j:j + kw] = kernel
    ...             rows.append(placed.ravel())
    ...     return np.array(rows)
    >>> r = check_conv_matrix(conv_matrix)
    conv_matrix: passed 6 cases.
    """
    rng = np.random.default_rng(42)
    return [case("1x1 kernel", kernel=np.array([[2.0]]), input_shape=(2, 2), stride=1),
            case("kernel as large as the input", kernel=ints(rng, 2, 2), input_shape=(2, 2),
                 stride=1),
            case("small 2x2 kernel", kernel=ints(rng, 2, 2), input_shape=(3, 3), stride=1),
            case("non-square input", kernel=ints(rng, 2, 2), input_shape=(2, 3), stride=1),
            case("non-square kernel", kernel=ints(rng, 1, 2), input_shape=(3, 3), stride=1),
            case("stride 2, not dividing", kernel=ints(rng, 2, 2), input_shape=(5, 4), stride=2)]


def _rows_times(x, weight, bias, w_flat):
    return im2row(x, weight.shape[2:]) @ w_flat.T + bias  # (N, P, C_out)


def _out_shape(x, weight):
    return (len(x), len(weight), x.shape[2] - weight.shape[2] + 1, x.shape[3] - weight.shape[3] + 1)


@exercise(weight=2, **NO_CONVOLUTION, reference=conv_layer, mistakes=[
    ("forgot_bias", lambda x, w, b: conv_layer(x, w, None)),
    ("weight_flatten_order", lambda x, w, b: _rows_times(
        x, w, b, w.transpose(0, 2, 3, 1).reshape(len(w), -1)).transpose(0, 2, 1).reshape(
        _out_shape(x, w))),
    ("reshape_without_transpose", lambda x, w, b: _rows_times(
        x, w, b, w.reshape(len(w), -1)).reshape(_out_shape(x, w))),
])
def check_conv_via_im2row():
    """Check ``conv_via_im2row(x, weight, bias)``: a whole layer as one matrix product.

    Same layout as :func:`check_conv_forward_loops` (stride 1, no padding),
    computed as ``im2row(x) @ weight.reshape(C_out, -1).T + bias`` and
    reshaped to (N, C_out, H_out, W_out). Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> import convlab as cl
    >>> def conv_via_im2row(x, weight, bias):
    ...     (n, _, h, w), (c_out, _, kh, kw) = x.shape, weight.shape
    ...     rows = cl.im2row(x, (kh, kw)) @ weight.reshape(c_out, -1).T + bias
    ...     return rows.transpose(0, 2, 1).reshape(n, c_out, h - kh + 1, w - kw + 1)
    >>> r = check_conv_via_im2row(conv_via_im2row)
    conv_via_im2row: passed 5 cases.
    >>> def without_transpose(x, weight, bias):
    ...     (n, _, h, w), (c_out, _, kh, kw) = x.shape, weight.shape
    ...     rows = cl.im2row(x, (kh, kw)) @ weight.reshape(c_out, -1).T + bias
    ...     return rows.reshape(n, c_out, h - kh + 1, w - kw + 1)
    >>> r = check_conv_via_im2row(without_transpose)  # doctest: +ELLIPSIS
    conv_via_im2row: failed on case 2 of 5 (wrong values).
    ...
        likely misconception: you reshaped (N, H_out*W_out, C_out) straight into ...
    """
    return layer_cases(43)


# ---------------------------------------------------------------- transfer task (lessons-a)
def _torch_input_grad(grad_out, weight):
    """dL/dx of L = sum(grad_out * conv2d(x, weight)), stride 1, no padding, by torch autograd."""
    import torch
    n, _, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    x = torch.zeros((n, c_in, h_out + kh - 1, w_out + kw - 1), dtype=torch.float64,
                    requires_grad=True)
    torch.nn.functional.conv2d(x, torch.tensor(weight)).backward(torch.tensor(grad_out))
    return x.grad.numpy()


def _input_grad_by_rows(grad_out, weight, slip=None):
    """``im2row(pad(G, k - 1)) @ flip(W)`` arranged (C_in, C_out*kH*kW), with one optional slip."""
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    pad = (0, 0) if slip == "no_padding" else (kh - 1, kw - 1)
    padded = np.pad(grad_out, ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2))
    rows = im2row(padded, (kh, kw))                                   # (N, H*W, C_out*kH*kW)
    kernel = weight if slip == "not_flipped" else flip_kernel(weight)
    if slip == "not_swapped":
        matrix = kernel.reshape(c_in, -1)                             # (o, c) order scrambled
    else:
        matrix = kernel.transpose(1, 0, 2, 3).reshape(c_in, -1)      # (C_in, C_out*kH*kW)
    dx = rows @ matrix.T                                              # (N, H*W, C_in)
    h, w = h_out + kh - 1 - 2 * (kh - 1 - pad[0]), w_out + kw - 1 - 2 * (kw - 1 - pad[1])
    if slip == "not_transposed":
        return dx.reshape(n, c_in, h, w)
    return dx.transpose(0, 2, 1).reshape(n, c_in, h, w)


@exercise(**NO_CONVOLUTION, reference=_torch_input_grad, mistakes=[
    ("kernel_not_flipped", lambda g, w: _input_grad_by_rows(g, w, "not_flipped")),
    ("input_grad_channels_not_swapped", lambda g, w: _input_grad_by_rows(g, w, "not_swapped")),
    ("input_grad_not_fully_padded", lambda g, w: _input_grad_by_rows(g, w, "no_padding")),
    ("input_grad_reshape_without_transpose",
     lambda g, w: _input_grad_by_rows(g, w, "not_transposed")),
])
def check_input_grad_im2row():
    """Check ``input_grad_im2row(grad_out, weight)``: dL/dx as one product ``im2row(pad(G)) flip(W)``.

    ``grad_out`` (N, C_out, H_out, W_out), ``weight`` (C_out, C_in, kH, kW),
    stride 1 and no padding in the forward pass; returns dL/dx of shape
    (N, C_in, H_out + kH - 1, W_out + kW - 1). Reference: torch autograd.

    Examples
    --------
    >>> import convlab as cl
    >>> def input_grad_im2row(grad_out, weight):
    ...     n, _, h_out, w_out = grad_out.shape
    ...     _, c_in, kh, kw = weight.shape
    ...     rows = cl.im2row(cl.pad(grad_out, (kh - 1, kw - 1)), (kh, kw))
    ...     matrix = cl.flip_kernel(weight).transpose(1, 0, 2, 3).reshape(c_in, -1)
    ...     dx = rows @ matrix.T
    ...     return dx.transpose(0, 2, 1).reshape(n, c_in, h_out + kh - 1, w_out + kw - 1)
    >>> r = check_input_grad_im2row(input_grad_im2row)
    input_grad_im2row: passed 4 cases.
    """
    rng = np.random.default_rng(44)
    return [case("two input, three output channels", grad_out=ints(rng, 1, 3, 3, 3),
                 weight=ints(rng, 3, 2, 2, 2)),
            case("one channel each", grad_out=ints(rng, 1, 1, 2, 2), weight=ints(rng, 1, 1, 2, 2)),
            case("a 2x3 kernel, a batch", grad_out=ints(rng, 2, 2, 3, 2),
                 weight=ints(rng, 2, 3, 2, 3)),
            case("3x3 kernel", grad_out=ints(rng, 2, 2, 4, 4), weight=ints(rng, 2, 2, 3, 3))]
