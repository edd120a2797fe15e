"""Figures and explorers refuse bad drawing arguments by name, before drawing anything.

The reproducers of the robustness issue for viz and widgets: an Axes that is
not an Axes, ``annotate``/``legend`` that are not booleans, a zero kernel
size or interval in the sweep, a float ``output_padding`` (a traitlets error
before), a snapshot cell outside its grid (clamped before).  Each must be a
``ValueError``/``TypeError`` whose message names the argument and shows the
value given, raised before a figure is made or a payload computed.
"""
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from convlab import _checks, viz  # noqa: E402
from convlab.widgets import BackwardExplorer, ConvExplorer, backward_explorer, conv_explorer  # noqa: E402


def R(*shape):
    return np.random.default_rng(0).standard_normal(shape)


# (call, error, regex): the regex names the argument and the value given
BAD_FIGURE_CALLS = [
    (lambda: viz.show_grid(R(3, 3), ax=3), TypeError, r"ax must be a matplotlib Axes or None; got 3 \(int\)"),
    (lambda: viz.show_sliding_window(5, ax="ax"), TypeError, r"ax must be a matplotlib Axes.*'ax' \(str\)"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), ax=3), TypeError, "ax must be a matplotlib Axes"),
    (lambda: viz.show_receptive_field(2, ax=3), TypeError, "ax must be a matplotlib Axes"),
    (lambda: viz.drawn_cells(None), TypeError, r"ax must be a matplotlib Axes; got None"),
    (lambda: viz.legend_labels(3), TypeError, r"ax must be a matplotlib Axes; got 3"),
    (lambda: viz.plot_history({"loss": [1.0]}, fig=3), TypeError, "fig must be a matplotlib Figure"),
    (lambda: viz.show_filters(R(6, 6), fig="f"), TypeError, "fig must be a matplotlib Figure"),
    (lambda: viz.show_grid(R(3, 3), annotate="yes"), TypeError, r"annotate must be True or False; got 'yes'"),
    (lambda: viz.show_conv_matrix(R(2, 2), (3, 3), annotate=1), TypeError, "annotate must be True or False; got 1"),
    (lambda: viz.show_sliding_window(5, legend="yes"), TypeError, r"legend must be True or False; got 'yes'"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), legend=None), TypeError, "legend must be True or False; got None"),
    (lambda: viz.show_grid(R(3, 3), title=3), TypeError, r"title must be a str or None; got 3 \(int\)"),
    (lambda: viz.show_sliding_window(5, kernel_size=0), ValueError, "kernel_size must be a positive int; got 0"),
    (lambda: viz.show_sliding_window(R(4, 4), kernel_size=0, weight=R(2, 2)), ValueError,
     "kernel_size must be a positive int; got 0"),
    (lambda: viz.animate_conv(4, kernel_size=0), ValueError, "kernel_size must be a positive int; got 0"),
    (lambda: viz.animate_conv(4, kernel_size=2, interval=0), ValueError, "interval must be a positive int; got 0"),
    (lambda: viz.animate_conv(4, kernel_size=2, interval=1.5), TypeError, r"interval must be an int; got 1.5"),
    (lambda: viz.animate_conv(4, kernel_size=2, figsize=(0, 3)), ValueError, "figsize must be positive; got 0"),
    (lambda: viz.animate_conv(4, kernel_size=2, figsize=3), TypeError, r"figsize must be None or a pair"),
    (lambda: viz.show_im2row(R(4, 4), 2, rows=3), TypeError, r"rows must be a sequence of .*; got 3 \(int\)"),
    (lambda: viz.show_im2row(R(4, 4), 2, rows=[-1]), ValueError, "rows must be a non-negative|rows must be a >= 0"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), cell=(-1, 0)), ValueError, "cell must be a >= 0 int; got -1"),
    (lambda: viz.show_backward(R(4, 4), R(2, 2), cell=(4, 0)), ValueError,
     r"cell must lie in dx of shape \(4, 4\); got \(4, 0\)"),
]


@pytest.mark.parametrize("call, error, message", BAD_FIGURE_CALLS, ids=[m for _, _, m in BAD_FIGURE_CALLS])
def test_bad_drawing_arguments_are_refused_by_name_before_a_figure_is_made(call, error, message):
    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        call()
    assert plt.get_fignums() == before  # refused before any figure was made


