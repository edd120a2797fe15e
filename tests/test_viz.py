"""convlab.viz: what each figure draws, checked against independent references.

The numbers a figure writes are compared with PyTorch (or scipy, or a
hand-built array); the cells it marks are counted by kind and compared with
what autograd says contributes.  Agg backend throughout.
"""
import base64
import io
import itertools
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.ndimage  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from convlab import viz  # noqa: E402
from convlab.shapes import receptive_field, resolve_padding  # noqa: E402
from convlab.viz import KINDS, drawn_cells, drawn_numbers, legend_labels  # noqa: E402
from convlab.viz.grid import cell_text  # noqa: E402


def _texts(values):
    return [cell_text(v) for v in np.asarray(values).ravel()]


def _torch_pad(x, pads):
    (top, bottom), (left, right) = pads
    return F.pad(torch.as_tensor(x)[None, None], (left, right, top, bottom))


def _torch_conv(x, w, stride, pads, dilation):
    """conv2d in torch on explicit (possibly asymmetric) padding, one channel."""
    return F.conv2d(_torch_pad(x, pads), torch.as_tensor(w)[None, None], stride=stride,
                    dilation=dilation)[0, 0].numpy()


def _pads(shape, ksize, stride, padding, dilation):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    return resolve_padding(padding, pair(ksize), pair(stride), pair(dilation), pair(shape))


def _polygon_cells(ax, label):
    """Top-left (x, y) data corner of every square drawn in the collection ``label``."""
    coll = next(c for c in ax.collections if c.get_label() == label)
    vertices = coll.get_paths()[0].vertices.reshape(-1, 5, 2)  # closed squares: 5 vertices
    return vertices[:, 0, :]


# ------------------------------------------------------------------ show_grid
def test_show_grid_writes_every_number_and_styles_kinds():
    a = np.array([[1.0, -2.5, 3.0], [0.125, 5.0, 6.0]])
    ax = viz.show_grid(a, kinds={"padding": [(0, 0), (1, 2)], "window": [(1, 1)]}, title="a")
    assert drawn_numbers(ax) == {"grid": ["1", "-2.5", "3", "0.125", "5", "6"]}
    assert drawn_cells(ax) == {"grid:cell": 4, "grid:padding": 2, "grid:window": 1}
    assert legend_labels(ax) == [KINDS["padding"]["label"], KINDS["window"]["label"]]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "title"] == ["a"]


def test_show_grid_large_arrays_drop_the_numbers_and_reuse_an_axes():
    fig, ax = plt.subplots()
    assert viz.show_grid(np.zeros((20, 20)), ax=ax) is ax
    assert drawn_numbers(ax) == {}
    assert drawn_cells(ax) == {"grid:cell": 400}
    assert legend_labels(ax) == []


def test_show_grid_rejects_3d():
    with pytest.raises(ValueError, match=r"array must be 2-D; got shape \(2, 2, 2\)"):
        viz.show_grid(np.zeros((2, 2, 2)))


# ------------------------------------------------------------------ sliding window
SLIDING = [
    # (input, kernel, stride, padding, dilation)
    ((5, 5), (3, 3), 1, 0, 1),
    ((7, 7), (3, 3), 2, 1, 1),
    ((8, 8), (3, 3), 3, 0, 1),        # 2 rows left over
    ((6, 7), (2, 3), 2, "same", 1),
    ((5, 5), (2, 2), 1, "full", 1),
    ((7, 7), (3, 3), 1, 0, 2),
    ((9, 8), (2, 2), 3, 1, 3),        # dilation gaps and remainder
]


