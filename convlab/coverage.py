"""Which cells take part in which product: the bookkeeping behind the figures.

A 2-D convolution with stride ``s``, padding ``p`` and dilation ``d`` reads
padded-input row ``i*s + m*d`` for output row ``i`` and kernel row ``m`` (and
the same for columns).  Every function here answers one question about that
index map, for a single channel, with plain numpy:

- :func:`window_cells` -- which padded-input cells output ``(i, j)`` reads;
- :func:`covered_mask` / :func:`uncovered_cells` -- which input cells no window reads
  (their input gradient is always zero);
- :func:`dx_contributions` -- which products ``G[o] * w[m, n]`` add up to
  ``dx[i, j]``;
- :func:`dw_contributions` -- which products ``G[o] * x[r, c]`` add up to
  ``dw[m, n]``;
- :func:`gather_gradient` -- the zero-inserted, padded output gradient that the
  180-degree-rotated kernel slides over to give ``dx`` (the "gather" view).

The figures and widgets in :mod:`convlab.viz` and :mod:`convlab.widgets` draw
what these return; the tests check them against :func:`convlab.conv2d` and
:func:`convlab.conv2d_backward`.
"""
import numpy as np

from ._checks import as_array, check_int, int_list, int_tuple
from .blocks import pad, zero_insert
from .shapes import ConvGeometry, conv_geometry, conv_output_size

__all__ = [
    "ConvGeometry",
    "geometry",
    "window_cells",
    "covered_mask",
    "uncovered_cells",
    "dx_contributions",
    "dw_contributions",
    "gather_gradient",
    "gather_cells",
    "receptive_field_cells",
]


def _pair(value, name):
    """Return ``value`` as a pair of positive ints (int or 2-sequence)."""
    return int_tuple(value, name, 2)


