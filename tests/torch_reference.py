"""Independent references: PyTorch's convolution, with explicit (possibly asymmetric) padding,
and hypothesis strategies for legal convolution configurations."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from convlab.shapes import effective_kernel_size

MAX_ERRORS = {}  # (kind, method) -> worst error relative to scale, reported at the end of the run


def scaled_error(got, expected, kind=None, method=None):
    """Max absolute error divided by the scale of the expected values (at least 1).

    With ``kind``, the error also joins the end-of-run report as ``(kind, method)``.
    """
    expected = np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    error = float(np.max(np.abs(np.asarray(got) - expected), initial=0.0)) / scale
    if kind is not None:
        MAX_ERRORS[(kind, method)] = max(MAX_ERRORS.get((kind, method), 0.0), error)
    return error



def assert_close(got, expected, kind, method, tol=1e-10):
    """Assert ``got`` matches ``expected`` (same shape) and record the error."""
    assert np.shape(got) == np.shape(expected), f"{kind}/{method}: shape {np.shape(got)} != {np.shape(expected)}"
    error = scaled_error(got, expected, kind, method)
    assert error <= tol, f"{kind}/{method}: relative error {error:.3g} > {tol:g}"


def torch_padding(pads):
    """F.pad's argument (last axis first) from ((top, bottom), (left, right)) or ((before, after),)."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def torch_conv_tensors(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv1d``/``F.conv2d`` on tensors, taking convlab's padding forms.

    Explicit ``(before, after)`` pairs are applied with ``F.pad`` (torch's
    convolution only pads symmetrically); ints, symmetric pairs and the
    modes go to torch as they are.
    """
    conv = F.conv2d if weight.ndim == 4 else F.conv1d
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):
        x, padding = F.pad(x, torch_padding(padding)), 0
    return conv(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def torch_conv(x, weight, bias, stride, pads, dilation, groups, grad_out=None, dtype=torch.float64):
    """torch's convolution (1-D or 2-D by weight.ndim) on explicitly padded numpy input.

    Computes in ``dtype`` (None: the dtype of ``x``). Returns the output, and
    with ``grad_out`` also ``(dx, dw, db)`` from autograd.
    """
    dtype = torch.from_numpy(np.asarray(x)).dtype if dtype is None else dtype
    spatial = weight.ndim - 2

    def tensor(a):
        return torch.tensor(np.asarray(a), dtype=dtype, requires_grad=True)

    xt, wt = tensor(x), tensor(weight)
    bt = None if bias is None else tensor(bias)
    y = torch_conv_tensors(xt, wt, bt, stride, tuple(tuple(p) for p in pads), dilation, groups)
    if grad_out is None:
        return y.detach().numpy()
    y.backward(torch.tensor(np.asarray(grad_out), dtype=dtype))
    db = bt.grad.numpy() if bt is not None else torch.tensor(np.asarray(grad_out), dtype=dtype).sum(
        dim=[d for d in range(y.ndim) if d != y.ndim - spatial - 1]).numpy()
    return y.detach().numpy(), (xt.grad.numpy(), wt.grad.numpy(), db)


@st.composite
def conv_configs(draw, spatial=2, max_size=9, max_kernel=4, max_channels=3, max_batch=3):
    """A legal convolution: arrays plus stride, padding (every accepted form), dilation, groups.

    Includes unbatched input, 1x1 kernels, strides that do not divide the
    input, asymmetric padding and the padding modes.
    """
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, max_channels))
    c_out = groups * draw(st.integers(1, max_channels))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    size = tuple(draw(st.integers(1, max_size)) for _ in range(spatial))
    form = draw(st.sampled_from(["int", "pair", "pairs", "valid", "same", "full"]))
    if form == "int":
        padding = draw(st.integers(0, 3))
    elif form == "pair":
        padding = tuple(draw(st.integers(0, 3)) for _ in range(spatial))
        if spatial == 1:
            padding = padding[0]  # 1-D has no (pH, pW) form; a pair is (before, after)
    elif form == "pairs":
        pairs = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(spatial))
        padding = pairs if spatial == 2 else pairs[0]
    else:
        padding = form
    from convlab.shapes import resolve_padding
    pads = resolve_padding(padding, kernel, stride, dilation, size)
    for n, k, d, (before, after) in zip(size, kernel, dilation, pads):
        assume(effective_kernel_size(k, d) <= n + before + after)
    batch = draw(st.integers(0, max_batch))  # 0 means unbatched
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x_shape = ((batch,) if batch else ()) + (c_in,) + size
    x = rng.standard_normal(x_shape)
    weight = rng.standard_normal((c_out, c_in // groups) + kernel)
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return dict(x=x, weight=weight, bias=bias, stride=stride, padding=padding, pads=pads,
                dilation=dilation, groups=groups)


def reference(config, grad_out=None):
    """torch's result for a config from `conv_configs` (unbatched handled like torch)."""
    x = config["x"]
    spatial = config["weight"].ndim - 2
    batched = x.ndim == spatial + 2
    xb = x if batched else x[None]
    g = None if grad_out is None else (grad_out if batched else grad_out[None])
    result = torch_conv(xb, config["weight"], config["bias"], config["stride"], config["pads"],
                        config["dilation"], config["groups"], g)
    if grad_out is None:
        return result if batched else result[0]
    y, (dx, dw, db) = result
    return (y if batched else y[0]), (dx if batched else dx[0], dw, db)
