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


def per_group_forward(formulation):
    """Lift ``formulation(x, weight, bias, stride, padding, dilation)`` to any ``groups``."""

    @functools.wraps(formulation)
    def forward(x, weight, bias, stride, padding, dilation, groups):
        parts = zip(split_groups(x, groups, 1), split_groups(weight, groups, 0),
                    split_groups(bias, groups, 0))
        outputs = [formulation(xg, wg, bg, stride, padding, dilation) for xg, wg, bg in parts]
        return outputs[0] if groups == 1 else np.concatenate(outputs, axis=1)

    return forward


def per_group_backward(formulation):
    """Lift ``formulation(grad_out, x, weight, stride, padding, dilation)`` to any ``groups``."""

    @functools.wraps(formulation)
    def backward(grad_out, x, weight, stride, padding, dilation, groups):
        parts = zip(split_groups(grad_out, groups, 1), split_groups(x, groups, 1),
                    split_groups(weight, groups, 0))
        grads = [formulation(gg, xg, wg, stride, padding, dilation) for gg, xg, wg in parts]
        if groups == 1:
            return grads[0]
        dx, dw, db = zip(*grads)
        return np.concatenate(dx, axis=1), np.concatenate(dw, axis=0), np.concatenate(db)

    return backward
