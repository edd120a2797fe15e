"""Convolution as matrix multiplication: the patch matrix and the convolution matrix.

``im2row`` lays every receptive field out as one row, so a convolution is one
matrix product with the flattened kernels; ``row2im`` is its adjoint (it folds
rows back, summing where windows overlap). ``conv_matrix`` flattens the other
way round: the kernel becomes a sparse, doubly block-Toeplitz matrix that
multiplies the flattened input.
"""

import numpy as np

from ._checks import (
    as_array,
    check_channels,
    check_groups,
    check_memory,
    check_ndim,
    check_padding,
    check_shape,
    compute_dtype,
    int_tuple,
)
from .blocks import pad
from .shapes import conv_geometry, offset_slice

__all__ = ["im2row", "row2im", "conv_matrix"]

_IMAGE_LAYOUT = "a 3-D (C, H, W) or 4-D (N, C, H, W) array"


def _geometry(shape, kernel_size, stride, padding, dilation):
    kernel_size = int_tuple(kernel_size, "kernel_size", 2)
    padding = check_padding(padding)
    g = conv_geometry(shape[-2:], kernel_size, stride, padding, dilation)
    return kernel_size, g.stride, g.padding, g.dilation, g.output_shape


def patch_matrix(x, kernel_size, stride, padding, dilation, out_size):
    """im2row on validated, normalised arguments; ``x`` is (N, C, H, W).

    Returns an array of shape (N, H_out * W_out, C * kH * kW) whose columns
    run over (c, m, n) in that order, matching ``weight.reshape(C_out, -1)``.
    """
    n_images, channels = x.shape[:2]
    (kh, kw), (oh, ow) = kernel_size, out_size
    xp = pad(x, padding)
    patches = np.empty((n_images, oh, ow, channels, kh, kw), dtype=x.dtype)
    for m in range(kh):
        rows = offset_slice(m, dilation[0], stride[0], oh)
        for n in range(kw):
            cols = offset_slice(n, dilation[1], stride[1], ow)
            # xp[:, :, rows, cols].shape = (N, C, H_out, W_out)
            patches[:, :, :, :, m, n] = xp[:, :, rows, cols].transpose(0, 2, 3, 1)
    return patches.reshape(n_images, oh * ow, channels * kh * kw)


def fold_rows(rows, input_shape, kernel_size, stride, padding, dilation, out_size):
    """row2im on validated, normalised arguments; returns (N, C, H, W)."""
    n_images, channels, height, width = input_shape
    (kh, kw), (oh, ow) = kernel_size, out_size
    (top, bottom), (left, right) = padding
    folded = np.zeros((n_images, channels, height + top + bottom, width + left + right), rows.dtype)
    patches = rows.reshape(n_images, oh, ow, channels, kh, kw)
    for m in range(kh):
        target_rows = offset_slice(m, dilation[0], stride[0], oh)
        for n in range(kw):
            target_cols = offset_slice(n, dilation[1], stride[1], ow)
            # overlapping windows add up: +=, never =
            folded[:, :, target_rows, target_cols] += patches[:, :, :, :, m, n].transpose(0, 3, 1, 2)
    return folded[:, :, top:top + height, left:left + width]


def im2row(x, kernel_size, stride=1, padding=0, dilation=1):
    """Rearrange every receptive field of ``x`` into a row of a matrix.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (C, H, W)
    kernel_size : int or (int, int)
    stride, padding, dilation
        As in `convlab.conv2d` (padding may be a mode such as ``"same"``).

    Returns
    -------
    ndarray, shape (N, H_out * W_out, C * kH * kW), or (H_out * W_out, C * kH * kW) unbatched
        Row ``i * W_out + j`` holds the window of output ``(i, j)``, columns
        ordered by channel, then kernel row, then kernel column.

    See Also
    --------
    row2im : the adjoint, which folds rows back and sums overlaps.
    conv_matrix : the other way to write convolution as a matrix product.

    Notes
    -----
    ``conv2d(x, w) == (im2row(x) @ w.reshape(C_out, -1).T)``, reshaped to
    ``(C_out, H_out, W_out)``. Costs ``O(H_out W_out C k^2)`` extra memory.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3)
    >>> im2row(x, 2)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    x = as_array(x, "x")
    check_ndim(x, "x", (3, 4), _IMAGE_LAYOUT)
    kernel_size, stride, padding, dilation, out_size = _geometry(
        x.shape, kernel_size, stride, padding, dilation)
    batched = x if x.ndim == 4 else x[None]
    check_memory("im2row's patch matrix", batched.shape[:1] + out_size + batched.shape[1:2] + kernel_size,
                 x.dtype)
    rows = patch_matrix(batched, kernel_size, stride, padding, dilation, out_size)
    return rows if x.ndim == 4 else rows[0]


def row2im(rows, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Fold a patch matrix back into an image, summing where windows overlap.

    The adjoint of `im2row`: ``<im2row(x), r> == <x, row2im(r, x.shape, ...)>``.
    Used for the input gradient: ``dx = row2im(grad_rows, x.shape, ...)``.

    Parameters
    ----------
    rows : array_like, shape (N, H_out * W_out, C * kH * kW) or unbatched 2-D
    input_shape : tuple of int
        ``(N, C, H, W)`` (or ``(C, H, W)`` for unbatched rows).
    kernel_size, stride, padding, dilation
        As passed to `im2row`.

    Returns
    -------
    ndarray, shape ``input_shape``

    Examples
    --------
    >>> row2im(np.ones((4, 4)), (1, 3, 3), 2)
    array([[[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]]])
    """
    rows = as_array(rows, "rows")
    input_shape = check_shape(input_shape, "input_shape", (3, 4), "(C, H, W) or (N, C, H, W)")
    check_ndim(rows, "rows", (len(input_shape) - 1,),
               f"a {len(input_shape) - 1}-D array to match input_shape={input_shape}")
    kernel_size, stride, padding, dilation, out_size = _geometry(
        input_shape, kernel_size, stride, padding, dilation)
    batched_shape = input_shape if len(input_shape) == 4 else (1,) + input_shape
    expected = (batched_shape[0], out_size[0] * out_size[1],
                batched_shape[1] * kernel_size[0] * kernel_size[1])
    if rows.shape != expected[-rows.ndim:]:
        raise ValueError(
            f"rows must have shape {expected[-rows.ndim:]} for input_shape={input_shape} and "
            f"kernel_size={kernel_size}; got {rows.shape}")
    dtype = compute_dtype(rows)
    check_memory("row2im's padded output", batched_shape[:2] + tuple(
        n + sum(p) for n, p in zip(batched_shape[2:], padding)), dtype)
    folded = fold_rows(rows.astype(dtype, copy=False).reshape(expected), batched_shape,
                       kernel_size, stride, padding, dilation, out_size)
    return folded if len(input_shape) == 4 else folded[0]


