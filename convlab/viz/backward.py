"""Figures for the backward pass: flipped kernels, zero insertion, who contributes to a gradient."""
import numpy as np

import convlab as cl
from convlab import coverage
from convlab.viz.grid import draw_row, finish, new_axes, row_figsize

__all__ = ["show_kernel_flip", "show_zero_insertion", "show_backward", "show_transposed_conv",
           "BACKWARD_VIEWS"]

#: The three ways :func:`show_backward` draws the same sum.
BACKWARD_VIEWS = ("scatter", "gather", "im2row")


def _as_2d(a, name):
    a = np.asarray(a, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array; got shape {a.shape}")
    return a


def _index_labels(shape):
    """Strings "(m,n)" for every cell of ``shape``."""
    labels = np.empty(shape, dtype=object)
    for (m, n), _ in np.ndenumerate(labels):
        labels[m, n] = f"{m},{n}"
    return labels


def show_kernel_flip(weight, ax=None, annotate=True):
    """A kernel and the same kernel rotated by 180 degrees (:func:`convlab.flip_kernel`).

    Each cell shows its value and, below it, the index ``m,n`` it had in the
    original kernel, so the rotation can be followed cell by cell.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = show_kernel_flip([[1, 2], [3, 4]])
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "celltext"][4:]
    ['4\\n1,1', '3\\n1,0', '2\\n0,1', '1\\n0,0']
    >>> plt.close("all")
    """
    weight = _as_2d(weight, "weight")
    index = np.arange(weight.size).reshape(weight.shape)
    flipped_index = cl.flip_kernel(index)
    flipped = cl.flip_kernel(weight)
    labels = _index_labels(weight.shape)
    text = np.vectorize(lambda v, lab: f"{v:g}\n{lab}", otypes=[object])
    grids = [
        dict(values=weight, name="kernel", title="kernel w", texts=text(weight, labels)),
        dict(values=flipped, name="flipped", title="flip_kernel(w)",
             texts=text(flipped, labels.ravel()[flipped_index])),
    ]
    ax = new_axes(ax, row_figsize(grids, cell=0.7))
    boxes = draw_row(ax, grids, ["\u21bb 180\u00b0"], annotate=annotate)
    return finish(ax, boxes, legend=False)


def show_zero_insertion(grad, stride=2, ax=None, annotate=None):
    """A gradient and :func:`convlab.zero_insert` of it: ``stride - 1`` zeros between entries.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from convlab.viz import drawn_cells
    >>> drawn_cells(show_zero_insertion(np.ones((2, 2)), stride=3))["inserted:inserted"]
    12
    >>> plt.close("all")
    """
    grad = _as_2d(grad, "grad")
    spread = cl.zero_insert(grad, stride)
    inserted = cl.zero_insert(np.ones_like(grad), stride) == 0
    if annotate is None:
        annotate = max(spread.shape) <= 16
    grids = [dict(values=grad, name="grad", title="G"),
             dict(values=spread, name="inserted", kinds={"inserted": inserted},
                  title=f"zero_insert(G, stride={stride})")]
    ax = new_axes(ax, row_figsize(grids))
    return finish(ax, draw_row(ax, grids, ["\u2192"], annotate=annotate))


def _contrib_mask(shape, cells):
    mask = np.zeros(shape, dtype=bool)
    for r, c in cells:
        mask[r, c] = True
    return mask


def show_backward(x, weight, grad_out=None, target="dx", cell=(0, 0), view="scatter",
                  stride=1, padding=0, dilation=1, ax=None, annotate=None, legend=True):
    """Mark every product that adds up to one entry of ``dx`` or ``dw``.

    ``dx[i, j] = sum G[o] * w[m, n]`` over the pairs of
    :func:`convlab.coverage.dx_contributions`; ``dw[m, n] = sum G[o] * x[r, c]``
    over :func:`convlab.coverage.dw_contributions`.  The gradients shown come
    from :func:`convlab.conv2d_backward`.

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
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from convlab.viz import drawn_cells
    >>> ax = show_backward(np.ones((4, 4)), np.ones((2, 2)), cell=(1, 1))
    >>> drawn_cells(ax)["grad_out:contrib"], drawn_cells(ax)["weight:contrib"]
    (4, 4)
    >>> plt.close("all")
    """
    if target not in ("dx", "dw"):
        raise ValueError(f"target must be 'dx' or 'dw'; got {target!r}")
    if view not in BACKWARD_VIEWS:
        raise ValueError(f"view must be one of {BACKWARD_VIEWS}; got {view!r}")
    x, weight = _as_2d(x, "x"), _as_2d(weight, "weight")
    g = coverage.geometry(x.shape, weight.shape, stride, padding, dilation)
    if grad_out is None:
        grad_out = np.random.default_rng(1).choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], g.output_shape)
    grad_out = _as_2d(grad_out, "grad_out")
    if grad_out.shape != g.output_shape:
        raise ValueError(f"grad_out must have shape {g.output_shape}; got {grad_out.shape}")
    limit = x.shape if target == "dx" else weight.shape
    i, j = cell
    if not (0 <= i < limit[0] and 0 <= j < limit[1]):
        raise ValueError(f"cell must lie in {target} of shape {limit}; got {cell}")
    grads = cl.conv2d_backward(grad_out[None, None], x[None, None], weight[None, None],
                               stride=g.stride, padding=g.padding, dilation=g.dilation)
    args = (g.stride, g.padding, g.dilation)
    if target == "dx":
        pairs = coverage.dx_contributions(i, j, x.shape, weight.shape, *args)
        grids, symbols = _dx_grids(view, g, x, weight, grad_out, grads.dx[0, 0], cell, pairs)
    else:
        pairs = coverage.dw_contributions(i, j, x.shape, weight.shape, *args)
        grids, symbols = _dw_grids(view, g, x, weight, grad_out, grads.dw[0, 0], cell, pairs)
    if annotate is None:
        annotate = max(max(np.shape(s["values"])) for s in grids) <= 16
    ax = new_axes(ax, row_figsize(grids))
    boxes = draw_row(ax, grids, symbols, annotate=annotate)
    name = "dX" if target == "dx" else "dW"
    terms = "product" if len(pairs) == 1 else "products"
    title = f"{name}[{i}, {j}] = sum of {len(pairs)} {terms} ({view} view)"
    return finish(ax, boxes, legend=legend, title=title)


