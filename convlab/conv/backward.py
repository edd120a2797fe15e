"""Four ways to compute the backward pass ``(dx, dw, db)`` from ``grad_out``.

Arguments are validated and normalised as in `convlab.conv.forward`, for one
group (`per_group_backward` handles ``groups``); ``grad_out`` has shape
(N, C_out, H_out, W_out). In every formulation ``db`` is the sum of
``grad_out`` over the batch and all positions.
"""

import numpy as np

from ..blocks import flip_kernel, pad, zero_insert
from ..matrices import fold_rows, patch_matrix
from ..shapes import effective_kernel_size, offset_slice, window_slice
from .forward import forward_shift
from .groups import per_group_backward


def bias_grad(grad_out):
    """``db[o] = sum_{b, i, j} grad_out[b, o, i, j]``."""
    return grad_out.sum(axis=(0, 2, 3))


def _crop(padded, padding, input_hw):
    (top, _), (left, _) = padding
    return padded[:, :, top:top + input_hw[0], left:left + input_hw[1]]


@per_group_backward
def backward_loops(grad_out, x, weight, stride, padding, dilation):
    """Scatter ("integrated") backward: each output gradient goes back to its window.

    Notes
    -----
    For every output position ``(i, j)`` with window ``xp[:, :, rows_i, cols_j]``:
    ``dxp[:, :, rows_i, cols_j] += grad_out[:, :, i, j] . weight`` and
    ``dw += grad_out[:, :, i, j]^T . xp[:, :, rows_i, cols_j]``. Windows overlap,
    so contributions add up (``+=``, never ``=``).
    """
    (kh, kw), (oh, ow) = weight.shape[-2:], grad_out.shape[-2:]
    xp = pad(x, padding)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for i in range(oh):
        for j in range(ow):
            rows = window_slice(i, kh, stride[0], dilation[0])
            cols = window_slice(j, kw, stride[1], dilation[1])
            g = grad_out[:, :, i, j]  # (N, C_out)
            # einsum's own loops, not BLAS (which may skip a zero operand, so NaN * 0 would give 0)
            dxp[:, :, rows, cols] += np.einsum("bo,ocmn->bcmn", g, weight)  # (N, C_in, kH, kW)
            dw += np.einsum("bo,bcmn->ocmn", g, xp[:, :, rows, cols])  # (C_out, C_in, kH, kW)
    return _crop(dxp, padding, x.shape[-2:]), dw, bias_grad(grad_out)


@per_group_backward
def backward_shift(grad_out, x, weight, stride, padding, dilation):
    """Per kernel tap ``(m, n)``: one GEMM for ``dw[:, :, m, n]``, one for its share of ``dx``.

    Notes
    -----
    With ``S_mn = xp[:, :, m*dH : ... : sH, n*dW : ... : sW]`` (the slice the
    forward pass multiplied by ``weight[:, :, m, n]``):
    ``dw[:, :, m, n] = sum_b G_b S_mn,b^T`` and ``dxp[S_mn] += weight[:, :, m, n]^T G``.
    """
    n_images, c_out, oh, ow = grad_out.shape
    kh, kw = weight.shape[-2:]
    xp = pad(x, padding)
    dxp = np.zeros_like(xp)
    dw = np.empty_like(weight)
    g = grad_out.reshape(n_images, c_out, oh * ow)  # (N, C_out, P)
    for m in range(kh):
        rows = offset_slice(m, dilation[0], stride[0], oh)
        for n in range(kw):
            cols = offset_slice(n, dilation[1], stride[1], ow)
            shifted = xp[:, :, rows, cols].reshape(n_images, -1, oh * ow)  # (N, C_in, P)
            dw[:, :, m, n] = np.tensordot(g, shifted, axes=((0, 2), (0, 2)))  # (C_out, C_in)
            dxp[:, :, rows, cols] += (weight[:, :, m, n].T @ g).reshape(n_images, -1, oh, ow)
    return _crop(dxp, padding, x.shape[-2:]), dw, bias_grad(grad_out)


def _correlate(x, weight, *, stride, dilation):
    """Valid cross-correlation of ``x`` (N, C, H, W) with ``weight`` (O, C, kH, kW): the forward formula."""
    return forward_shift(x, weight, None, stride, ((0, 0), (0, 0)), dilation, 1)


