"""Checkers for the layer-interface lesson: an affine layer written as a class,
the backprop loop over a list of layers, and a finite-difference gradient.

- ``AffineLayer(weight, bias)``: a :class:`convlab.nn.Layer` subclass with
  ``forward(x)`` (caches ``x``, returns ``x W^T + b``) and
  ``backward(grad_out)`` (fills ``grads["weight"]``, ``grads["bias"]``,
  returns dL/dx);
- ``backprop(layers, x, loss_grad)``: forward through the list, ``loss_grad``
  of the output, backward through the reversed list; returns dL/dx;
- ``numerical_gradient(f, x, eps)``: central differences of a scalar ``f``.

References: PyTorch autograd for the first two, exact gradients of
quadratic functions (on which central differences are exact) for the third.
"""

import numpy as np

from ..grading.definition import exercise
from ..grading.engine import case
from .common import NO_AUTOGRAD, import_torch, ints


# ---------------------------------------------------------------- affine layer
def _affine_torch(x, weight, bias, grad_out):
    import torch
    xs, ws, bs = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    y = torch.nn.functional.linear(xs, ws, bs)
    y.backward(torch.tensor(grad_out))
    return y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), bs.grad.numpy(), True


_STEP = 1.0
"""Learning rate of the one SGD step the checker takes after ``backward``."""


def _run_layer(layer_class, x, weight, bias, grad_out):
    """Build the layer and an optimiser over its (param, grad) pairs, then forward, backward, step.

    The optimiser is built *before* backward, as in a training loop, so a
    backward that rebinds ``grads[name]`` to a new array (instead of writing
    into the one it holds) leaves the step with stale gradients.
    """
    from ...nn import SGD
    if not isinstance(layer_class, type):
        raise TypeError(f"AffineLayer must be the class you wrote, got "
                        f"{type(layer_class).__name__}")
    layer = layer_class(weight.copy(), bias.copy())
    missing = [k for k in ("weight", "bias") if k not in getattr(layer, "grads", {})]
    if missing:
        raise ValueError(f"AffineLayer.__init__ must create grads[{missing[0]!r}] (zeros of the "
                         f"parameter's shape): an optimiser is built before backward runs")
    optimiser = SGD([(layer.params[k], layer.grads[k]) for k in ("weight", "bias")], lr=_STEP)
    y = layer.forward(x)
    dx = layer.backward(grad_out)
    dw, db = np.array(layer.grads["weight"], copy=True), np.array(layer.grads["bias"], copy=True)
    before = np.array(layer.params["weight"], dtype=float, copy=True)
    optimiser.step()
    after = np.asarray(layer.params["weight"], dtype=float)
    stepped = dw.shape == before.shape and bool(np.allclose(after, before - _STEP * dw))
    return y, dx, dw, db, stepped


def _affine_mistake(x, w, b, g, slip):
    y, dx, dw, db, _ = _affine_torch(x, w, b, g)
    if slip == "weight_transposed":
        dx = g @ w.T if w.shape[0] == w.shape[1] else dx
    elif slip == "dw_transposed":
        dw = dw.T
    elif slip == "mean":
        dw, db = dw / len(x), db / len(x)
    elif slip == "bias_first":
        db = g[0]
    # The step sees a gradient written in place; a wrongly shaped one can only be rebound.
    return y, dx, dw, db, dw.shape == w.shape and slip != "rebound"


@exercise(weight=3, **NO_AUTOGRAD, reference=_affine_torch, call=_run_layer, name="AffineLayer", argument="AffineLayer",
          needs=("backward", "the layer class you wrote"),
          output_names=("y", "dx", "grads['weight']", "grads['bias']",
                        "the SGD step used grads['weight']"), mistakes=[
    ("linear_weight_transposed", lambda *a: _affine_mistake(*a, "weight_transposed")),
    ("linear_dw_transposed", lambda *a: _affine_mistake(*a, "dw_transposed")),
    ("mean_inside_layer", lambda *a: _affine_mistake(*a, "mean")),
    ("bias_grad_not_summed_over_batch", lambda *a: _affine_mistake(*a, "bias_first")),
    ("gradient_rebound", lambda *a: _affine_mistake(*a, "rebound")),
])
def check_affine_layer():
    """Check the class ``AffineLayer(weight, bias)``: forward ``x W^T + b``, backward, grads.

    The checker builds ``AffineLayer(weight, bias)`` with ``weight`` (out, in)
    and ``bias`` (out,), calls ``forward(x)`` with ``x`` (N, in) and
    ``backward(grad_out)``, and compares ``(y, dx, grads["weight"],
    grads["bias"])`` with ``torch.nn.functional.linear`` under autograd. An
    ``nn.SGD`` built over ``(params[k], grads[k])`` *before* the forward pass
    then takes one step (lr 1): the weight must move by ``-grads["weight"]``
    which holds only if ``backward`` writes into the gradient arrays in place
    (``grads[k][...] = ...``) rather than rebinding them. The verdict is named
    after the learner's class.

    Examples
    --------
    >>> class AffineLayer:
    ...     def __init__(self, weight, bias):
    ...         self.params = {"weight": weight, "bias": bias}
    ...         self.grads = {"weight": np.zeros_like(weight), "bias": np.zeros_like(bias)}
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x @ self.params["weight"].T + self.params["bias"]
    ...     def backward(self, grad_out):
    ...         self.grads["weight"][...] = grad_out.T @ self.x
    ...         self.grads["bias"][...] = grad_out.sum(axis=0)
    ...         return grad_out @ self.params["weight"]
    >>> r = check_affine_layer(AffineLayer)
    AffineLayer: passed 4 cases.
    """
    rng = np.random.default_rng(151)
    specs = [("one example", 1, 3, 2), ("a batch", 4, 3, 2), ("square weight", 3, 3, 3),
             ("one output", 5, 4, 1)]
    import_torch()
    return [case(label, x=ints(rng, n, d_in), weight=ints(rng, d_out, d_in),
                 bias=ints(rng, d_out), grad_out=ints(rng, n, d_out))
            for label, n, d_in, d_out in specs]


