"""The multi-channel sliding window: several input channels under one kernel, one output channel.

Each channel's lit window must be what :mod:`convlab.coverage` says; the
numbers drawn (padded channels, kernel slices, per-channel partial sums,
output) must be PyTorch's; the figures must read (no overlapping text,
nothing under 8 pt) and the animation must have one frame per output cell.
"""
import base64
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from test_viz_sweep import check_text

from convlab import coverage, viz
from convlab.viz import drawn_numbers, legend_labels, lit_cells
from convlab.viz.sliding import MAX_CHANNELS, _redraw_channels
from convlab.viz.style import KINDS, cell_text

# (channels, input, kernel, stride, padding, dilation): the lesson's three cases and some others
CASES = [
    (1, (5, 5), (3, 3), 1, 0, 1),
    (3, (5, 5), (3, 3), 1, 0, 1),
    (3, (5, 5), (3, 3), 2, 1, 1),
    (2, (6, 7), (2, 3), 2, "same", 1),
    (4, (7, 7), (3, 3), 1, 0, 2),
    (2, (8, 8), (3, 3), 3, 0, 1),      # stride remainder: cells never read
]


def _data(case, seed=0):
    channels, shape, kernel = case[:3]
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(channels, *shape)).astype(float)
    w = rng.integers(-1, 2, size=(channels, *kernel)).astype(float)
    return x, w


def _torch(x, w, g):
    """Padded input, per-channel partial sums and output, all by PyTorch."""
    (top, bottom), (left, right) = g.padding
    xp = F.pad(torch.tensor(x)[None], (left, right, top, bottom))
    partial = F.conv2d(xp, torch.tensor(w)[:, None], stride=g.stride, dilation=g.dilation,
                       groups=x.shape[0])[0]
    y = F.conv2d(xp, torch.tensor(w)[None], stride=g.stride, dilation=g.dilation)[0, 0]
    return xp[0].numpy(), partial.numpy(), y.numpy()


def _texts(values):
    return [cell_text(v) for v in np.asarray(values).ravel()]


def _window(g, i, j):
    rows, cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
    return {(int(r), int(c)) for r in rows for c in cols}


def _check_position(ax, x, w, g, i, j, numbers_everywhere=True):
    """Lit cells, numbers (every grid's, unless some are heatmaps), partial sums and caption."""
    channels = x.shape[0]
    lit = lit_cells(ax)
    padded, partial, y = _torch(x, w, g)
    numbers = drawn_numbers(ax)
    never_read = ~coverage.covered_mask(x.shape[1:], g.kernel_size, g.stride, g.padding,
                                        g.dilation)
    (top, _), (left, _) = g.padding
    for c in range(channels):
        assert lit[f"input[{c}]:window"] == _window(g, i, j)
        assert lit[f"kernel[{c}]:window"] == {(m, n) for m in range(w.shape[1])
                                              for n in range(w.shape[2])}
        assert lit.get(f"input[{c}]:padding", set()) == {
            (r, col) for r in range(padded.shape[1]) for col in range(padded.shape[2])
            if not (top <= r < top + x.shape[1] and left <= col < left + x.shape[2])}
        assert lit.get(f"input[{c}]:uncovered", set()) == {
            (int(r) + top, int(col) + left) for r, col in zip(*np.nonzero(never_read))}
        assert numbers.get(f"input[{c}]", _texts(padded[c])) == _texts(padded[c])
        assert numbers.get(f"kernel[{c}]", _texts(w[c])) == _texts(w[c])
    assert lit["output:selected"] == {(i, j)}
    assert numbers.get("output", _texts(y)) == _texts(y)
    if numbers_everywhere:
        assert len(numbers) == 2 * channels + 1
    partials = [t.get_text() for t in ax.texts if t.get_gid() == "partial"]
    assert partials == _texts(partial[:, i, j])
    footer = [t.get_text() for t in ax.texts if t.get_gid() == "footer"]
    terms = [f"({t})" if t.startswith("-") else t for t in _texts(partial[:, i, j])]
    assert footer == [f"output ({i}, {j}) = " + " + ".join(terms) + f" = {cell_text(y[i, j])}"]
    titles = [t.get_text() for t in ax.texts if t.get_gid() == "title"]
    assert f"output ({i}, {j})" in titles


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_each_channel_lights_its_window_and_the_numbers_are_torch(case):
    _, shape, kernel, stride, padding, dilation = case
    x, w = _data(case)
    g = coverage.geometry(shape, kernel, stride, padding, dilation)
    ho, wo = g.output_shape
    for i, j in {(0, 0), (ho - 1, wo - 1), (ho // 2, wo - 1), (ho - 1, 0)}:
        ax = viz.show_sliding_window(x, weight=w, i=i, j=j, stride=stride, padding=padding,
                                     dilation=dilation)
        _check_position(ax, x, w, g, i, j)
        labels = legend_labels(ax)
        assert KINDS["window"]["label"] in labels and KINDS["selected"]["label"] in labels
        assert (KINDS["padding"]["label"] in labels) == (g.padded_shape != shape)
        check_text(ax.figure)
        plt.close(ax.figure)


def test_the_partial_sums_add_up_to_the_output():
    x, w = _data(CASES[2], seed=3)
    g = coverage.geometry((5, 5), (3, 3), 2, 1)
    _, partial, y = _torch(x, w, g)
    ax = viz.show_sliding_window(x, weight=w, i=1, j=2, stride=2, padding=1)
    drawn = [float(t.get_text()) for t in ax.texts if t.get_gid() == "partial"]
    assert sum(drawn) == pytest.approx(y[1, 2])
    assert drawn_numbers(ax)["output"][1 * 3 + 2] == cell_text(partial[:, 1, 2].sum())
    plt.close(ax.figure)


def test_every_animation_frame_redraws_the_window_of_its_position():
    x, w = _data(CASES[2])
    g = coverage.geometry((5, 5), (3, 3), 2, 1)
    ax = viz.show_sliding_window(x, weight=w, stride=2, padding=1)
    for i, j in [(0, 1), (2, 2), (1, 0)]:
        _redraw_channels(ax, x, w, g, (i, j), None)
        _check_position(ax, x, w, g, i, j)
        check_text(ax.figure)
    plt.close(ax.figure)


@pytest.mark.parametrize("stride, padding, shape", [(1, 0, (3, 3)), (2, 1, (3, 3))],
                         ids=["3 channels", "3 channels, stride 2, padding 1"])
def test_animation_has_one_frame_per_output_cell_and_stays_small(stride, padding, shape):
    x, w = _data(CASES[1])
    before = plt.get_fignums()
    html = viz.animate_conv(x, weight=w, stride=stride, padding=padding).data
    assert plt.get_fignums() == before
    frames = re.findall(r'frames\[(\d+)\] = "data:image/png;base64,([^"]+)"', html)
    assert sorted(int(k) for k, _ in frames) == list(range(shape[0] * shape[1]))
    assert len(html) < 400_000
    images = [Image.open(io.BytesIO(base64.b64decode(data))) for _, data in frames]
    assert len({im.size for im in images}) == 1           # the figure never changes size
    assert len({data for _, data in frames}) == len(frames)  # and every frame differs


@pytest.mark.slow  # draws many figures
def test_a_sampled_sweep_and_a_large_input_still_read():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 20, 20)), rng.standard_normal((2, 3, 3))
    ax = viz.show_sliding_window(x, weight=w, i=5, j=7, padding=1, title="a large input")
    assert ax.images                       # heatmaps: the numbers would not fit
    g = coverage.geometry((20, 20), (3, 3), 1, 1)
    assert lit_cells(ax)["input[1]:window"] == _window(g, 5, 7)
    check_text(ax.figure)
    plt.close(ax.figure)
    x8, w8 = _data((MAX_CHANNELS, (4, 4), (2, 2)))
    ax = viz.show_sliding_window(x8, weight=w8, i=2, j=1)
    _check_position(ax, x8, w8, coverage.geometry((4, 4), (2, 2)), 2, 1, numbers_everywhere=False)
    assert ax.images                       # 8 rows leave the output too small for its numbers
    check_text(ax.figure)
    plt.close(ax.figure)
    with pytest.warns(UserWarning, match="evenly spaced frames"):
        html = viz.animate_conv(x8, weight=w8, max_frames=3).data
    assert len(re.findall(r'frames\[\d+\] = "data:image/png', html)) == 3


