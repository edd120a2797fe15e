"""Transposed convolution: the adjoint of a convolution, used to upsample.

``conv_transpose2d(y, w)`` multiplies by ``conv_matrix(w).T``; it is exactly the
input gradient of ``conv2d(., w)`` with ``y`` as the output gradient, so it is
computed by the same full correlation with the rotated kernel.
"""

import numpy as np

from .._checks import (
    check_bias,
    check_channels,
    check_conv_arrays,
    check_groups,
    check_memory,
    check_padding,
    compute_dtype,
    int_tuple,
)
from ..shapes import conv_geometry, effective_kernel_size, resolve_padding
from .api import AXIS_NAMES, lifted, to_batched_2d, to_caller
from .backward import input_grad_flip
from .groups import split_groups


def transposed_output_size(n, kernel_size, stride, padding, dilation, output_padding):
    """``(n - 1) * stride - before - after + dilation * (k - 1) + output_padding + 1``.

    Examples
    --------
    >>> transposed_output_size(3, 3, 2, (1, 1), 1, 1)
    6
    """
    return (n - 1) * stride - sum(padding) + effective_kernel_size(kernel_size, dilation) + output_padding


def _transpose(x, weight, bias, stride, padding, output_padding, dilation, groups, spatial):
    x, weight = check_conv_arrays(x, weight, spatial, weight_axes="C_in, C_out // groups")
    c_in = x.shape[-spatial - 1]
    groups = check_groups(groups, {"input channels": c_in}, f"(x.shape={x.shape})")
    check_channels(weight.shape[0], c_in, x.shape, weight.shape, axis_note=" (its first axis)")
    c_out = weight.shape[1] * groups
    bias = check_bias(bias, c_out)
    stride = int_tuple(stride, "stride", spatial)
    dilation = int_tuple(dilation, "dilation", spatial)
    output_padding = int_tuple(output_padding, "output_padding", spatial, minimum=0)
    padding = check_padding(padding, spatial=spatial, modes=(), where="a transposed convolution")
    kernel_size = weight.shape[-spatial:]
    pads = resolve_padding(padding, kernel_size, stride, dilation, x.shape[-spatial:])
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding must be smaller than stride or dilation; got output_padding="
                f"{output_padding}, stride={stride}, dilation={dilation}")
    out_size = tuple(transposed_output_size(*args) for args in zip(
        x.shape[-spatial:], kernel_size, stride, pads, dilation, output_padding))
    if min(out_size) < 1:
        raise ValueError(f"padding={padding!r} leaves no output: the output size would be {out_size}")
    check_memory("the transposed convolution's output", x.shape[:-spatial - 1] + (c_out,) + out_size,
                 compute_dtype(x, weight))

    # The convolution this one transposes: its input has our output's size, the same padding.
    g = lifted(conv_geometry(out_size, kernel_size, stride, padding, dilation, AXIS_NAMES[spatial]),
               spatial)
    x4, w4 = to_batched_2d(x, weight, spatial, compute_dtype(x, weight))
    parts = zip(split_groups(x4, groups, 1), split_groups(w4, groups, 0))
    y = np.concatenate([input_grad_flip(xg, wg, input_hw=g.input_shape, stride=g.stride, padding=g.padding,
                                        dilation=g.dilation) for xg, wg in parts], axis=1)
    if bias is not None:
        y = y + bias.astype(y.dtype, copy=False).reshape(1, -1, 1, 1)
    return to_caller(y, spatial, x.ndim == spatial + 2)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed 2-D convolution, equal to ``torch.nn.functional.conv_transpose2d``.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_in, C_out // groups, kH, kW)
        PyTorch's layout for transposed convolution (input channels first).
    bias : array_like, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (pH, pW) or ((top, bottom), (left, right))
        The padding of the convolution this one transposes; it trims the output.
    output_padding : int or (int, int), default 0
        Extra rows/columns at the bottom/right, choosing among the input sizes a
        strided convolution maps to the same output size; must be smaller than
        the stride or the dilation.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H - 1) sH - top - bottom + dH (kH - 1) + output_padding + 1``.

    See Also
    --------
    conv2d_backward : its ``dx`` is this operation applied to ``grad_out``.
    conv_matrix : ``conv_transpose2d(y, w).ravel() == conv_matrix(w, ...).T @ y.ravel()``.

    Examples
    --------
    >>> conv_transpose2d(np.ones((1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)
    array([[[1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.]]])
    """
    return _transpose(x, weight, bias, stride, padding, output_padding, dilation, groups, 2)


def conv_transpose1d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed 1-D convolution, equal to ``torch.nn.functional.conv_transpose1d``.

    Examples
    --------
    >>> conv_transpose1d(np.array([[1.0, 2.0]]), np.array([[[1.0, 1.0, 1.0]]]), stride=2)
    array([[1., 1., 3., 2., 2.]])
    """
    return _transpose(x, weight, bias, stride, padding, output_padding, dilation, groups, 1)
