"""What the explorers tell a reader without the picture: shared palette, honest warnings."""
import matplotlib.pyplot as plt
import numpy as np

from convlab.viz.describe import description
from convlab.viz.style import KINDS, PAIR_COLORS
from convlab.widgets import backward_explorer, conv_explorer, filter_explorer


def test_explorers_use_the_figures_palette():
    palette = conv_explorer().palette
    assert palette["css"]["window"] == KINDS["window"]["facecolor"] == "#56B4E9"
    assert palette["css"]["target"] == KINDS["target"]["facecolor"]
    assert palette["pairs"] == list(PAIR_COLORS)


def test_gaussian_window_too_small_is_said():
    # 6 sigma + 1 = 25 > 5: the window cuts the Gaussian (hand-worked threshold)
    cut = filter_explorer(np.eye(16), filter="gaussian", sigma=4.0, kernel_size=5).summary_text()
    assert "smaller than 6\u03c3 + 1 = 25" in cut
    whole = filter_explorer(np.eye(16), filter="gaussian", sigma=0.5, kernel_size=5).summary_text()
    assert "smaller than" not in whole  # 6 * 0.5 + 1 = 4 <= 5


def test_snapshots_describe_themselves_and_write_values():
    fig = backward_explorer(size=5, kernel_size=3).snapshot(cell=(2, 2))
    ax = fig.axes[0]
    assert not any(ax.convlab_heat)  # values written, pairs filled: no heatmap at the default
    assert "dX[2, 2] = sum of 9 products" in description(fig)
    fig2 = conv_explorer(7, 3, stride=2, padding=1).snapshot(cell=(1, 2))
    assert "Output (1, 2) reads padded-input rows 2\u20134 and columns 4\u20136" in description(fig2)
    assert plt.get_fignums() == []  # shown once, as the cell's result
