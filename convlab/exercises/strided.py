"""Checkers for lesson 07: stride in the backward pass.

A stride-s convolution is a stride-1 convolution whose output is subsampled;
its gradients come from the stride-1 formulas once ``s - 1`` zeros are
inserted between the output-gradient entries. References:
:func:`convlab.zero_insert` and :func:`convlab.conv2d_backward`.
"""

import numpy as np

import convlab as cl

from .backward import _full, _grads
from .engine import DEFAULT_TIME_LIMIT, case, run_check
from .forward import ints


def check_zero_insert(zero_insert, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``zero_insert(g, stride)``: ``stride - 1`` zeros between entries of the last two axes.

    ``g`` (..., H, W), int ``stride``; returns (..., (H-1)*stride + 1, (W-1)*stride + 1).
    Reference: :func:`convlab.zero_insert`.

    Examples
    --------
    >>> import convlab as cl
    >>> r = check_zero_insert(cl.zero_insert)
    zero_insert: passed 6 cases.
    """
    rng = np.random.default_rng(71)
    cases = [case("stride 1 changes nothing", g=ints(rng, 2, 2), stride=1),
             case("a single entry", g=np.array([[5.0]]), stride=3),
             case("stride 2", g=np.array([[1.0, 2.0], [3.0, 4.0]]), stride=2),
             case("non-square, stride 3", g=ints(rng, 2, 3), stride=3),
             case("one row", g=ints(rng, 1, 4), stride=2),
             case("batch and channels", g=ints(rng, 2, 2, 2, 2), stride=2)]
    return run_check(zero_insert, name="zero_insert", argument="zero_insert", cases=cases,
                     reference=cl.zero_insert, mistakes=check_zero_insert.mistakes,
                     time_limit=time_limit)


def _trailing(g, stride):
    spread = np.zeros(g.shape[:-2] + (g.shape[-2] * stride, g.shape[-1] * stride))
    spread[..., ::stride, ::stride] = g
    return spread


check_zero_insert.mistakes = [
    ("zero_insert_trailing", _trailing),
    ("zero_insert_count", lambda g, s: cl.zero_insert(g, s + 1)),
    ("zero_insert_one_axis", lambda g, s: cl.zero_insert(g, (s, 1))),
    ("zero_insert_one_axis", lambda g, s: cl.zero_insert(g, (1, s))),
]


def _strided_cases(seed, with_weight):
    rng = np.random.default_rng(seed)
    specs = [("stride 1", 1, (1, 1, 3, 3), (1, 1, 2, 2)),
             ("1x1 kernel, stride 2", 2, (1, 1, 3, 3), (1, 1, 1, 1)),
             ("stride 2, dividing", 2, (1, 1, 5, 5), (1, 1, 3, 3)),
             ("stride 2, remainder not covered", 2, (1, 1, 6, 5), (1, 1, 2, 2)),
             ("stride 3, channels", 3, (1, 2, 7, 8), (2, 2, 3, 2)),
             ("stride larger than the kernel", 3, (2, 1, 7, 7), (1, 1, 2, 2))]
    cases = []
    for label, s, x_shape, w_shape in specs:
        out = tuple(cl.conv_output_size(n, k, s) for n, k in zip(x_shape[2:], w_shape[2:]))
        g = ints(rng, x_shape[0], w_shape[0], *out)
        if with_weight:
            cases.append(case(label, grad_out=g, weight=ints(rng, *w_shape), stride=s,
                              input_size=x_shape[2:]))
        else:
            cases.append(case(label, x=ints(rng, *x_shape), grad_out=g, stride=s,
                              kernel_size=w_shape[2:]))
    return cases


def _strided_input_grad(grad_out, weight, stride, input_size):
    x_shape = (len(grad_out), weight.shape[1], *input_size)
    return _grads(grad_out, x_shape, None, stride=stride, weight=weight).dx


def _fit(dx, input_size):
    """Crop or zero-pad the last two axes to ``input_size`` (at the bottom/right)."""
    out = np.zeros(dx.shape[:2] + tuple(input_size))
    h, w = min(dx.shape[2], input_size[0]), min(dx.shape[3], input_size[1])
    out[:, :, :h, :w] = dx[:, :, :h, :w]
    return out


def check_strided_input_grad(strided_input_grad, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``strided_input_grad(grad_out, weight, stride, input_size)``: ``dx`` for stride > 1.

    ``grad_out`` (N, C_out, H_out, W_out), ``weight`` (C_out, C_in, kH, kW),
    int ``stride``, ``input_size`` (H, W) (needed: several sizes give the
    same H_out); no padding. Returns (N, C_in, H, W); rows and columns no
    window covered get 0. Reference: ``convlab.conv2d_backward(...).dx``.

    Examples
    --------
    >>> r = check_strided_input_grad(_strided_input_grad)
    strided_input_grad: passed 6 cases.
    """
    return run_check(strided_input_grad, name="strided_input_grad",
                     argument="strided_input_grad", cases=_strided_cases(72, True),
                     reference=_strided_input_grad,
                     mistakes=check_strided_input_grad.mistakes, time_limit=time_limit)


def _spread_full(g, w, s, size, flip=True, spread=None):
    g = cl.zero_insert(g, s) if spread is None else spread(g, s)
    return _fit(_full(g, cl.flip_kernel(w) if flip else w, "full"), size)


check_strided_input_grad.mistakes = [
    ("stride_ignored_backward", lambda g, w, s, size: _full(g, cl.flip_kernel(w), "full")),
    ("stride_ignored_backward", lambda g, w, s, size: _spread_full(g, w, 1, size)),
    ("kernel_not_flipped", lambda g, w, s, size: _spread_full(g, w, s, size, flip=False)),
    ("zero_insert_count", lambda g, w, s, size: _spread_full(g, w, s + 1, size)),
]


def _strided_kernel_grad(x, grad_out, stride, kernel_size):
    w_shape = (grad_out.shape[1], x.shape[1], *kernel_size)
    return _grads(grad_out, None, w_shape, stride=stride, x=x).dw


def check_strided_kernel_grad(strided_kernel_grad, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``strided_kernel_grad(x, grad_out, stride, kernel_size)``: ``dW`` for stride > 1.

    ``dW[o, c, m, n] = sum over b, i, j of grad_out[b, o, i, j] x[b, c, s*i + m, s*j + n]``;
    returns (C_out, C_in, kH, kW). Reference: ``convlab.conv2d_backward(...).dw``.

    Examples
    --------
    >>> r = check_strided_kernel_grad(_strided_kernel_grad)
    strided_kernel_grad: passed 6 cases.
    """
    return run_check(strided_kernel_grad, name="strided_kernel_grad",
                     argument="strided_kernel_grad", cases=_strided_cases(73, False),
                     reference=_strided_kernel_grad,
                     mistakes=check_strided_kernel_grad.mistakes, time_limit=time_limit)


def _dense_kernel_grad(x, g, s, k):
    """The stride-1 formula applied as if the stride were 1."""
    crop = x[:, :, :g.shape[2] + k[0] - 1, :g.shape[3] + k[1] - 1]
    return _strided_kernel_grad(crop, g, 1, k)


check_strided_kernel_grad.mistakes = [
    ("stride_ignored_backward", _dense_kernel_grad),
    ("grad_flipped", lambda x, g, s, k: cl.flip_kernel(_strided_kernel_grad(x, g, s, k))),
    ("grad_not_summed_over_batch", lambda x, g, s, k: _strided_kernel_grad(x[:1], g[:1], s, k)),
]
