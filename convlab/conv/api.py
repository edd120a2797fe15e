"""Public convolution functions: validate, normalise, dispatch to a method.

Every public function checks all its arguments before any work, brings 1-D
and unbatched inputs to the batched 2-D case, runs the chosen formulation and
returns arrays in the caller's layout and dtype.

A layer calls with the same shapes again and again, so `prepare` remembers
(in `PREPARED`, a bounded thread-safe LRU) what it worked out from the
shapes, dtypes and plain int/str arguments of calls that passed every check:
a repeated call skips the checks, whose outcome depends on nothing else (and
on the memory limit, part of the key). Anything else (lists, numpy scalars,
array subclasses) is checked every time.
"""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .._checks import (
    as_array,
    check_bias,
    check_channels,
    check_choice,
    check_conv_arrays,
    check_conv_memory,
    check_groups,
    check_memory,
    check_padding,
    compute_dtype,
    get_memory_limit,
)
from ..shapes import ConvGeometry, conv_geometry
from .fast.cache import LruCache
from .methods import BACKWARD_METHODS, FORWARD_METHODS

Grads = namedtuple("Grads", "dx dw db")
Grads.__doc__ = "Gradients of a convolution: input ``dx``, weight ``dw``, bias ``db``."

AXIS_NAMES = {1: ("L",), 2: ("H", "W")}


@dataclass(frozen=True)
class ConvCall:
    """A validated convolution call, brought to the batched 2-D case."""

    x: np.ndarray  # (N, C_in, H, W), compute dtype
    weight: np.ndarray  # (C_out, C_in // groups, kH, kW), compute dtype
    bias: object  # (C_out,) array or None
    geometry: ConvGeometry  # 2-D (a 1-D call has a trivial first axis)
    groups: int
    out_shape: tuple  # the output shape the caller sees
    batched: bool
    spatial: int  # 1 or 2

    def to_caller(self, array):
        """Drop the axes added for unbatched or 1-D input."""
        return to_caller(array, self.spatial, self.batched)

    def args(self):
        """``(stride, padding, dilation, groups)``: the tail of every method's arguments."""
        g = self.geometry
        return g.stride, g.padding, g.dilation, self.groups


def to_batched_2d(x, weight, spatial, dtype):
    """``x`` as (N, C, H, W) and ``weight`` as (O, I, kH, kW) in ``dtype`` (unbatched and 1-D lifted)."""
    x4 = x.astype(dtype, copy=False).reshape((-1,) + x.shape[-spatial - 1:])
    w4 = weight.astype(dtype, copy=False)
    if spatial == 1:
        x4, w4 = x4[:, :, None, :], w4[:, :, None, :]
    return x4, w4


def to_caller(array, spatial, batched):
    """Undo `to_batched_2d` on a batched 2-D result."""
    if spatial == 1:
        array = array[:, :, 0]
    return array if batched else array[0]


def lifted(geometry, spatial):
    """The 2-D geometry a ``spatial``-D call runs with."""
    return geometry if spatial == 2 else geometry.with_leading_axis()


#: Calls whose checks `prepare` remembers (a network's layers, forward and backward).
PREPARED = LruCache(256)


def _plain(value):
    """True for an int, a str, or a tuple of those (bool and numpy scalars excluded)."""
    kind = type(value)
    return kind is int or kind is str or (kind is tuple and all(_plain(v) for v in value))


def _prepared_key(x, weight, bias, scalars, spatial, names):
    """The key of a call in `PREPARED`, or None if its arguments are not all arrays and plain values."""
    if type(x) is not np.ndarray or type(weight) is not np.ndarray:
        return None
    if bias is not None and type(bias) is not np.ndarray:
        return None
    if not _plain(scalars):
        return None
    bias_key = None if bias is None else (bias.shape, bias.dtype)
    return (x.shape, x.dtype, weight.shape, weight.dtype, bias_key, scalars, spatial, names,
            get_memory_limit())


