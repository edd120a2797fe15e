"""Checkers for lesson 10: your convolution inside PyTorch.

The learner writes a ``torch.autograd.Function`` around convlab's numpy
forward and backward, and a forward pass from ``unfold`` and ``matmul``. The
checkers run them on float64 tensors and compare the output and the
gradients of input, weight and bias with ``torch.nn.functional.conv2d``
under autograd. torch is imported when a checker runs, not on import.
"""

import numpy as np

from ...blocks import flip_kernel
from ...conv import conv2d, conv2d_backward
from ..grading.definition import exercise
from ..grading.engine import case
from .common import NO_AUTOGRAD, TORCH_BY_HAND, ints

_PARTS = ("output", "dx", "dw", "db")


def _torch():
    import torch
    return torch


def _cases(seed, with_geometry):
    rng = np.random.default_rng(seed)
    specs = [("batch of one, single channel", (1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
             ("1x1 kernel", (1, 2, 2, 2), (2, 2, 1, 1), 1, 0),
             ("channels and batch", (2, 3, 4, 4), (2, 3, 3, 3), 1, 0),
             ("stride 2, not dividing", (1, 2, 6, 5), (3, 2, 2, 2), 2, 0),
             ("padding 1", (2, 1, 4, 3), (2, 1, 3, 3), 1, 1),
             ("padding 2 (>= k - 1) and stride 2", (1, 2, 5, 5), (2, 2, 3, 2), 2, 2)]
    cases = []
    for label, x_shape, w_shape, stride, padding in specs:
        if not with_geometry and (stride, padding) != (1, 0):
            continue
        x, w, b = ints(rng, *x_shape), ints(rng, *w_shape), ints(rng, w_shape[0])
        g = ints(rng, *conv2d(x, w, b, stride, padding).shape)
        args = dict(x=x, weight=w, bias=b, grad_out=g)
        if with_geometry:
            args.update(stride=stride, padding=padding)
        cases.append(case(label, **args))
    return cases


def _autograd(forward, x, weight, bias, grad_out):
    """Run ``forward(x, weight, bias)`` on tensors; return (output, dx, dw, db) as numpy."""
    torch = _torch()
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, weight, bias)]
    out = forward(*tensors)
    if not isinstance(out, torch.Tensor):
        return out  # let the comparison explain what came back
    if out.shape != grad_out.shape:
        return (out.detach().numpy(), None, None, None)
    out.backward(torch.tensor(grad_out))
    return (out.detach().numpy(),) + tuple(
        None if t.grad is None else t.grad.numpy() for t in tensors)


def _reference(x, weight, bias, grad_out, stride=1, padding=0):
    F = _torch().nn.functional
    return _autograd(lambda a, b, c: F.conv2d(a, b, c, stride, padding), x, weight, bias, grad_out)


def _run_function(function, x, weight, bias, grad_out, stride=1, padding=0):
    return _autograd(lambda a, b, c: function.apply(a, b, c, stride, padding),
                     x, weight, bias, grad_out)


def _grads_with(x, weight, bias, grad_out, stride=1, padding=0, forward_weight=None,
                backward_grad=None):
    """(output, dx, dw, db) from convlab, with one twist available."""
    used = weight if forward_weight is None else forward_weight
    y = conv2d(x, used, bias, stride, padding)
    g = grad_out if backward_grad is None else backward_grad
    dx, dw, db = conv2d_backward(g, x, used, stride, padding)
    if forward_weight is not None:
        dw = flip_kernel(dw)
    return y, dx, dw, db


def _summed_first(x, w, b, g, s=1, p=0):
    y, dx, dw, _ = _grads_with(x, w, b, g, s, p)
    return y, dx, dw, g[0].sum(axis=(1, 2))


@exercise(weight=3, **TORCH_BY_HAND, reference=_reference, output_names=_PARTS, call=_run_function,
          needs=("apply", "a torch.autograd.Function subclass"),
          argument="Conv2dFunction", mistakes=[
              ("ignored_grad_output", lambda x, w, b, g, s=1, p=0: _grads_with(
                  x, w, b, g, s, p, backward_grad=np.ones_like(g))),
              ("kernel_flipped", lambda x, w, b, g, s=1, p=0: _grads_with(
                  x, w, b, g, s, p, forward_weight=flip_kernel(w))),
              ("bias_grad_not_summed_over_batch", _summed_first),
              ("forgot_bias", lambda x, w, b, g, s=1, p=0: (conv2d(x, w, None, s, p),)
               + tuple(_grads_with(x, w, b, g, s, p)[1:])),
          ])
def check_conv2d_function():
    """Check a ``torch.autograd.Function`` built on convlab's forward and backward.

    ``Conv2dFunction.apply(x, weight, bias, stride, padding)`` must return
    ``F.conv2d(x, weight, bias, stride, padding)``, and its ``backward`` the
    gradients ``(dx, dw, db, None, None)``. Checked on float64 tensors
    against ``torch.nn.functional.conv2d``: the output and the three
    gradients for a given ``grad_out``. The verdict is named after the class.

    Examples
    --------
    >>> import torch
    >>> import convlab as cl
    >>> class Conv2dNumpy(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x, weight, bias, stride, padding):
    ...         ctx.save_for_backward(x, weight)
    ...         ctx.geometry = stride, padding
    ...         y = cl.conv2d(x.detach().numpy(), weight.detach().numpy(),
    ...                       bias.detach().numpy(), stride, padding)
    ...         return torch.from_numpy(y)
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         x, weight = (t.detach().numpy() for t in ctx.saved_tensors)
    ...         grads = cl.conv2d_backward(grad_out.numpy(), x, weight, *ctx.geometry)
    ...         return (*(torch.from_numpy(np.ascontiguousarray(g)) for g in grads), None, None)
    >>> r = check_conv2d_function(Conv2dNumpy)
    Conv2dNumpy: passed 6 cases.
    """
    return _cases(81, True)