# ---------------------------------------------------------------- backprop loop
def _network(seed):
    from ...nn import Linear, ReLU
    return [Linear(3, 4, rng=seed), ReLU(), Linear(4, 2, rng=seed + 1)]


def _torch_chain(layers, h):
    """Run convlab Linear/ReLU layers in torch from ``h``; return the output and the weight tensors."""
    import torch
    params = []
    for layer in layers:
        if "weight" in layer.params:
            w, b = (torch.tensor(layer.params[k], requires_grad=True) for k in ("weight", "bias"))
            params += [w, b]
            h = torch.nn.functional.linear(h, w, b)
        else:
            h = torch.relu(h)
    return h, params


def _backprop_torch(network_seed, x, target):
    """dx and every parameter gradient of sum((net(x) - target)**2) / 2, by torch autograd."""
    import torch
    xs = torch.tensor(x, requires_grad=True)
    h, params = _torch_chain(_network(network_seed), xs)
    (0.5 * ((h - torch.tensor(target)) ** 2).sum()).backward()
    return (xs.grad.numpy(),) + tuple(p.grad.numpy() for p in params)


def _run_backprop(backprop, network_seed, x, target):
    layers = _network(network_seed)
    dx = backprop(layers, x, lambda output: output - target)
    grads = [layer.grads[k] for layer in layers for k in ("weight", "bias") if k in layer.grads]
    return (dx,) + tuple(np.array(g, copy=True) for g in grads)


@exercise(weight=2, vary=False, **NO_AUTOGRAD, reference=_backprop_torch, call=_run_backprop,
          output_names=("dx", "dW1", "db1", "dW2", "db2"))
def check_backprop():
    """Check ``backprop(layers, x, loss_grad)``: the forward loop, then the reversed backward loop.

    ``layers`` is a list of :mod:`convlab.nn` layers (Linear, ReLU, Linear),
    ``loss_grad(output)`` returns dL/doutput; ``backprop`` returns dL/dx and
    leaves each layer's parameter gradients in its ``grads``. The loss is
    ``sum((output - target)**2) / 2``; reference: torch autograd. (A verdict
    shows ``network_seed``: the checker builds the layers from it.)

    Examples
    --------
    >>> def backprop(layers, x, loss_grad):
    ...     for layer in layers:
    ...         x = layer.forward(x)
    ...     g = loss_grad(x)
    ...     for layer in reversed(layers):
    ...         g = layer.backward(g)
    ...     return g
    >>> r = check_backprop(backprop)
    backprop: passed 3 cases.
    """
    return _network_cases(152, ((0, 1), (3, 5), (7, 2)), outputs=2)


def _network_cases(seed, seeds_and_sizes, outputs):
    """Cases ``(network_seed, x, target)`` for a network of 3 inputs and ``outputs`` outputs."""
    rng = np.random.default_rng(seed)
    import_torch()
    return [case(f"{n} example{'s' * (n > 1)}", network_seed=network_seed, x=rng.normal(size=(n, 3)),
                 target=rng.normal(size=(n, outputs)))
            for network_seed, n in seeds_and_sizes]


# ---------------------------------------------------------------- finite differences
class _Quadratic:
    """``f(x) = sum(x * (A x)) / 2 + sum(c * x)`` on the flattened ``x``; exact gradient."""

    def __init__(self, seed, size):
        rng = np.random.default_rng(seed)
        m = rng.normal(size=(size, size))
        self.a, self.c = m + m.T, rng.normal(size=size)

    def __call__(self, x):
        v = np.ravel(x)
        return float(v @ self.a @ v / 2 + self.c @ v)

    def gradient(self, x):
        return (self.a @ np.ravel(x) + self.c).reshape(np.shape(x))

    def __eq__(self, other):
        return (isinstance(other, _Quadratic) and np.array_equal(self.a, other.a)
                and np.array_equal(self.c, other.c))

    __hash__ = None

    def __repr__(self):
        return f"<quadratic in {len(self.c)} variables>"


