"""The layer interface.

A layer is an object with

* ``forward(x)`` — computes the output and caches what backward needs;
* ``backward(grad_out)`` — takes ``∂L/∂output``, writes ``∂L/∂parameter``
  into ``self.grads`` (overwriting, not accumulating) and returns ``∂L/∂input``;
* ``params`` / ``grads`` — dicts of arrays with the same keys and shapes.

Backprop is then: forward through the list of layers, take the loss
gradient, backward through the reversed list.
"""

__all__ = ["Layer"]


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