def geometry(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The :class:`convlab.shapes.ConvGeometry` of a single-channel 2-D convolution.

    ``input_shape`` and ``kernel_size`` may be an int (a square) or a pair.

    Examples
    --------
    >>> g = geometry(7, 3, stride=2, padding="same")
    >>> g.padding, g.output_shape
    (((1, 1), (1, 1)), (4, 4))
    """
    return conv_geometry(_pair(input_shape, "input_shape"), _pair(kernel_size, "kernel_size"),
                         _pair(stride, "stride"), padding, _pair(dilation, "dilation"))


def _axis_pairs(target, n_out, k, s, d, shift):
    """Pairs (o, m) along one axis with ``o*s + m*d - shift == target``."""
    return [(o, m) for o in range(n_out) for m in range(k) if o * s + m * d - shift == target]


def window_cells(i, j, kernel_size, stride=1, dilation=1):
    """Padded-input rows and columns read by output position ``(i, j)``.

    Returns two int arrays, ``rows`` of length kH and ``cols`` of length kW;
    the window is their outer product (``rows[m], cols[n]`` meets ``w[m, n]``).

    Examples
    --------
    >>> rows, cols = window_cells(1, 2, kernel_size=3, stride=2, dilation=2)
    >>> rows.tolist(), cols.tolist()
    ([2, 4, 6], [4, 6, 8])
    """
    (kh, kw), (sh, sw), (dh, dw) = (
        _pair(kernel_size, "kernel_size"),
        _pair(stride, "stride"),
        _pair(dilation, "dilation"),
    )
    i, j = check_int(i, "i", 0), check_int(j, "j", 0)
    return i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)


def covered_mask(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Boolean (H, W) mask of the input cells that at least one window reads.

    Examples
    --------
    >>> covered_mask(5, 2, stride=2).astype(int)[0]
    array([1, 1, 1, 1, 0])
    """
    g = geometry(input_shape, kernel_size, stride, padding, dilation)
    axes = []
    for n, k, s, d, (before, _), n_out in zip(
        g.input_shape, g.kernel_size, g.stride, g.dilation, g.padding, g.output_shape
    ):
        read = (np.arange(n_out)[:, None] * s + np.arange(k)[None, :] * d - before).ravel()
        axis = np.zeros(n, dtype=bool)
        axis[read[(read >= 0) & (read < n)]] = True
        axes.append(axis)
    return axes[0][:, None] & axes[1][None, :]


def uncovered_cells(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Input rows and columns that no window reads (a stride remainder, or gaps between taps).

    Returns ``(rows, cols)``, sorted int arrays in input (unpadded) coordinates; their
    input gradient is zero. (`convlab.shapes.uncovered_count` counts something else: the
    trailing cells of the *padded* axis, which may be padding.)

    Examples
    --------
    >>> rows, cols = uncovered_cells(6, 3, stride=2)   # (6 - 3) % 2 = 1 row left over
    >>> rows.tolist(), cols.tolist()
    ([5], [5])
    """
    mask = covered_mask(input_shape, kernel_size, stride, padding, dilation)
    return np.flatnonzero(~mask.any(axis=1)), np.flatnonzero(~mask.any(axis=0))


def dx_contributions(i, j, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Products ``G[oi, oj] * w[m, n]`` that add up to ``dx[i, j]``.

    Returns a list of ``((oi, oj), (m, n))`` pairs, output index first, in
    row-major order of the output index.

    Examples
    --------
    >>> dx_contributions(0, 0, 4, 2)           # a corner: one window, one weight
    [((0, 0), (0, 0))]
    >>> len(dx_contributions(1, 1, 4, 2))      # inside: four windows
    4
    """
    g = geometry(input_shape, kernel_size, stride, padding, dilation)
    i, j = (check_int(v, name, 0, n - 1) for v, name, n in zip((i, j), "ij", g.input_shape))
    rows = _axis_pairs(i, g.output_shape[0], g.kernel_size[0], g.stride[0], g.dilation[0], g.padding[0][0])
    cols = _axis_pairs(j, g.output_shape[1], g.kernel_size[1], g.stride[1], g.dilation[1], g.padding[1][0])
    return [((oi, oj), (m, n)) for oi, m in rows for oj, n in cols]


def dw_contributions(m, n, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Products ``G[oi, oj] * x[r, c]`` that add up to ``dw[m, n]``.

    Products with a padding cell are zero and left out.  Returns a list of
    ``((oi, oj), (r, c))`` pairs, output index first, input index in
    unpadded coordinates.

    Examples
    --------
    >>> dw_contributions(0, 0, 3, 2)
    [((0, 0), (0, 0)), ((0, 1), (0, 1)), ((1, 0), (1, 0)), ((1, 1), (1, 1))]
    """
    g = geometry(input_shape, kernel_size, stride, padding, dilation)
    m, n = (check_int(v, name, 0, k - 1) for v, name, k in zip((m, n), "mn", g.kernel_size))
    pairs = []
    for oi in range(g.output_shape[0]):
        r = oi * g.stride[0] + m * g.dilation[0] - g.padding[0][0]
        if not 0 <= r < g.input_shape[0]:
            continue
        for oj in range(g.output_shape[1]):
            c = oj * g.stride[1] + n * g.dilation[1] - g.padding[1][0]
            if 0 <= c < g.input_shape[1]:
                pairs.append(((oi, oj), (r, c)))
    return pairs


def _gather_pads(g):
    """Pad (before, after) per axis, negative meaning crop, for the gather view."""
    pads = []
    for n, k, s, d, (before, _), n_out in zip(
        g.input_shape, g.kernel_size, g.stride, g.dilation, g.padding, g.output_shape
    ):
        inserted = (n_out - 1) * s + 1
        lead = d * (k - 1) - before
        pads.append((lead, n + d * (k - 1) - lead - inserted))
    return pads


def _pad_or_crop(a, pads):
    """Pad with zeros where a pad is positive, crop where it is negative."""
    grow = tuple((max(b, 0), max(e, 0)) for b, e in pads)
    a = pad(a, grow)
    h, w = a.shape[-2:]
    (bt, et), (bl, el) = pads
    return a[..., max(-bt, 0): h - max(-et, 0), max(-bl, 0): w - max(-el, 0)]


def gather_gradient(grad_out, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The output gradient laid out for the gather view of ``dx``.

    Zeros are inserted between entries (``stride - 1`` of them), then the
    result is padded by ``dilation * (kernel - 1) - pad_before`` in front and
    enough zeros behind (cropped where that is negative), so that ``dx`` is a
    *valid* correlation of it with the 180-degree-rotated kernel, dilated.

    Parameters
    ----------
    grad_out : ndarray, shape (H_out, W_out)
    input_shape, kernel_size, stride, padding, dilation
        As for the forward convolution.

    Returns
    -------
    ndarray, shape (H + dH*(kH-1), W + dW*(kW-1))

    Examples
    --------
    >>> gather_gradient(np.ones((2, 2)), 4, 2, stride=2).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 0, 1, 0],
           [0, 0, 0, 0, 0],
           [0, 1, 0, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    g = geometry(input_shape, kernel_size, stride, padding, dilation)
    grad_out = as_array(grad_out, "grad_out")
    if grad_out.shape[-2:] != g.output_shape:
        raise ValueError(
            f"grad_out must have shape {g.output_shape} for this convolution; got {grad_out.shape}"
        )
    return _pad_or_crop(zero_insert(grad_out, g.stride), _gather_pads(g))


def gather_cells(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Label every cell of the gather grid: 0 padding, 1 inserted zero, 2 gradient entry.

    Examples
    --------
    >>> gather_cells(4, 2, stride=2)[1]
    array([0, 2, 1, 2, 0])
    """
    g = geometry(input_shape, kernel_size, stride, padding, dilation)
    inserted = zero_insert(np.ones(g.output_shape), g.stride) + 1
    return _pad_or_crop(inserted, _gather_pads(g)).astype(int)


def receptive_field_cells(kernel_sizes, strides, dilations, position=None, input_size=None):
    """Cells of every layer of a 1-D convolution stack that feed one top output.

    Layers have no padding.  Layer ``l`` reads ``o * s + m * d`` of the layer
    below for its output ``o`` and kernel tap ``m``; following that from the
    top output down gives the cells it depends on.

    Parameters
    ----------
    kernel_sizes, strides, dilations : sequences of int, one entry per layer
    position : int, optional
        Top-layer output; default its middle.
    input_size : int, optional
        Default: large enough for a top layer of 3 outputs.

    Returns
    -------
    sizes : list of int
        Length of the input and of every layer's output, bottom to top.
    cells : list of int arrays
        Indices feeding the chosen output, per level (``cells[-1] == [position]``).

    Examples
    --------
    >>> sizes, cells = receptive_field_cells([3, 3], [1, 1], [1, 1])
    >>> sizes, cells[0].tolist()
    ([7, 5, 3], [1, 2, 3, 4, 5])
    """
    layers = list(zip(int_list(kernel_sizes, "kernel_sizes"), int_list(strides, "strides"),
                      int_list(dilations, "dilations")))
    if input_size is None:
        size = 3
        for k, s, d in reversed(layers):
            size = (size - 1) * s + d * (k - 1) + 1
        input_size = size
    sizes = [check_int(input_size, "input_size", 1)]
    for k, s, d in layers:
        sizes.append(conv_output_size(sizes[-1], k, s, 0, d))
    if position is None:
        position = sizes[-1] // 2
    if check_int(position, "position") < 0 or position >= sizes[-1]:
        raise ValueError(f"position must lie in the top layer of size {sizes[-1]}; got {position}")
    cells = [np.array([position])]
    for k, s, d in reversed(layers):
        below = (cells[0][:, None] * s + np.arange(k)[None, :] * d).ravel()
        cells.insert(0, np.unique(below))
    return sizes, cells