def _probe(f, x, eps, kind):
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        up, down = x.astype(float), x.astype(float)
        up[index] += eps
        down[index] -= eps
        if kind == "forward":
            grad[index] = (f(up) - f(x)) / eps
        else:
            grad[index] = (f(up) - f(down)) / (eps if kind == "not halved" else 2 * eps)
    return grad


@exercise(weight=2, vary=False, **NO_AUTOGRAD, reference=lambda f, x, eps: f.gradient(x), mistakes=[
    ("forward_difference", lambda f, x, eps: _probe(f, x, eps, "forward")),
    ("central_difference_not_halved", lambda f, x, eps: _probe(f, x, eps, "not halved")),
])
def check_numerical_gradient():
    """Check ``numerical_gradient(f, x, eps)``: central differences of a scalar ``f`` at ``x``.

    Returns an array of ``x``'s shape; ``x`` must come back unchanged. The
    cases are quadratics, on which central differences are exact (up to
    rounding), so the reference is their exact gradient.

    Examples
    --------
    >>> def numerical_gradient(f, x, eps):
    ...     grad = np.zeros(x.shape)
    ...     for index in np.ndindex(x.shape):
    ...         step = np.zeros(x.shape)
    ...         step[index] = eps
    ...         grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    ...     return grad
    >>> r = check_numerical_gradient(numerical_gradient)
    numerical_gradient: passed 4 cases.
    """
    rng = np.random.default_rng(153)
    import_torch()
    return [case("one variable", f=_Quadratic(1, 1), x=np.array([0.5]), eps=1e-3),
            case("a vector", f=_Quadratic(2, 4), x=rng.normal(size=4), eps=1e-3),
            case("a matrix", f=_Quadratic(3, 6), x=rng.normal(size=(2, 3)), eps=1e-3),
            case("a larger step", f=_Quadratic(4, 3), x=rng.normal(size=3), eps=0.1)]


# ---------------------------------------------------------------- backprop through a residual block
def _residual_network(seed):
    from ...nn import Linear, ReLU
    return [Linear(3, 3, rng=seed), ReLU(), Linear(3, 3, rng=seed + 1)]


def _residual_torch(network_seed, x, target):
    """dx and the parameter gradients of sum((x + F(x) - target)**2) / 2, by torch autograd."""
    import torch
    xs = torch.tensor(x, requires_grad=True)
    h, params = _torch_chain(_residual_network(network_seed), xs)
    (0.5 * ((xs + h - torch.tensor(target)) ** 2).sum()).backward()
    return (xs.grad.numpy(),) + tuple(p.grad.numpy() for p in params)


def _run_residual(residual_backprop, network_seed, x, target):
    layers = _residual_network(network_seed)
    dx = residual_backprop(layers, x, lambda output: output - target)
    return (dx,) + tuple(np.array(layer.grads[k], copy=True)
                         for layer in layers for k in ("weight", "bias") if k in layer.grads)


def residual_backprop_slipped(layers, x, loss_grad, slip):
    """A residual backward with one known slip, written as a learner would (``slip`` names it)."""
    h = x
    for layer in layers:
        h = layer.forward(h)
    g = loss_grad(x + h)
    branch = g
    if slip != "branch_dropped":
        for layer in (layers if slip == "not_reversed" else reversed(layers)):
            branch = layer.backward(branch)
    return {"skip_dropped": branch, "branch_dropped": g}.get(slip, g + branch)


def _residual_slip(network_seed, x, target, slip):
    return _run_residual(lambda layers, x, loss_grad: residual_backprop_slipped(
        layers, x, loss_grad, slip), network_seed, x, target)


@exercise(vary=False, **NO_AUTOGRAD, reference=_residual_torch, call=_run_residual,
          output_names=("dx", "dW1", "db1", "dW2", "db2"), mistakes=[
    ("residual_skip_dropped", lambda *a: _residual_slip(*a, "skip_dropped")),
    ("residual_branch_dropped", lambda *a: _residual_slip(*a, "branch_dropped")),
    ("backward_not_reversed", lambda *a: _residual_slip(*a, "not_reversed")),
])
def check_residual_backprop():
    """Check ``residual_backprop(layers, x, loss_grad)`` for the block ``out = x + F(x)``.

    ``F`` is the chain of :mod:`convlab.nn` layers in ``layers`` (Linear 3→3,
    ReLU, Linear 3→3); ``loss_grad(out)`` returns dL/dout for the loss
    ``sum((out - target)**2) / 2``. The learner returns dL/dx and leaves each
    layer's parameter gradients in its ``grads``. Reference: torch autograd.
    (A verdict shows ``network_seed``: the checker builds the layers from it.)

    Examples
    --------
    >>> def residual_backprop(layers, x, loss_grad):
    ...     h = x
    ...     for layer in layers:
    ...         h = layer.forward(h)
    ...     g = loss_grad(x + h)
    ...     branch = g
    ...     for layer in reversed(layers):
    ...         branch = layer.backward(branch)
    ...     return g + branch
    >>> r = check_residual_backprop(residual_backprop)
    residual_backprop: passed 3 cases.
    """
    return _network_cases(154, ((2, 1), (5, 4), (9, 2)), outputs=3)
