"""What the conv and backward explorers send to the browser: arrays and index maps, once.

Everything here is plain JSON (lists of numbers) computed by the core:
outputs and gradients by :func:`convlab.conv2d` / :func:`convlab.conv2d_backward`,
every "which cells take part" question by :mod:`convlab.coverage`, the
patch matrix by :func:`convlab.im2row`.  The ES module only draws these and
looks them up on hover; it never multiplies or adds.

Index conventions (they are the ``data-index`` of the drawn cells):

- conv explorer: ``input`` cells are ``"c,i,j"`` in *padded* coordinates,
  ``kernel`` cells ``"c,m,n"``, ``output`` cells ``"i,j"``;
- backward explorer: ``dx``, ``input``, ``grad_out``, ``kernel``, ``dw`` are
  ``"i,j"`` (``input`` unpadded in the scatter view, padded in the dW gather
  view), ``gather`` is ``"i,j"`` on the zero-inserted padded G, ``patches``
  is ``"row,col"`` of the im2row matrix.
"""
import numpy as np

from .. import coverage
from ..blocks import pad, zero_insert
from ..conv import conv2d, conv2d_backward
from ..conv.transposed import transposed_output_size
from ..matrices import im2row

__all__ = ["conv_payload", "backward_payload", "remainder"]


def _ints(rng, low, high, shape, nonzero=False):
    values = rng.integers(low, high + 1, shape)
    if nonzero:
        values[values == 0] = high
    return values.astype(float)


def _tolist(array):
    """Floats that are whole numbers become ints, so the browser prints ``3`` not ``3.0``."""
    array = np.asarray(array, dtype=float)
    rounded = np.round(array)
    if np.allclose(array, rounded):
        return rounded.astype(int).tolist()
    return np.round(array, 4).tolist()


def _times(shape):
    return "\u00d7".join(str(v) for v in shape)


def _formula(n, k, s, pads, d, n_out):
    return (f"\u230a({n} + {pads[0]} + {pads[1]} \u2212 {d}\u00b7({k} \u2212 1) \u2212 1) / {s}\u230b"
            f" + 1 = {n_out}")


def _padding_text(padding, pads):
    """``1``, ``(0, 1)`` for uneven sides, and the mode first when one was chosen: ``full = 2``."""
    amount = pads[0][0] if pads[0][0] == pads[0][1] else f"{pads[0]}"
    return f"{padding} = {amount}" if isinstance(padding, str) else f"{amount}"


def _uncovered_text(n, k, s, pads, d):
    rows, _ = coverage.uncovered_cells(n, k, s, pads, d)
    return ", ".join(map(str, rows)) if len(rows) else "none"


def conv_payload(size, kernel_size, stride, padding, dilation, channels=1):
    """Everything the conv explorer draws for one setting.

    Raises ``ValueError`` (from the core) for an impossible setting, e.g. a
    dilated kernel larger than the padded input.

    Examples
    --------
    >>> p = conv_payload(7, 3, 2, 1, 1)
    >>> p["output_shape"], p["window_rows"][1], p["window_cols"][3]
    ([4, 4], [2, 3, 4], [6, 7, 8])
    """
    g = coverage.geometry(size, kernel_size, stride, padding, dilation)
    k, s, d, pads = kernel_size, stride, dilation, g.padding
    rng = np.random.default_rng(size * 100 + k * 10 + channels)
    x = _ints(rng, 0, 9, (channels, size, size))
    w = _ints(rng, -2, 2, (channels, k, k), nonzero=True)
    out = conv2d(x[None], w[None], stride=s, padding=pads, dilation=d)[0, 0]
    (ho, wo) = g.output_shape
    rows = [coverage.window_cells(i, 0, k, s, d)[0].tolist() for i in range(ho)]
    cols = [coverage.window_cells(0, j, k, s, d)[1].tolist() for j in range(wo)]
    n_out = g.output_shape[0]
    chan = f"{channels} channels, kernel {channels}\u00d7{k}\u00d7{k}" if channels > 1 else f"kernel {k}\u00d7{k}"
    pad_text = _padding_text(padding, pads)
    summary = (f"input {size}\u00d7{size}, {chan}, stride {s}, padding {pad_text}, dilation {d} \u2192 "
               f'<b class="convlab-output">output {n_out}\u00d7{n_out}</b> = '
               f"{_formula(size, k, s, pads[0], d, n_out)} \u00b7 never-read rows/cols: "
               f"{_uncovered_text(size, k, s, pads, d)}")
    return {
        "kind": "conv", "channels": channels, "input_shape": list(g.input_shape),
        "kernel_size": [k, k], "padding": [list(p) for p in pads],
        "padded_shape": list(g.padded_shape), "output_shape": list(g.output_shape),
        "x": _tolist(x), "w": _tolist(w), "out": _tolist(out),
        "window_rows": rows, "window_cols": cols,
        "covered": coverage.covered_mask(size, k, s, pads, d).astype(int).tolist(),
        "summary": summary,
    }


