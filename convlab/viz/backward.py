"""Who contributes to one entry of a gradient: every product, each pair in its own colour and letter.

``dx[i, j] = sum G[o] * w[m, n]`` over :func:`convlab.coverage.dx_contributions`
and ``dw[m, n] = sum G[o] * x[r, c]`` over :func:`convlab.coverage.dw_contributions`;
the k-th product's two factors share colour and letter k in every view, and
the footer writes the products out.
"""
import textwrap

import numpy as np

from .. import _checks, coverage
from ..blocks import flip_kernel, pad, zero_insert
from ..conv import conv2d_backward
from ..matrices import im2row
from .flip import as_2d, spread_title
from .grid import plot_row
from .style import pair_letter

__all__ = ["show_backward", "BACKWARD_VIEWS", "MAX_LISTED_PRODUCTS"]

#: The three ways :func:`show_backward` draws the same sum.
BACKWARD_VIEWS = ("scatter", "gather", "im2row")
#: Products written out under the figure; more are counted.
MAX_LISTED_PRODUCTS = 12


def show_backward(x, weight, grad_out=None, target="dx", cell=(0, 0), view="scatter",
                  stride=1, padding=0, dilation=1, ax=None, annotate=None, legend=True):
    """Mark every product that adds up to one entry of ``dx`` or ``dw``.

    The gradients shown come from :func:`convlab.conv2d_backward`; the
    products from :mod:`convlab.coverage`.  Input cells no window reads are
    marked (their gradient is always 0).

    Parameters
    ----------
    x : array_like, shape (H, W)
    weight : array_like, shape (kH, kW)
    grad_out : array_like, shape (H_out, W_out), optional
        Default: small sample integers.
    target : {"dx", "dw"}
    cell : (int, int)
        The entry of ``dx`` (or ``dw``) to explain.
    view : {"scatter", "gather", "im2row"}
        scatter: each output gradient times the kernel lands in its window;
        gather: the rotated kernel slides over the zero-inserted, padded
        gradient (for ``dw``: the zero-inserted gradient slides over the padded
        input); im2row: the entries of the patch matrix that fold into the cell.
    stride, padding, dilation
        As for :func:`convlab.conv2d`.
    ax : matplotlib Axes, optional
    annotate : bool, optional
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from convlab.viz import lit_cells
    >>> ax = show_backward(np.ones((4, 4)), np.ones((2, 2)), cell=(1, 1))
    >>> sorted(lit_cells(ax)["grad_out:contrib"]), sorted(lit_cells(ax)["weight:contrib"])
    ([(0, 0), (0, 1), (1, 0), (1, 1)], [(0, 0), (0, 1), (1, 0), (1, 1)])
    >>> ax.get_title()
    'dX[1, 1] = sum of 4 products (scatter view)'
    """
    _checks.check_plot_args(ax=ax, annotate=annotate, legend=legend)
    if not isinstance(target, str) or target not in ("dx", "dw"):
        raise ValueError(f"target must be 'dx' or 'dw'; got {target!r}")
    _checks.check_choice(view, "view", BACKWARD_VIEWS)
    x, weight = as_2d(x, "x"), as_2d(weight, "weight")
    g = coverage.geometry(x.shape, weight.shape, stride, padding, dilation)
    if grad_out is None:
        grad_out = np.random.default_rng(1).choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], g.output_shape)
    grad_out = as_2d(grad_out, "grad_out")
    if grad_out.shape != g.output_shape:
        raise ValueError(f"grad_out must have shape {g.output_shape}; got {grad_out.shape}")
    limit = x.shape if target == "dx" else weight.shape
    i, j = _checks.check_cell(cell, "cell", limit, target)
    grads = conv2d_backward(grad_out[None, None], x[None, None], weight[None, None],
                               stride=g.stride, padding=g.padding, dilation=g.dilation)
    args = (g.stride, g.padding, g.dilation)
    name = "dX" if target == "dx" else "dW"
    if target == "dx":
        pairs = coverage.dx_contributions(i, j, x.shape, weight.shape, *args)
        grids, symbols = _dx_grids(view, g, weight, grad_out, grads.dx[0, 0], (i, j), pairs)
        factor, none = "w", f"no window reads x[{i}, {j}], so no products"
    else:
        pairs = coverage.dw_contributions(i, j, x.shape, weight.shape, *args)
        grids, symbols = _dw_grids(view, g, x, grad_out, grads.dw[0, 0], (i, j), pairs)
        factor, none = "x", f"w[{i}, {j}] only ever meets padding, so no products"
    if pairs:
        terms = "product" if len(pairs) == 1 else "products"
        title = f"{name}[{i}, {j}] = sum of {len(pairs)} {terms} ({view} view)"
    else:
        title = f"{name}[{i}, {j}] = 0: {none} ({view} view)"
    footer = _product_lines(pairs, factor, grids) if any(s.get("pairs") for s in grids) else []
    return plot_row(ax, grids, symbols, annotate=annotate, legend=legend, title=title,
                    footer=footer)


def _product_lines(pairs, factor, grids):
    """The products written out, ``a: G[0,0]\u00b7w[1,1]``, wrapped to the figure's width."""
    if not pairs:
        return []
    shown = pairs[:MAX_LISTED_PRODUCTS]
    items = [f"{pair_letter(k) or k}:\u00a0G[{o[0]},{o[1]}]\u00b7{factor}[{t[0]},{t[1]}]"
             for k, (o, t) in enumerate(shown)]
    if len(pairs) > len(shown):
        items.append(f"\u2026 and {len(pairs) - len(shown)} more")
    cols = sum(np.shape(s["values"])[1] for s in grids) + 2 * len(grids)
    width_chars = int(max(40, min(12.0, 0.42 * cols) * 72 / 5.6))
    return textwrap.wrap("    ".join(items), width_chars, break_on_hyphens=False)