def _unfold_mistake(flatten_order=False, transpose=True, bias=True):
    """An unfold-based forward with one of the classic slips, run under autograd on a case."""
    def forward(x, weight, b):
        torch = _torch()
        n, _, h, w = x.shape
        c_out, _, kh, kw = weight.shape
        cols = torch.nn.functional.unfold(x, (kh, kw))  # (N, C_in*kH*kW, P)
        w_flat = (weight.permute(0, 2, 3, 1) if flatten_order else weight).reshape(c_out, -1)
        rows = cols.transpose(1, 2) @ w_flat.T + (b if bias else 0)  # (N, P, C_out)
        if transpose:
            rows = rows.transpose(1, 2)
        return rows.reshape(n, c_out, h - kh + 1, w - kw + 1)

    return lambda x, w, b, g: _autograd(forward, x, w, b, g)


@exercise(weight=2, **TORCH_BY_HAND, reference=_reference, output_names=_PARTS,
          call=lambda fn, x, w, b, g: _autograd(fn, x, w, b, g), mistakes=[
              ("forgot_bias", _unfold_mistake(bias=False)),
              ("weight_flatten_order", _unfold_mistake(flatten_order=True)),
              ("reshape_without_transpose", _unfold_mistake(transpose=False)),
          ])
def check_conv2d_unfold():
    """Check ``conv2d_unfold(x, weight, bias)`` on tensors: unfold, one matmul, reshape.

    Stride 1, no padding; ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in, kH, kW),
    ``bias`` (C_out,), all tensors. Autograd must give the same gradients
    as ``torch.nn.functional.conv2d``. (``check_unfold_conv2d`` is the same checker.)

    Examples
    --------
    >>> import torch
    >>> def conv2d_unfold(x, weight, bias):
    ...     (n, _, h, w), (c_out, _, kh, kw) = x.shape, weight.shape
    ...     columns = torch.nn.functional.unfold(x, (kh, kw))  # (N, C_in*kH*kW, P)
    ...     y = weight.reshape(c_out, -1) @ columns + bias[:, None]
    ...     return y.reshape(n, c_out, h - kh + 1, w - kw + 1)
    >>> r = check_conv2d_unfold(conv2d_unfold)
    conv2d_unfold: passed 3 cases.
    >>> r = check_conv2d_unfold(lambda x, weight, bias: conv2d_unfold(x, weight, torch.zeros(1)))
    ... # doctest: +ELLIPSIS
    conv2d_unfold: failed on case 1 of 3 (wrong values).
    ...
        likely misconception: you forgot the bias: ...
    """
    return _cases(82, False)


check_unfold_conv2d = check_conv2d_unfold
"""The former name of :func:`check_conv2d_unfold` (lesson 10 calls it)."""


# ------------------------------------------- LeakyReLU's backward (the validation network)
def _leaky_relu_backward(z, grad_out, negative_slope):
    """``grad_out * phi'(z)``: 1 where z > 0, the slope elsewhere (PyTorch's choice at z = 0)."""
    return grad_out * np.where(z > 0, 1.0, negative_slope)


@exercise(**NO_AUTOGRAD, reference=_leaky_relu_backward, mistakes=[
    ("leaky_slope_ignored", lambda z, g, a: g * (z > 0)),
    ("chain_rule_forgotten", lambda z, g, a: np.where(z > 0, 1.0, a) + 0 * g),
    ("leaky_value_not_slope", lambda z, g, a: g * np.where(z > 0, z, a * z)),
    ("leaky_slope_sides_swapped", lambda z, g, a: g * np.where(z > 0, a, 1.0)),
    ("leaky_kink_side", lambda z, g, a: g * np.where(z >= 0, 1.0, a)),
])
def check_leaky_relu_backward():
    """Check ``leaky_relu_backward(z, grad_out, negative_slope)``: ``dL/dz`` of ``phi(z)``.

    ``phi(z) = z`` for ``z > 0`` and ``negative_slope * z`` otherwise;
    ``z`` and ``grad_out = dL/dphi`` have one shape, the answer too. At
    ``z = 0`` (the kink) the slope side is taken, as in PyTorch. Reference:
    ``torch.nn.functional.leaky_relu`` under autograd agrees.

    Examples
    --------
    >>> def leaky_relu_backward(z, grad_out, negative_slope):
    ...     return grad_out * np.where(z > 0, 1.0, negative_slope)
    >>> r = check_leaky_relu_backward(leaky_relu_backward)
    leaky_relu_backward: passed 5 cases.
    """
    rng = np.random.default_rng(151)
    return [case("all positive", z=np.array([1.0, 2.0, 0.5]), grad_out=np.array([1.0, -2.0, 3.0]),
                 negative_slope=0.01),
            case("signs mixed", z=ints(rng, 3, 4), grad_out=ints(rng, 3, 4), negative_slope=0.1),
            case("a zero input: the kink", z=np.array([[0.0, -1.0], [2.0, 0.0]]),
                 grad_out=np.array([[2.0, 3.0], [5.0, 7.0]]), negative_slope=0.2),
            case("slope 0.01, a batch of maps", z=ints(rng, 2, 2, 3, 3), grad_out=ints(rng, 2, 2, 3, 3),
                 negative_slope=0.01),
            case("slope 1 is the identity", z=ints(rng, 4), grad_out=ints(rng, 4), negative_slope=1.0)]