def prepare(x, weight, bias, stride, padding, dilation, groups, spatial, names=("x", "weight")):
    """Validate a convolution's arguments and normalise them (see `ConvCall`)."""
    key = _prepared_key(x, weight, bias, (stride, padding, dilation, groups), spatial, names)
    known = None if key is None else PREPARED.get(key)
    if known is not None:  # the same shapes, dtypes and arguments passed every check before
        geometry, groups, dtype, out_shape, batched = known
        x4, w4 = to_batched_2d(x, weight, spatial, dtype)
        bias = None if bias is None else bias.astype(dtype, copy=False)
        return ConvCall(x4, w4, bias, geometry, groups, out_shape, batched, spatial)
    call = _checked_call(x, weight, bias, stride, padding, dilation, groups, spatial, names)
    if key is not None:
        PREPARED.put(key, (call.geometry, call.groups, call.x.dtype, call.out_shape, call.batched))
    return call


def _checked_call(x, weight, bias, stride, padding, dilation, groups, spatial, names):
    """`prepare`'s checks and normalisation, from scratch."""
    x_name, w_name = names
    x, weight = check_conv_arrays(x, weight, spatial, names)
    c_in, (c_out, c_group) = x.shape[-spatial - 1], weight.shape[:2]
    groups = check_groups(groups, {"input channels": c_in, "output channels": c_out},
                          f"({x_name}.shape={x.shape}, {w_name}.shape={weight.shape})")
    check_channels(c_group, c_in, x.shape, weight.shape, x_name=x_name, weight_name=w_name,
                   groups=groups)
    bias = check_bias(bias, c_out)
    padding = check_padding(padding, spatial=spatial)
    geometry = conv_geometry(x.shape[-spatial:], weight.shape[-spatial:], stride, padding, dilation,
                             AXIS_NAMES[spatial])
    dtype = compute_dtype(x, weight)
    check_conv_memory(x.shape[:-spatial - 1], c_in, c_out, geometry.kernel_size, geometry.padding,
                      geometry.input_shape, geometry.output_shape, dtype)
    batched = x.ndim == spatial + 2
    x4, w4 = to_batched_2d(x, weight, spatial, dtype)
    out_shape = (x.shape[:1] if batched else ()) + (c_out,) + geometry.output_shape
    bias = None if bias is None else bias.astype(dtype, copy=False)
    return ConvCall(x4, w4, bias, lifted(geometry, spatial), groups, out_shape, batched, spatial)


