"""viz never hangs, balloons or crashes: bounded work, NaN and infinities drawn, clear errors.

Each reproducer from the robustness issue is pinned here: the call that
hung or allocated gigabytes now returns a bounded figure (or refuses with a
message naming sizes and limit), grids with NaN/inf are drawn, and every
bad argument is a ValueError/TypeError naming the argument.
"""
import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import convlab as cl
from convlab import viz
from convlab.viz import drawn_numbers, lit_cells
from convlab.viz.matrices import MAX_MATRIX_ENTRIES
from convlab.viz.sliding import MAX_FRAMES


def R(*shape):
    return np.random.default_rng(0).standard_normal(shape)


def test_animate_conv_caps_its_frames_with_a_message():
    with pytest.warns(UserWarning, match=r"248,004 positions; drawing 2 evenly spaced frames"):
        html = viz.animate_conv(500)
    frames = set(re.findall(r"frames\[(\d+)\] = \"data:image/png;base64,", html.data))
    assert len(frames) == 2
    with pytest.warns(UserWarning, match=rf"drawing {MAX_FRAMES} evenly spaced frames"):
        html = viz.animate_conv(12, kernel_size=2)   # 121 positions
    assert len(set(re.findall(r"frames\[(\d+)\] = ", html.data))) == MAX_FRAMES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.animate_conv(4, kernel_size=2)           # 9 positions: every one, no warning
    assert plt.get_fignums() == []


def test_a_large_grid_is_a_heatmap_even_when_numbers_are_asked_for():
    ax = viz.show_grid(R(500, 500), annotate=True)
    assert drawn_numbers(ax) == {} and len(ax.images) == 1
    assert ax.figure.get_figwidth() <= 12 and ax.figure.get_figheight() <= 9


def test_kernel_flip_of_a_large_kernel_is_two_heatmaps():
    w = R(500, 500)
    ax = viz.show_kernel_flip(w)
    assert [t for t in ax.texts if t.get_gid() == "celltext"] == []
    left, right = ax.images
    np.testing.assert_array_equal(right.get_array(), w[::-1, ::-1])


def test_receptive_field_of_a_deep_strided_stack_is_drawn_as_bars():
    ax = viz.show_receptive_field(40, stride=2)
    spans = [p for p in ax.patches if p.get_gid() == "span"]
    assert len(spans) == 41                      # one per level: linear in layers
    # field of 40 layers of k=3, s=2: 1 + 2 * (2**40 - 1) cells (by hand)
    assert f"{2 ** 41 - 1:,} input cells" in ax.get_title()
    with pytest.raises(ValueError, match="n_layers must be at most 64; got 65"):
        viz.show_receptive_field(65)


def test_conv_matrix_too_large_is_refused_before_allocating():
    with pytest.raises(ValueError) as error:
        viz.show_conv_matrix(R(3, 3), (100, 100))
    message = str(error.value)
    assert "9,604 \u00d7 10,000" in message and f"{MAX_MATRIX_ENTRIES:,}" in message
    assert "input_shape" in message
    with pytest.raises(ValueError, match="patch matrix would be"):
        viz.show_im2row(R(300, 300), 3)
    with pytest.raises(ValueError, match="zeros inserted would have"):
        viz.show_zero_insertion(R(100, 100), 100)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_figures_draw_non_finite_values(bad):
    x = np.arange(16.0).reshape(4, 4)
    x[1, 2] = bad
    text = {"nan": "nan"}.get(str(bad), "\u221e" if bad > 0 else "-\u221e")
    ax = viz.show_sliding_window(x, kernel_size=2)
    assert text in drawn_numbers(ax)["input"]
    assert (1, 2) in lit_cells(ax)["input:nonfinite"]
    ax = viz.show_backward(x, np.ones((2, 2)), target="dw", cell=(0, 0))
    assert text in drawn_numbers(ax)["x"]
    ax = viz.show_kernel_flip(x)
    assert any(t.get_text().startswith(text) for t in ax.texts if t.get_gid() == "celltext")
    ax = viz.show_grid(np.where(np.eye(30) > 0, bad, 1.0))   # a heatmap: NaN cells hatched
    assert len(lit_cells(ax)["grid:nonfinite"]) == 30
    fig = viz.show_filters(x, {"k": np.ones((2, 2))})
    assert len(fig.axes) == 3


