"""The "fast" method: the im2row idea engineered for speed.

`forward_fast` and `backward_fast` follow the internal contract of every
method in `convlab.conv` (validated, normalised arguments) and pick one of
three engines:

* **winograd** (`winograd`) for 3x3 stride-1 layers with at least 16
  channels per group in and out (`winograd_wins`): F(4x4, 3x3), 4x fewer
  multiply-adds. Its transforms mix the products of a tile, so one inf or
  NaN would spread over the whole tile: arrays holding one go to the
  blocks engine instead (one pass over each array to check);
* **blocks** (`forward`, `backward`) for every layer: patches of a few
  output rows at a time in a reused, cache-sized buffer, laid out as columns
  so each product writes the output layout directly; the padded input split
  into its stride phases (`plan`), so that each kernel tap copies (and, for
  ``dx``, slice-adds) contiguous runs; images split over worker threads.
  Layers with few input channels (``C_in/groups * kH * kW < 64``) compute
  on the exact output grid, so the products write the output in place;
* **depthwise** (`depthwise`) for stride-1 layers with one input channel per
  group, whose products would have an inner dimension of 1: one long
  multiply-add per kernel tap instead.

The modules, one idea each: `config` (the knobs and `configure`),
`workspace` (per-thread scratch arrays, freed when their thread ends, and
`Scratch`, an engine's checked memory plan), `cache` (the bounded memo of
per-shape work), `threads` (the worker pool and what it does to numpy's
BLAS: read it before running convlab next to other BLAS users), `plan` (the
sizes and blocks of one call, cached per shapes), `forward`, `backward`,
`depthwise`, `winograd`.

Results match PyTorch's, inf and NaN included, and are bit-for-bit
reproducible for a given thread count. ``python -m convlab.bench``
measures the speed; the repository's ``docs/BENCH.md`` says what was
measured and why the engines are built as they are.
"""

import numpy as np

from .backward import backward_blocks
from .config import Settings, configure, default_threads, settings
from .depthwise import backward_depthwise, forward_depthwise, is_depthwise
from .forward import forward_blocks
from .plan import plan_for
from .threads import blas_threads
from .winograd import backward_winograd_fast, forward_winograd_fast, winograd_wins
from .workspace import clear_workspaces, kept_bytes

__all__ = ["forward_fast", "backward_fast", "configure", "settings", "Settings", "default_threads",
           "blas_threads", "clear_workspaces", "kept_bytes"]


def _use_winograd(weight, stride, dilation, groups, *arrays):
    """Winograd where it wins, on finite arrays only (see the module notes)."""
    return (winograd_wins(weight.shape, stride, dilation, groups)
            and all(np.isfinite(a).all() for a in (weight,) + arrays if a is not None))


def forward_fast(x, weight, bias, stride, padding, dilation, groups):
    """Convolution forward pass, engineered for speed.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in // groups, kH, kW), same dtype as ``x``
    bias : ndarray of shape (C_out,) or None
    stride, dilation : (int, int)
    padding : ((top, bottom), (left, right))
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out), dtype of ``x``

    See Also
    --------
    convlab.conv.forward.forward_im2row : the same idea, plain.

    Notes
    -----
    For each block of output rows ``r0:r1`` of one image,
    ``y[:, r0*W_out:r1*W_out] = weight.reshape(C_out, -1) @ P`` where the
    patch columns ``P[(c, m, n), (i, j)] = xp[c, i*sH + m*dH, j*sW + n*dW]``
    hold the numbers of the rows of ``im2row``, transposed.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> forward_fast(x, w, None, (2, 2), ((0, 0), (0, 0)), (1, 1), 1)[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    if _use_winograd(weight, stride, dilation, groups, x, bias):
        return forward_winograd_fast(x, weight, bias, stride, padding, dilation, groups)
    plan = plan_for(x.shape, weight.shape, stride, padding, dilation, groups, x.dtype.itemsize)
    if is_depthwise(plan):
        return forward_depthwise(x, weight, bias, plan)
    return forward_blocks(x, weight, bias, plan)


def backward_fast(grad_out, x, weight, stride, padding, dilation, groups):
    """Gradients of the convolution with respect to input, weight and bias, engineered for speed.

    Parameters
    ----------
    grad_out : ndarray, shape (N, C_out, H_out, W_out)
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in // groups, kH, kW)
    stride, dilation : (int, int)
    padding : ((top, bottom), (left, right))
    groups : int

    Returns
    -------
    dx, dw, db : ndarrays of the shapes of ``x``, ``weight`` and (C_out,)

    See Also
    --------
    convlab.conv.backward.backward_im2row : the same idea, plain.

    Notes
    -----
    With the patch columns ``P`` of a block and its output gradient ``G``
    (shape (C_out, rows*W_out)): ``dw += G @ P.T``, ``dP = W.T @ G`` and
    ``dxp[c, i*sH + m*dH, j*sW + n*dW] += dP[(c, m, n), (i, j)]``, one
    slice-add per tap ``(m, n)`` (contiguous in the stride phases of ``dxp``);
    ``db`` is the sum of ``G``.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> g = np.ones((1, 1, 2, 2))
    >>> dx, dw, db = backward_fast(g, x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> dw[0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    if _use_winograd(weight, stride, dilation, groups, x, grad_out):
        return backward_winograd_fast(grad_out, x, weight, stride, padding, dilation, groups)
    plan = plan_for(x.shape, weight.shape, stride, padding, dilation, groups, x.dtype.itemsize)
    grad_out = np.ascontiguousarray(grad_out)
    if is_depthwise(plan):
        return backward_depthwise(grad_out, x, weight, plan)
    return backward_blocks(grad_out, x, weight, plan)