def test_good_drawing_arguments_still_draw():
    fig, ax = plt.subplots()
    assert viz.show_grid(np.ones((2, 2)), ax=ax, annotate=np.True_, legend=np.False_, title="t") is ax
    assert viz.drawn_numbers(ax) == {"grid": ["1", "1", "1", "1"]}
    # kernel_size is unused (but checked) when weight gives the kernel
    ax = viz.show_sliding_window(R(4, 4), kernel_size=5, weight=np.ones((2, 2)), i=2, j=2)
    assert viz.drawn_cells(ax)["input:window"] == 4
    html = viz.animate_conv(3, kernel_size=2, interval=1, figsize=np.array([3.0, 2.0]))
    assert html.data.count("data:image/png;base64,") == 4
    ax = viz.show_im2row(np.arange(16.0).reshape(4, 4), 2, rows=np.array([0, 8]))
    assert viz.drawn_cells(ax)["patches:row 8"] == 4


def test_output_padding_is_refused_by_name_before_any_payload(monkeypatch):
    computed = []
    monkeypatch.setattr(BackwardExplorer, "_compute", lambda self, values: computed.append(values))
    for bad, error, message in [(1.5, TypeError, r"output_padding must be an int; got 1.5 \(float\)"),
                                ("2", TypeError, r"output_padding must be an int; got '2' \(str\)"),
                                (-1, ValueError, r"output_padding must be an int in \[0, 2\]; got -1")]:
        with pytest.raises(error, match=message):
            backward_explorer(output_padding=bad)
    assert computed == []


def test_a_control_set_after_creation_is_refused_by_the_same_rules():
    ex = conv_explorer()
    with pytest.raises(TypeError, match=r"stride must be an int; got 1.5"):
        ex.stride = 1.5
    with pytest.raises(ValueError, match=r"size must be an int in \[1, 16\]; got 500"):
        ex.size = 500
    ex = backward_explorer(size=8, stride=2, padding=1)
    with pytest.raises(TypeError, match=r"output_padding must be an int; got 1.5"):
        ex.output_padding = 1.5
    with pytest.raises(ValueError, match=r"view must be one of \('scatter', 'gather', 'im2row'\); got 'nope'"):
        ex.view = "nope"
    assert (ex.stride, ex.output_padding, ex.view) == (2, 1, "scatter")  # nothing changed


@pytest.mark.parametrize("make, cell, error, message", [
    (conv_explorer, (-1, 0), ValueError, "cell must be a >= 0 int; got -1"),
    (conv_explorer, (1.5, 0), TypeError, r"cell must be an int; got 1.5"),
    (conv_explorer, "a", TypeError, r"cell must be a pair \(row, col\) of ints; got 'a'"),
    (conv_explorer, (0, 0, 0), ValueError, r"cell must be an int or a sequence of 2 ints; got \(0, 0, 0\)"),
    (conv_explorer, (5, 0), ValueError, r"cell must lie in the output of shape \(5, 5\); got \(5, 0\)"),
    (backward_explorer, (0, 5), ValueError, r"cell must lie in dx of shape \(5, 5\); got \(0, 5\)"),
])
def test_a_snapshot_cell_outside_its_grid_is_refused_not_clamped(make, cell, error, message):
    with pytest.raises(error, match=message):
        make().snapshot(cell=cell)


def test_the_default_snapshot_cell_follows_a_grid_that_shrank():
    ex = ConvExplorer()
    ex.selected = [4, 4]          # clicked on a 5 x 5 output
    ex.stride = 3                 # now 2 x 2: the last click is moved inside
    assert ex.payload["output_shape"] == [2, 2]
    assert len(ex.snapshot().axes) == 1


def test_the_moved_validators_keep_their_messages():
    from convlab.conv.winograd import OUTPUT_TILES, forward_winograd
    from convlab.widgets.settings import CONV_CONTROLS, check_settings

    assert check_settings is _checks.check_settings
    assert check_settings(CONV_CONTROLS, {"padding": "same", "size": 7}) == {"padding": "same", "size": 7}
    with pytest.raises(ValueError, match=r"padding must be an int in \[0, 3\] or one of 'valid', 'same', 'full'; got 4"):
        check_settings(CONV_CONTROLS, {"padding": 4})
    with pytest.raises(ValueError, match=r"unknown controls \['speed'\]"):
        check_settings(CONV_CONTROLS, {"speed": 1})
    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match=re.escape(f"output_tile must be one of {OUTPUT_TILES}; got 3")):
        forward_winograd(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, output_tile=3)
    with pytest.raises(ValueError, match="method='winograd' needs a 3x3 kernel"):
        forward_winograd(x, w, None, (2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    with pytest.raises(ValueError, match=r"x with zeros inserted would have 1,002,001 cells"):
        viz.show_transposed_conv(np.ones((2, 2)), np.ones((2, 2)), stride=1000)
