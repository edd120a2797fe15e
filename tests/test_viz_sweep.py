"""Every viz figure over a sweep of configurations, checked at render time.

For a seeded random sample of configurations (sizes 1-16, kernels 1-7,
strides 1-4, every padding mode, dilation 1-3, signed and unsigned data)
plus edge cases, each figure is rendered with Agg and checked for:

- no two text artists overlapping (bounding boxes from the renderer; the
  numbers written as glyph outlines included);
- no text under 8 pt, none cut off at the figure's edge, none (titles,
  symbols, tick labels) over a grid, image or colour bar it does not
  belong to, and every number or letter on a cell at 4.5:1 contrast
  against the cell's colour (:mod:`legibility`);
- the highlighted cells equal what :mod:`convlab.coverage` (tested against
  PyTorch in ``test_coverage.py``) or the core (``im2row``, ``zero_insert``)
  says.
"""
import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from legibility import check_contrast, check_placement
from matplotlib.text import Text

import convlab as cl
from convlab import coverage, viz
from convlab.viz import lit_cells
from convlab.viz.receptive import MAX_CELLS_PER_ROW

pytestmark = pytest.mark.slow  # draws every figure at its extremes (the quick tier has test_viz*)

PADDINGS = (0, 1, 2, 3, "valid", "same", "full")