def _forward(x, weight, bias, stride, padding, dilation, groups, method, spatial):
    check_choice(method, "method", FORWARD_METHODS)
    call = prepare(x, weight, bias, stride, padding, dilation, groups, spatial)
    if method == "matrix":
        (c_out, c_group), n_out = call.weight.shape[:2], np.prod(call.out_shape[-spatial:], dtype=object)
        check_memory("method='matrix''s convolution matrix",
                     (c_out // call.groups * n_out, c_group * np.prod(call.x.shape[-2:], dtype=object)),
                     call.x.dtype)
    y = FORWARD_METHODS[method](call.x, call.weight, call.bias, *call.args())
    return call.to_caller(y)


def _backward(grad_out, x, weight, stride, padding, dilation, groups, method, spatial):
    check_choice(method, "method", BACKWARD_METHODS)
    call = prepare(x, weight, None, stride, padding, dilation, groups, spatial)
    grad_out = as_array(grad_out, "grad_out")
    if grad_out.shape != call.out_shape:
        raise ValueError(
            f"grad_out must have the output's shape {call.out_shape} for x.shape="
            f"{np.shape(x)} and weight.shape={np.shape(weight)}; got {grad_out.shape}")
    dtype = compute_dtype(grad_out, call.x)
    g4 = grad_out.astype(dtype, copy=False).reshape((-1,) + call.out_shape[-spatial - 1:])
    if spatial == 1:
        g4 = g4[:, :, None, :]
    dx, dw, db = BACKWARD_METHODS[method](
        g4, call.x.astype(dtype, copy=False), call.weight.astype(dtype, copy=False), *call.args())
    dw = dw[:, :, 0] if spatial == 1 else dw
    return Grads(call.to_caller(dx), dw, db)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, method="fast"):
    """2-D convolution (cross-correlation, as in deep learning), equal to PyTorch's.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    bias : array_like, shape (C_out,), optional
    stride : int or (int, int), default 1
    padding : int, (pH, pW), ((top, bottom), (left, right)), or {"valid", "same", "full"}
        Zero padding. ``"same"`` gives ``ceil(n / stride)`` outputs with the
        odd pad cell at the bottom/right (TensorFlow's rule).
    dilation : int or (int, int), default 1
        Spacing between kernel taps; 1 is a dense kernel.
    groups : int, default 1
        Split channels into independent groups (``groups == C_in`` is depthwise).
    method : {"loops", "shift", "im2row", "matrix", "winograd", "fast"}
        The formulation to run; all give the same numbers ("winograd" only
        for 3x3 kernels with stride 1 and dilation 1).

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out) (unbatched in, unbatched out)
        Floating inputs keep their dtype; integer inputs compute in float64.

    Raises
    ------
    ValueError, TypeError
        Before any work, naming the offending argument.

    See Also
    --------
    conv2d_backward, conv_transpose2d, correlate2d

    Notes
    -----
    ``y[b, o, i, j] = bias[o] + sum_{c, m, n} xp[b, c, i*sH + m*dH, j*sW + n*dW] w[o, c, m, n]``,
    ``H_out = floor((H + top + bottom - dH (kH - 1) - 1) / sH) + 1``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[10., 18.],
            [42., 50.]]])
    """
    return _forward(x, weight, bias, stride, padding, dilation, groups, method, 2)


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1, method="fast"):
    """Gradients of `conv2d` with respect to input, weight and bias.

    Parameters
    ----------
    grad_out : array_like, shape of ``conv2d(x, weight, ...)``
        The gradient of the loss with respect to the output.
    x, weight, stride, padding, dilation, groups
        As passed to `conv2d`.
    method : {"loops", "shift", "flip", "im2row", "winograd", "fast"}

    Returns
    -------
    Grads
        Named tuple ``(dx, dw, db)`` with the shapes of ``x``, ``weight`` and ``(C_out,)``.

    See Also
    --------
    conv2d, conv_transpose2d

    Notes
    -----
    ``db[o] = sum grad_out[:, o]``; ``dw[o, c, m, n] = sum_{b,i,j} xp[b, c, i*sH + m*dH, j*sW + n*dW] g[b, o, i, j]``;
    ``dx`` is the transposed convolution of ``grad_out`` with ``weight``.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3)
    >>> dx, dw, db = conv2d_backward(np.ones((1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> dx
    array([[[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]]])
    >>> dw[0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    return _backward(grad_out, x, weight, stride, padding, dilation, groups, method, 2)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, method="fast"):
    """1-D convolution, equal to ``torch.nn.functional.conv1d``.

    ``x`` is (N, C_in, L) or (C_in, L), ``weight`` (C_out, C_in // groups, k);
    ``padding`` is an int, ``(before, after)`` or a mode. Otherwise as `conv2d`.

    Examples
    --------
    >>> conv1d(np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[[1.0, -1.0]]]))
    array([[-1., -1., -1.]])
    """
    return _forward(x, weight, bias, stride, padding, dilation, groups, method, 1)


def conv1d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1, method="fast"):
    """Gradients of `conv1d`; returns ``Grads(dx, dw, db)``.

    Examples
    --------
    >>> conv1d_backward(np.ones((1, 3)), np.array([[1.0, 2.0, 3.0, 4.0]]), np.ones((1, 1, 2))).dx
    array([[1., 2., 2., 1.]])
    """
    return _backward(grad_out, x, weight, stride, padding, dilation, groups, method, 1)
