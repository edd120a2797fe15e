"""The array operations the lessons show: padding, zero insertion, kernel
flipping and layout conversion.

Each returns a new array and leaves its input unchanged.
"""

import numpy as np

from ._checks import as_array, check_choice, check_memory, check_number, check_padding, int_tuple

__all__ = ["pad", "zero_insert", "flip_kernel", "to_nchw", "to_nhwc"]


def _spatial_axes(array, name):
    if array.ndim < 1:
        raise ValueError(f"{name} must have at least 1 dimension; got a scalar")
    return 1 if array.ndim == 1 else 2


def pad(x, padding, value=0):
    """Pad the last two axes of ``x`` (the last axis of a 1-D array) with ``value``.

    Parameters
    ----------
    x : array_like, shape (..., H, W) or (L,)
    padding : int, (pH, pW) or ((top, bottom), (left, right))
        For a 1-D array: an int or ``(before, after)``.
    value : float, default 0

    Returns
    -------
    ndarray, shape (..., H + top + bottom, W + left + right)

    Examples
    --------
    >>> pad(np.ones((2, 2)), 1)
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    >>> pad(np.ones((1, 2)), ((0, 1), (2, 0))).astype(int)
    array([[0, 0, 1, 1],
           [0, 0, 0, 0]])
    """
    x = as_array(x, "x")
    axes = _spatial_axes(x, "x")
    pads = check_padding(padding, spatial=axes, modes=(), where="pad() (a mode needs a kernel size)")
    pads = (pads,) if axes == 1 else pads
    check_number(value, "value", finite=False)
    dtype = np.result_type(x.dtype, np.min_scalar_type(value)) if value != 0 else x.dtype
    shape = x.shape[:-axes] + tuple(n + sum(p) for n, p in zip(x.shape[-axes:], pads))
    check_memory("pad's output", shape, dtype)
    return np.pad(x.astype(dtype, copy=False), ((0, 0),) * (x.ndim - axes) + pads,
                  constant_values=value)


def zero_insert(x, stride):
    """Insert ``stride - 1`` zeros between neighbouring entries of the last two axes.

    This is how a strided convolution's output gradient is spread back onto the
    stride-1 grid ("striding via zeros"): an axis of length ``n`` becomes
    ``(n - 1) * stride + 1``.

    Parameters
    ----------
    x : array_like, shape (..., H, W) or (L,)
    stride : int or (int, int)

    Examples
    --------
    >>> zero_insert(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 0, 2],
           [0, 0, 0],
           [3, 0, 4]])
    >>> zero_insert(np.array([1, 2, 3]), 3)
    array([1, 0, 0, 2, 0, 0, 3])
    """
    x = as_array(x, "x")
    axes = _spatial_axes(x, "x")
    strides = int_tuple(stride, "stride", axes)
    shape = x.shape[:-axes] + tuple((n - 1) * s + 1 for n, s in zip(x.shape[-axes:], strides))
    check_memory("zero_insert's output", shape, x.dtype)
    spread = np.zeros(shape, dtype=x.dtype)
    spread[(...,) + tuple(slice(None, None, s) for s in strides)] = x
    return spread


def flip_kernel(weight):
    """Rotate the last two axes by 180° (reverse the last axis of a 1-D kernel).

    Cross-correlation with ``flip_kernel(w)`` is mathematical convolution with ``w``.

    Examples
    --------
    >>> flip_kernel(np.array([[1, 2], [3, 4]]))
    array([[4, 3],
           [2, 1]])
    """
    weight = as_array(weight, "weight")
    axes = _spatial_axes(weight, "weight")
    return np.ascontiguousarray(np.flip(weight, axis=tuple(range(-axes, 0))))


_LAYOUTS = {
    # kind: (channels-last ndim -> permutation to channels-first)
    "image": {3: (2, 0, 1), 4: (0, 3, 1, 2)},
    "kernel": {4: (3, 2, 0, 1)},
}
_LAYOUT_TEXT = {
    "image": "a 3-D [H, W, C] or 4-D [N, H, W, C] array",
    "kernel": "a 4-D [kH, kW, C_in, C_out] kernel",
}


def _permutation(array, kind, name):
    check_choice(kind, "kind", tuple(_LAYOUTS))
    if array.ndim not in _LAYOUTS[kind]:
        raise ValueError(f"{name} must be {_LAYOUT_TEXT[kind]} for kind={kind!r}; got shape {array.shape}")
    return _LAYOUTS[kind][array.ndim]


def to_nchw(array, kind="image"):
    """Convert channels-last data to convlab's channels-first layout.

    ``kind="image"``: ``[H, W, C] -> (C, H, W)`` and ``[N, H, W, C] -> (N, C, H, W)``.
    ``kind="kernel"``: ``[kH, kW, C_in, C_out] -> (C_out, C_in, kH, kW)``.

    Examples
    --------
    >>> to_nchw(np.zeros((5, 4, 3))).shape
    (3, 5, 4)
    >>> to_nchw(np.zeros((3, 3, 2, 8)), kind="kernel").shape
    (8, 2, 3, 3)
    """
    array = as_array(array, "array")
    return np.ascontiguousarray(array.transpose(_permutation(array, kind, "array")))


def to_nhwc(array, kind="image"):
    """Convert convlab's channels-first layout to channels-last (inverse of `to_nchw`).

    Examples
    --------
    >>> to_nhwc(np.zeros((3, 5, 4))).shape
    (5, 4, 3)
    >>> to_nhwc(np.zeros((8, 2, 3, 3)), kind="kernel").shape
    (3, 3, 2, 8)
    """
    array = as_array(array, "array")
    permutation = _permutation(array, kind, "array")
    return np.ascontiguousarray(array.transpose(np.argsort(permutation)))
