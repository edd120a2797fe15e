"""convlab.widgets, headless: set controls programmatically, check summary and figure.

Output sizes and contribution counts are checked against PyTorch; filtered
images against scipy.  The explorers must not leak figures or start threads.
"""
import io
import subprocess
import sys
import threading

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.ndimage  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

from convlab import filters  # noqa: E402
from convlab.viz import drawn_cells  # noqa: E402
from convlab.widgets import backward_explorer, conv_explorer, filter_explorer  # noqa: E402
from convlab.widgets.latency import measure_latency  # noqa: E402


def _torch_out_size(n, k, s, padding, d):
    """Output side of a square conv in torch (padding an int or "same"/"valid"/"full")."""
    x = torch.zeros(1, 1, n, n)
    w = torch.zeros(1, 1, k, k)
    if padding == "full":
        padding = d * (k - 1)
    if padding == "same" and s > 1:  # torch has no strided "same": TF rule, pad after
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        x = F.pad(x, (total // 2, total - total // 2) * 2)
        padding = 0
    return F.conv2d(x, w, stride=s, padding=padding, dilation=d).shape[-1]


def _png_size(explorer):
    return Image.open(io.BytesIO(explorer.image.value)).size


@pytest.fixture
def no_leaks():
    figures, threads = plt.get_fignums(), threading.active_count()
    yield
    assert plt.get_fignums() == figures
    assert threading.active_count() == threads


def test_conv_explorer_follows_every_control(no_leaks):
    ex = conv_explorer()
    assert set(ex.controls) == {"size", "kernel_size", "stride", "padding", "dilation", "i", "j"}
    size = _png_size(ex)
    settings = [
        dict(size=7, kernel_size=3, stride=1, padding=0, dilation=1),
        dict(stride=2),
        dict(padding=1),
        dict(padding="same", stride=3),
        dict(padding="full", stride=1, kernel_size=2),
        dict(dilation=2, padding=0, kernel_size=3),
        dict(size=10, stride=3, dilation=1),
        dict(size=4, kernel_size=2, padding="valid", stride=2),
    ]
    for change in settings:
        for name, value in change.items():
            ex.controls[name].value = value
        v = ex.values()
        n_out = _torch_out_size(v["size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"])
        text = ex.summary_text()
        assert f"output {n_out}\u00d7{n_out}" in text, (change, text)
        assert f"stride {v['stride']}," in text and f"+ 1 = {n_out} \u00b7" in text
        assert ex.controls["i"].max == n_out - 1 and ex.controls["j"].max == n_out - 1
        ax = ex.figure.axes[0]
        cells = drawn_cells(ax)
        assert cells["input:window"] == v["kernel_size"] ** 2
        assert cells["output:cell"] == n_out ** 2 and cells["output:selected"] == 1
        assert _png_size(ex) == size  # one figure, redrawn in place


def test_conv_explorer_moves_the_window_and_clamps_the_position(no_leaks):
    ex = conv_explorer(size=7, kernel_size=3, stride=1, padding=1)
    ex.controls["i"].value, ex.controls["j"].value = 6, 6
    ax = ex.figure.axes[0]
    window = next(c for c in ax.collections if c.get_label() == "input:window")
    assert window.cells.min(axis=0).tolist() == [6, 6]
    assert window.get_paths()[0].vertices.reshape(-1, 5, 2)[:, 0, 0].min() == pytest.approx(6)
    assert "window of output (6, 6)" in ex.summary_text()
    ex.controls["stride"].value = 3  # output shrinks to 3x3: the position follows
    assert (ex.controls["i"].value, ex.controls["j"].value) == (2, 2)
    assert "window of output (2, 2)" in ex.summary_text()
    assert "title" in [t.get_gid() for t in ex.figure.axes[0].texts]


def test_conv_explorer_reports_impossible_settings_instead_of_raising(no_leaks):
    ex = conv_explorer(size=3, kernel_size=3, padding=0)
    before = ex.image.value
    ex.controls["dilation"].value = 3  # dilated kernel 7 > input 3
    assert "kernel is larger than the padded input" in ex.summary_text()
    assert ex.error is not None and ex.figure.axes == []
    assert ex.image.value != before
    ex.controls["padding"].value = "full"
    assert ex.error is None and "output 9\u00d79" in ex.summary_text()


@pytest.mark.parametrize("view", ["scatter", "gather", "im2row"])
def test_backward_explorer_counts_products_like_autograd(view, no_leaks):
    ex = backward_explorer(size=5, kernel_size=3, view=view)
    for stride, padding in [(1, 0), (2, 1), (2, "same"), (1, "full")]:
        ex.set(stride=stride, padding=padding)
        pad = {"same": None, "full": 2}.get(padding, padding)
        if pad is None:
            total = max((-(-5 // stride) - 1) * stride + 3 - 5, 0)
            pads = (total // 2, total - total // 2)
        else:
            pads = (pad, pad)
        x = torch.ones(1, 1, 5, 5, requires_grad=True)
        w = torch.ones(1, 1, 3, 3, requires_grad=True)
        y = F.conv2d(F.pad(x, pads * 2), w, stride=stride)
        y.sum().backward()  # gradients of all-ones = number of products per entry
        for target, grad, cells in [("dx", x.grad[0, 0], [(0, 0), (2, 3), (4, 4)]),
                                    ("dw", w.grad[0, 0], [(0, 0), (1, 2)])]:
            ex.controls["target"].value = target
            for cell in cells:
                ex.set(row=cell[0], col=cell[1])
                n = int(grad[cell])
                name = "dX" if target == "dx" else "dW"
                noun = "product" if n == 1 else "products"
                assert ex.summary_text().startswith(f"{name}[{cell[0]}, {cell[1]}] = sum of {n} {noun}")
                contrib = {k: c for k, c in drawn_cells(ex.figure.axes[0]).items() if k.endswith("contrib")}
                assert max(contrib.values(), default=0) == n
        assert ex.controls["row"].max == 2  # dw target: rows of the 3x3 kernel


def test_backward_explorer_value_is_the_gradient_entry(no_leaks):
    ex = backward_explorer(size=4, kernel_size=2, stride=1)
    ex.controls["row"].value, ex.controls["col"].value = 1, 1
    text = ex.summary_text()
    assert text.count("\u00b7w[") == 4
    # recompute with torch from the same sample arrays the figure shows
    ax = ex.figure.axes[0]
    from convlab.viz import drawn_numbers

    nums = drawn_numbers(ax)
    g = np.array(nums["grad_out"], dtype=float).reshape(3, 3)
    w = np.array(nums["weight"], dtype=float).reshape(2, 2)
    dx = F.conv_transpose2d(torch.as_tensor(g)[None, None], torch.as_tensor(w)[None, None])[0, 0]
    assert f"= {float(dx[1, 1]):g} " in text


def test_filter_explorer_shows_scipy_results(no_leaks):
    rng = np.random.default_rng(0)
    image = rng.random((24, 20))
    ex = filter_explorer(image)
    assert set(ex.controls) == {"filter", "sigma"}
    shown = {ax.get_title(): ax.images[0].get_array() for ax in ex.figure.axes if ax.images}
    gx = scipy.ndimage.correlate(image, filters.SOBEL_X, mode="constant")
    gy = scipy.ndimage.correlate(image, filters.SOBEL_Y, mode="constant")
    np.testing.assert_allclose(shown["magnitude"], np.hypot(gx, gy), atol=1e-12)
    np.testing.assert_allclose(shown["image \u22c6 Sobel x"], gx, atol=1e-12)
    assert "image 24\u00d720" in ex.summary_text()
    ex.controls["filter"].value = "gaussian"
    for sigma in (1.0, 2.0):
        ex.controls["sigma"].value = sigma
        k = 2 * int(np.ceil(3 * sigma)) + 1
        assert f"{k}\u00d7{k} kernel" in ex.summary_text()
        assert f"2k = {2 * k} instead of k\u00b2 = {k * k}" in ex.summary_text()
        shown = {ax.get_title(): ax.images[0].get_array() for ax in ex.figure.axes if ax.images}
        expected = scipy.ndimage.gaussian_filter(image, sigma, mode="constant", truncate=3.0)
        np.testing.assert_allclose(shown[f"image \u22c6 Gaussian \u03c3={sigma:g}"], expected, atol=1e-10)


def test_filter_explorer_defaults_to_the_photograph(no_leaks):
    ex = filter_explorer()
    assert "image 150\u00d7128" in ex.summary_text()
    with pytest.raises(ValueError, match=r"image must be a 2-D greyscale array"):
        filter_explorer(np.zeros((4, 4, 3)))


def test_set_changes_several_controls_with_one_redraw(no_leaks):
    ex = conv_explorer()
    renders = []
    ex.image.observe(lambda change: renders.append(1), names="value")
    ex.set(size=9, stride=2, padding="same")
    assert len(renders) == 1 and "output 5\u00d75" in ex.summary_text()
    with pytest.raises(ValueError, match=r"unknown controls \['speed'\]"):
        ex.set(speed=3)


def test_measure_latency_reports_medians(no_leaks):
    stats = measure_latency(conv_explorer(), "stride", [1, 2], repeats=3)
    assert stats["n"] == 3 and 0 < stats["median_ms"] <= stats["max_ms"]


def test_importing_convlab_loads_no_plotting_or_widgets():
    code = ("import sys, convlab, convlab.coverage; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_backward_explorer_reports_impossible_settings(no_leaks):
    ex = backward_explorer(size=3, kernel_size=3)
    ex.set(dilation=2)  # dilated kernel 5 > input 3
    assert "kernel is larger than the padded input" in ex.summary_text()
    ex.set(padding="full")
    assert ex.error is None and ex.summary_text().startswith("dX[0, 0] = sum of 9 products")
    assert ex.legend.value.count("contributes") == 1