def _dx_grids(view, g, x, weight, grad_out, dx, cell, pairs):
    outs = [o for o, _ in pairs]
    taps = [t for _, t in pairs]
    result = dict(values=dx, name="dx", title="dX", kinds={"target": [cell]})
    if view == "scatter":
        return [dict(values=grad_out, name="grad_out", title="G", kinds={"contrib": outs}),
                dict(values=weight, name="weight", title="w", kinds={"contrib": taps}),
                result], ["\u00d7", "\u2192"]
    if view == "gather":
        spread = coverage.gather_gradient(grad_out, x.shape, weight.shape, *_args(g))
        labels = coverage.gather_cells(x.shape, weight.shape, *_args(g))
        rows, cols = coverage.window_cells(cell[0], cell[1], weight.shape, 1, g.dilation)
        window = np.zeros(spread.shape, dtype=bool)
        window[np.ix_(rows, cols)] = True
        kinds = {"padding": labels == 0, "inserted": labels == 1, "window": window,
                 "contrib": window & (labels == 2)}
        flipped = cl.flip_kernel(weight)
        k = flipped.shape
        flipped_taps = [(k[0] - 1 - m, k[1] - 1 - n) for m, n in taps]
        return [dict(values=spread, name="grad_out", title=_spread_title("G", g.stride, "padded"), kinds=kinds),
                dict(values=flipped, name="weight", title="flipped w", kinds={"contrib": flipped_taps}),
                result], ["\u22c6", "="]
    index = np.arange(1, x.size + 1, dtype=float).reshape(x.shape)
    reads = cl.im2row(index[None], weight.shape, *_args(g))  # (H_out*W_out, kH*kW)
    hits = reads == cell[0] * x.shape[1] + cell[1] + 1
    products = grad_out.reshape(-1, 1) * weight.reshape(1, -1)  # dX~ = G w~ (one channel)
    return [dict(values=products, name="rows", title="G \u00b7 w per patch entry",
                 kinds={"padding": reads == 0, "contrib": hits}),
            result], ["row2im \u2192"]


def _spread_title(name, stride, *steps):
    """Title of a zero-inserted grid; zero insertion is only named when the stride inserts zeros."""
    if max(np.broadcast_to(stride, 2)) > 1:
        steps = ("zeros inserted",) + steps
    return ", ".join((name,) + steps)


def _args(g):
    return g.stride, g.padding, g.dilation


def _flat_ids(outs, g):
    """Row-major position + 1 of each output index (0 is left for "none")."""
    return [int(np.ravel_multi_index(o, g.output_shape)) + 1 for o in outs]