def _configs(n, seed=12):
    """``n`` random valid (input, kernel, stride, padding, dilation, signed) configurations."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < n:
        shape = tuple(int(v) for v in rng.integers(1, 17, size=2))
        kernel = tuple(int(v) for v in rng.integers(1, 8, size=2))
        stride, dilation = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        padding = PADDINGS[rng.integers(len(PADDINGS))]
        try:
            g = coverage.geometry(shape, kernel, stride, padding, dilation)
        except ValueError:
            continue
        if min(g.output_shape) >= 1:
            found.append((shape, kernel, stride, padding, dilation, bool(rng.integers(2))))
    return found


EDGES = [((1, 1), (1, 1), 1, 0, 1, False), ((16, 16), (7, 7), 1, "full", 1, True),
         ((16, 16), (1, 1), 4, 0, 1, True), ((3, 16), (3, 1), 2, "same", 3, False),
         ((16, 1), (2, 1), 3, 1, 2, True), ((7, 7), (3, 3), 2, "same", 2, True)]
CONFIGS = _configs(150) + EDGES


def _data(shape, signed, rng):
    values = rng.integers(-9 if signed else 0, 10, size=shape).astype(float)
    if signed and values.size > 1:
        values.flat[rng.integers(values.size)] = rng.normal()  # one non-integer too
    return values


# ------------------------------------------------------------------ render-time checks
def _visible_texts(fig):
    """Every Text the figure draws, with its window extent (tick labels of shown axes only)."""
    renderer = fig.canvas.get_renderer()
    texts = []
    axes = list(fig.axes)
    for ax in list(axes):
        axes += ax.child_axes
    for ax in axes:
        candidates = [*ax.texts, ax.title, ax._left_title, ax._right_title]
        if ax.get_legend() is not None:
            candidates += ax.get_legend().get_texts()
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                candidates.append(axis.label)
                for tick in axis._update_ticks():
                    candidates += [t for t in (tick.label1, tick.label2) if t.get_visible()]
        texts += [t for t in candidates if isinstance(t, Text) and t.get_visible()
                  and t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent(renderer), t.get_fontsize(), t) for t in texts]


def _glyph_boxes(fig):
    """Each number written as glyphs: its text, extent (display units) and size in points."""
    found = []
    for ax in fig.axes:
        for coll in ax.collections:
            if not coll.get_label().endswith(":numbers"):
                continue
            transform = coll.get_transform()
            scale = transform.transform([(1, 0)])[0, 0] - transform.transform([(0, 0)])[0, 0]
            size_pt = scale * 72 / fig.dpi
            offsets = coll.get_offset_transform().transform(coll.get_offsets())
            for text, path, (ox, oy) in zip(coll.strings, coll.get_paths(), offsets):
                box = path.transformed(transform).get_extents()
                found.append((text, matplotlib.transforms.Bbox(
                    [[box.x0 + ox, box.y0 + oy], [box.x1 + ox, box.y1 + oy]]), size_pt, None))
    return found


def check_text(fig):
    """No text under 8 pt; no two texts overlapping (1 px of slack); placed and legible."""
    fig.draw_without_rendering()
    texts, glyphs = _visible_texts(fig), _glyph_boxes(fig)
    items = texts + glyphs
    small = [(t, s) for t, _, s, _ in items if s < 8]
    assert not small, f"text under 8 pt: {small[:5]}"
    check_placement(fig, items)
    on_cells = [(t, bb, artist) for t, bb, _, artist in texts
                if artist.get_gid() in ("pairlabel", "celltext")]
    numbers = [c for ax in fig.axes for c in ax.collections if c.get_label().endswith(":numbers")]
    check_contrast(fig, [(t, bb) for t, bb, _ in on_cells] + [(t, bb) for t, bb, _, _ in glyphs],
                   [a for _, _, a in on_cells] + numbers)
    if len(items) < 2:
        return
    b = np.array([[bb.x0, bb.y0, bb.x1, bb.y1] for _, bb, _, _ in items])
    b[:, :2] += 1.0
    b[:, 2:] -= 1.0
    hit = ((b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2])
           & (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3]))
    np.fill_diagonal(hit, False)
    pairs = [(items[i][0], items[j][0]) for i, j in zip(*np.nonzero(np.triu(hit)))]
    assert not pairs, f"{len(pairs)} overlapping texts, e.g. {pairs[:4]}"


def _window(g, i, j, shift=(0, 0)):
    rows, cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
    return {(int(r) + shift[0], int(c) + shift[1]) for r in rows for c in cols}


def _mask_cells(mask, shift=(0, 0)):
    return {(int(r) + shift[0], int(c) + shift[1]) for r, c in zip(*np.nonzero(mask))}


def _ordered(ax, label):
    coll = next(c for c in ax.collections if c.get_label() == label)
    return [tuple(int(v) for v in cell) for cell in coll.cells]


# ------------------------------------------------------------------ the sweep
@pytest.mark.parametrize("config", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_figures_read_and_match_the_core(config):
    shape, kernel, stride, padding, dilation, signed = config
    index = CONFIGS.index(config)
    rng = np.random.default_rng(index)
    g = coverage.geometry(shape, kernel, stride, padding, dilation)
    x, w = _data(shape, signed, rng), _data(kernel, signed, rng)
    (top, _), (left, _) = g.padding
    uncovered = ~coverage.covered_mask(shape, kernel, stride, g.padding, dilation)
    kind = index % 6
    if kind == 0:
        i, j = (int(rng.integers(n)) for n in g.output_shape)
        ax = viz.show_sliding_window(x, weight=w, i=i, j=j, stride=stride, padding=padding,
                                     dilation=dilation)
        lit = lit_cells(ax)
        assert lit["input:window"] == _window(g, i, j)
        assert lit["output:selected"] == {(i, j)}
        assert lit.get("input:uncovered", set()) == _mask_cells(uncovered, (top, left))
    elif kind in (1, 2):
        target = "dx" if kind == 1 else "dw"
        limit = shape if target == "dx" else kernel
        cell = tuple(int(rng.integers(n)) for n in limit)
        view = viz.BACKWARD_VIEWS[index % 3]
        ax = viz.show_backward(x, w, None, target, cell, view, stride, padding, dilation)
        args = (shape, kernel, stride, g.padding, dilation)
        if target == "dx":
            pairs = coverage.dx_contributions(*cell, *args)
            assert lit_cells(ax).get("dx:uncovered", set()) == _mask_cells(uncovered)
        else:
            pairs = coverage.dw_contributions(*cell, *args)
        _check_backward(ax, g, target, view, cell, pairs)
        if not pairs:
            assert "sum of 0" not in ax.get_title() and "no products" in ax.get_title()
    elif kind == 3:
        rows = sorted({int(r) for r in rng.integers(0, g.output_shape[0] * g.output_shape[1], 2)})
        ax = viz.show_im2row(x, kernel, stride, padding, dilation, rows=rows)
        lit = lit_cells(ax)
        for r in rows:
            assert lit[f"input:row {r}"] == _window(g, *divmod(r, g.output_shape[1]))
            assert lit[f"patches:row {r}"] == {(r, c) for c in range(kernel[0] * kernel[1])}
    elif kind == 4:
        ax = viz.show_conv_matrix(w, shape, stride, padding, dilation)
        taps = ax.images[0].get_array()
        ones = cl.conv_matrix(np.ones(kernel), shape, stride, g.padding, dilation)
        np.testing.assert_array_equal(taps != 0, ones != 0)
    else:
        ax = viz.show_transposed_conv(x, w, stride, 0, 0, dilation)
        y_shape = cl.conv_transpose2d(x[None, None], w[None, None], stride=stride,
                                      dilation=dilation).shape[2:]
        inserted = coverage.gather_cells(y_shape, kernel, stride, 0, dilation) == 1
        assert lit_cells(ax).get("spread:inserted", set()) == _mask_cells(inserted)
    check_text(ax.figure)
    plt.close(ax.figure)


def _check_backward(ax, g, target, view, cell, pairs):
    """The lit cells of each view are the products of ``pairs``, pair by pair."""
    outs = [o for o, _ in pairs]
    others = [t for _, t in pairs]
    lit = lit_cells(ax)
    assert lit[f"{target}:target"] == {cell}
    if not pairs:
        assert not any(k.endswith(":contrib") for k in lit)
        return
    k, d, s = g.kernel_size, g.dilation, g.stride
    (top, _), (left, _) = g.padding
    flat = [o[0] * g.output_shape[1] + o[1] for o in outs]
    if target == "dx" and view == "scatter":
        assert _ordered(ax, "grad_out:contrib") == outs        # pair k: G[o_k] with w[t_k]
        assert _ordered(ax, "weight:contrib") == others
    elif target == "dx" and view == "gather":
        assert _ordered(ax, "weight:contrib") == [(k[0] - 1 - m, k[1] - 1 - n) for m, n in others]
        labels = coverage.gather_cells(g.input_shape, k, s, g.padding, d)
        window = {(cell[0] + d[0] * a, cell[1] + d[1] * b) for a in range(k[0]) for b in range(k[1])}
        spread = _ordered(ax, "grad_out:contrib")
        assert set(spread) == {c for c in window if labels[c] == 2}
    elif view == "im2row":
        index = np.arange(1, np.prod(g.input_shape) + 1.0).reshape(g.input_shape)
        reads = cl.im2row(index[None], k, s, g.padding, d)
        if target == "dx":
            hits = reads == cell[0] * g.input_shape[1] + cell[1] + 1
            assert lit["rows:contrib"] == _mask_cells(hits)
        else:
            tap = cell[0] * k[1] + cell[1]
            assert lit["rows:contrib"] == {(r, tap) for r in flat if reads[r, tap] > 0}
            assert _ordered(ax, "grad_out:contrib") == [(r, 0) for r in flat]
    else:  # dw scatter / gather: the input cells read, in padded coordinates
        assert lit["x:contrib"] == {(r + top, c + left) for r, c in others}
        spread = {(o[0] * s[0], o[1] * s[1]) for o in outs} if view == "gather" else set(outs)
        assert lit["grad_out:contrib"] == spread


SMALL = [c for c in CONFIGS if max(c[1]) <= 5][:24]


@pytest.mark.parametrize("config", SMALL, ids=[str(c) for c in SMALL])
def test_small_figures_read(config):
    shape, kernel, stride, padding, dilation, signed = config
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x, w = _data(shape, signed, rng), _data(kernel, signed, rng)
    figures = [viz.show_grid(x, kinds={"window": x > 0}), viz.show_kernel_flip(w),
               viz.show_zero_insertion(w, stride)]
    inserted = cl.zero_insert(np.ones(kernel), stride) == 0
    assert lit_cells(figures[2]).get("inserted:inserted", set()) == _mask_cells(inserted)
    assert lit_cells(figures[0]).get("grid:window", set()) == _mask_cells(x > 0)
    n_layers = int(rng.integers(1, 5))
    ax = viz.show_receptive_field(n_layers, kernel[0], stride, dilation)
    _, fields = coverage.receptive_field_cells([kernel[0]] * n_layers, [stride] * n_layers,
                                               [dilation] * n_layers)
    sizes, _ = coverage.receptive_field_cells([kernel[0]] * n_layers, [stride] * n_layers,
                                              [dilation] * n_layers)
    if sizes[0] <= MAX_CELLS_PER_ROW:
        assert lit_cells(ax)["layer 0:contrib"] == {(0, int(c)) for c in fields[0]}
    else:  # drawn as bars: the title gives the span of the field
        assert f"spans {int(fields[0].max() - fields[0].min()) + 1:,} input cells" in ax.get_title()
    figures.append(ax)
    for item in figures:
        check_text(item.figure)
        plt.close(item.figure)


def test_filters_and_history_read():
    rng = np.random.default_rng(0)
    photo = rng.random((40, 36))
    kernels = [cl.filters.SOBEL_X, cl.filters.gaussian_kernel(5, 1.0),
               cl.filters.gaussian_kernel(19, 3.0)]
    fig = viz.show_filters(photo, kernels)
    check_text(fig)
    fig = viz.plot_history({"loss": [2.0, 1.0, 0.5], "accuracy": [0.2, 0.5, 0.9]})
    check_text(fig)


@pytest.mark.parametrize("values", [
    np.array([[np.nan, 1.0], [np.inf, -np.inf]]),
    np.where(np.eye(20, dtype=bool), np.nan, 1.0),
])
def test_non_finite_values_are_drawn_and_hatched(values):
    ax = viz.show_grid(values)
    bad = ~np.isfinite(values)
    assert lit_cells(ax)["grid:nonfinite"] == _mask_cells(bad)
    numbers = viz.drawn_numbers(ax).get("grid")
    if numbers is not None:
        assert numbers == ["nan", "1", "\u221e", "-\u221e"]
    assert "NaN or \u00b1\u221e" in viz.legend_labels(ax)
    check_text(ax.figure)


def test_every_heatmap_has_a_colour_bar_and_signed_ones_are_centred():
    ax = viz.show_grid(np.linspace(-1.0, 3.0, 400).reshape(20, 20))
    (image,) = ax.images
    assert image.norm.vmin == -3.0 and image.norm.vmax == 3.0
    assert [child.get_gid() for child in ax.child_axes] == ["colorbar"]
    check_text(ax.figure)


@pytest.mark.parametrize("sizes", list(itertools.product((3, 5), (2, 3))))
def test_titles_say_padded_only_when_padded(sizes):
    n, k = sizes
    x, w = np.ones((n, n)), np.ones((k, k))
    for padding, word in ((0, "x"), (1, "padded x")):
        ax = viz.show_backward(x, w, target="dw", cell=(0, 0), padding=padding)
        titles = [t.get_text() for t in ax.texts if t.get_gid() == "title"]
        assert titles[0] == word
        plt.close(ax.figure)


def test_the_text_check_catches_overlap_and_small_text():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "one", fontsize=10)
    ax.text(0.5, 0.5, "two", fontsize=10)
    with pytest.raises(AssertionError, match="overlapping"):
        check_text(fig)
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "tiny", fontsize=6)
    with pytest.raises(AssertionError, match="under 8 pt"):
        check_text(fig)


@pytest.mark.parametrize("figsize", [None, (8, 3.6), (9, 4), (12, 5)])
def test_the_figures_of_issue_18_read(figsize):
    """show_sliding_window (12, 5, "full", dilation 3) and show_filters, alone and in given sizes."""
    from convlab import filters

    def new_ax():
        return None if figsize is None else plt.figure(figsize=figsize).add_subplot()

    ax = viz.show_sliding_window(12, 5, 0, 0, padding="full", dilation=3, ax=new_ax())
    check_text(ax.figure)
    photo = np.random.default_rng(1).random((40, 36))
    for kernels in (None, {"Gaussian \u03c3=3 (19\u00d719)": filters.gaussian_kernel(19, 3.0)}):
        fig = viz.show_filters(photo, kernels, fig=None if figsize is None else plt.figure(figsize=figsize))
        check_text(fig)
