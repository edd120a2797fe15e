"""Four ways to compute the forward pass, each the formula of one slide.

Every function takes validated, normalised arguments: ``x`` of shape
(N, C_in, H, W), ``weight`` of shape (C_out, C_in, kH, kW) (one group; the
`per_group_forward` wrapper handles ``groups``), ``bias`` of shape (C_out,) or
None, ``stride`` and ``dilation`` pairs and ``padding`` as
``((top, bottom), (left, right))``. They return (N, C_out, H_out, W_out).
"""

import numpy as np

from ..blocks import pad
from ..matrices import patch_matrix, toeplitz_matrix
from ..shapes import offset_slice, output_shape, window_slice
from .groups import per_group_forward


def _out_size(x, weight, stride, padding, dilation):
    return output_shape(x.shape[-2:], weight.shape[-2:], stride, padding, dilation)


def _add_bias(y, bias):
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


@per_group_forward
def forward_loops(x, weight, bias, stride, padding, dilation):
    """The defining sum, one output number at a time.

    Notes
    -----
    ``y[b, o, i, j] = bias[o] + sum_{c, m, n} xp[b, c, i*sH + m*dH, j*sW + n*dW] * weight[o, c, m, n]``
    where ``xp`` is the zero-padded input.
    """
    n_images, c_out = x.shape[0], weight.shape[0]
    (kh, kw), (oh, ow) = weight.shape[-2:], _out_size(x, weight, stride, padding, dilation)
    xp = pad(x, padding)
    y = np.zeros((n_images, c_out, oh, ow), dtype=x.dtype)
    for b in range(n_images):
        for o in range(c_out):
            for i in range(oh):
                for j in range(ow):
                    rows = window_slice(i, kh, stride[0], dilation[0])
                    cols = window_slice(j, kw, stride[1], dilation[1])
                    window = xp[b, :, rows, cols]  # (C_in, kH, kW): the input cells under the kernel
                    y[b, o, i, j] = np.sum(window * weight[o])
    return _add_bias(y, bias)


@per_group_forward
def forward_shift(x, weight, bias, stride, padding, dilation):
    """Loop over kernel offsets, not output positions: one GEMM per tap ``(m, n)``.

    Notes
    -----
    ``y = bias + sum_{m, n} weight[:, :, m, n] @ xp[:, :, m*dH : ... : sH, n*dW : ... : sW]``:
    for a fixed tap, every output position reads the input shifted by
    ``(m*dH, n*dW)`` and subsampled by the stride, and all of them are mixed
    by the same (C_out, C_in) matrix.
    """
    n_images, c_in = x.shape[:2]
    (kh, kw), (oh, ow) = weight.shape[-2:], _out_size(x, weight, stride, padding, dilation)
    xp = pad(x, padding)
    y = np.zeros((n_images, weight.shape[0], oh * ow), dtype=x.dtype)
    for m in range(kh):
        rows = offset_slice(m, dilation[0], stride[0], oh)
        for n in range(kw):
            cols = offset_slice(n, dilation[1], stride[1], ow)
            shifted = xp[:, :, rows, cols].reshape(n_images, c_in, oh * ow)  # (N, C_in, H_out*W_out)
            y += weight[:, :, m, n] @ shifted  # (C_out, C_in) @ (N, C_in, P) -> (N, C_out, P)
    return _add_bias(y.reshape(n_images, -1, oh, ow), bias)


@per_group_forward
def forward_im2row(x, weight, bias, stride, padding, dilation):
    """One GEMM of the patch matrix with the flattened kernels.

    Notes
    -----
    ``Y = im2row(x) @ W~^T`` with ``W~ = weight.reshape(C_out, C_in*kH*kW)``;
    the patch matrix has shape (N, H_out*W_out, C_in*kH*kW).
    """
    kernel_size = weight.shape[-2:]
    out_size = _out_size(x, weight, stride, padding, dilation)
    rows = patch_matrix(x, kernel_size, stride, padding, dilation, out_size)  # (N, P, K)
    y = rows @ weight.reshape(weight.shape[0], -1).T  # (N, P, C_out)
    return _add_bias(y.transpose(0, 2, 1).reshape(x.shape[0], -1, *out_size), bias)


@per_group_forward
def forward_matrix(x, weight, bias, stride, padding, dilation):
    """Multiply the flattened input by the convolution (doubly block-Toeplitz) matrix.

    Notes
    -----
    ``vec(y) = T(w) vec(x)`` with ``T`` of shape (C_out*H_out*W_out, C_in*H*W),
    built by `convlab.conv_matrix`; dense, so it costs ``O(H^2 W^2)`` per channel pair.
    The formula multiplies every input cell by every row of ``T``, zeros
    included: an ``inf`` or NaN in ``x`` turns every output whose window does
    *not* read it into NaN (``0 * inf``), where PyTorch and the other methods
    leave those outputs finite.
    """
    out_size = _out_size(x, weight, stride, padding, dilation)
    matrix = toeplitz_matrix(weight, x.shape[-2:], stride, padding, dilation, 1, out_size)
    with np.errstate(invalid="ignore"):  # 0 * inf is NaN here by design, not a mistake
        y = x.reshape(x.shape[0], -1) @ matrix.T  # (N, C_in*H*W) @ (C_in*H*W, C_out*H_out*W_out)
    return _add_bias(y.reshape(x.shape[0], -1, *out_size), bias)
