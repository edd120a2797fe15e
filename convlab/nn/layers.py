"""Convolution, fully connected, activation and reshaping layers.

Each ``backward`` is the chain rule for one operation:

* ``Conv2d``: ``convlab.conv2d_backward`` — ``dx``, ``dw``, ``db`` at once;
* ``Linear``: ``y = x Wᵀ + b`` so ``dW = Gᵀ x`` (the whole batch in one
  matrix product), ``db = Σ_batch G``, ``dx = G W``;
* ``ReLU``: ``dx = G ⊙ [x > 0]``; ``LeakyReLU``: slope ``a`` where ``x <= 0``;
* ``Flatten``: reshape the gradient back.
"""

import numpy as np

from .._checks import (
    as_array,
    check_array,
    check_bool,
    check_dtype,
    check_grad_out,
    check_groups,
    check_int,
    check_number,
    check_padding,
    check_rng,
    int_tuple,
)
from ..conv import conv2d, conv2d_backward
from ..conv.methods import resolve_method
from ..shapes import conv_geometry
from .base import Layer

__all__ = ["Conv2d", "Linear", "ReLU", "LeakyReLU", "Flatten", "conv_method"]


def conv_method(method):
    """A ``Conv2d`` method: a name, a ``(forward, backward)`` pair of names, or of your own functions.

    Your own pair is ``forward(x, weight, bias, stride, padding, dilation, groups) -> y``
    and ``backward(grad_out, x, weight, stride, padding, dilation, groups) -> (dx, dw, db)``;
    the layer calls them with ``stride`` and ``dilation`` as pairs and ``padding`` resolved
    to ``((top, bottom), (left, right))`` for the input's size (so ``"same"`` works too).

    Examples
    --------
    >>> conv_method("shift")
    ('shift', 'shift')
    >>> forward, backward = conv_method((print, print))
    """
    if isinstance(method, (tuple, list)) and len(method) == 2 and any(map(callable, method)):
        if not all(map(callable, method)):
            raise TypeError(f"method must be two functions (forward, backward) or method names; "
                            f"got {method!r}")
        return tuple(method)
    return resolve_method(method)