def _dw_grids(view, g, x, weight, grad_out, dw, cell, pairs):
    outs = [o for o, _ in pairs]
    (top, _), (left, _) = g.padding
    inputs = [(r + top, c + left) for _, (r, c) in pairs]
    padded = cl.pad(x, g.padding)
    pad_mask = cl.pad(np.zeros_like(x), g.padding, value=1) == 1
    result = dict(values=dw, name="dw", title="dW", kinds={"target": [cell]})
    if view == "scatter":
        return [dict(values=padded, name="x", title="x (padded)",
                     kinds={"padding": pad_mask, "contrib": inputs}),
                dict(values=grad_out, name="grad_out", title="G", kinds={"contrib": outs}),
                result], ["\u00d7", "\u2192"]
    if view == "gather":
        spread = cl.zero_insert(grad_out, g.stride)
        inserted = cl.zero_insert(np.ones_like(grad_out), g.stride) == 0
        # where each G[o] lands after zero insertion: insert zeros into its flat index + 1
        ids = np.arange(1, grad_out.size + 1, dtype=float).reshape(grad_out.shape)
        spread_ids = cl.zero_insert(ids, g.stride)
        window = np.zeros(padded.shape, dtype=bool)
        r0, c0 = cell[0] * g.dilation[0], cell[1] * g.dilation[1]
        window[r0: r0 + spread.shape[0], c0: c0 + spread.shape[1]] = True
        return [dict(values=padded, name="x", title="x (padded)",
                     kinds={"padding": pad_mask, "window": window, "contrib": inputs}),
                dict(values=spread, name="grad_out", title=_spread_title("G", g.stride),
                     kinds={"inserted": inserted, "contrib": np.isin(spread_ids, _flat_ids(outs, g))}),
                result], ["\u22c6", "="]
    index = np.arange(1, x.size + 1, dtype=float).reshape(x.shape)
    reads = cl.im2row(index[None], weight.shape, *_args(g))
    rows = cl.im2row(x[None], weight.shape, *_args(g))  # X~: (H_out*W_out, kH*kW)
    column = np.zeros(rows.shape, dtype=bool)
    column[:, cell[0] * weight.shape[1] + cell[1]] = True
    g_col = grad_out.reshape(-1, 1)
    rows_of_outs = [(r - 1, 0) for r in _flat_ids(outs, g)]  # row r of im2row is output r
    return [dict(values=g_col, name="grad_out", title="G.ravel()", kinds={"contrib": rows_of_outs}),
            dict(values=rows, name="rows", title="im2row(x)",
                 kinds={"padding": reads == 0, "contrib": column & (reads > 0)}),
            result], ["\u00b7", "\u2192"]


def show_transposed_conv(x, weight, stride=1, padding=0, output_padding=0, dilation=1,
                         ax=None, annotate=None):
    """A transposed convolution as a plain one: zero-insert, pad, correlate with the flipped kernel.

    The output comes from :func:`convlab.conv_transpose2d`; the middle grid
    is the input laid out by :func:`convlab.coverage.gather_gradient` (the
    transposed convolution is the input gradient of a convolution).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from convlab.viz import drawn_cells
    >>> ax = show_transposed_conv(np.ones((2, 2)), np.ones((3, 3)), stride=2)
    >>> drawn_cells(ax)["spread:inserted"], len(ax.get_legend().get_texts())
    (5, 2)
    >>> plt.close("all")
    """
    x, weight = _as_2d(x, "x"), _as_2d(weight, "weight")
    y = cl.conv_transpose2d(x[None, None], weight[None, None], stride=stride, padding=padding,
                            output_padding=output_padding, dilation=dilation)[0, 0]
    spread = coverage.gather_gradient(x, y.shape, weight.shape, stride, padding, dilation)
    labels = coverage.gather_cells(y.shape, weight.shape, stride, padding, dilation)
    grids = [dict(values=x, name="x", title="x"),
             dict(values=spread, name="spread", title=_spread_title("x", stride, "padded"),
                  kinds={"padding": labels == 0, "inserted": labels == 1}),
             dict(values=cl.flip_kernel(weight), name="weight", title="flipped w"),
             dict(values=y, name="y", title=f"conv_transpose2d {y.shape[0]}\u00d7{y.shape[1]}")]
    if annotate is None:
        annotate = max(spread.shape) <= 16
    ax = new_axes(ax, row_figsize(grids))
    return finish(ax, draw_row(ax, grids, ["\u2192", "\u22c6", "="], annotate=annotate))