def remainder(size, kernel_size, stride, padding, dilation):
    """The ``output_padding`` with which ``conv_transpose2d(G)`` has the input's size.

    Examples
    --------
    >>> remainder(8, 3, 2, 1, 1)     # 8 -> G 4x4 -> back to 7 unless output_padding = 1
    1
    """
    g = coverage.geometry(size, kernel_size, stride, padding, dilation)
    smallest = transposed_output_size(g.output_shape[0], kernel_size, stride, g.padding[0], dilation, 0)
    return size - smallest


def _flat_pairs(pairs_of_cell):
    return [[o[0], o[1], t[0], t[1]] for o, t in pairs_of_cell]


def backward_payload(size, kernel_size, stride, padding, dilation):
    """Everything the backward explorer draws for one setting, for both targets and all views.

    ``dx_pairs[i][j]`` lists ``[oi, oj, m, n]`` for every product
    ``G[oi, oj] * w[m, n]`` in ``dx[i, j]``; ``dw_pairs[m][n]`` lists
    ``[oi, oj, r, c]`` for every ``G[oi, oj] * x[r, c]`` in ``dw[m, n]``
    (both from :mod:`convlab.coverage`).

    Examples
    --------
    >>> p = backward_payload(4, 2, 1, 0, 1)
    >>> len(p["dx_pairs"][1][1]), p["dx_pairs"][0][0]
    (4, [[0, 0, 0, 0]])
    """
    g = coverage.geometry(size, kernel_size, stride, padding, dilation)
    n, k, s, d, pads = size, kernel_size, stride, dilation, g.padding
    (ho, wo) = g.output_shape
    rng = np.random.default_rng(n * 100 + k * 10 + s)
    x = _ints(rng, 0, 5, (n, n))
    w = _ints(rng, -3, 3, (k, k), nonzero=True)
    grad_out = _ints(rng, -3, 3, (ho, wo), nonzero=True)
    grads = conv2d_backward(grad_out[None, None], x[None, None], w[None, None],
                               stride=s, padding=pads, dilation=d)
    dx_pairs = [[_flat_pairs(coverage.dx_contributions(i, j, n, k, s, pads, d)) for j in range(n)]
                for i in range(n)]
    dw_pairs = [[_flat_pairs(coverage.dw_contributions(m, c, n, k, s, pads, d)) for c in range(k)]
                for m in range(k)]
    # gather view of dx: the flipped kernel, dilated, slides with stride 1 over the gather grid
    gather_rows = [coverage.window_cells(i, 0, k, 1, d)[0].tolist() for i in range(n)]
    gather_cols = [coverage.window_cells(0, j, k, 1, d)[1].tolist() for j in range(n)]
    # gather view of dw: G, spread by the stride, slides with step = dilation over padded x
    g_rows = [coverage.window_cells(m, 0, (ho, wo), d, s)[0].tolist() for m in range(k)]
    g_cols = [coverage.window_cells(0, c, (ho, wo), d, s)[1].tolist() for c in range(k)]
    op = remainder(n, k, s, padding, d)
    pad_text = _padding_text(padding, pads)
    amount = pads[0][0] if pads[0][0] == pads[0][1] else f"{pads[0]}"
    summary = (f"x {n}\u00d7{n}, w {k}\u00d7{k}, stride {s}, padding {pad_text}, dilation {d} \u2192 "
               f"G {_times(g.output_shape)}; dX = conv_transpose2d(G, w, stride={s}, "
               f"padding={amount}, dilation={d}, output_padding={op}) \u00b7 input rows/cols no "
               f"window reads: {_uncovered_text(n, k, s, pads, d)}")
    return {
        "kind": "backward", "input_shape": [n, n], "kernel_size": [k, k],
        "stride": s, "dilation": d, "padding": [list(p) for p in pads],
        "padded_shape": list(g.padded_shape), "output_shape": [ho, wo], "output_padding": op,
        "x": _tolist(x), "x_padded": _tolist(pad(x, pads)), "w": _tolist(w),
        "grad_out": _tolist(grad_out), "dx": _tolist(grads.dx[0, 0]), "dw": _tolist(grads.dw[0, 0]),
        "dx_pairs": dx_pairs, "dw_pairs": dw_pairs,
        "covered": coverage.covered_mask(n, k, s, pads, d).astype(int).tolist(),
        "gather": _tolist(coverage.gather_gradient(grad_out, n, k, s, pads, d)),
        "gather_kinds": coverage.gather_cells(n, k, s, pads, d).tolist(),
        "gather_rows": gather_rows, "gather_cols": gather_cols,
        "dw_window_rows": g_rows, "dw_window_cols": g_cols,
        "grad_spread": _tolist(zero_insert(grad_out, s)),
        "patches": _tolist(im2row(x[None], k, s, pads, d)),
        "summary": summary,
    }