def toeplitz_matrix(weight, input_size, stride, padding, dilation, groups, out_size):
    """conv_matrix on validated, normalised arguments."""
    c_out, c_in_group, kh, kw = weight.shape
    height, width = input_size
    (oh, ow), (top, _), (left, _) = out_size, padding[0], padding[1]
    out_group = c_out // groups
    matrix = np.zeros((c_out, oh, ow, c_in_group * groups, height, width), dtype=weight.dtype)
    for o in range(c_out):
        g = o // out_group  # input channels c_in_group * g ... belong to this output's group
        channels = slice(g * c_in_group, (g + 1) * c_in_group)
        for i in range(oh):
            for j in range(ow):
                for m in range(kh):
                    r = i * stride[0] + m * dilation[0] - top
                    for n in range(kw):
                        q = j * stride[1] + n * dilation[1] - left
                        if 0 <= r < height and 0 <= q < width:  # taps on padding drop out
                            matrix[o, i, j, channels, r, q] = weight[o, :, m, n]
    return matrix.reshape(c_out * oh * ow, c_in_group * groups * height * width)


def conv_matrix(weight, input_shape, stride=1, padding=0, dilation=1, groups=1):
    """The matrix ``T`` with ``conv2d(x, weight).ravel() == T @ x.ravel()``.

    Parameters
    ----------
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    input_shape : (C_in, H, W) or (H, W)
        The shape of one (unbatched) input; ``(H, W)`` means one channel.
    stride, padding, dilation, groups
        As in `convlab.conv2d`.

    Returns
    -------
    ndarray, shape (C_out * H_out * W_out, C_in * H * W)
        For one channel in and out it is doubly block Toeplitz: a Toeplitz
        pattern of blocks, each block itself Toeplitz. Mostly zeros.

    See Also
    --------
    im2row : the patch-matrix formulation.
    convlab.conv_transpose2d : multiplies by ``T.T``.

    Examples
    --------
    >>> conv_matrix(np.array([[[[1.0, 2.0]]]]), (1, 3))
    array([[1., 2., 0.],
           [0., 1., 2.]])
    """
    weight = as_array(weight, "weight")
    if weight.ndim == 2:
        weight = weight[None, None]
    check_ndim(weight, "weight", (4,), "a 2-D (kH, kW) or 4-D (C_out, C_in // groups, kH, kW) array")
    input_shape = check_shape(input_shape, "input_shape", (2, 3), "(C_in, H, W) or (H, W)")
    channels = input_shape[0] if len(input_shape) == 3 else 1
    groups = check_groups(groups, {"output channels": weight.shape[0]}, f"(weight.shape={weight.shape})")
    check_channels(weight.shape[1], channels, input_shape, weight.shape, x_name="input_shape",
                   groups=groups)
    kernel_size, stride, padding, dilation, out_size = _geometry(
        input_shape, weight.shape[-2:], stride, padding, dilation)
    dtype = compute_dtype(weight)
    check_memory("conv_matrix's matrix", (weight.shape[0] * out_size[0] * out_size[1],
                                          channels * input_shape[-2] * input_shape[-1]), dtype)
    return toeplitz_matrix(weight.astype(dtype, copy=False), input_shape[-2:], stride, padding,
                           dilation, groups, out_size)