@pytest.mark.parametrize("case", SLIDING, ids=[str(c) for c in SLIDING])
def test_show_sliding_window_marks_what_torch_reads(case):
    shape, ksize, stride, padding, dilation = case
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=shape).astype(float)
    w = rng.integers(-2, 3, size=ksize).astype(float)
    pads = _pads(shape, ksize, stride, padding, dilation)
    y = _torch_conv(x, w, stride, pads, dilation)
    padded_shape = (shape[0] + sum(pads[0]), shape[1] + sum(pads[1]))
    # cells of x that receive gradient from any output: the covered ones (torch autograd)
    xt = torch.tensor(x, requires_grad=True)
    F.conv2d(_torch_pad(xt, pads), torch.ones((1, 1) + ksize, dtype=torch.float64), stride=stride,
             dilation=dilation).sum().backward()
    never_read = int((xt.grad == 0).sum())
    corners = [(0, 0), (y.shape[0] - 1, y.shape[1] - 1), (y.shape[0] // 2, 0)]
    for i, j in corners:
        ax = viz.show_sliding_window(x, weight=w, i=i, j=j, stride=stride, padding=padding,
                                     dilation=dilation, annotate=True)
        cells = drawn_cells(ax)
        assert cells["input:window"] == ksize[0] * ksize[1]
        assert cells["kernel:window"] == ksize[0] * ksize[1]
        assert cells["output:selected"] == 1
        assert cells.get("input:padding", 0) == padded_shape[0] * padded_shape[1] - x.size
        assert cells.get("input:uncovered", 0) == never_read
        numbers = drawn_numbers(ax)
        assert numbers["output"] == _texts(y)
        assert numbers["kernel"] == _texts(w)
        assert numbers["input"] == _texts(_torch_pad(x, pads)[0, 0].numpy())
        # the window's squares sit at rows i*s + m*d, cols j*s + n*d of the padded grid
        s = (stride, stride) if isinstance(stride, int) else stride
        d = (dilation, dilation) if isinstance(dilation, int) else dilation
        corners_xy = _polygon_cells(ax, "input:window")
        expected = {(j * s[1] + n * d[1], i * s[0] + m * d[0])
                    for m, n in itertools.product(range(ksize[0]), range(ksize[1]))}
        assert {(round(cx), round(cy)) for cx, cy in corners_xy} == expected
        labels = legend_labels(ax)
        assert KINDS["window"]["label"] in labels and KINDS["selected"]["label"] in labels
        assert (KINDS["padding"]["label"] in labels) == (padded_shape != shape)
        assert (KINDS["uncovered"]["label"] in labels) == (never_read > 0)
        plt.close(ax.figure)


def test_show_sliding_window_from_a_shape_and_bad_position():
    ax = viz.show_sliding_window(6, kernel_size=3, i=3, j=3)
    assert drawn_cells(ax)["output:selected"] == 1
    with pytest.raises(ValueError, match=r"output position \(i, j\) must lie in the output of shape \(4, 4\); got \(4, 0\)"):
        viz.show_sliding_window(6, kernel_size=3, i=4, j=0)
    with pytest.raises(ValueError, match=r"x must be a 2-D array"):
        viz.show_sliding_window(np.zeros((1, 4, 4)))


def test_animate_conv_embeds_one_frame_per_output_and_closes_its_figure():
    before = plt.get_fignums()
    html = viz.animate_conv(np.arange(25.0).reshape(5, 5), kernel_size=3, stride=2, padding=1)
    assert plt.get_fignums() == before
    frames = set(re.findall(r"frames\[(\d+)\] = \"data:image/png;base64,", html.data))
    assert len(frames) == 3 * 3
    assert "<script" in html.data and "ffmpeg" not in html.data


def test_animation_frames_are_small_palette_pngs_that_look_the_same():
    from PIL import Image

    from convlab.viz.sliding import FRAME_COLORS, _palette_png

    ax = viz.show_sliding_window(np.arange(25.0).reshape(5, 5), weight=np.ones((3, 3)), i=1, j=1,
                                 padding=1)
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    original = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    palette = Image.open(io.BytesIO(base64.b64decode(
        _palette_png(base64.b64encode(buffer.getvalue()).decode()))))
    assert palette.mode == "P" and len(palette.getcolors()) <= FRAME_COLORS
    difference = np.abs(np.asarray(palette.convert("RGB"), dtype=int)
                        - np.asarray(original, dtype=int))
    assert difference.max() <= 32 and difference.mean() < 2     # no colour visibly changed
    # the lesson's first case (5 x 5, 3 x 3 kernel): 9 frames in well under 400 KB
    html = viz.animate_conv(np.arange(25.0).reshape(5, 5), weight=np.ones((3, 3))).data
    assert len(re.findall(r'frames\[\d+\] = "data:image/png;base64,', html)) == 9
    assert len(html) < 150_000


# ------------------------------------------------------------------ backward figures
def test_show_kernel_flip_matches_rot90():
    w = np.arange(6.0).reshape(2, 3)
    ax = viz.show_kernel_flip(w)
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "celltext"]
    flipped = np.rot90(w, 2)
    assert [t.split("\n")[0] for t in texts[6:]] == [f"{v:g}" for v in flipped.ravel()]
    # each flipped cell names where it came from: (m, n) -> (kH-1-m, kW-1-n)
    assert texts[6].split("\n")[1] == "1,2" and texts[-1].split("\n")[1] == "0,0"


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_show_zero_insertion_counts_inserted_zeros(stride):
    g = np.arange(1.0, 7.0).reshape(2, 3)
    ax = viz.show_zero_insertion(g, stride)
    spread = np.zeros(((2 - 1) * stride + 1, (3 - 1) * stride + 1))
    spread[::stride, ::stride] = g
    assert drawn_numbers(ax)["inserted"] == _texts(spread)
    assert drawn_cells(ax).get("inserted:inserted", 0) == spread.size - g.size


BACKWARD = [
    ((5, 5), (3, 3), 1, 0, 1),
    ((5, 5), (3, 3), 2, 1, 1),
    ((6, 6), (2, 2), 2, "same", 1),
    ((6, 6), (2, 2), 1, 0, 2),
    ((4, 4), (2, 2), 1, 3, 1),
]


def _torch_grads(x, w, grad_out, stride, pads, dilation):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    out = F.conv2d(_torch_pad(xt, pads), wt[None, None], stride=stride, dilation=dilation)[0, 0]
    out.backward(torch.as_tensor(grad_out))
    return xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("case", BACKWARD, ids=[str(c) for c in BACKWARD])
@pytest.mark.parametrize("view", viz.BACKWARD_VIEWS)
def test_show_backward_highlights_every_contributing_product(case, view):
    shape, ksize, stride, padding, dilation = case
    rng = np.random.default_rng(3)
    x = rng.integers(1, 5, size=shape).astype(float)
    w = rng.integers(1, 4, size=ksize).astype(float)
    pads = _pads(shape, ksize, stride, padding, dilation)
    out_shape = _torch_conv(x, w, stride, pads, dilation).shape
    grad_out = rng.integers(1, 4, size=out_shape).astype(float)
    dx, dw = _torch_grads(x, w, grad_out, stride, pads, dilation)
    # how many products reach each entry: gradients with all-ones inputs (torch)
    n_dx, _ = _torch_grads(np.ones(shape), np.ones(ksize), np.ones(out_shape), stride, pads, dilation)
    _, n_dw = _torch_grads(np.ones(shape), np.ones(ksize), np.ones(out_shape), stride, pads, dilation)
    for target, cell, count, grad in [("dx", (1, 2), n_dx, dx), ("dx", (shape[0] - 1, 0), n_dx, dx),
                                      ("dw", (0, 1), n_dw, dw), ("dw", (1, 1), n_dw, dw)]:
        ax = viz.show_backward(x, w, grad_out, target, cell, view, stride, padding, dilation,
                               annotate=True)
        n = int(count[cell])
        cells = drawn_cells(ax)
        assert cells[f"{target}:target"] == 1
        assert drawn_numbers(ax)[target] == _texts(grad)
        contrib = {k: v for k, v in cells.items() if k.endswith(":contrib")}
        if n == 0:
            assert contrib == {}, (target, cell)
        elif view == "im2row":
            assert contrib["rows:contrib"] == n
        else:
            assert set(contrib.values()) == {n}, (target, cell, contrib)
        assert f"sum of {n} product" in ax.get_title()
        plt.close(ax.figure)


def test_show_backward_rejects_bad_choices():
    with pytest.raises(ValueError, match="view must be one of"):
        viz.show_backward(np.ones((4, 4)), np.ones((2, 2)), view="sideways")
    with pytest.raises(ValueError, match="target must be 'dx' or 'dw'"):
        viz.show_backward(np.ones((4, 4)), np.ones((2, 2)), target="db")
    with pytest.raises(ValueError, match=r"cell must lie in dw of shape \(2, 2\); got \(2, 0\)"):
        viz.show_backward(np.ones((4, 4)), np.ones((2, 2)), target="dw", cell=(2, 0))


@pytest.mark.parametrize("stride, padding, output_padding, dilation",
                         [(1, 0, 0, 1), (2, 0, 0, 1), (2, 1, 1, 1), (3, 1, 0, 2)])
def test_show_transposed_conv_matches_torch(stride, padding, output_padding, dilation):
    x = np.arange(1.0, 7.0).reshape(2, 3)
    w = np.array([[1.0, 2.0], [0.0, -1.0]])
    y = F.conv_transpose2d(torch.as_tensor(x)[None, None], torch.as_tensor(w)[None, None],
                           stride=stride, padding=padding, output_padding=output_padding,
                           dilation=dilation)[0, 0].numpy()
    ax = viz.show_transposed_conv(x, w, stride, padding, output_padding, dilation, annotate=True)
    numbers = drawn_numbers(ax)
    assert numbers["y"] == _texts(y)
    assert numbers["weight"] == _texts(np.rot90(w, 2))
    spread = np.array([float(v) for v in numbers["spread"]])
    assert np.count_nonzero(spread) == np.count_nonzero(x)  # every input entry appears once
    inserted = ((2 - 1) * stride + 1) * ((3 - 1) * stride + 1) - x.size
    assert drawn_cells(ax).get("spread:inserted", 0) == inserted


# ------------------------------------------------------------------ matrices
@pytest.mark.parametrize("ksize, stride, padding, dilation",
                         [(2, 1, 0, 1), (3, 2, 1, 1), (2, 1, 1, 2), (3, 1, 0, 1)])
def test_show_im2row_rows_are_torch_unfold(ksize, stride, padding, dilation):
    x = np.arange(1.0, 31.0).reshape(5, 6)
    unfold = F.unfold(torch.as_tensor(x)[None, None], ksize, dilation=dilation, padding=padding,
                      stride=stride)[0].T.numpy()  # (positions, k*k)
    rows = [0, unfold.shape[0] - 1]
    ax = viz.show_im2row(x, ksize, stride, padding, dilation, rows=rows, annotate=True)
    assert drawn_numbers(ax)["patches"] == _texts(unfold)
    cells = drawn_cells(ax)
    for r in rows:
        assert cells[f"patches:row {r}"] == ksize * ksize
        assert cells[f"input:row {r}"] == ksize * ksize
    out_w = (6 + 2 * padding - dilation * (ksize - 1) - 1) // stride + 1
    assert [lab for lab in legend_labels(ax) if lab.startswith("row")] == [
        f"row {r} = window ({r // out_w}, {r % out_w})" for r in rows]
    with pytest.raises(ValueError, match="rows must lie in"):
        viz.show_im2row(x, ksize, stride, padding, dilation, rows=[unfold.shape[0]])


@pytest.mark.parametrize("input_shape, stride, padding, dilation",
                         [((3, 3), 1, 0, 1), ((4, 5), 1, 1, 1), ((5, 5), 2, 1, 1), ((5, 4), 1, 0, 2)])
def test_show_conv_matrix_is_torch_applied_to_unit_images(input_shape, stride, padding, dilation):
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    columns = []
    for k in range(input_shape[0] * input_shape[1]):
        e = np.zeros(input_shape)
        e.flat[k] = 1.0
        columns.append(F.conv2d(torch.as_tensor(e)[None, None], torch.as_tensor(w)[None, None],
                                stride=stride, padding=padding, dilation=dilation).numpy().ravel())
    matrix = np.stack(columns, axis=1)
    ax = viz.show_conv_matrix(w, input_shape, stride, padding, dilation, annotate=True)
    taps = ax.images[0].get_array()
    np.testing.assert_array_equal(taps != 0, matrix != 0)
    # colour index t + 1 is tap t = m * kW + n: the weight it shows
    np.testing.assert_array_equal(np.where(taps > 0, w.ravel()[np.maximum(taps - 1, 0)], 0), matrix)
    values = [t.get_text() for t in ax.texts if t.get_gid() == "cellnum"]
    assert values == [f"{v:g}" for v in matrix[matrix != 0]]
    out_w = (input_shape[1] + 2 * padding - dilation - 1) // stride + 1
    blocks = [line for line in ax.lines if line.get_gid() == "block"]
    assert len(blocks) == (input_shape[0] - 1) + (matrix.shape[0] // out_w - 1)
    assert legend_labels(ax) == ["w[0,0]", "w[0,1]", "w[1,0]", "w[1,1]"]


# ------------------------------------------------------------------ receptive field
@pytest.mark.parametrize("n_layers, k, s, d", [(1, 3, 1, 1), (3, 3, 1, 1), (2, 3, 2, 1), (2, 2, 1, 2)])
def test_show_receptive_field_marks_the_field(n_layers, k, s, d):
    ax = viz.show_receptive_field(n_layers, k, s, d)
    cells = drawn_cells(ax)
    field = receptive_field([k] * n_layers, [s] * n_layers, [d] * n_layers)
    assert cells[f"layer {n_layers}:selected"] == 1
    corners = _polygon_cells(ax, "layer 0:contrib")[:, 0]
    assert corners.max() - corners.min() + 1 == pytest.approx(field)
    assert f"{cells['layer 0:contrib']} input cells" in ax.get_title()


# ------------------------------------------------------------------ filters and history
def test_show_filters_results_are_scipy_correlations():
    rng = np.random.default_rng(0)
    image = rng.random((12, 10))
    kernels = {"a": np.array([[1.0, 0.0, -1.0]] * 3), "b": np.ones((3, 3)) / 9}
    fig = viz.show_filters(image, kernels, results={"extra": image ** 2})
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["image", "a", "image \u22c6 a", "b", "image \u22c6 b", "extra"]
    shown = {ax.get_title(): ax.images[0].get_array() for ax in fig.axes if ax.images}
    for name, k in kernels.items():
        expected = scipy.ndimage.correlate(image, k, mode="constant")
        np.testing.assert_allclose(shown[f"image \u22c6 {name}"], expected, atol=1e-12)
    np.testing.assert_allclose(shown["extra"], image ** 2)
    np.testing.assert_allclose(shown["image"], image)
    assert drawn_numbers(fig.axes[3])["grid"] == _texts(np.round(kernels["b"], 3))


def test_show_filters_redraws_into_the_same_figure():
    fig = viz.show_filters(np.eye(6), {"k": np.ones((3, 3))})
    n = len(plt.get_fignums())
    assert viz.show_filters(np.eye(6), {"k": np.ones((3, 3))}, fig=fig) is fig
    assert len(fig.axes) == 3 and len(plt.get_fignums()) == n


def test_plot_history_draws_every_curve():
    history = {"loss": [2.0, 1.0, 0.5], "val_loss": [2.2, 1.4, 0.9], "accuracy": [0.3, 0.6, 0.8]}
    fig = viz.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["loss", "val_loss"]
    np.testing.assert_array_equal(loss_ax.get_lines()[1].get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(acc_ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert loss_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy"
    with pytest.raises(ValueError, match="history needs a key containing 'loss' or 'acc'"):
        viz.plot_history({"lr": [0.1]})
    with pytest.raises(TypeError, match="history must be a non-empty dict"):
        viz.plot_history([1, 2])


def test_every_function_draws_into_a_given_axes_without_new_figures():
    fig, ax = plt.subplots()
    n = len(plt.get_fignums())
    x, w = np.ones((4, 4)), np.ones((2, 2))
    calls = [
        lambda: viz.show_grid(x, ax=ax),
        lambda: viz.show_sliding_window(x, 2, ax=ax),
        lambda: viz.show_kernel_flip(w, ax=ax),
        lambda: viz.show_zero_insertion(w, 2, ax=ax),
        lambda: viz.show_backward(x, w, ax=ax),
        lambda: viz.show_transposed_conv(w, w, ax=ax),
        lambda: viz.show_im2row(x, 2, ax=ax),
        lambda: viz.show_conv_matrix(w, (3, 3), ax=ax),
        lambda: viz.show_receptive_field(2, ax=ax),
    ]
    for call in calls:
        ax.clear()
        assert call() is ax
    assert len(plt.get_fignums()) == n


def test_kind_styles_are_distinct_and_colour_blind_safe():
    overlays = [k for k, s in KINDS.items() if s["alpha"] < 1]
    bases = [k for k, s in KINDS.items() if s["alpha"] == 1 and k != "cell"]
    assert len({KINDS[k]["facecolor"] for k in overlays}) == len(overlays)
    assert all(c in viz.OKABE_ITO.values() for c in (KINDS[k]["facecolor"] for k in overlays))
    # base kinds differ by hatch too, so they read in greyscale
    assert len({KINDS[k]["hatch"] for k in bases}) == len(bases)