def input_grad_flip(grad_out, weight, input_hw, stride, padding, dilation):
    """``dx`` as a full correlation of the zero-inserted gradient with the rotated kernel.

    This is also the transposed convolution of ``grad_out`` with ``weight``.

    Notes
    -----
    1. ``zero_insert(grad_out, stride)`` puts every gradient back on the stride-1 grid.
    2. Pad it by ``dilation * (k - 1)`` on every side ("full" padding).
    3. Correlate with ``flip_kernel(weight)``, in/out channels swapped, same dilation.
    4. The result covers the padded input up to the last row/column a window
       reached; rows left over by a non-dividing stride get zero. Crop the padding.

    The formula multiplies every kernel tap by the inserted and padded zeros
    too, so an ``inf`` or NaN in ``weight`` reaches every ``dx`` cell its
    (dilated) kernel span covers as NaN (``0 * inf``), even cells PyTorch
    (which skips the zeros) keeps finite; finite inputs are unaffected.
    """
    kh, kw = weight.shape[-2:]
    full = (effective_kernel_size(kh, dilation[0]) - 1, effective_kernel_size(kw, dilation[1]) - 1)
    spread = pad(zero_insert(grad_out, stride), full)
    rotated = flip_kernel(weight).swapaxes(0, 1)  # (C_in, C_out, kH, kW)
    with np.errstate(invalid="ignore"):  # 0 * inf is NaN here by design (see Notes)
        covered = _correlate(spread, rotated, stride=(1, 1), dilation=dilation)
    # covered starts at the padded input's first cell; the input's own cells start at
    # (top, left), and those past covered's end were never read: their gradient is zero.
    (top, _), (left, _) = padding
    h, w = (max(0, min(n, c - start)) for n, c, start in zip(input_hw, covered.shape[2:], (top, left)))
    dx = np.zeros(covered.shape[:2] + tuple(input_hw), dtype=covered.dtype)
    dx[:, :, :h, :w] = covered[:, :, top:top + h, left:left + w]
    return dx


def kernel_grad_flip(grad_out, x, kernel_size, stride, padding, dilation):
    """``dw`` as a correlation of the padded input with the zero-inserted gradient.

    Notes
    -----
    ``dw[o, c, m, n] = sum_{b, i, j} xp[b, c, m*dH + i*sH, n*dW + j*sW] grad_out[b, o, i, j]``:
    the zero-inserted gradient is the kernel, the batch plays the role of
    channels, and the forward dilation becomes the stride. The inserted zeros
    multiply input cells the forward pass never read, so an ``inf`` or NaN
    there turns ``dw`` into NaN where PyTorch stays finite.
    """
    spread = zero_insert(grad_out, stride).swapaxes(0, 1)  # (C_out, N, H', W'): the "kernel"
    images = pad(x, padding).swapaxes(0, 1)  # (C_in, N, Hp, Wp): the batch plays the channels
    with np.errstate(invalid="ignore"):  # 0 * inf is NaN here by design (see Notes)
        dw = _correlate(images, spread, stride=dilation, dilation=(1, 1))  # dilation and stride swap
    return dw[:, :, :kernel_size[0], :kernel_size[1]].swapaxes(0, 1)  # (C_out, C_in, kH, kW)


@per_group_backward
def backward_flip(grad_out, x, weight, stride, padding, dilation):
    """Both gradients as correlations: see `input_grad_flip` and `kernel_grad_flip`."""
    dx = input_grad_flip(grad_out, weight, input_hw=x.shape[-2:], stride=stride, padding=padding,
                         dilation=dilation)
    dw = kernel_grad_flip(grad_out, x, kernel_size=weight.shape[-2:], stride=stride, padding=padding,
                          dilation=dilation)
    return dx, np.ascontiguousarray(dw), bias_grad(grad_out)


@per_group_backward
def backward_im2row(grad_out, x, weight, stride, padding, dilation):
    """``dW~ = delta X~^T`` from the patch matrix; ``dx = row2im(W~^T delta)``.

    Notes
    -----
    With ``rows = im2row(x)`` of shape (N, P, K) and ``delta`` = grad_out as
    (N, C_out, P): ``dw = sum_b delta_b rows_b`` reshaped to the kernel, and the
    patch-matrix gradient ``delta^T W~`` is folded back with `row2im`, which
    sums overlapping windows.
    """
    n_images, c_out, oh, ow = grad_out.shape
    kernel_size = weight.shape[-2:]
    rows = patch_matrix(x, kernel_size, stride, padding, dilation, (oh, ow))  # (N, P, K)
    delta = grad_out.reshape(n_images, c_out, oh * ow)  # (N, C_out, P)
    flat_weight = weight.reshape(c_out, -1)  # (C_out, K)
    dw = np.tensordot(delta, rows, axes=((0, 2), (0, 1))).reshape(weight.shape)  # sum_b delta_b rows_b
    grad_rows = delta.transpose(0, 2, 1) @ flat_weight  # (N, P, K)
    dx = fold_rows(grad_rows, x.shape, kernel_size, stride, padding, dilation, (oh, ow))
    return dx, dw, bias_grad(grad_out)
