"""Grouped convolution as independent convolutions on channel slices.

With ``groups = g`` the input channels and the filters are split into ``g``
equal parts and part ``k`` of the filters only sees part ``k`` of the input.
The teaching formulations are written for one group; these wrappers apply
them group by group, so each formulation stays as plain as its slide.
"""

import functools

import numpy as np


def split_groups(array, groups, axis):
    """``array`` cut into ``groups`` equal parts along ``axis`` (``None`` stays ``None`` in each)."""
    return np.split(array, groups, axis=axis) if array is not None else [None] * groups


def _per_group(formulation, split_axes, join):
    """``formulation`` run on each group's slices (split along ``split_axes``), joined by ``join``."""

    @functools.wraps(formulation)
    def lifted(first, second, third, stride, padding, dilation, groups):
        slices = [split_groups(array, groups, axis)
                  for array, axis in zip((first, second, third), split_axes)]
        results = [formulation(*group, stride, padding, dilation) for group in zip(*slices)]
        return results[0] if groups == 1 else join(results)

    return lifted


def _join_outputs(outputs):
    return np.concatenate(outputs, axis=1)


def _join_gradients(grads):
    dx, dw, db = zip(*grads)
    return np.concatenate(dx, axis=1), np.concatenate(dw, axis=0), np.concatenate(db)


def per_group_forward(formulation):
    """Lift ``formulation(x, weight, bias, stride, padding, dilation)`` to any ``groups``.

    Group ``k`` correlates input channels ``x[:, k-th part]`` with filters
    ``weight[k-th part]``; the outputs are stacked along the channel axis.
    """
    return _per_group(formulation, (1, 0, 0), _join_outputs)


def per_group_backward(formulation):
    """Lift ``formulation(grad_out, x, weight, stride, padding, dilation)`` to any ``groups``.

    Each group's ``(dx, dw, db)`` is computed from its own slices; ``dx`` is
    stacked along the input channels, ``dw`` and ``db`` along the filters.
    """
    return _per_group(formulation, (1, 1, 0), _join_gradients)