def test_draws_into_a_given_axes_and_leaves_inputs_alone():
    x, w = _data(CASES[2])
    copies = x.copy(), w.copy()
    fig = plt.figure(figsize=(9, 8))
    ax = fig.add_axes((0, 0, 1, 1))
    assert viz.show_sliding_window(x, weight=w, stride=2, padding=1, ax=ax) is ax
    assert plt.get_fignums() == [fig.number]
    check_text(fig)
    plt.close(fig)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(w, copies[1])


BAD = [
    (lambda: dict(x=np.ones((3, 5, 5)), weight=np.ones((2, 3, 3))), ValueError,
     r"weight must have as many channels as x \(3\).*got shape \(2, 3, 3\)"),
    (lambda: dict(x=np.ones((1, 3, 5, 5)), weight=np.ones((3, 3, 3))), ValueError,
     r"x must be a 2-D array \(H, W\), an input shape, or a 3-D array.*got shape \(1, 3, 5, 5\)"),
    (lambda: dict(x=np.ones((3, 5, 5)), weight=np.ones((3, 3))), ValueError,
     r"weight must be a 3-D kernel \(C, kH, kW\) with C = 3 like x; got shape \(3, 3\)"),
    (lambda: dict(x=np.ones((3, 5, 5)), weight=np.ones((1, 3, 3, 3))), ValueError,
     r"weight must be a 3-D kernel"),
    (lambda: dict(x=np.ones((5, 5)), weight=np.ones((3, 3, 3))), ValueError,
     r"weight must be a 2-D kernel \(kH, kW\) for a 2-D input x"),
    (lambda: dict(x=np.ones((3, 5, 5))), ValueError,
     r"x must be a 2-D array .* when weight is None .*needs weight of shape \(C, kH, kW\)"),
    (lambda: dict(x=np.ones((MAX_CHANNELS + 1, 4, 4)), weight=np.ones((MAX_CHANNELS + 1, 2, 2))),
     ValueError, rf"x must have at most {MAX_CHANNELS} channels"),
    (lambda: dict(x=np.ones((3, 0, 5)), weight=np.ones((3, 3, 3))), ValueError,
     r"x must not have empty dimensions"),
    (lambda: dict(x=np.ones((3, 5, 5)), weight=np.ones((3, 3, 3)) * 1j), TypeError,
     r"weight must hold real numbers"),
]


@pytest.mark.parametrize("function", [viz.show_sliding_window, viz.animate_conv],
                         ids=["show_sliding_window", "animate_conv"])
@pytest.mark.parametrize("arguments, error, message", BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_shapes_name_the_argument_before_drawing(function, arguments, error, message):
    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        function(**arguments())
    assert plt.get_fignums() == before


def test_position_outside_the_output_is_refused():
    x, w = _data(CASES[2])
    with pytest.raises(ValueError, match=r"output position \(i, j\) must lie in the output of "
                                         r"shape \(3, 3\); got \(3, 0\)"):
        viz.show_sliding_window(x, weight=w, i=3, stride=2, padding=1)
