"""Helpers shared by the checker modules: readable inputs and gradient references.

Inputs are integer-valued floats in [-3, 3], so that the arrays a verdict
prints stay readable; the gradient references come from
:func:`convlab.conv2d_backward`, called with a zero array of the right shape
for the argument whose gradient is not asked. The library functions are
bound here when convlab is imported, so a learner who rebinds
``convlab.conv2d`` in the session cannot change what the references compute.
"""

import numpy as np

from convlab import conv2d, conv2d_backward

from .engine import case


def ints(rng, *shape):
    """Integer-valued float64 array in [-3, 3] (readable in a verdict).

    Examples
    --------
    >>> ints(np.random.default_rng(0), 2, 3).shape
    (2, 3)
    """
    return rng.integers(-3, 4, size=shape).astype(np.float64)


def cases_of_shapes(seed, names, table):
    """One case per row ``(label, shape, shape, ...)``: :func:`ints` arrays of those shapes, named ``names``.

    Examples
    --------
    >>> [c.label for c in cases_of_shapes(0, ("x", "g"), [("tiny", (1,), (2,))])]
    ['tiny']
    """
    rng = np.random.default_rng(seed)
    return [case(label, **{name: ints(rng, *shape) for name, shape in zip(names, shapes)})
            for label, *shapes in table]


def gradients(grad_out, x_shape, weight_shape, stride=1, x=None, weight=None):
    """``conv2d_backward`` with zeros for the array whose gradient is not asked.

    Examples
    --------
    >>> g = gradients(np.ones((1, 1, 2, 2)), (1, 1, 3, 3), None, weight=np.ones((1, 1, 2, 2)))
    >>> g.dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x = np.zeros(x_shape) if x is None else x
    weight = np.zeros(weight_shape) if weight is None else weight
    return conv2d_backward(grad_out, x, weight, stride=stride)


def full_correlation(grad_out, weight, padding):
    """``grad_out`` correlated with ``weight``, its channel axes swapped (the input gradient's shape).

    Examples
    --------
    >>> full_correlation(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), "full").shape
    (1, 1, 2, 2)
    """
    return conv2d(grad_out, weight.transpose(1, 0, 2, 3), padding=padding)
