"""The layer interface, and the method names a layer accepts.

A layer is an object with

* ``forward(x)`` — computes the output and caches what backward needs;
* ``backward(grad_out)`` — takes ``∂L/∂output``, writes ``∂L/∂parameter``
  into ``self.grads`` (overwriting, not accumulating) and returns ``∂L/∂input``;
* ``params`` / ``grads`` — dicts of arrays with the same keys and shapes.

Backprop is then: forward through the list of layers, take the loss
gradient, backward through the reversed list.
"""

from .. import BACKWARD_METHODS, FORWARD_METHODS

__all__ = ["Layer", "resolve_method"]


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


def resolve_method(method):
    """``(forward_method, backward_method)`` from a name or a pair of names.

    A single name must be valid in both directions (``"loops"``, ``"shift"``,
    ``"im2row"``, ``"fast"``); ``"matrix"`` (forward only) and ``"flip"``
    (backward only) go in a pair, e.g. ``("matrix", "flip")``.
    """
    if isinstance(method, str):
        if method not in FORWARD_METHODS or method not in BACKWARD_METHODS:
            both = tuple(m for m in FORWARD_METHODS if m in BACKWARD_METHODS)
            raise ValueError(
                f"method must be one of {both} or a (forward, backward) pair with forward in "
                f"{FORWARD_METHODS} and backward in {BACKWARD_METHODS}; got {method!r}"
            )
        return method, method
    if isinstance(method, (tuple, list)) and len(method) == 2:
        fwd, bwd = method
        if fwd not in FORWARD_METHODS:
            raise ValueError(f"method[0] (forward) must be one of {FORWARD_METHODS}; got {fwd!r}")
        if bwd not in BACKWARD_METHODS:
            raise ValueError(f"method[1] (backward) must be one of {BACKWARD_METHODS}; got {bwd!r}")
        return fwd, bwd
    raise TypeError(
        f"method must be a method name or a (forward, backward) pair of names; got {method!r}"
    )
