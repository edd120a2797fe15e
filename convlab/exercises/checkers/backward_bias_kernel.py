"""Checkers for lesson 06 (backward: bias and kernel): the 1-D kernel gradient, the
bias gradient, the kernel gradient of a layer, and the kernel gradient of a batch in
one matrix product.

References come from :func:`convlab.conv2d_backward` (see
:func:`convlab.exercises.checkers.common.gradients`). The known mistakes
include the classics: the bias gradient not summed over the batch, a flipped
kernel, a batch summed outside the product.
"""

import numpy as np

from ...blocks import flip_kernel
from ...conv import conv1d_backward, conv2d_backward
from ...matrices import im2row
from ..grading.definition import exercise
from ..grading.engine import case
from .common import (
    LOOPS,
    NO_CONVOLUTION,
    cases_of_shapes,
    gradients,
    import_torch,
    ints,
)


def _kernel_grad_1d(p, g):
    return conv1d_backward(g[None, None], p[None, None], np.zeros((1, 1, len(p) - len(g) + 1))).dw[0, 0]


@exercise(**LOOPS, reference=_kernel_grad_1d, mistakes=[
    ("grad_flipped", lambda p, g: _kernel_grad_1d(p, g)[::-1]),
])
def check_kernel_grad_1d():
    """Check ``kernel_grad_1d(p, g)``: ``dw[u] = sum_i g[i] p[i + u]`` for ``q = correlate1d(p, w)``.

    ``p`` (n,), ``g`` (n - k + 1,); returns ``dw`` (k,).
    Reference: :func:`convlab.conv1d_backward`.

    Examples
    --------
    >>> def kernel_grad_1d(p, g):
    ...     return np.array([g @ p[u:u + len(g)] for u in range(len(p) - len(g) + 1)])
    >>> r = check_kernel_grad_1d(kernel_grad_1d)
    kernel_grad_1d: passed 5 cases.
    """
    rng = np.random.default_rng(51)
    return [case("kernel of length 1", p=np.array([1.0, -2.0, 3.0]), g=np.array([2.0, 1.0, -1.0])),
            case("kernel as long as the input", p=np.array([1.0, 2.0, 3.0]), g=np.array([2.0])),
            case("kernel of length 2", p=np.array([1.0, 2.0, 0.0, -1.0]), g=ints(rng, 3)),
            case("kernel of length 3", p=ints(rng, 6), g=ints(rng, 4)),
            case("longer input", p=ints(rng, 9), g=ints(rng, 6))]


def _bias_grad(grad_out):
    n, c, h, w = grad_out.shape
    return gradients(grad_out, (n, 1, h, w), (c, 1, 1, 1)).db


@exercise(**LOOPS, reference=_bias_grad, mistakes=[
    ("bias_grad_not_summed_over_batch", lambda g: g[0].sum(axis=(1, 2))),
    ("bias_grad_not_summed_over_batch", lambda g: g.sum(axis=(2, 3)).mean(axis=0)),
    ("bias_grad_not_summed_over_positions", lambda g: g.sum(axis=0)),
    ("bias_grad_not_summed_over_positions", lambda g: g.mean(axis=(2, 3)).sum(axis=0)),
])
def check_bias_grad():
    """Check ``bias_grad(grad_out)``: ``db[o] = sum over n, i, j of grad_out[n, o, i, j]``.

    ``grad_out`` (N, C_out, H_out, W_out); returns (C_out,).
    Reference: ``convlab.conv2d_backward(...).db``.

    Examples
    --------
    >>> r = check_bias_grad(lambda grad_out: grad_out.sum(axis=(0, 2, 3)))
    bias_grad: passed 6 cases.
    >>> r = check_bias_grad(lambda grad_out: grad_out[0].sum(axis=(1, 2)))  # doctest: +ELLIPSIS
    bias_grad: failed on case 3 of 6 (wrong values).
    ...
        likely misconception: bias gradient not summed over the batch: ...
    """
    rng = np.random.default_rng(52)
    return [case("batch of one, 1x1 output", grad_out=ints(rng, 1, 2, 1, 1)),
            case("batch of one", grad_out=ints(rng, 1, 3, 2, 2)),
            case("batch of two, one channel", grad_out=ints(rng, 2, 1, 2, 2)),
            case("batch of three", grad_out=ints(rng, 3, 2, 2, 3)),
            case("non-square output", grad_out=ints(rng, 2, 3, 1, 4)),
            case("larger batch", grad_out=ints(rng, 4, 2, 3, 3))]


