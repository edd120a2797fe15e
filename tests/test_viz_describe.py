"""Every figure describes itself, and the description reaches Jupyter as the image's alt text.

Each public figure function of :mod:`convlab.viz` gives its figure a text
alternative (:func:`convlab.viz.describe.description`) that names what it
shows; the expected words come from the arguments and from
:mod:`convlab.coverage`, not from the code under test.  In a real kernel
(nbclient), every PNG a cell shows carries it as ``metadata["image/png"]["alt"]``.
"""
import matplotlib
import nbformat
import numpy as np
import pytest

from convlab import coverage, viz
from convlab.viz.describe import cells_phrase, description, span_text

PLACEHOLDER = "No description has been provided for this image"


def _figure(result):
    return getattr(result, "figure", result)


def _words(rows):
    return span_text(rows)


CASES = {
    "show_sliding_window": (lambda: viz.show_sliding_window(7, 3, 1, 2, stride=2, padding=1, dilation=2),
                            lambda: ["7\u00d77 input", "3\u00d73 kernel", "3\u00d73 output",
                                     f"rows {_words(coverage.window_cells(1, 2, 3, 2, 2)[0])}",
                                     f"columns {_words(coverage.window_cells(1, 2, 3, 2, 2)[1])}",
                                     "9 products"]),
    "show_sliding_window (channels)": (
        lambda: viz.show_sliding_window(np.ones((3, 5, 5)), weight=np.ones((3, 3, 3)), i=2, j=2),
        lambda: ["3 channels", "27 products", "sum over channels"]),
    "show_backward": (lambda: viz.show_backward(np.ones((5, 5)), np.ones((3, 3)), cell=(1, 1)),
                      lambda: [f"sum of {len(coverage.dx_contributions(1, 1, 5, 3))} products",
                               "dX (5\u00d75"]),
    "show_kernel_flip": (lambda: viz.show_kernel_flip(np.arange(9.0).reshape(3, 3)),
                         lambda: ["rotated 180\u00b0"]),
    "show_zero_insertion": (lambda: viz.show_zero_insertion(np.ones((3, 3)), 2),
                            lambda: ["inserted zero: 16 cells", "(5\u00d75"]),
    "show_transposed_conv": (lambda: viz.show_transposed_conv(np.ones((3, 3)), np.ones((2, 2)), stride=2),
                             lambda: ["6\u00d76"]),
    "show_im2row": (lambda: viz.show_im2row(np.ones((4, 4))),
                    lambda: ["each of the 4 windows", "row 3 is the window of output (1, 1)"]),
    "show_conv_matrix": (lambda: viz.show_conv_matrix(np.ones((2, 2)), (3, 3)),
                         lambda: ["4 rows", "9 columns"]),
    "show_receptive_field": (lambda: viz.show_receptive_field(2, kernel_size=3),
                             lambda: ["2 unpadded", "5 input cells"]),
    "show_filters": (lambda: viz.show_filters(np.eye(8)), lambda: ["(8\u00d78)", "Sobel x"]),
    "plot_history": (lambda: viz.plot_history({"loss": [1.0, 0.5]}),
                     lambda: ["loss from 1 to 0.5 over 2 epochs"]),
    "show_grid": (lambda: viz.show_grid(np.zeros((2, 3)), kinds={"window": [(0, 1), (1, 2)]}),
                  lambda: ["2\u00d73", "kernel window: 2 cells in rows 0, 1, columns 1, 2"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_figure_says_what_it_shows(name):
    make, expected = CASES[name]
    fig = _figure(make())
    text = description(fig)
    try:
        assert PLACEHOLDER not in text and len(text) > 40
        for words in expected():
            assert words in text, (words, text)
    finally:
        matplotlib.pyplot.close(fig)


def test_every_public_figure_function_is_covered():
    figures = {n for n in viz.__all__ if n.startswith(("show_", "plot_", "animate_"))}
    covered = {n.split(" ")[0] for n in CASES} | {"animate_conv"}
    assert figures <= covered, figures - covered


def test_cells_phrase_counts_by_hand():
    mask = np.zeros((4, 5), bool)
    mask[1, 2] = True
    assert cells_phrase(mask) == "1 cell at row 1, column 2"
    mask[3, 4] = True
    assert cells_phrase(mask) == "2 cells in rows 1, 3, columns 2, 4"
    assert cells_phrase(np.ones((2, 2))) == "all 4 cells"
    assert span_text([2, 3, 4, 5]) == "2\u20135" and span_text([1, 3, 5]) == "1, 3, 5"


def test_animation_picture_has_alt():
    html = viz.animate_conv(3, kernel_size=2).data
    assert '<img alt="Animation of 4 frames' in html
    assert "Output (0, 0) reads padded-input rows 0, 1 and columns 0, 1" in html


@pytest.mark.slow
def test_png_outputs_carry_alt_in_a_kernel():
    """Shown the way lessons show them (inline backend), every figure's PNG has its alt."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in [
        "%matplotlib inline\nimport numpy as np\nfrom convlab import viz\nfrom convlab.widgets import conv_explorer",
        "ax = viz.show_sliding_window(7, 3, 1, 2, stride=2, padding=1)",
        "fig = viz.show_filters(np.eye(8))",
        "conv_explorer(7, 3).snapshot(cell=(1, 1))",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])",  # not ours: no alt is invented
    ]]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    pngs = [(k, out) for k, cell in enumerate(nb.cells) for out in cell.outputs
            if "image/png" in out.get("data", {})]
    assert [k for k, _ in pngs] == [1, 2, 3, 4]
    alts = [out.metadata.get("image/png", {}).get("alt") for _, out in pngs]
    assert "Output (1, 2) reads padded-input rows 2\u20134 and columns 4\u20136" in alts[0]
    assert "Greyscale image (8\u00d78)" in alts[1]
    assert "Output (1, 1) reads padded-input rows 1\u20133 and columns 1\u20133" in alts[2]
    assert alts[3] is None


def test_describe_refuses_bad_arguments_by_name():
    from convlab.viz.describe import describe

    fig, ax = matplotlib.pyplot.subplots()
    with pytest.raises(TypeError, match="target must be a matplotlib Axes or Figure; got str"):
        describe("ax", "text")
    with pytest.raises(TypeError, match="text must be a non-empty str"):
        describe(ax, "  ")
    with pytest.raises(TypeError, match="before must be a bool; got int"):
        describe(ax, "text", before=1)
    assert description(fig) == ""