def _dx_grids(view, g, weight, grad_out, dx, cell, pairs):
    outs = [o for o, _ in pairs]
    taps = [t for _, t in pairs]
    uncovered = ~coverage.covered_mask(g.input_shape, g.kernel_size, *_args(g))
    result = dict(values=dx, name="dx", title="dX", kinds={"uncovered": uncovered, "target": [cell]})
    if view == "scatter":
        return [dict(values=grad_out, name="grad_out", title="G", pairs=outs),
                dict(values=weight, name="weight", title="w", pairs=taps),
                result], ["\u00d7", "\u2192"]
    k, d = g.kernel_size, g.dilation
    if view == "gather":
        spread = coverage.gather_gradient(grad_out, g.input_shape, k, *_args(g))
        labels = coverage.gather_cells(g.input_shape, k, *_args(g))
        flipped_taps = [(k[0] - 1 - m, k[1] - 1 - n) for m, n in taps]
        # the flipped kernel sits at (i, j) of the spread grid, spread out by the dilation
        spread_cells = [(cell[0] + d[0] * fm, cell[1] + d[1] * fn) for fm, fn in flipped_taps]
        rows, cols = coverage.window_cells(cell[0], cell[1], k, 1, d)
        window = np.zeros(spread.shape, dtype=bool)
        window[np.ix_(rows, cols)] = True
        for r, c in spread_cells:
            window[r, c] = False
        steps = ("padded",) if (labels == 0).any() else ()
        return [dict(values=spread, name="grad_out", title=spread_title("G", g.stride, *steps),
                     kinds={"padding": labels == 0, "inserted": labels == 1, "window": window},
                     pairs=spread_cells),
                dict(values=flip_kernel(weight), name="weight", title="flipped w",
                     pairs=flipped_taps),
                result], ["\u22c6", "="]
    index = np.arange(1, np.prod(g.input_shape) + 1, dtype=float).reshape(g.input_shape)
    reads = im2row(index[None], k, *_args(g))  # (H_out*W_out, kH*kW)
    products = grad_out.reshape(-1, 1) * weight.reshape(1, -1)  # dX~ = G w~ (one channel)
    hits = [(o[0] * g.output_shape[1] + o[1], m * k[1] + n) for o, (m, n) in pairs]
    return [dict(values=products, name="rows", title="G \u00b7 w per patch entry",
                 kinds={"padding": reads == 0}, pairs=hits),
            result], ["row2im \u2192"]


def _args(g):
    return g.stride, g.padding, g.dilation


def _dw_grids(view, g, x, grad_out, dw, cell, pairs):
    outs = [o for o, _ in pairs]
    (top, _), (left, _) = g.padding
    inputs = [(r + top, c + left) for _, (r, c) in pairs]
    padded = pad(x, g.padding)
    pad_mask = pad(np.zeros_like(x), g.padding, value=1) == 1
    x_kinds = {"padding": pad_mask}
    unc = np.zeros(padded.shape, dtype=bool)
    unc[top: top + x.shape[0], left: left + x.shape[1]] = ~coverage.covered_mask(
        x.shape, g.kernel_size, *_args(g))
    x_kinds["uncovered"] = unc
    x_title = "padded x" if pad_mask.any() else "x"
    result = dict(values=dw, name="dw", title="dW", kinds={"target": [cell]})
    if view == "scatter":
        return [dict(values=padded, name="x", title=x_title, kinds=x_kinds, pairs=inputs),
                dict(values=grad_out, name="grad_out", title="G", pairs=outs),
                result], ["\u00d7", "\u2192"]
    if view == "gather":
        spread = zero_insert(grad_out, g.stride)
        inserted = zero_insert(np.ones_like(grad_out), g.stride) == 0
        spread_cells = [(o[0] * g.stride[0], o[1] * g.stride[1]) for o in outs]
        # the zero-inserted G, used as the kernel, sits at (m*d, n*d) of the padded input
        window = np.zeros(padded.shape, dtype=bool)
        r0, c0 = cell[0] * g.dilation[0], cell[1] * g.dilation[1]
        window[r0: r0 + spread.shape[0], c0: c0 + spread.shape[1]] = True
        contrib = np.zeros(padded.shape, dtype=bool)
        for r, c in inputs:
            window[r, c], contrib[r, c] = False, True
        # the sliding-window picture of the forward pass, with G as the kernel (no pair colours)
        spread_contrib = np.zeros(spread.shape, dtype=bool)
        for r, c in spread_cells:
            spread_contrib[r, c] = True
        return [dict(values=padded, name="x", title=x_title,
                     kinds={**x_kinds, "window": window, "contrib": contrib}),
                dict(values=spread, name="grad_out", title=spread_title("G", g.stride),
                     kinds={"inserted": inserted, "contrib": spread_contrib}),
                result], ["\u22c6", "="]
    index = np.arange(1, x.size + 1, dtype=float).reshape(x.shape)
    reads = im2row(index[None], g.kernel_size, *_args(g))
    rows = im2row(x[None], g.kernel_size, *_args(g))  # X~: (H_out*W_out, kH*kW)
    tap = cell[0] * g.kernel_size[1] + cell[1]
    flat = [o[0] * g.output_shape[1] + o[1] for o in outs]
    return [dict(values=grad_out.reshape(-1, 1), name="grad_out", title="G.ravel()",
                 pairs=[(r, 0) for r in flat]),
            dict(values=rows, name="rows", title="im2row(x)", kinds={"padding": reads == 0},
                 pairs=[(r, tap) for r in flat]),
            result], ["\u00b7", "\u2192"]
