"""convlab.widgets, headless: the payloads the browser draws, checked against PyTorch and scipy.

Every index map is compared with an independent brute force: ``F.unfold``
of an image whose entries are their own padded-grid positions says which
padded cell each output reads at each kernel tap; gradients come from
autograd; filtered images from scipy.  The explorers must not leak figures
or start threads, and refuse out-of-range controls by name.
"""
import base64
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
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from convlab.widgets import backward_explorer, conv_explorer, filter_explorer  # noqa: E402
from convlab.widgets.latency import measure_latency  # noqa: E402

CONFIGS = [  # (size, kernel, stride, padding, dilation)
    (7, 3, 1, 0, 1),
    (7, 3, 2, 1, 1),
    (8, 3, 3, 0, 1),       # stride with remainder
    (9, 3, 1, 0, 2),       # dilation
    (7, 3, 2, "same", 1),  # 'same' with stride
    (6, 2, 1, "full", 1),
    (5, 2, 2, "valid", 2),
    (8, 3, 2, 1, 1),       # needs output_padding 1 to come back
]


def _pads(n, k, s, padding, d):
    """(before, after) padding of one axis, worked out independently of the library."""
    span = d * (k - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return span - 1, span - 1
    if padding == "same":  # TF rule: output ceil(n / s), extra padding after
        total = max((-(-n // s) - 1) * s + span - n, 0)
        return total // 2, total - total // 2
    return padding, padding


def _reads(n, k, s, padding, d):
    """reads[o_flat, tap_flat] = (row, col) of the padded cell that output o reads at that tap."""
    before, after = _pads(n, k, s, padding, d)
    size = n + before + after
    ids = torch.arange(size * size, dtype=torch.float64).reshape(1, 1, size, size)
    cols = F.unfold(ids, k, dilation=d, stride=s)[0].T.long()  # (outputs, taps)
    cols = cols.numpy()
    return np.stack([cols // size, cols % size], axis=-1), before


def _torch_grads(x, w, g, s, padding, d):
    n, k = x.shape[-1], w.shape[-1]
    before, after = _pads(n, k, s, padding, d)
    xt = torch.tensor(np.asarray(x, float), requires_grad=True)
    wt = torch.tensor(np.asarray(w, float), requires_grad=True)
    y = F.conv2d(F.pad(xt[None, None], (before, after) * 2), wt[None, None], stride=s, dilation=d)
    y.backward(torch.tensor(np.asarray(g, float))[None, None])
    return y[0, 0].detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


@pytest.fixture
def no_leaks():
    figures, threads = plt.get_fignums(), threading.active_count()
    yield
    assert plt.get_fignums() == figures
    assert threading.active_count() == threads


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("channels", [1, 3])
def test_conv_payload_windows_and_output_match_torch(config, channels, no_leaks):
    n, k, s, padding, d = config
    p = conv_explorer(n, k, s, padding, d, channels=channels).payload
    reads, before = _reads(n, k, s, padding, d)
    ho, wo = p["output_shape"]
    assert ho * wo == reads.shape[0] and p["padding"][0][0] == before
    for o in range(ho * wo):
        i, j = divmod(o, wo)
        window = {(r, c) for r in p["window_rows"][i] for c in p["window_cols"][j]}
        assert window == set(map(tuple, reads[o]))
        # tap (m, n) of the window is where w[m, n] lands
        taps = [(p["window_rows"][i][m], p["window_cols"][j][q]) for m in range(k) for q in range(k)]
        assert taps == [tuple(t) for t in reads[o]]
    x, w = np.array(p["x"], float), np.array(p["w"], float)
    assert x.shape == (channels, n, n) and w.shape == (channels, k, k)
    pt, pb = _pads(n, k, s, padding, d)
    expected = F.conv2d(F.pad(torch.tensor(x)[None], (pt, pb) * 2), torch.tensor(w)[None],
                        stride=s, dilation=d)[0, 0].numpy()
    np.testing.assert_allclose(np.array(p["out"], float), expected)
    read_input = {(r - before, c - before) for r, c in reads.reshape(-1, 2)}
    covered = np.array([[(i, j) in read_input for j in range(n)] for i in range(n)])
    np.testing.assert_array_equal(np.array(p["covered"], bool), covered)


def test_conv_summary_follows_every_control(no_leaks):
    ex = conv_explorer()
    assert set(ex.values()) == {"size", "kernel_size", "stride", "padding", "dilation", "channels"}
    seen = {ex.summary_text()}
    for change in [dict(stride=2), dict(padding=1), dict(padding="same", stride=3),
                   dict(padding="full", stride=1, kernel_size=2), dict(dilation=2, padding=0, kernel_size=3),
                   dict(size=10, stride=3, dilation=1), dict(channels=3), dict(size=4, kernel_size=2,
                   padding="valid", stride=2)]:
        ex.set(**change)
        v = ex.values()
        n, k = v["size"], v["kernel_size"]
        before, after = _pads(n, k, v["stride"], v["padding"], v["dilation"])
        x = F.pad(torch.zeros(1, 1, n, n), (before, after) * 2)
        n_out = F.conv2d(x, torch.zeros(1, 1, k, k), stride=v["stride"], dilation=v["dilation"]).shape[-1]
        text = ex.summary_text()
        assert f"output {n_out}\u00d7{n_out}" in text and f"+ 1 = {n_out}" in text, (change, text)
        assert text not in seen, change  # every control change shows in the summary
        seen.add(text)
    assert "3 channels, kernel 3\u00d72\u00d72" in text


def test_impossible_setting_keeps_the_last_picture_and_names_the_problem(no_leaks):
    ex = conv_explorer(size=3, kernel_size=3, padding=0)
    before = ex.payload
    ex.dilation = 3  # dilated kernel 7 > input 3
    assert "kernel is larger than the padded input" in ex.error
    assert ex.payload == before and ex.error in ex.summary_text()
    ex.padding = "full"
    assert ex.error == "" and "output 9\u00d79" in ex.summary_text()
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_explorer(size=3, kernel_size=3, dilation=3)


@pytest.mark.parametrize("make, name, bad, message", [
    (conv_explorer, "size", 500, r"size must be an int in \[1, 16\]; got 500"),
    (conv_explorer, "kernel_size", 0, r"kernel_size must be an int in \[1, 7\]; got 0"),
    (conv_explorer, "stride", 9, r"stride must be an int in \[1, 4\]"),
    (conv_explorer, "padding", 7, r"padding must be an int in \[0, 3\] or one of 'valid'"),
    (conv_explorer, "padding", "medium", r"padding must be one of \('valid', 'same', 'full'\)"),
    (conv_explorer, "dilation", 4, r"dilation must be an int in \[1, 3\]"),
    (conv_explorer, "channels", 4, r"channels must be an int in \[1, 3\]"),
    (backward_explorer, "size", 11, r"size must be an int in \[1, 10\]"),
    (backward_explorer, "target", "dy", r"target must be one of \('dx', 'dw'\)"),
    (backward_explorer, "view", "matrix", r"view must be one of \('scatter', 'gather', 'im2row'\)"),
    (filter_explorer, "sigma", 9.0, r"sigma must be in \[0.5, 4.0\]; got 9.0"),
    (filter_explorer, "kernel_size", 6, r"kernel_size must be odd"),
    (filter_explorer, "filter", "box", r"filter must be one of"),
])
def test_out_of_range_controls_are_refused_by_name(make, name, bad, message, no_leaks):
    with pytest.raises(ValueError, match=message):
        make(**{name: bad})
    ex = make()
    before = getattr(ex, name)
    with pytest.raises(ValueError, match=message):
        setattr(ex, name, bad)
    assert getattr(ex, name) == before  # refused, not clamped


def test_wrong_types_are_type_errors(no_leaks):
    with pytest.raises(TypeError, match="stride must be an int; got 1.5"):
        conv_explorer(stride=1.5)
    with pytest.raises(ValueError, match=r"unknown controls \['speed'\]"):
        conv_explorer().set(speed=3)
    with pytest.raises(ValueError, match=r"image must be a 2-D greyscale array"):
        filter_explorer(np.zeros((4, 4, 3)))


@pytest.mark.parametrize("config", CONFIGS)
def test_backward_pairs_are_the_products_autograd_sums(config, no_leaks):
    n, k, s, padding, d = config
    p = backward_explorer(n, k, s, padding, d).payload
    reads, before = _reads(n, k, s, padding, d)
    ho, wo = p["output_shape"]
    x, w, g = (np.array(p[a], float) for a in ("x", "w", "grad_out"))
    _, dx, dw = _torch_grads(x, w, g, s, padding, d)
    np.testing.assert_allclose(np.array(p["dx"], float), dx)
    np.testing.assert_allclose(np.array(p["dw"], float), dw)
    for i in range(n):
        for j in range(n):
            expected = {((o // wo, o % wo), (t // k, t % k)) for o in range(ho * wo) for t in range(k * k)
                        if tuple(reads[o, t]) == (i + before, j + before)}
            pairs = p["dx_pairs"][i][j]
            assert {((a, b), (m, q)) for a, b, m, q in pairs} == expected and len(pairs) == len(expected)
            assert sum(g[a, b] * w[m, q] for a, b, m, q in pairs) == pytest.approx(dx[i, j])
            assert p["covered"][i][j] == bool(pairs)
    for m in range(k):
        for q in range(k):
            expected = set()
            for o in range(ho * wo):
                r, c = reads[o, m * k + q] - before
                if 0 <= r < n and 0 <= c < n:
                    expected.add(((o // wo, o % wo), (int(r), int(c))))
            pairs = p["dw_pairs"][m][q]
            assert {((a, b), (r, c)) for a, b, r, c in pairs} == expected
            assert sum(g[a, b] * x[r, c] for a, b, r, c in pairs) == pytest.approx(dw[m, q])


@pytest.mark.parametrize("config", CONFIGS)
def test_backward_views_put_each_pair_where_the_browser_lights_it(config, no_leaks):
    """The gather, dW-gather and im2row cells the ES module lights hold the pair's factors."""
    n, k, s, padding, d = config
    p = backward_explorer(n, k, s, padding, d).payload
    reads, before = _reads(n, k, s, padding, d)
    gather, patches, xp = (np.array(p[a], float) for a in ("gather", "patches", "x_padded"))
    g, x = np.array(p["grad_out"], float), np.array(p["x"], float)
    wo = p["output_shape"][1]
    kinds = np.array(p["gather_kinds"])
    for i in range(n):
        for j in range(n):
            for a, b, m, q in p["dx_pairs"][i][j]:  # flipped tap (k-1-m, k-1-q) of dx[i,j]'s window
                r, c = p["gather_rows"][i][k - 1 - m], p["gather_cols"][j][k - 1 - q]
                assert gather[r, c] == g[a, b] and kinds[r, c] == 2
            window = [(r, c) for r in p["gather_rows"][i] for c in p["gather_cols"][j]]
            assert sum(kinds[r, c] == 2 for r, c in window) == len(p["dx_pairs"][i][j])
    for m in range(k):
        for q in range(k):
            for a, b, r, c in p["dw_pairs"][m][q]:
                assert (p["dw_window_rows"][m][a], p["dw_window_cols"][q][b]) == (r + before, c + before)
                assert xp[r + before, c + before] == x[r, c]
                assert p["grad_spread"][a * s][b * s] == g[a, b]
                assert patches[a * wo + b, m * k + q] == x[r, c]
    ids = np.array(reads)
    np.testing.assert_array_equal(patches, xp[ids[..., 0], ids[..., 1]])


@pytest.mark.parametrize("n, k, s, padding, d", [(8, 3, 2, 1, 1), (7, 3, 2, 1, 1), (9, 3, 3, 0, 1),
                                                  (7, 2, 2, 0, 2), (6, 3, 1, "full", 1)])
def test_output_padding_is_the_transposed_conv_that_gives_dx_back(n, k, s, padding, d, no_leaks):
    ex = backward_explorer(n, k, s, padding, d)
    p = ex.payload
    assert ex.output_padding == p["output_padding"]
    pad = p["padding"][0][0]
    g, w = (torch.tensor(np.array(p[a], float))[None, None] for a in ("grad_out", "w"))
    dx = F.conv_transpose2d(g, w, stride=s, padding=pad, dilation=d, output_padding=ex.output_padding)
    assert dx.shape[-1] == n
    np.testing.assert_allclose(dx[0, 0].numpy(), np.array(p["dx"], float))
    assert f"output_padding={ex.output_padding})" in ex.summary_text()


def test_output_padding_control_resizes_the_input_and_keeps_g(no_leaks):
    ex = backward_explorer(size=8, kernel_size=3, stride=2, padding=1)
    assert ex.output_padding == 1 and ex.payload["output_shape"] == [4, 4]
    ex.output_padding = 0
    assert ex.size == 7 and ex.payload["output_shape"] == [4, 4] and ex.error == ""
    assert "output_padding=0)" in ex.summary_text()
    ex.size = 8
    assert ex.output_padding == 1
    ex.output_padding = 2
    assert "output_padding must be smaller than the stride (2); got 2" in ex.error
    assert ex.size == 8 and ex.payload["input_shape"] == [8, 8]
    assert backward_explorer(size=7, stride=2, padding=1, output_padding=1).size == 8
    with pytest.raises(ValueError, match="output_padding"):
        backward_explorer(size=5, stride=1, output_padding=1)


def test_prefetched_neighbours_are_the_payloads_of_those_settings(no_leaks):
    ex = conv_explorer(size=4, kernel_size=3, stride=1, padding="valid", dilation=1)
    ahead = ex.payload["next"]
    assert sorted(ahead["size"]) == ["3", "5"] and sorted(ahead["padding"]) == ["3", "same"]
    assert "dilation" not in ahead  # dilation 2: kernel 5 > input 4, impossible, left out
    for name, options in ahead.items():
        for key, near in options.items():
            value = near["settings"][name]
            assert str(value) == key
            fresh = conv_explorer(**dict(ex.values(), **{name: value})).payload
            fresh.pop("next")
            assert near == fresh, (name, key)


def test_target_and_view_change_nothing_on_the_server(no_leaks):
    ex = backward_explorer()
    payloads = []
    ex.observe(lambda change: payloads.append(change), names="payload")
    ex.target, ex.view = "dw", "im2row"
    assert payloads == []  # the browser switches views alone; every view is in the payload
    ex.stride = 2
    assert len(payloads) == 1


def _png(url):
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))), float)


def test_filter_payload_shows_scipy_results(no_leaks):
    rng = np.random.default_rng(0)
    image = rng.random((24, 20))
    ex = filter_explorer(image)
    assert set(ex.values()) == {"filter", "sigma", "kernel_size"}
    gx = scipy.ndimage.correlate(image, [[1, 0, -1], [2, 0, -2], [1, 0, -1]], mode="constant")
    gy = scipy.ndimage.correlate(image, np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]).T, mode="constant")
    mag = np.hypot(gx, gy)
    shown = _png(ex.payload["result"])
    np.testing.assert_allclose(shown, 255 * (mag - mag.min()) / (mag.max() - mag.min()), atol=0.51)
    np.testing.assert_allclose(_png(ex.payload["image"]),
                               255 * (image - image.min()) / (image.max() - image.min()), atol=0.51)
    assert [k["label"] for k in ex.payload["kernels"]] == ["Sobel x", "Sobel y"]
    assert "image 24\u00d720" in ex.summary_text() and "Sobel sobel" not in ex.summary_text()
    ex.filter = "sobel x"
    assert ex.payload["signed"] and ex.payload["result_range"] == pytest.approx([gx.min(), gx.max()])
    assert "Sobel x" in ex.summary_text() and "sobel x" not in ex.summary_text()
    ex.filter = "gaussian"
    assert "\u03c3 = 1, 5\u00d75 kernel" in ex.summary_text()  # lesson 12's 5x5 at sigma 1
    for sigma, size in ((1.0, 5), (2.0, 13), (3.0, 19)):
        ex.set(sigma=sigma, kernel_size=size)
        assert f"{size}\u00d7{size} kernel" in ex.summary_text()
        assert f"2k = {2 * size} instead of k\u00b2 = {size * size}" in ex.summary_text()
        blurred = scipy.ndimage.gaussian_filter(image, sigma, mode="constant",
                                                truncate=(size // 2) / sigma)
        lo, hi = blurred.min(), blurred.max()
        np.testing.assert_allclose(_png(ex.payload["result"]), 255 * (blurred - lo) / (hi - lo), atol=0.51)
        impulse = np.zeros((size, size))
        impulse[size // 2, size // 2] = 1
        kernel = scipy.ndimage.gaussian_filter(impulse, sigma, mode="constant", truncate=(size // 2) / sigma)
        np.testing.assert_allclose(ex.payload["kernels"][0]["values"], kernel, atol=1e-4)


def test_filter_explorer_defaults_to_the_photograph(no_leaks):
    ex = filter_explorer()
    assert "image 150\u00d7128" in ex.summary_text()


def test_snapshots_are_static_figures_of_the_current_state(no_leaks):
    conv = conv_explorer(7, 3, 2, 1)
    conv.selected = [1, 2]
    back = backward_explorer(6, 3, 2, 1, target="dw", view="gather")
    back.selected = [1, 1]
    for fig in (conv.snapshot(), back.snapshot(), filter_explorer(np.eye(12)).snapshot()):
        assert isinstance(fig, Figure) and fig.axes
        fig.canvas.draw()
    back.selected = [4, 5]  # clicked on dX, then the target became dW (3x3)
    back.snapshot().canvas.draw()
    conv.selected = [3, 3]
    conv.stride = 3  # the output shrinks to 3x3 under the last click
    conv.snapshot().canvas.draw()


def test_repr_names_the_settings_and_no_address(no_leaks):
    assert repr(conv_explorer(5, 2, padding="same")) == (
        "ConvExplorer(size=5, kernel_size=2, stride=1, padding='same', dilation=1, channels=1)")
    assert repr(filter_explorer(np.eye(4))) == "FilterExplorer(filter='sobel', sigma=1.0, kernel_size=5)"


def test_measure_latency_reports_medians(no_leaks):
    stats = measure_latency(conv_explorer(), "stride", [1, 2], repeats=3)
    assert stats["n"] == 3 and 0 < stats["median_ms"] <= stats["max_ms"]


def test_latency_command_runs():
    out = subprocess.run([sys.executable, "-m", "convlab", "latency"], capture_output=True,
                         text=True, check=True, timeout=300)
    assert out.stdout.count("median") == 6


def test_es_module_and_css_ship_inside_the_package():
    from convlab.widgets.base import Explorer

    js, css = Explorer._esm, Explorer._css  # file paths, read by anywidget; nothing from a CDN
    text = js.read_text() if hasattr(js, "read_text") else str(js)
    assert "export default" in text and "http" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "convlab-explorer" in text and "is-lit" in text and "convlab-summary" in text
    assert ".convlab-explorer" in (css.read_text() if hasattr(css, "read_text") else str(css))


def test_importing_convlab_loads_no_plotting_or_widgets():
    code = ("import sys, convlab, convlab.coverage; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets', 'anywidget', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
