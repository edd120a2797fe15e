"""The layer interface and the argument checks the layers share.

A layer is an object with

* ``forward(x)`` — computes the output and caches what backward needs;
* ``backward(grad_out)`` — takes ``∂L/∂output``, writes ``∂L/∂parameter``
  into ``self.grads`` (overwriting, not accumulating) and returns ``∂L/∂input``;
* ``params`` / ``grads`` — dicts of arrays with the same keys and shapes.

Backprop is then: forward through the list of layers, take the loss
gradient, backward through the reversed list.
"""

import numbers

import numpy as np

from .._checks import check_int, int_tuple

__all__ = ["Layer", "make_rng"]


class Layer:
    """Base class: empty ``params``/``grads``, ``__call__`` = ``forward``."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def parameters(self):
        """``[(param, grad), ...]``: the arrays an optimiser updates in place."""
        return [(self.params[k], self.grads[k]) for k in self.params]

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def _set_grad(self, name, value):
        # In place, so (param, grad) pairs handed to an optimiser stay valid.
        self.grads[name][...] = value

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self):
        return ""


def check_array(x, name, ndim, layout):
    """Return ``x`` as a floating ndarray with ``ndim`` dimensions (no copy if possible)."""
    arr = np.asarray(x)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D {layout} array; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def check_grad_out(grad_out, shape, layer):
    """``grad_out`` as an array of the layer output's ``shape``."""
    g = np.asarray(grad_out)
    if g.shape != tuple(shape):
        raise ValueError(
            f"grad_out must have the shape of {layer}'s last output {tuple(shape)}; got {g.shape}"
        )
    return g


def check_padding(padding):
    """Accept the padding forms of ``convlab.conv2d`` (an int, pair, pair of pairs or mode)."""
    if isinstance(padding, str):
        if padding not in ("valid", "same", "full"):
            raise ValueError(f"padding must be an int, a pair, a pair of pairs or one of "
                             f"('valid', 'same', 'full'); got {padding!r}")
        return padding
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding must be an int, a pair or a pair of pairs; got {padding!r}")
        return tuple(int_tuple(p, "padding", 2, minimum=0) if isinstance(p, (tuple, list))
                     else check_int(p, "padding", 0) for p in padding)
    return check_int(padding, "padding", 0)


def make_rng(rng):
    """A ``np.random.Generator`` from None, an int seed or a Generator."""
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy Generator; got {type(rng).__name__}")


def check_dtype(dtype):
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"dtype must be a floating dtype; got {dt}")
    return dt
