"""Checkers for lesson 03 (channels and vectorising): a layer with channels, batch
and bias written as loops, then as one product per kernel offset.

The reference is :func:`convlab.conv2d`; each known mistake is the reference
with one twist (a flipped kernel, a missing bias, a stride ignored).
"""

from ...blocks import flip_kernel
from ..grading.definition import exercise
from .common import LOOPS, STRIDED_LAYER_SPACE, conv_layer, layer_cases


def _layer_mistakes(with_stride):
    def twist(f):
        return (lambda x, w, b, s=1: f(x, w, b, s)) if with_stride else (lambda x, w, b: f(x, w, b, 1))
    mistakes = [
        ("kernel_flipped", twist(lambda x, w, b, s: conv_layer(x, flip_kernel(w), b, s))),
        ("forgot_bias", twist(lambda x, w, b, s: conv_layer(x, w, None, s))),
        ("hw_swapped", twist(lambda x, w, b, s: conv_layer(x, w.swapaxes(2, 3), b, s))),
        ("bias_per_input_channel", twist(lambda x, w, b, s: conv_layer(x, w, x.shape[1] * b, s))),
    ]
    if with_stride:
        mistakes.append(("stride_ignored", lambda x, w, b, s: conv_layer(x, w, b, 1)))
    return mistakes


@exercise(weight=3, **LOOPS, reference=conv_layer, mistakes=_layer_mistakes(with_stride=False))
def check_conv_forward_loops():
    """Check ``conv_forward_loops(x, weight, bias)``: the defining sum, stride 1, no padding.

    ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,);
    returns (N, C_out, H - kH + 1, W - kW + 1). Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> def conv_forward_loops(x, weight, bias):
    ...     (n, _, h, w), (c_out, _, kh, kw) = x.shape, weight.shape
    ...     y = np.zeros((n, c_out, h - kh + 1, w - kw + 1))
    ...     for i in range(h - kh + 1):
    ...         for j in range(w - kw + 1):
    ...             y[:, :, i, j] = np.einsum("bcmn,ocmn->bo", x[:, :, i:i+kh, j:j+kw], weight)
    ...     return y + bias[:, None, None]
    >>> r = check_conv_forward_loops(conv_forward_loops)
    conv_forward_loops: passed 5 cases.
    >>> r = check_conv_forward_loops(lambda x, weight, bias: conv_forward_loops(x, weight, 0 * bias))
    ... # doctest: +ELLIPSIS
    conv_forward_loops: failed on case 1 of 5 (wrong values).
    ...
        likely misconception: you forgot the bias: ...
    """
    return layer_cases(31)


@exercise(weight=3, space=STRIDED_LAYER_SPACE, **LOOPS, reference=conv_layer,
          mistakes=_layer_mistakes(with_stride=True))
def check_conv_forward_shift():
    """Check ``conv_forward_shift(x, weight, bias, stride)``: one product per kernel offset.

    Same layout as :func:`check_conv_forward_loops`, with an int ``stride``
    and no padding. Reference: :func:`convlab.conv2d`.

    Examples
    --------
    >>> def conv_forward_shift(x, weight, bias, stride):
    ...     (_, _, h, w), (_, _, kh, kw) = x.shape, weight.shape
    ...     h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    ...     y = bias[:, None, None]
    ...     for m in range(kh):
    ...         for k in range(kw):
    ...             shifted = x[:, :, m:m + stride * h_out:stride, k:k + stride * w_out:stride]
    ...             y = y + np.einsum("bcij,oc->boij", shifted, weight[:, :, m, k])
    ...     return y
    >>> r = check_conv_forward_shift(conv_forward_shift)
    conv_forward_shift: passed 15 cases.
    """
    return layer_cases(32, strides=(1, 2, 3))