def _kernel_grad(x, grad_out):
    kernel = (x.shape[2] - grad_out.shape[2] + 1, x.shape[3] - grad_out.shape[3] + 1)
    return gradients(grad_out, None, (grad_out.shape[1], x.shape[1], *kernel), x=x).dw


@exercise(weight=3, **LOOPS, reference=_kernel_grad, mistakes=[
    ("grad_flipped", lambda x, g: flip_kernel(_kernel_grad(x, g))),
    ("grad_not_summed_over_batch", lambda x, g: _kernel_grad(x[:1], g[:1])),
    ("grad_not_summed_over_batch", lambda x, g: _kernel_grad(x, g) / len(x)),
    ("grad_channels_swapped", lambda x, g: _kernel_grad(x, g).transpose(1, 0, 2, 3)),
    ("hw_swapped", lambda x, g: _kernel_grad(x, g).swapaxes(2, 3)),
])
def check_kernel_grad():
    """Check ``kernel_grad(x, grad_out)``: ``dW`` for stride 1, no padding.

    ``x`` (N, C_in, H, W), ``grad_out`` (N, C_out, H_out, W_out); returns
    (C_out, C_in, kH, kW) with ``kH = H - H_out + 1``:
    ``dW[o, c, m, n] = sum over b, i, j of grad_out[b, o, i, j] x[b, c, i + m, j + n]``.
    Reference: ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> def kernel_grad(x, grad_out):
    ...     h_out, w_out = grad_out.shape[2:]
    ...     kh, kw = x.shape[2] - h_out + 1, x.shape[3] - w_out + 1
    ...     return np.array([[np.einsum("boij,bcij->oc", grad_out, x[:, :, m:m + h_out, n:n + w_out])
    ...                       for n in range(kw)] for m in range(kh)]).transpose(2, 3, 0, 1)
    >>> r = check_kernel_grad(kernel_grad)
    kernel_grad: passed 6 cases.
    """
    return cases_of_shapes(53, ("x", "grad_out"), [
        ("batch of one, single channel, 1x1 kernel", (1, 1, 2, 3), (1, 1, 2, 3)),
        ("batch of one, single channel", (1, 1, 3, 3), (1, 1, 2, 2)),
        ("two input channels", (1, 2, 3, 4), (1, 1, 2, 2)),
        ("three output channels", (1, 2, 4, 4), (1, 3, 2, 3)),
        ("batch of two", (2, 1, 4, 3), (2, 2, 2, 2)),
        ("batch and channels", (3, 2, 4, 4), (3, 2, 2, 2))])


