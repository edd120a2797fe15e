"""A stack of layers and the optimiser that updates it.

``Sequential.backward`` is backprop in one line: call each layer's backward
in reverse order, feeding each the gradient the next one returned.
"""

import numpy as np

from .._checks import check_number
from .base import Layer

__all__ = ["Sequential", "SGD"]


class Sequential(Layer):
    """Layers applied in order.

    Examples
    --------
    >>> from convlab.nn import Linear, ReLU
    >>> net = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1))
    >>> y = net.forward(np.ones((5, 4)))
    >>> dx = net.backward(np.ones_like(y))
    >>> y.shape, dx.shape, len(net.parameters())
    ((5, 2), (5, 4), 4)
    """

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"layers[{i}] must have forward and backward methods; "
                                f"got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def parameters(self):
        """All ``(param, grad)`` pairs, first layer first."""
        return [pair for layer in self.layers if hasattr(layer, "parameters")
                for pair in layer.parameters()]

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum, PyTorch's form.

    ``v ← momentum · v + g``, ``p ← p − lr · v`` (``v = g`` on the first step),
    updating every parameter in place.

    Parameters
    ----------
    params_and_grads : iterable of (ndarray, ndarray) or an object with ``parameters()``
        E.g. ``model.parameters()`` or the model itself.
    lr : float
    momentum : float, default 0.0

    Examples
    --------
    >>> p, g = np.array([1.0]), np.array([0.5])
    >>> opt = SGD([(p, g)], lr=0.1, momentum=0.9)
    >>> opt.step(); opt.step(); p
    array([0.855])
    """

    def __init__(self, params_and_grads, lr, momentum=0.0):
        if hasattr(params_and_grads, "parameters"):
            params_and_grads = params_and_grads.parameters()
        if not isinstance(params_and_grads, (list, tuple)) and not hasattr(params_and_grads, "__next__"):
            raise TypeError(f"params_and_grads must be a model or a list of (param, grad) pairs; "
                            f"got {type(params_and_grads).__name__}")
        pairs = list(params_and_grads)
        for i, pair in enumerate(pairs):
            if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                    or not all(isinstance(a, np.ndarray) for a in pair)):
                raise TypeError(f"params_and_grads[{i}] must be a (param, grad) pair of arrays; "
                                f"got {type(pair).__name__}")
            if pair[0].shape != pair[1].shape:
                raise ValueError(f"params_and_grads[{i}]: param shape {pair[0].shape} differs "
                                 f"from grad shape {pair[1].shape}")
        lr = check_number(lr, "lr", 0, low_open=True)
        momentum = check_number(momentum, "momentum", 0, 1, high_open=True)
        self.pairs, self.lr, self.momentum = pairs, lr, momentum
        self._velocity = [None] * len(pairs)

    def step(self):
        """Update every parameter in place from its current gradient."""
        for i, (p, g) in enumerate(self.pairs):
            if self.momentum:
                v = self._velocity[i]
                if v is None:
                    v = self._velocity[i] = g.copy()
                else:
                    v *= self.momentum
                    v += g
                g = v
            p -= self.lr * g

    def zero_grad(self):
        """Set every gradient to zero (layers overwrite them anyway)."""
        for _, g in self.pairs:
            g[...] = 0