def test_show_filters_accepts_a_list_of_kernels():
    k1, k2 = cl.filters.SOBEL_X, cl.filters.gaussian_kernel(5, 1.0)
    fig = viz.show_filters(R(12, 12), [k1, k2])
    assert [ax.get_title() for ax in fig.axes] == [
        "image", "kernel 1", "image \u22c6 kernel 1", "kernel 2", "image \u22c6 kernel 2"]


BAD_CALLS = [
    (lambda: viz.show_sliding_window(R(5, 5), kernel_size=np.ones((3, 3))), ValueError, "kernel_size"),
    (lambda: viz.show_sliding_window(R(5, 5), kernel_size=0), ValueError, "kernel_size"),
    (lambda: viz.show_sliding_window(R(5, 5), kernel_size="3"), TypeError, "kernel_size"),
    (lambda: viz.show_sliding_window(5, i=-1), ValueError, "i must be"),
    (lambda: viz.show_sliding_window(5, j=0.5), TypeError, "j must be an int"),
    (lambda: viz.show_sliding_window(np.ones((4, 4)) * 1j), TypeError, "x must hold real numbers"),
    (lambda: viz.show_sliding_window((5000, 5000)), ValueError, "x as a shape"),
    (lambda: viz.show_filters(R(8, 8), "sobel"), TypeError, "kernels must be"),
    (lambda: viz.show_filters(R(8, 8), [[[1, 2], [3]]]), TypeError, r"kernels\['kernel 1'\]"),
    (lambda: viz.show_filters(R(8, 8), {"k": np.ones(3)}), ValueError, r"kernels\['k'\]"),
    (lambda: viz.show_filters(R(8, 8, 3)), ValueError, "image must be"),
    (lambda: viz.show_grid("abc"), TypeError, "array must"),
    (lambda: viz.show_grid(R(3, 3), kinds={"wndow": [(0, 0)]}), ValueError, "kinds key"),
    (lambda: viz.show_grid(R(3, 3), kinds=[(0, 0)]), TypeError, "kinds must be a dict"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), cell=(1.5, 0)), TypeError, "cell must be"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), grad_out=R(2, 2)), ValueError, "grad_out must have shape"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), view=3), TypeError, "view must be one of"),
    (lambda: viz.show_im2row(R(4, 4), 2, rows=[1.5]), TypeError, "rows must be an int"),
    (lambda: viz.show_zero_insertion(R(2, 2), 0), ValueError, "stride must be a positive int"),
    (lambda: viz.show_receptive_field(0), ValueError, "n_layers must be a positive int"),
    (lambda: viz.show_receptive_field(3, kernel_size=[3, 3]), ValueError, "kernel_size must be"),
    (lambda: viz.show_receptive_field(2, position=99), ValueError, "position must lie"),
    (lambda: viz.animate_conv(5, max_frames=0), ValueError, "max_frames must be a positive int"),
    (lambda: viz.show_conv_matrix(R(2, 2), (3,)), (TypeError, ValueError), "input_shape"),
    (lambda: viz.plot_history({"loss": ["a"]}), TypeError, r"history\['loss'\]"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS, ids=[m for _, _, m in BAD_CALLS])
def test_bad_arguments_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_inputs_are_never_modified():
    x, w, g = R(5, 5), R(2, 2), R(4, 4)
    copies = [a.copy() for a in (x, w, g)]
    viz.show_sliding_window(x, weight=w, padding=1)
    viz.show_backward(x, w, g, view="gather")
    viz.show_kernel_flip(w)
    viz.show_im2row(x, 2)
    for a, b in zip((x, w, g), copies):
        np.testing.assert_array_equal(a, b)