def _kernel_grad_sized(x, grad_out, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return conv2d_backward(grad_out, x, np.zeros(w_shape)).dw


def _mixed_reshape(x, grad_out, kernel_size):
    rows = im2row(x, kernel_size).reshape(-1, x.shape[1] * kernel_size[0] * kernel_size[1])
    delta = grad_out.reshape(grad_out.shape[1], -1)
    return (delta @ rows).reshape(grad_out.shape[1], x.shape[1], *kernel_size)


@exercise(weight=2, **NO_CONVOLUTION, reference=_kernel_grad_sized, mistakes=[
    ("batch_mixed_in_reshape", _mixed_reshape),
    ("grad_not_summed_over_batch", lambda x, g, k: _kernel_grad_sized(x[:1], g[:1], k)),
    ("grad_flipped", lambda x, g, k: _kernel_grad_sized(x, g, k)[:, :, ::-1, ::-1]),
])
def check_kernel_grad_one_matmul():
    """Check ``kernel_grad_one_matmul(x, grad_out, kernel_size)``: dW from one matrix product.

    ``x`` (N, C_in, H, W), ``grad_out`` (N, C_out, H_out, W_out), ``kernel_size``
    (kH, kW); stride 1, no padding; returns (C_out, C_in, kH, kW). Reference:
    ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> import convlab as cl
    >>> def kernel_grad_one_matmul(x, grad_out, kernel_size):
    ...     rows = im2row(x, kernel_size)                       # (N, P, C_in*kH*kW)
    ...     rows = rows.reshape(-1, rows.shape[-1])                # (N*P, C_in*kH*kW)
    ...     c_out = grad_out.shape[1]
    ...     delta = grad_out.transpose(1, 0, 2, 3).reshape(c_out, -1)   # (C_out, N*P)
    ...     return (delta @ rows).reshape(c_out, x.shape[1], *kernel_size)
    >>> r = check_kernel_grad_one_matmul(kernel_grad_one_matmul)
    kernel_grad_one_matmul: passed 5 cases.
    """
    rng = np.random.default_rng(141)
    specs = [("one example, one channel", 1, 1, 1, (4, 4), (2, 2)),
             ("a batch of 3", 3, 1, 1, (4, 4), (3, 3)),
             ("channels in and out", 2, 3, 2, (5, 5), (3, 3)),
             ("non-square", 2, 2, 3, (5, 6), (2, 3)),
             ("1x1 kernel", 4, 2, 2, (3, 3), (1, 1))]
    return [case(label, x=ints(rng, n, c_in, h, w),
                 grad_out=ints(rng, n, c_out, h - kh + 1, w - kw + 1), kernel_size=(kh, kw))
            for label, n, c_in, c_out, (h, w), (kh, kw) in specs]


# ---------------------------------------------------------------- transfer tasks (lessons-a)
def _torch_kernel_grad_1d(x, g, k, s, d):
    """dL/dw of L = sum(g * conv1d(x, w, stride=s, dilation=d)), by torch autograd."""
    import torch
    w = torch.zeros((1, 1, k), dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv1d(torch.tensor(x)[None, None], w, stride=s, dilation=d)
    y.backward(torch.tensor(g)[None, None])
    return w.grad.numpy()[0, 0]


def _taps_1d(x, g, k, s, d):
    """``dw[u] = sum_i g[i] x[s i + d u]`` with given s and d, written with slices."""
    return np.array([g @ x[d * u:d * u + s * (len(g) - 1) + 1:s] for u in range(k)])


@exercise(**LOOPS, reference=_torch_kernel_grad_1d, mistakes=[
    ("stride_ignored", lambda x, g, k, s, d: _taps_1d(x, g, k, 1, d)),
    ("dilation_ignored", lambda x, g, k, s, d: _taps_1d(x, g, k, s, 1)),
    ("stride_and_dilation_ignored", lambda x, g, k, s, d: _taps_1d(x, g, k, 1, 1)),
    ("grad_flipped", lambda x, g, k, s, d: _taps_1d(x, g, k, s, d)[::-1]),
])
def check_kernel_grad_1d_strided():
    """Check ``kernel_grad_1d_strided(x, g, k, s, d)``: the 1-D kernel gradient with stride and dilation.

    For ``y = conv1d(x, w, stride=s, dilation=d)`` with ``w`` of length ``k``,
    ``g`` = dL/dy; returns ``dw`` (k,) with ``dw[u] = sum_i g[i] x[s i + d u]``.
    Reference: torch autograd through ``torch.nn.functional.conv1d``.

    Examples
    --------
    >>> def kernel_grad_1d_strided(x, g, k, s, d):
    ...     return np.array([sum(g[i] * x[s * i + d * u] for i in range(len(g))) for u in range(k)])
    >>> r = check_kernel_grad_1d_strided(kernel_grad_1d_strided)
    kernel_grad_1d_strided: passed 5 cases.
    """
    import_torch()
    rng = np.random.default_rng(56)

    def make(label, h, k, s, d):
        h_out = (h - d * (k - 1) - 1) // s + 1
        return case(label, x=ints(rng, h), g=ints(rng, h_out), k=k, s=s, d=d)
    return [make("stride 2, dilation 2", 9, 3, 2, 2), make("stride 2, dense", 7, 2, 2, 1),
            make("dilation 2, stride 1", 7, 2, 1, 2), make("stride 3, dilation 2", 12, 3, 3, 2),
            make("stride 2, a cell left over", 10, 3, 2, 1)]


def _torch_kernel_grad_nhwc(image, grad_out, kernel_size, stride):
    """dL/dK in [kH, kW, C, O] for a batch of [H, W, C] images, by torch autograd (NCHW inside)."""
    import torch
    c, o = image.shape[3], grad_out.shape[3]
    weight = torch.zeros((o, c) + tuple(kernel_size), dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(torch.tensor(image).permute(0, 3, 1, 2), weight, stride=stride)
    y.backward(torch.tensor(grad_out).permute(0, 3, 1, 2))
    return weight.grad.permute(2, 3, 1, 0).numpy()


def _nhwc_slip(image, grad_out, kernel_size, stride, slip):
    if slip == "first_example":
        return _torch_kernel_grad_nhwc(image[:1], grad_out[:1], kernel_size, stride)
    if slip == "stride_ignored":
        _, h_out, w_out, _ = grad_out.shape
        return np.stack([np.stack([np.einsum("eijc,eijo->co", image[:, m:m + h_out, n:n + w_out],
                                             grad_out) for n in range(kernel_size[1])])
                         for m in range(kernel_size[0])])
    dk = _torch_kernel_grad_nhwc(image, grad_out, kernel_size, stride)
    if slip == "flipped":
        return dk[::-1, ::-1]
    if slip == "channels_swapped":
        return dk.transpose(0, 1, 3, 2)
    return dk.transpose(3, 2, 0, 1)          # channels-first layout (O, C, kH, kW)


@exercise(**LOOPS, reference=_torch_kernel_grad_nhwc, mistakes=[
    ("kernel_grad_not_summed_over_batch", lambda *a: _nhwc_slip(*a, "first_example")),
    ("stride_ignored", lambda *a: _nhwc_slip(*a, "stride_ignored")),
    ("grad_flipped", lambda *a: _nhwc_slip(*a, "flipped")),
    ("channels_last_in_out_swapped", lambda *a: _nhwc_slip(*a, "channels_swapped")),
    ("channels_last_returned_channels_first", lambda *a: _nhwc_slip(*a, "layout")),
])
def check_kernel_grad_nhwc():
    """Check ``kernel_grad_nhwc(image, grad_out, kernel_size, stride)``: the kernel gradient, channels-last.

    ``image`` (N, H, W, C), ``grad_out`` (N, H_out, W_out, O), no padding;
    returns ``dK`` of shape ``(kH, kW, C, O)`` with ``dK[m, n] = sum_e sum_ij
    outer(image[e, s i + m, s j + n], grad_out[e, i, j])``.
    Reference: torch autograd through ``conv2d`` on the permuted arrays.

    Examples
    --------
    >>> def kernel_grad_nhwc(image, grad_out, kernel_size, stride):
    ...     _, h_out, w_out, _ = grad_out.shape
    ...     s = stride
    ...     return np.stack([np.stack([np.einsum("eijc,eijo->co",
    ...         image[:, m:m + s * (h_out - 1) + 1:s, n:n + s * (w_out - 1) + 1:s], grad_out)
    ...         for n in range(kernel_size[1])]) for m in range(kernel_size[0])])
    >>> r = check_kernel_grad_nhwc(kernel_grad_nhwc)
    kernel_grad_nhwc: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(57)

    def make(label, n, h, w, c, o, k, s):
        h_out, w_out = (h - k[0]) // s + 1, (w - k[1]) // s + 1
        return case(label, image=ints(rng, n, h, w, c), grad_out=ints(rng, n, h_out, w_out, o),
                    kernel_size=k, stride=s)
    return [make("two images, stride 2", 2, 5, 5, 2, 3, (2, 2), 2),
            make("one image, stride 1", 1, 3, 3, 2, 3, (2, 2), 1),
            make("a 2x3 kernel, stride 2", 2, 6, 7, 3, 2, (2, 3), 2),
            make("three images, stride 3", 3, 7, 7, 2, 4, (3, 3), 3)]