class Conv2d(Layer):
    """2-D convolution layer running any convlab method.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, padding, dilation, groups
        As in ``convlab.conv2d`` (padding may be ``"same"``, ``"valid"``, ``"full"``).
    bias : bool, default True
    method : str or (str, str) or (callable, callable), default "fast"
        One name for forward and backward, a ``(forward, backward)`` pair of
        names, or a pair of your own functions (see :func:`conv_method`).
    rng : None, int or numpy.random.Generator
        Seeds the initialisation.
    dtype : floating dtype, default float64

    Notes
    -----
    Initialised as PyTorch does: weight and bias uniform in
    ``±1/sqrt(fan_in)``, ``fan_in = in_channels / groups * kH * kW``.
    ``params["weight"]`` has shape ``(C_out, C_in // groups, kH, kW)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(1, 2, 3, padding=1, rng=0)
    >>> y = conv.forward(np.ones((4, 1, 5, 5)))
    >>> dx = conv.backward(np.ones_like(y))
    >>> y.shape, dx.shape, conv.grads["bias"].tolist()
    ((4, 2, 5, 5), (4, 1, 5, 5), [100.0, 100.0])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, method="fast", rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", 1)
        self.out_channels = check_int(out_channels, "out_channels", 1)
        self.kernel_size = int_tuple(kernel_size, "kernel_size", 2)
        self.stride = int_tuple(stride, "stride", 2)
        check_padding(padding)  # kept as given (a 1-D or 0-d array as a list or int), as repr shows it
        self.padding = padding.tolist() if isinstance(padding, np.ndarray) else padding
        self.dilation = int_tuple(dilation, "dilation", 2)
        self.groups = check_groups(groups, {"in_channels": self.in_channels, "out_channels": self.out_channels})
        bias = check_bool(bias, "bias")
        self.method = conv_method(method)
        dtype = check_dtype(dtype)
        rng = check_rng(rng)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        bound = 1.0 / np.sqrt(np.prod(shape[1:]))
        self.params["weight"] = rng.uniform(-bound, bound, shape).astype(dtype)
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, self.out_channels).astype(dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def _conf(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def forward(self, x):
        """``x`` of shape ``(N, C_in, H, W)`` → ``(N, C_out, H_out, W_out)``."""
        x = check_array(x, "x", 4, "(N, C_in, H, W)", floating=True)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"x must have in_channels={self.in_channels} channels (axis 1); "
                             f"got shape {x.shape}")
        if callable(self.method[0]):
            y = self._custom(0, x, self.params["weight"], self.params.get("bias"))
        else:
            y = conv2d(x, self.params["weight"], self.params.get("bias"), method=self.method[0],
                       **self._conf())
        self._cache = (x, y.shape)
        return y

    def _custom(self, which, first, *arrays):
        """Call your own forward (``which=0``) or backward (1) with resolved settings."""
        x = first if which == 0 else arrays[0]
        g = conv_geometry(x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        return self.method[which](first, *arrays, g.stride, g.padding, g.dilation, self.groups)

    def backward(self, grad_out):
        """Store ``grads["weight"]``, ``grads["bias"]``; return ``∂L/∂x``."""
        x, out_shape = self._cached()
        g = check_grad_out(grad_out, out_shape, "Conv2d")
        if callable(self.method[1]):
            dx, dw, db = self._custom(1, g, x, self.params["weight"])
        else:
            dx, dw, db = conv2d_backward(g, x, self.params["weight"], method=self.method[1],
                                         **self._conf())
        self._set_grad("weight", dw)
        if "bias" in self.params:
            self._set_grad("bias", db)
        return dx

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, "
                f"method={getattr(self.method[0], '__name__', self.method[0])!r}")


class Linear(Layer):
    """Fully connected layer ``y = x Wᵀ + b``, ``params["weight"]`` of shape ``(out, in)``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : None, int or numpy.random.Generator
    dtype : floating dtype, default float64

    Examples
    --------
    >>> lin = Linear(3, 2, bias=False, rng=0)
    >>> lin.params["weight"][...] = [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    >>> lin.forward(np.array([[1.0, 2.0, 3.0]]))
    array([[1., 5.]])
    >>> lin.backward(np.array([[1.0, -1.0]]))
    array([[ 1., -1., -1.]])
    >>> lin.grads["weight"]
    array([[ 1.,  2.,  3.],
           [-1., -2., -3.]])
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", 1)
        self.out_features = check_int(out_features, "out_features", 1)
        bias = check_bool(bias, "bias")
        dtype = check_dtype(dtype)
        rng = check_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self.params["weight"] = rng.uniform(
            -bound, bound, (self.out_features, self.in_features)).astype(dtype)
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, self.out_features).astype(dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x):
        """``x`` of shape ``(N, in_features)`` → ``(N, out_features)``."""
        x = check_array(x, "x", 2, "(N, in_features)", floating=True)
        if x.shape[1] != self.in_features:
            raise ValueError(f"x must have in_features={self.in_features} columns; got shape {x.shape}")
        y = x @ self.params["weight"].T
        if "bias" in self.params:
            y = y + self.params["bias"]
        self._cache = x
        return y

    def backward(self, grad_out):
        x = self._cached()
        g = check_grad_out(grad_out, (x.shape[0], self.out_features), "Linear")
        self._set_grad("weight", g.T @ x)  # (out, N) @ (N, in): summed over the batch
        if "bias" in self.params:
            self._set_grad("bias", g.sum(axis=0))
        return g @ self.params["weight"]

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={'bias' in self.params}"


def _activation_input(x):
    """An activation's input as a floating array of any shape (integers compute in float64)."""
    x = as_array(x, "x")
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


class ReLU(Layer):
    """``max(x, 0)``; the gradient passes where ``x > 0`` (0 at ``x == 0``, as in PyTorch).

    Examples
    --------
    >>> r = ReLU()
    >>> r.forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> r.backward(np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    >>> r.forward([np.nan, -np.inf])  # NaN propagates, as in PyTorch
    array([nan,  0.])
    """

    def forward(self, x):
        x = _activation_input(x)
        mask = x > 0
        self._cache = mask
        # NaN is not > 0 but passes through, as in PyTorch: keep x where x > 0 or x is NaN
        return np.where(mask | np.isnan(x), x, x.dtype.type(0))

    def backward(self, grad_out):
        mask = self._cached()
        g = check_grad_out(grad_out, mask.shape, "ReLU")
        return g * mask


class LeakyReLU(Layer):
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Examples
    --------
    >>> act = LeakyReLU(0.1)
    >>> act.forward(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    >>> act.backward(np.array([1.0, 1.0]))
    array([0.1, 1. ])
    """

    repr_fields = ("negative_slope",)

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope")

    def forward(self, x):
        x = _activation_input(x)
        slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(self.negative_slope))
        self._cache = slope
        return x * slope

    def backward(self, grad_out):
        slope = self._cached()
        return check_grad_out(grad_out, slope.shape, "LeakyReLU") * slope


class Flatten(Layer):
    """``(N, ...)`` → ``(N, prod(...))``; backward reshapes back.

    Examples
    --------
    >>> f = Flatten()
    >>> f.forward(np.zeros((2, 3, 4, 4))).shape, f.backward(np.zeros((2, 48))).shape
    ((2, 48), (2, 3, 4, 4))
    """

    def forward(self, x):
        x = as_array(x, "x")
        if x.ndim < 1:
            raise ValueError(f"x must have a batch axis; got shape {x.shape}")
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        shape = self._cached()
        g = check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:], dtype=np.int64))), "Flatten")
        return g.reshape(shape)
